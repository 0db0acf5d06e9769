package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Exchange converts money between the currencies of one wallet (WAL-4) at
// the current rate plus the conversion fee (FEE-2). It is safe for
// concurrent use.
//
// # Quote, then confirm
//
// QuoteExchange works out and stores a quote: the amount sold, the fee, the
// total taken, the rate (with its date and source) and the exact amount
// bought. The quote is honoured until ExpiresAt (Config.QuoteTTL after it
// was made, 30 seconds by default). Confirming it (Exchange) before then
// books exactly those amounts; confirming it later books nothing and is
// refused with exchange_quote_expired, and the caller asks for a fresh
// quote (Requote) to show. A stale rate is never booked.
//
// # The arithmetic
//
// For an amount A sold in currency X, bought in currency Y at rate R (units
// of Y per unit of X, from internal/fx; a cross rate is already rounded
// there to 12 significant digits):
//
//	bought = A × R, computed exactly, rounded once half-even to Y's minor unit
//	fee    = the schedule's conversion fee on A (internal/fees; half-up)
//	taken  = A + fee                       from the wallet, in X
//
// Money is never created or lost by rounding: the wallet gives A to the
// platform's liquidity account in X and receives the rounded amount from the
// liquidity account in Y; what rounding leaves over is the liquidity
// account's position, like any spread. An amount too small to buy one minor
// unit of Y is refused (exchange_amount_too_small).
//
// # In the ledger
//
// One linked set, with ids derived from the quote's id: wallet X →
// platform:fx_liquidity:X (A), platform:fx_liquidity:Y → wallet Y (bought),
// wallet X → platform:fee_revenue:X (fee). They commit or fail together, so
// the wallet is debited A + fee = (credit to liquidity) + fee exactly. A
// quote is exchanged at most once, whatever key it is confirmed with: the
// movement's id is derived from the quote's too. The movement goes through
// the wallet's usual plan → submit → record steps (and its resume job), and
// shows in history as two movements: "exchange" in X (amount and fee) and
// "exchange_in" in Y, linked by PeerID.
type Exchange struct {
	s     *Service
	store ExchangeStore
	rates ExchangeRates
	ttl   time.Duration
}

// ExchangeRates gives the rate between two currencies (internal/fx).
type ExchangeRates interface {
	// Rate returns how many units of to one unit of from buys at at.
	// Errors: any means no rate can be quoted now.
	Rate(ctx context.Context, from, to string, at time.Time) (ExchangeRate, error)
}

// ExchangeRate is a rate with where it came from.
type ExchangeRate struct {
	// Rate is units of the bought currency per unit of the sold one.
	Rate money.Rate
	// AsOf is when the rate took effect; Source names it ("ecb", "manual").
	AsOf   time.Time
	Source string
}

// ExchangeStore keeps quotes; sqlstore implements it.
type ExchangeStore interface {
	// InsertExchangeQuote stores a new quote.
	InsertExchangeQuote(ctx context.Context, q ExchangeQuote) error
	// ExchangeQuote returns a quote. Errors: ErrExchangeQuoteNotFound.
	ExchangeQuote(ctx context.Context, id string) (ExchangeQuote, error)
}

// ExchangeOptions configure an Exchange.
type ExchangeOptions struct {
	Store ExchangeStore
	Rates ExchangeRates
	// QuoteTTL is how long a quote is honoured (default 30 seconds).
	QuoteTTL time.Duration
}

// DefaultQuoteTTL is how long a quote is honoured unless configured.
const DefaultQuoteTTL = 30 * time.Second

// FeeConversion is the fee kind of a currency exchange (internal/fees).
const FeeConversion = "conversion"

// Movement types of an exchange.
const (
	// TypeExchange is the side of an exchange in the currency sold: its
	// Amount left the wallet, with Fee.
	TypeExchange Type = "exchange"
	// TypeExchangeIn is the side in the currency bought.
	TypeExchangeIn Type = "exchange_in"
)

// FXLiquidity is the platform's position in each currency: what customers
// sold is credited to it, what they bought is debited from it.
const FXLiquidity Platform = "fx_liquidity"

// AccountFXLiquidity is the ledger account code of FXLiquidity.
const AccountFXLiquidity uint16 = 130

// Ledger transfer codes of exchanges and of the fees charged on their own.
// They are apart from the others, like the bank's, so codes can be added
// elsewhere without renumbering.
const (
	// TransferExchangeOut: wallet → liquidity, in the currency sold.
	TransferExchangeOut uint16 = 130
	// TransferExchangeIn: liquidity → wallet, in the currency bought.
	TransferExchangeIn uint16 = 131
	// TransferLateFee: a late fee paid with an overdue request (FEE-5).
	TransferLateFee uint16 = 132
	// TransferDormantFee: the monthly fee of a dormant account (FEE-4).
	TransferDormantFee uint16 = 133
)

// Refusals of exchanges.
const (
	CodeExchangeSameCurrency    Code = "exchange_same_currency"    // selling and buying the same currency
	CodeExchangeTooSmall        Code = "exchange_amount_too_small" // buys less than one minor unit
	CodeExchangeQuoteNotFound   Code = "exchange_quote_not_found"
	CodeExchangeQuoteExpired    Code = "exchange_quote_expired"    // confirmed too late: nothing was exchanged, ask again
	CodeExchangeRateUnavailable Code = "exchange_rate_unavailable" // no rate can be quoted now; retrying later is safe
)

// The exchange refusals, for errors.Is.
var (
	ErrExchangeSameCurrency    = newErr(CodeExchangeSameCurrency, false)
	ErrExchangeTooSmall        = newErr(CodeExchangeTooSmall, false)
	ErrExchangeQuoteNotFound   = newErr(CodeExchangeQuoteNotFound, false)
	ErrExchangeQuoteExpired    = newErr(CodeExchangeQuoteExpired, false)
	ErrExchangeRateUnavailable = newErr(CodeExchangeRateUnavailable, true)
)

// ExchangeCodes lists the exchange refusals, for the tables that translate
// them.
var ExchangeCodes = []Code{CodeExchangeSameCurrency, CodeExchangeTooSmall, CodeExchangeQuoteNotFound,
	CodeExchangeQuoteExpired, CodeExchangeRateUnavailable}

const exchangeQuotePrefix = "xq_"

// NewExchange returns the exchange of the wallet s.
func NewExchange(s *Service, o ExchangeOptions) (*Exchange, error) {
	if s == nil || o.Store == nil || o.Rates == nil {
		return nil, errors.New("wallet: NewExchange needs the wallet, a store and rates")
	}
	if o.QuoteTTL <= 0 {
		o.QuoteTTL = DefaultQuoteTTL
	}
	return &Exchange{s: s, store: o.Store, rates: o.Rates, ttl: o.QuoteTTL}, nil
}

// QuoteTTL is how long a quote is honoured.
func (x *Exchange) QuoteTTL() time.Duration { return x.ttl }

// ExchangeRequest asks what selling an amount for another currency gives.
type ExchangeRequest struct {
	UserID int64
	// Sell is the amount sold, before the fee.
	Sell money.Amount
	// Buy is the currency code bought.
	Buy string
}

// ExchangeQuote is an exchange worked out, honoured until ExpiresAt.
type ExchangeQuote struct {
	// ID is "xq_" and 26 base32 characters.
	ID       string
	UserID   int64
	WalletID WalletID
	// Sell is sold; Fee is the conversion fee on it, in the same currency;
	// Debited = Sell + Fee leaves the wallet.
	Sell, Fee, Debited money.Amount
	// Bought arrives in the wallet: Sell × Rate, rounded half-even.
	Bought money.Amount
	// Rate is units of Bought's currency per unit of Sell's, as of
	// RateAsOf, from RateSource.
	Rate       money.Rate
	RateAsOf   time.Time
	RateSource string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// Available is the wallet's available balance in Sell's currency when
	// quoted (not stored).
	Available money.Amount
}

// Expired reports whether the quote is no longer honoured at now.
func (q ExchangeQuote) Expired(now time.Time) bool { return !now.Before(q.ExpiresAt) }

// RateText is the rate as people read it: "1 USD = 0.92 EUR".
func (q ExchangeQuote) RateText() string {
	return "1 " + q.Sell.Currency.Code + " = " + q.Rate.String() + " " + q.Bought.Currency.Code
}

// Quote works out an exchange and stores the quote. Errors:
// ErrInvalidAmount, ErrCurrencyNotEnabled, ErrExchangeSameCurrency,
// ErrExchangeTooSmall, ErrInsufficientFunds (the wallet cannot pay Debited
// now), ErrExchangeRateUnavailable, ErrUnavailable.
func (x *Exchange) Quote(ctx context.Context, r ExchangeRequest) (ExchangeQuote, error) {
	ctx = context.WithoutCancel(ctx)
	s := x.s
	if err := s.checkAmount(r.Sell); err != nil {
		return ExchangeQuote{}, err
	}
	buy, err := s.enabled(strings.ToUpper(strings.TrimSpace(r.Buy)))
	if err != nil {
		return ExchangeQuote{}, err
	}
	if buy == r.Sell.Currency {
		return ExchangeQuote{}, refuse(CodeExchangeSameCurrency, "%s", buy.Code)
	}
	w, err := s.Open(ctx, r.UserID)
	if err != nil {
		return ExchangeQuote{}, err
	}
	now := s.nowUTC()
	rate, err := x.rates.Rate(ctx, r.Sell.Currency.Code, buy.Code, now)
	if err != nil {
		return ExchangeQuote{}, &Error{Code: CodeExchangeRateUnavailable, Retryable: true,
			Detail: r.Sell.Currency.Code + "→" + buy.Code, Err: err}
	}
	q, err := x.work(ctx, w, r.Sell, buy, rate)
	if err != nil {
		return ExchangeQuote{}, err
	}
	id, _ := newPrefixedID(exchangeQuotePrefix)
	q.ID, q.UserID, q.WalletID = id, r.UserID, w.ID
	q.CreatedAt, q.ExpiresAt = now, now.Add(x.ttl)
	if err := x.store.InsertExchangeQuote(ctx, q); err != nil {
		return ExchangeQuote{}, unavailable("insert exchange quote", err)
	}
	return q, nil
}

// work computes an exchange's amounts at rate and checks the wallet can
// pay them now (the ledger still decides at commit).
func (x *Exchange) work(ctx context.Context, w Wallet, sell money.Amount, buy money.Currency, rate ExchangeRate) (ExchangeQuote, error) {
	s := x.s
	bought, err := ExchangeAmounts(sell, rate.Rate, buy)
	if err != nil {
		return ExchangeQuote{}, refuse(CodeInvalidAmount, "%v", err)
	}
	if bought.Minor <= 0 {
		return ExchangeQuote{}, refuse(CodeExchangeTooSmall, "%s buys %s", sell, bought)
	}
	vol, err := s.monthlyVolume(ctx, w.UserID)
	if err != nil {
		return ExchangeQuote{}, err
	}
	fee, err := s.quoteFee(FeeConversion, sell, vol)
	if err != nil {
		return ExchangeQuote{}, err
	}
	debited, err := sell.Add(fee)
	if err != nil {
		return ExchangeQuote{}, refuse(CodeInvalidAmount, "%v", err)
	}
	bal, err := s.balance(ctx, w, sell.Currency)
	if err != nil {
		return ExchangeQuote{}, err
	}
	q := ExchangeQuote{Sell: sell, Fee: fee, Debited: debited, Bought: bought, Rate: rate.Rate,
		RateAsOf: rate.AsOf.UTC(), RateSource: rate.Source, Available: bal.Available}
	if bal.Available.Minor < debited.Minor {
		return q, refuse(CodeInsufficientFunds, "available %s, needs %s", bal.Available, debited)
	}
	return q, nil
}

// ExchangeAmounts is the amount bought by selling sell at rate: the exact
// product rounded once, half-even, to buy's minor unit.
func ExchangeAmounts(sell money.Amount, rate money.Rate, buy money.Currency) (money.Amount, error) {
	return money.ConvertRounding(sell, rate, buy, money.RoundHalfEven)
}

// ExchangeQuote returns one of the user's quotes. Errors:
// ErrExchangeQuoteNotFound (also for someone else's).
func (x *Exchange) ExchangeQuote(ctx context.Context, userID int64, id string) (ExchangeQuote, error) {
	if _, ok := parsePrefixed(exchangeQuotePrefix, id); !ok {
		return ExchangeQuote{}, refuse(CodeExchangeQuoteNotFound, "%q", id)
	}
	q, err := x.store.ExchangeQuote(ctx, id)
	if err != nil {
		return ExchangeQuote{}, storeErr("exchange quote", err)
	}
	if q.UserID != userID {
		return ExchangeQuote{}, refuse(CodeExchangeQuoteNotFound, "%s is not user %d's", id, userID)
	}
	return q, nil
}

// Requote makes a fresh quote for the same amount and currencies as an
// earlier one (after it expired). Errors: those of ExchangeQuote and Quote.
func (x *Exchange) Requote(ctx context.Context, userID int64, id string) (ExchangeQuote, error) {
	old, err := x.ExchangeQuote(ctx, userID, id)
	if err != nil {
		return ExchangeQuote{}, err
	}
	return x.Quote(ctx, ExchangeRequest{UserID: userID, Sell: old.Sell, Buy: old.Bought.Currency.Code})
}

// ExchangeConfirm confirms a quote.
type ExchangeConfirm struct {
	UserID  int64
	QuoteID string
	// IdempotencyKey makes a double-submitted confirmation exchange once.
	IdempotencyKey string
}

// Exchange books a quote exactly as quoted, if it is still honoured. The
// same idempotency key returns the first movement; a quote already
// exchanged returns its movement. Errors: ErrExchangeQuoteNotFound,
// ErrExchangeQuoteExpired (nothing was booked: Requote and show the new
// amounts), ErrInsufficientFunds (also with a failed movement, when
// another payment took the money first), ErrIdempotencyKeyReused,
// ErrInvalidKey, ErrUnavailable (with a pending movement the resume job
// will finish).
func (x *Exchange) Exchange(ctx context.Context, c ExchangeConfirm) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	s := x.s
	if err := checkKey(c.IdempotencyKey); err != nil {
		return Movement{}, err
	}
	fp := fingerprint(string(TypeExchange), c.QuoteID)
	if m, found, err := s.existing(ctx, c.UserID, c.IdempotencyKey, fp); found || err != nil {
		if err != nil {
			return Movement{}, err
		}
		return s.replay(ctx, m)
	}
	q, err := x.ExchangeQuote(ctx, c.UserID, c.QuoteID)
	if err != nil {
		return Movement{}, err
	}
	parent, _ := parsePrefixed(exchangeQuotePrefix, q.ID)
	id := derivedMovementID(parent, "exchange")
	if m, err := s.store.Movement(ctx, id); err == nil {
		return s.replay(ctx, m) // this quote was exchanged already
	} else if !errors.Is(err, ErrMovementNotFound) {
		return Movement{}, unavailable("movement", err)
	}
	if q.Expired(s.nowUTC()) {
		return Movement{}, refuse(CodeExchangeQuoteExpired, "%s expired at %s", q.ID, q.ExpiresAt.Format(time.RFC3339))
	}
	w, err := s.Wallet(ctx, c.UserID)
	if err != nil {
		return Movement{}, err
	}
	if w.ID != q.WalletID {
		return Movement{}, refuse(CodeExchangeQuoteNotFound, "%s is for wallet %s", q.ID, q.WalletID)
	}
	bal, err := s.balance(ctx, w, q.Sell.Currency)
	if err != nil {
		return Movement{}, err
	}
	if bal.Available.Minor < q.Debited.Minor {
		return Movement{}, refuse(CodeInsufficientFunds, "available %s, needs %s", bal.Available, q.Debited)
	}
	from, to := q.Sell.Currency.Code, q.Bought.Currency.Code
	liqFrom, err := s.platformAccount(ctx, FXLiquidity, from)
	if err != nil {
		return Movement{}, err
	}
	liqTo, err := s.platformAccount(ctx, FXLiquidity, to)
	if err != nil {
		return Movement{}, err
	}
	revenue, err := s.platformAccount(ctx, FeeRevenue, from)
	if err != nil {
		return Movement{}, err
	}

	now := s.nowUTC()
	m := Movement{
		ID: id, WalletID: w.ID, UserID: w.UserID, Type: TypeExchange, Status: StatusPending,
		Amount: q.Sell, Fee: q.Fee, MethodDisplay: q.RateText(),
		PeerID:         derivedMovementID(parent, "exchange_in"),
		IdempotencyKey: c.IdempotencyKey, Fingerprint: fp, Ready: true,
		CreatedAt: now, UpdatedAt: now,
	}
	m.Plan = []ledger.Transfer{
		{ID: ledger.DeriveID(parent, "sell"), DebitAccountID: w.Accounts[from], CreditAccountID: liqFrom,
			Amount: q.Sell.Minor, Currency: from, Code: TransferExchangeOut, Flags: ledger.Linked, Metadata: m.ID},
		{ID: ledger.DeriveID(parent, "buy"), DebitAccountID: liqTo, CreditAccountID: w.Accounts[to],
			Amount: q.Bought.Minor, Currency: to, Code: TransferExchangeIn, Metadata: m.ID},
	}
	if q.Fee.Minor > 0 {
		m.Plan[1].Flags = ledger.Linked
		m.Plan = append(m.Plan, ledger.Transfer{ID: ledger.DeriveID(parent, "fee"), DebitAccountID: w.Accounts[from],
			CreditAccountID: revenue, Amount: q.Fee.Minor, Currency: from, Code: TransferFee, Metadata: m.ID})
	}
	m, created, err := s.insert(ctx, m, nil)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			// The same quote confirmed at once under another key: the
			// movement id is taken by the other confirmation.
			if first, ferr := s.store.Movement(ctx, id); ferr == nil {
				return s.replay(ctx, first)
			}
		}
		return Movement{}, err
	}
	if !created {
		return s.replay(ctx, m)
	}
	return s.settle(ctx, m)
}

// exchangeInSide builds the bought side of a completed exchange from its
// plan. Its id (PeerID) is derived from the quote's, so it is recorded
// once.
func exchangeInSide(m Movement) (Movement, bool) {
	if m.PeerID == "" {
		return Movement{}, false
	}
	for _, t := range m.Plan {
		if t.Code != TransferExchangeIn {
			continue
		}
		c, err := money.Lookup(t.Currency)
		if err != nil {
			return Movement{}, false
		}
		r := m
		r.ID, r.PeerID = m.PeerID, m.ID
		r.Type = TypeExchangeIn
		r.Amount = money.Amount{Minor: t.Amount, Currency: c}
		r.Fee = money.Amount{Currency: c}
		r.IdempotencyKey, r.Fingerprint, r.Ready, r.Version = "", "", false, 0
		return r, true
	}
	return Movement{}, false
}

// String describes the quote for logs.
func (q ExchangeQuote) String() string {
	return fmt.Sprintf("%s: %s + fee %s → %s at %s", q.ID, q.Sell, q.Fee, q.Bought, q.Rate)
}

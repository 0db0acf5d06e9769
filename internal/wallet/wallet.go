// Package wallet owns OKPay's customer wallets: wallet ids, one ledger
// account per enabled currency, deposits by card and external e-wallet,
// sending money, money requests, and the history and statements of every
// movement (WAL-1, 2, 3, 6, 7). It knows no HTTP or SQL: sqlstore
// implements Store, and the web layer renders what Service returns.
//
// The ledger is the source of money; the movements table is the wallet's
// own record of what the user asked for and how it ended, for history.
//
// Invariants it keeps:
//   - A wallet id carries a Damm check digit; a mistyped id is rejected by
//     ParseWalletID before anything is looked up, so it is never paid.
//   - A user has at most one wallet, and a wallet one ledger account per
//     enabled currency ("wallet:OK123456786:USD"), flagged so that it can
//     never be overdrawn. The balance checks made here only refuse early:
//     the ledger refuses an overdraft inside its commit, so concurrent
//     sends can never spend the same money twice.
//   - A movement's ledger transfers have ids derived from the movement's id
//     (ledger.DeriveID), and are written into the movement (Plan) before
//     they are submitted. Submitting them again can therefore never move
//     money twice: the ledger answers exists, or repeats its first refusal.
//     A movement's transfers are one linked set (the payment and its fee
//     commit or fail together).
//   - The same idempotency key from the same user returns the first
//     movement (or request) and never creates a second; reused for another
//     operation it is refused (idempotency_key_reused).
//   - A money request is paid at most once: the payment claims it (open to
//     paying) in the transaction that records the payment, and a failed
//     payment gives it back.
//   - A send at or above the large-payment threshold (Config.LargePayment,
//     converted through Rates) needs a step-up token bound to exactly that
//     payment (SendAction). A user without a second factor cannot make
//     one: the send is refused with two_factor_required_for_large_payment,
//     which tells them to turn two-factor authentication on.
//   - Nothing card-like is stored: a deposit's source goes to the rail and
//     is forgotten; only the rail's description ("Visa •••• 4242") is kept,
//     with any longer number masked.
//   - Every refusal is an *Error with a stable Code and Retryable.
//
// # Crash safety
//
// A movement goes through three steps, each a commit of its own:
//
//  1. One transaction inserts the movement (status pending) with its plan
//     of transfers, claims the money request it pays if any, and enqueues
//     a resume job (ResumeJob) to run a little later (Config.ResumeAfter).
//  2. The plan is submitted to the ledger (deposits first charge the card
//     or e-wallet, with the movement id as the rail's idempotency key, and
//     are marked ready once the charge succeeded).
//  3. One transaction records the outcome: completed with the ledger's
//     commit time, and the receiving side's movement (its id derived from
//     the send's); or failed with the ledger's refusal. The update is
//     conditional on the movement's version, so only one writer records it.
//
// A crash (or a lost answer) after step 1 leaves the movement pending. The
// resume job then resubmits the very same transfers: the ledger answers
// exists when they committed before, or gives its answer now, and step 3
// records it, so the movement and the ledger converge whichever step was
// cut. A resume of a movement that already ended does nothing, and so does
// a resume racing the request itself (the conditional update lets one of
// them record the same outcome). A periodic sweep (SweepJob) resumes
// pending movements whose job was lost or gave up.
//
// A deposit whose charge was never answered is resumed by asking the rail
// again under the same idempotency key (the user retrying the form with
// the same key does the same, with the card). A deposit waiting for its
// confirmation step fails after Config.ActionTTL (ExpireActionJob).
//
// Statements are computed from completed movements, counted in the month
// the ledger committed them; the tests check that every statement adds up
// and agrees with the balances the ledger's journal gives. Bank-transfer
// deposits (a reference per wallet and currency, statement import, the
// suspense account and staff's assign or return, reconciliation) are
// BankDeposits, in bank*.go.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// DefaultCurrencies are the currencies wallets hold unless configured
// otherwise.
var DefaultCurrencies = []string{"USD", "EUR", "CNY", "GBP", "JPY", "RUB"}

// Ledger is the part of *ledger.Ledger the wallet uses.
type Ledger interface {
	// Submit commits transfers; see ledger.Ledger.Submit.
	Submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error)
	// CreateAccount creates an account or returns the one with its ref.
	CreateAccount(ctx context.Context, a ledger.Account) (ledger.Account, error)
	// Account returns an account with its balances.
	Account(ctx context.Context, id int64) (ledger.Account, error)
}

// Fees quotes the fee of a movement from the fee schedule (internal/fees).
type Fees interface {
	// Quote returns the fee, in amount's currency (zero for none), of a
	// movement of kind (FeeDepositCard, FeeDepositEWallet, FeeSend) and
	// amount, for an account whose completed sends this calendar month
	// add up to monthlyVolumeUSD, in US cents.
	Quote(kind string, amount money.Amount, monthlyVolumeUSD int64) (money.Amount, error)
}

// Fee kinds the wallet asks the schedule for (the names of internal/fees).
const (
	FeeDepositCard    = "deposit_card"
	FeeDepositEWallet = "deposit_ewallet"
	FeeSend           = "transfer"
)

// Rates converts amounts between currencies (internal/fx).
type Rates interface {
	// Convert returns a in currency to at the rate in force at time at.
	Convert(ctx context.Context, a money.Amount, to money.Currency, at time.Time) (money.Amount, error)
}

// Person is a user as the wallet shows them to others.
type Person struct {
	UserID int64
	Email  string
	Phone  string
	// Name is shown when set; otherwise the masked email.
	Name string
}

// Directory finds users to send money to.
type Directory interface {
	// ByEmail returns the active user with this normalised email
	// (auth.NormalizeEmail). Errors: ErrRecipientNotFound.
	ByEmail(ctx context.Context, email string) (Person, error)
	// ByPhone returns the one active user with this E.164 phone number
	// (auth.NormalizePhone). Errors: ErrRecipientNotFound (also when the
	// number is shared, so no one is paid by guess).
	ByPhone(ctx context.Context, phone string) (Person, error)
	// Person returns an active user. Errors: ErrRecipientNotFound.
	Person(ctx context.Context, userID int64) (Person, error)
}

// StepUp confirms large payments with the second factor;
// *twofactor.Service implements it.
type StepUp interface {
	// Enabled reports whether the user has a second factor to step up with.
	Enabled(ctx context.Context, userID int64) (bool, error)
	// UseStepUp spends a step-up token on exactly this action, once.
	// Errors: twofactor.ErrStepUpRefused.
	UseStepUp(ctx context.Context, userID int64, token string, a twofactor.Action) error
}

// Config is the wallet's part of the platform configuration.
type Config struct {
	// Currencies are those wallets hold (DefaultCurrencies when empty).
	Currencies []string
	// LargePayment is the step-up threshold: a send whose amount, converted
	// to this currency, is at or above it needs a step-up token (default
	// 1,000.00 USD).
	LargePayment money.Amount
	// Location holds the month boundaries of statements and fee volumes
	// (default UTC).
	Location *time.Location
	// ResumeAfter is how long a pending movement is left to its request
	// before the resume job takes over (default 1 minute).
	ResumeAfter time.Duration
	// ActionTTL is how long a deposit waits for its confirmation step
	// (3-D Secure and the like) before it fails (default 30 minutes).
	ActionTTL time.Duration
	// MaxNote is the longest note, in characters (default 280).
	MaxNote int
}

// Options are a Service's dependencies.
type Options struct {
	Config    Config
	Store     Store
	Ledger    Ledger
	Fees      Fees
	Rates     Rates
	Directory Directory
	StepUp    StepUp
	// Limiter counts movements against the users' limits (internal/kyc);
	// nil: no limits.
	Limiter Limiter
	// Rails are the deposit rails by method (MethodCard, MethodEWallet).
	Rails  map[Method]Rail
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the wallet. It is safe for concurrent use.
type Service struct {
	cfg        Config
	currencies []money.Currency
	store      Store
	ledger     Ledger
	fees       Fees
	rates      Rates
	dir        Directory
	stepUp     StepUp
	limiter    Limiter
	rails      map[Method]Rail
	screener   Screener // review holds and freezes (risk.go); nil: none
	// reviewWithdrawal resolves a held withdrawal (set by NewWithdrawals:
	// a withdrawal's hold is its own state machine's, not a plain plan).
	reviewWithdrawal func(ctx context.Context, m Movement, release bool) (Movement, error)
	now              func() time.Time
	log              *slog.Logger

	platform sync.Map // ref -> account id
}

// New returns the wallet service. It checks the configuration and touches
// nothing: platform accounts are created on first use (or by
// PreparePlatformAccounts).
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Ledger == nil || o.Fees == nil || o.Rates == nil || o.Directory == nil || o.StepUp == nil {
		return nil, errors.New("wallet: New needs a store, ledger, fees, rates, directory and step-up")
	}
	c := o.Config
	if len(c.Currencies) == 0 {
		c.Currencies = DefaultCurrencies
	}
	var curs []money.Currency
	for _, code := range c.Currencies {
		cur, err := money.Lookup(code)
		if err != nil {
			return nil, fmt.Errorf("wallet: currency %q: %w", code, err)
		}
		if slices.Contains(curs, cur) {
			return nil, fmt.Errorf("wallet: currency %s listed twice", cur.Code)
		}
		curs = append(curs, cur)
	}
	c.Currencies = nil
	for _, cur := range curs {
		c.Currencies = append(c.Currencies, cur.Code)
	}
	if c.LargePayment.Currency.Code == "" {
		c.LargePayment = money.Amount{Minor: 1000_00, Currency: money.MustCurrency("USD")}
	}
	if c.LargePayment.Minor <= 0 {
		return nil, errors.New("wallet: the large-payment threshold must be positive")
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.ResumeAfter <= 0 {
		c.ResumeAfter = time.Minute
	}
	if c.ActionTTL <= 0 {
		c.ActionTTL = 30 * time.Minute
	}
	if c.MaxNote <= 0 {
		c.MaxNote = 280
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	rails := make(map[Method]Rail, len(o.Rails))
	for m, r := range o.Rails {
		if m != MethodCard && m != MethodEWallet {
			return nil, fmt.Errorf("wallet: no deposit rail can serve method %q", m)
		}
		rails[m] = r
	}
	return &Service{
		cfg: c, currencies: curs, store: o.Store, ledger: o.Ledger, fees: o.Fees, rates: o.Rates,
		dir: o.Directory, stepUp: o.StepUp, limiter: o.Limiter, rails: rails, now: now, log: log,
	}, nil
}

// Currencies returns the enabled currencies, in configuration order.
func (s *Service) Currencies() []money.Currency { return slices.Clone(s.currencies) }

// Config returns the configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

// enabled returns the enabled currency with code. Errors:
// ErrCurrencyNotEnabled.
func (s *Service) enabled(code string) (money.Currency, error) {
	for _, c := range s.currencies {
		if c.Code == code {
			return c, nil
		}
	}
	return money.Currency{}, refuse(CodeCurrencyNotEnabled, "%s", code)
}

// Wallet is a user's wallet.
type Wallet struct {
	ID        WalletID
	UserID    int64
	CreatedAt time.Time
	// Accounts maps a currency code to the wallet's ledger account.
	Accounts map[string]int64
}

// Ledger account codes (ledger.Account.Code) and refs.
const (
	AccountWallet uint16 = 100 + iota
	AccountCardClearing
	AccountEWalletClearing
	AccountBank
	AccountBankSuspense
	AccountFeeRevenue
)

// Ledger transfer codes (ledger.Transfer.Code).
const (
	TransferDeposit uint16 = 100 + iota
	TransferSend
	TransferRequestPayment
	TransferFee
)

// Platform names one of the platform's own accounts in each currency.
type Platform string

// The platform accounts, each with a ledger account per enabled currency
// under PlatformRef.
const (
	// CardClearing: what card networks owe the platform for deposits they
	// have authorised; debited when a card deposit credits a wallet.
	CardClearing Platform = "card_clearing"
	// EWalletClearing: the same for external e-wallets.
	EWalletClearing Platform = "ewallet_clearing"
	// Bank: the customers' money held at the platform's bank.
	Bank Platform = "bank"
	// BankSuspense: bank credits not yet matched to a wallet (a deposit
	// whose reference code is missing or wrong).
	BankSuspense Platform = "bank_suspense"
	// FeeRevenue: the fees the platform earned.
	FeeRevenue Platform = "fee_revenue"
)

// Platforms lists every platform account.
var Platforms = []Platform{CardClearing, EWalletClearing, Bank, BankSuspense, FeeRevenue, FXLiquidity}

func (p Platform) code() uint16 {
	switch p {
	case CardClearing:
		return AccountCardClearing
	case EWalletClearing:
		return AccountEWalletClearing
	case Bank:
		return AccountBank
	case BankSuspense:
		return AccountBankSuspense
	case FXLiquidity:
		return AccountFXLiquidity
	}
	return AccountFeeRevenue
}

// PlatformRef is the ledger ref of a platform account: "platform:fee_revenue:USD".
func PlatformRef(p Platform, currency string) string {
	return "platform:" + string(p) + ":" + currency
}

// WalletRef is the ledger ref of a wallet's account: "wallet:OK123456786:USD".
func WalletRef(id WalletID, currency string) string {
	return "wallet:" + string(id) + ":" + currency
}

// platformAccount returns the ledger account of p in currency, creating it
// on first use.
func (s *Service) platformAccount(ctx context.Context, p Platform, currency string) (int64, error) {
	ref := PlatformRef(p, currency)
	if id, ok := s.platform.Load(ref); ok {
		return id.(int64), nil
	}
	a, err := s.ledger.CreateAccount(ctx, ledger.Account{Ref: ref, Currency: currency, Code: p.code()})
	if err != nil {
		return 0, unavailable("platform account "+ref, err)
	}
	s.platform.Store(ref, a.ID)
	return a.ID, nil
}

// PreparePlatformAccounts creates every platform account in every enabled
// currency (at start, so the first deposit need not).
func (s *Service) PreparePlatformAccounts(ctx context.Context) error {
	for _, c := range s.currencies {
		for _, p := range Platforms {
			if _, err := s.platformAccount(ctx, p, c.Code); err != nil {
				return err
			}
		}
	}
	return nil
}

// PlatformAccount returns the ledger account id of p in currency, creating
// it when needed (for reports and reconciliation).
func (s *Service) PlatformAccount(ctx context.Context, p Platform, currency string) (int64, error) {
	if _, err := s.enabled(currency); err != nil {
		return 0, err
	}
	return s.platformAccount(ctx, p, currency)
}

// Open returns the user's wallet, creating it with an account in every
// enabled currency the first time. It is idempotent: opening again (even
// concurrently) returns the same wallet, and adds accounts for currencies
// enabled since. Errors: ErrUnavailable.
func (s *Service) Open(ctx context.Context, userID int64) (Wallet, error) {
	ctx = context.WithoutCancel(ctx)
	if userID <= 0 {
		return Wallet{}, errors.New("wallet: open: no user")
	}
	w, err := s.store.WalletByUser(ctx, userID)
	for attempt := 0; errors.Is(err, ErrWalletNotFound); attempt++ {
		if attempt == 10 {
			return Wallet{}, unavailable("open: no free wallet id after 10 draws", nil)
		}
		nw := Wallet{ID: NewWalletID(), UserID: userID, CreatedAt: s.nowUTC()}
		err = s.store.InTx(ctx, func(tx Tx) error { return tx.InsertWallet(ctx, nw) })
		switch {
		case err == nil:
			w = nw
		case errors.Is(err, ErrWalletIDTaken):
			err = ErrWalletNotFound // draw again
		case errors.Is(err, ErrUserHasWallet):
			w, err = s.store.WalletByUser(ctx, userID)
		}
	}
	if err != nil {
		return Wallet{}, unavailable("open wallet", err)
	}
	return s.withAccounts(ctx, w)
}

// withAccounts creates the ledger accounts a wallet lacks. A crash between
// inserting a wallet and creating its accounts is repaired here, by the
// next call that needs them.
func (s *Service) withAccounts(ctx context.Context, w Wallet) (Wallet, error) {
	missing := map[string]int64{}
	for _, c := range s.currencies {
		if _, ok := w.Accounts[c.Code]; ok {
			continue
		}
		a, err := s.ledger.CreateAccount(ctx, ledger.Account{Ref: WalletRef(w.ID, c.Code), Currency: c.Code,
			Code: AccountWallet, Flags: ledger.DebitsMustNotExceedCredits})
		if err != nil {
			return Wallet{}, unavailable("wallet account", err)
		}
		missing[c.Code] = a.ID
	}
	if len(missing) == 0 {
		return w, nil
	}
	if err := s.store.InTx(ctx, func(tx Tx) error { return tx.AddAccounts(ctx, w.ID, missing) }); err != nil {
		return Wallet{}, unavailable("record wallet accounts", err)
	}
	if w.Accounts == nil {
		w.Accounts = map[string]int64{}
	}
	for c, id := range missing {
		w.Accounts[c] = id
	}
	return w, nil
}

// Wallet returns the user's wallet. Errors: ErrWalletNotFound.
func (s *Service) Wallet(ctx context.Context, userID int64) (Wallet, error) {
	w, err := s.store.WalletByUser(ctx, userID)
	if err != nil {
		return Wallet{}, storeErr("wallet", err)
	}
	return s.withAccounts(ctx, w)
}

// storeErr passes wallet refusals (not found) through and wraps the rest as
// unavailable.
func storeErr(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return unavailable(what, err)
}

// Balance is one currency of a wallet.
type Balance struct {
	Currency  money.Currency
	AccountID int64
	// Balance is what has posted; Pending what is held (a withdrawal in
	// progress); Available = Balance - Pending, what can be spent.
	Balance, Pending, Available money.Amount
}

// Balances returns the wallet's balance in every enabled currency, in
// configuration order. Errors: ErrWalletNotFound.
func (s *Service) Balances(ctx context.Context, userID int64) ([]Balance, error) {
	w, err := s.Wallet(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Balance, 0, len(s.currencies))
	for _, c := range s.currencies {
		b, err := s.balance(ctx, w, c)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Balance returns one currency of the user's wallet. Errors:
// ErrWalletNotFound, ErrCurrencyNotEnabled.
func (s *Service) Balance(ctx context.Context, userID int64, currency string) (Balance, error) {
	c, err := s.enabled(strings.ToUpper(currency))
	if err != nil {
		return Balance{}, err
	}
	w, err := s.Wallet(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	return s.balance(ctx, w, c)
}

func (s *Service) balance(ctx context.Context, w Wallet, c money.Currency) (Balance, error) {
	id := w.Accounts[c.Code]
	a, err := s.ledger.Account(ctx, id)
	if err != nil {
		return Balance{}, unavailable("balance", err)
	}
	return Balance{
		Currency:  c,
		AccountID: id,
		Balance:   money.Amount{Minor: a.Balance(), Currency: c},
		Pending:   money.Amount{Minor: a.DebitsPending, Currency: c},
		Available: money.Amount{Minor: a.Available(), Currency: c},
	}, nil
}

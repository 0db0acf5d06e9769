package wallet

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Rail is a way to pull money into a wallet: a card network or an external
// e-wallet (internal/connector implements them).
type Rail interface {
	// Charge takes the amount from the source. It is idempotent on
	// IdempotencyKey (the movement id): asked again with the same key and
	// request, it returns the first charge and never charges twice. A
	// decline is a result with status failed; an error means the outcome
	// is unknown. The resume job asks again with a nil Source, meaning
	// "the request you saw under this key"; a rail that cannot answer that
	// returns an error, and the movement waits for the user to retry with
	// the same key and source (or, after the job's last attempt, fails
	// with processing_error and is logged for reconciliation).
	Charge(ctx context.Context, r ChargeRequest) (ChargeResult, error)
	// Confirm completes a charge that requires action (a 3-D Secure style
	// code). Asked again for a charge already decided, it returns that
	// result.
	Confirm(ctx context.Context, chargeID, code string) (ChargeResult, error)
}

// ChargeRequest asks a rail for money.
type ChargeRequest struct {
	IdempotencyKey string
	Amount         money.Amount
	// Source is the rail's own description of the card or e-wallet
	// account. The wallet passes it through and never stores it.
	Source any
}

// ChargeStatus is a rail's answer.
type ChargeStatus string

// Charge statuses.
const (
	ChargeSucceeded      ChargeStatus = "succeeded"
	ChargeRequiresAction ChargeStatus = "requires_action"
	ChargeFailed         ChargeStatus = "failed"
)

// ChargeResult is a rail's answer to Charge or Confirm.
type ChargeResult struct {
	ID     string
	Status ChargeStatus
	// DeclineCode says why a charge failed, in the rail's words
	// ("card_declined", "expired_card", "incorrect_cvc", ...).
	DeclineCode string
	// Retryable: trying the same source again may succeed.
	Retryable bool
	// Display describes the source for people: "Visa •••• 4242".
	Display string
}

// declineCode maps a rail's decline code (the connector's codes) to the
// wallet's. Codes it does not know are the method's generic decline, so
// nothing the issuer said is shown that should not be (a lost or stolen
// card reads as declined).
func declineCode(m Method, rail string) Code {
	switch rail {
	case "expired_card":
		return CodeExpiredCard
	case "invalid_expiry":
		return CodeInvalidExpiry
	case "incorrect_cvc", "invalid_cvc":
		return CodeIncorrectCVC
	case "incorrect_number", "invalid_number":
		return CodeIncorrectNumber
	case "card_not_supported":
		return CodeCardNotSupported
	case "insufficient_funds":
		return CodeSourceNoFunds
	case "authentication_failed", "authentication_required":
		return CodeAuthenticationFailed
	case "account_closed", "account_not_found", "invalid_account":
		return CodeInvalidPaymentAccount
	case "method_not_available":
		return CodeMethodNotAvailable
	case "processing_error", "timeout", "network_error", "idempotency_conflict", "invalid_request", "not_found":
		return CodeProcessingError
	}
	if m == MethodEWallet {
		return CodeEWalletDeclined
	}
	return CodeCardDeclined
}

// DepositRequest asks to pull money into the user's wallet.
type DepositRequest struct {
	UserID int64
	// Method is MethodCard or MethodEWallet.
	Method Method
	Amount money.Amount
	// Source is passed to the rail (the card details); never stored.
	Source         any
	Note           string
	IdempotencyKey string
}

// DepositQuote is what a deposit would cost.
type DepositQuote struct {
	Amount money.Amount
	Fee    money.Amount
	// Credited is what the wallet gains: Amount less Fee.
	Credited money.Amount
}

func feeKind(m Method) string {
	if m == MethodEWallet {
		return FeeDepositEWallet
	}
	return FeeDepositCard
}

func clearingOf(m Method) Platform {
	if m == MethodEWallet {
		return EWalletClearing
	}
	return CardClearing
}

// QuoteDeposit returns the fee of a deposit. Errors: ErrMethodNotAvailable,
// ErrInvalidAmount, ErrCurrencyNotEnabled, ErrFeeExceedsAmount.
func (s *Service) QuoteDeposit(ctx context.Context, userID int64, method Method, amount money.Amount) (DepositQuote, error) {
	if _, ok := s.rails[method]; !ok {
		return DepositQuote{}, refuse(CodeMethodNotAvailable, "%q", method)
	}
	if err := s.checkAmount(amount); err != nil {
		return DepositQuote{}, err
	}
	vol, err := s.monthlyVolume(ctx, userID)
	if err != nil {
		return DepositQuote{}, err
	}
	fee, err := s.quoteFee(feeKind(method), amount, vol)
	if err != nil {
		return DepositQuote{}, err
	}
	if fee.Minor >= amount.Minor {
		return DepositQuote{}, refuse(CodeFeeExceedsAmount, "fee %s on %s", fee, amount)
	}
	return DepositQuote{Amount: amount, Fee: fee, Credited: money.Amount{Minor: amount.Minor - fee.Minor, Currency: amount.Currency}}, nil
}

// quoteFee asks the schedule and checks its answer.
func (s *Service) quoteFee(kind string, amount money.Amount, volumeUSD int64) (money.Amount, error) {
	fee, err := s.fees.Quote(kind, amount, volumeUSD)
	if err != nil {
		return money.Amount{}, unavailable("fee quote "+kind, err)
	}
	if fee.Currency.Code == "" && fee.Minor == 0 {
		fee.Currency = amount.Currency
	}
	if fee.Currency != amount.Currency || fee.Minor < 0 {
		return money.Amount{}, unavailable("fee quote "+kind, errors.New("fee in another currency or negative: "+fee.String()))
	}
	return fee, nil
}

// Deposit charges the card or e-wallet and credits the wallet (WAL-2). It
// opens the wallet if needed. The result is the movement:
//   - completed: the charge succeeded and the wallet was credited (less the
//     fee, taken in the same linked set of transfers);
//   - requires_action: the payer must confirm (ConfirmDeposit);
//   - failed, returned with the refusal: the rail declined (its decline
//     code mapped to card_declined, expired_card, incorrect_cvc, ...);
//   - pending, returned with ErrProcessingError: the rail's answer was lost;
//     the resume job asks it again.
//
// Submitted again with the same idempotency key, it returns the first
// movement and charges nothing. Errors before any movement exists:
// ErrMethodNotAvailable, ErrInvalidAmount, ErrCurrencyNotEnabled,
// ErrFeeExceedsAmount, ErrNoteTooLong, ErrIdempotencyKeyReused,
// ErrUnavailable.
func (s *Service) Deposit(ctx context.Context, r DepositRequest) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	rail, ok := s.rails[r.Method]
	if !ok {
		return Movement{}, refuse(CodeMethodNotAvailable, "%q", r.Method)
	}
	if err := checkKey(r.IdempotencyKey); err != nil {
		return Movement{}, err
	}
	note, err := s.cleanNote(r.Note)
	if err != nil {
		return Movement{}, err
	}
	fp := fingerprint(string(TypeDeposit), string(r.Method), r.Amount.String())
	if m, found, err := s.existing(ctx, r.UserID, r.IdempotencyKey, fp); found || err != nil {
		if err != nil {
			return Movement{}, err
		}
		if m.Status == StatusPending && !m.Ready && r.Source != nil {
			// The first charge's answer was lost: the rail answers the
			// same key and source with the same charge.
			return s.charge(ctx, rail, m, r.Source)
		}
		return s.replay(ctx, m)
	}
	q, err := s.QuoteDeposit(ctx, r.UserID, r.Method, r.Amount)
	if err != nil {
		return Movement{}, err
	}
	w, err := s.Open(ctx, r.UserID)
	if err != nil {
		return Movement{}, err
	}
	cur := r.Amount.Currency.Code
	clearing, err := s.platformAccount(ctx, clearingOf(r.Method), cur)
	if err != nil {
		return Movement{}, err
	}
	revenue, err := s.platformAccount(ctx, FeeRevenue, cur)
	if err != nil {
		return Movement{}, err
	}

	m, parent := s.newMovement(w, TypeDeposit, r.Amount)
	m.Fee, m.Method, m.Note = q.Fee, r.Method, note
	m.IdempotencyKey, m.Fingerprint = r.IdempotencyKey, fp
	m.Plan = []ledger.Transfer{{
		ID: ledger.DeriveID(parent, "deposit"), DebitAccountID: clearing, CreditAccountID: w.Accounts[cur],
		Amount: r.Amount.Minor, Currency: cur, Code: TransferDeposit, Metadata: m.ID,
	}}
	if q.Fee.Minor > 0 {
		m.Plan[0].Flags = ledger.Linked
		m.Plan = append(m.Plan, ledger.Transfer{
			ID: ledger.DeriveID(parent, "fee"), DebitAccountID: w.Accounts[cur], CreditAccountID: revenue,
			Amount: q.Fee.Minor, Currency: cur, Code: TransferFee, Metadata: m.ID,
		})
	}
	if m.Plan, err = s.withLimits(ctx, parent, m.Plan, LimitMove{Kind: LimitReceive, UserID: w.UserID, Amount: q.Credited}); err != nil {
		return Movement{}, err
	}
	m, created, err := s.insert(ctx, m, nil)
	if err != nil {
		return Movement{}, err
	}
	if !created {
		return s.replay(ctx, m)
	}
	return s.charge(ctx, rail, m, r.Source)
}

// charge asks the rail for a deposit's money and records the answer.
func (s *Service) charge(ctx context.Context, rail Rail, m Movement, source any) (Movement, error) {
	res, err := rail.Charge(ctx, ChargeRequest{IdempotencyKey: m.ID, Amount: m.Amount, Source: source})
	if err != nil {
		s.log.Warn("wallet: charge outcome unknown", "movement", m.ID, "err", err)
		e := *ErrProcessingError
		e.Detail, e.Err = "charge "+m.ID, err
		return m, &e
	}
	return s.applyCharge(ctx, m, res)
}

// applyCharge records a rail's answer and, for a success, credits the
// wallet.
func (s *Service) applyCharge(ctx context.Context, m Movement, res ChargeResult) (Movement, error) {
	next := m
	if res.ID != "" {
		next.ChargeID = res.ID
	}
	if res.Display != "" {
		next.MethodDisplay = maskDigits(res.Display)
	}
	switch res.Status {
	case ChargeSucceeded:
		next.Status, next.Ready = StatusPending, true
		got, won, err := s.update(ctx, next, nil)
		if err != nil || !won {
			if err == nil && got.Status == StatusPending && got.Ready {
				return s.settle(ctx, got)
			}
			if err == nil && got.Status == StatusFailed {
				s.log.Error("wallet: a charge succeeded for a deposit that had failed; refund it at the rail",
					"movement", m.ID, "charge", res.ID)
			}
			return got, errors.Join(err, outcome(got))
		}
		return s.settle(ctx, got)
	case ChargeRequiresAction:
		if m.Status == StatusRequiresAction && next.ChargeID == m.ChargeID && next.MethodDisplay == m.MethodDisplay {
			return m, nil
		}
		next.Status = StatusRequiresAction
		got, _, err := s.update(ctx, next, func(tx Tx) error {
			if m.Status == StatusRequiresAction {
				return nil
			}
			return tx.Enqueue(ctx, expireJob(m.ID, s.nowUTC().Add(s.cfg.ActionTTL)))
		})
		if err != nil {
			return m, err
		}
		return got, outcome(got)
	default:
		code := declineCode(m.Method, res.DeclineCode)
		got, err := s.fail(ctx, next, code)
		var e *Error
		if errors.As(err, &e) && e.Code == code {
			c := *e
			c.Retryable = res.Retryable || code == CodeProcessingError
			c.Detail = "decline " + res.DeclineCode + " for " + m.ID
			return got, &c
		}
		return got, err
	}
}

// maskDigits keeps only the last four digits of any number longer than
// four digits (spaces and dashes between digits count as part of it), so a
// rail that puts a card number in its description never gets it stored or
// shown: "4242 4242 4242 4242" becomes "••••4242".
func maskDigits(s string) string {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		// The span runs to the last digit reachable through single
		// separators.
		end, digits := i, ""
		for j := i; j < len(s); j++ {
			if isDigit(s[j]) {
				end, digits = j+1, digits+string(s[j])
			} else if (s[j] != ' ' && s[j] != '-') || j+1 >= len(s) || !isDigit(s[j+1]) {
				break
			}
		}
		if len(digits) > 4 {
			b.WriteString("••••" + digits[len(digits)-4:])
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	if utf8.RuneCountInString(b.String()) > 100 {
		return string([]rune(b.String())[:100])
	}
	return b.String()
}

// confirmMargin is how long before its expiry a deposit stops accepting
// confirmations.
const confirmMargin = time.Minute

// ConfirmDeposit passes the payer's confirmation code of a deposit in
// requires_action to the rail, and credits the wallet when it succeeds.
// Confirming a deposit that is already completed returns it. Errors:
// ErrMovementNotFound (also for another user's movement),
// ErrNotAwaitingAction, ErrAuthenticationFailed (wrong code, try again),
// ErrAuthenticationExpired (too late: the deposit failed), the decline
// codes (the movement failed), ErrProcessingError.
func (s *Service) ConfirmDeposit(ctx context.Context, userID int64, movementID, code string) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	m, err := s.Movement(ctx, userID, movementID)
	if err != nil {
		return Movement{}, err
	}
	if m.Type != TypeDeposit {
		return m, refuse(CodeNotAwaitingAction, "%s is a %s", m.ID, m.Type)
	}
	switch m.Status {
	case StatusRequiresAction:
	case StatusPending:
		return s.replay(ctx, m)
	case StatusCompleted, StatusFailed:
		return m, outcome(m)
	}
	rail, ok := s.rails[m.Method]
	if !ok {
		return m, refuse(CodeMethodNotAvailable, "%q", m.Method)
	}
	// Near its deadline the deposit is expired here rather than confirmed,
	// so a confirmation never races the expiry job: the rail is not asked
	// to take money for a deposit that may already have failed.
	if !s.now().Before(m.CreatedAt.Add(s.cfg.ActionTTL - confirmMargin)) {
		return s.fail(ctx, m, CodeAuthenticationExpired)
	}
	res, err := rail.Confirm(ctx, m.ChargeID, code)
	if err != nil {
		e := *ErrProcessingError
		e.Detail, e.Err = "confirm "+m.ID, err
		return m, &e
	}
	if res.Status == ChargeRequiresAction {
		got, err := s.applyCharge(ctx, m, res)
		if err != nil {
			return got, err
		}
		// The charge still waits: the same deposit may be confirmed again.
		e := refuse(CodeAuthenticationFailed, "%s: still requires action", m.ID)
		e.Retryable = true
		return got, e
	}
	return s.applyCharge(ctx, m, res)
}

// Movement returns one of the user's movements. Errors: ErrMovementNotFound
// (also for another user's).
func (s *Service) Movement(ctx context.Context, userID int64, id string) (Movement, error) {
	if !ValidMovementID(id) {
		return Movement{}, refuse(CodeMovementNotFound, "%q", id)
	}
	m, err := s.store.Movement(ctx, id)
	if err != nil {
		return Movement{}, storeErr("movement", err)
	}
	if m.UserID != userID {
		return Movement{}, refuse(CodeMovementNotFound, "%s is not user %d's", id, userID)
	}
	return m, nil
}

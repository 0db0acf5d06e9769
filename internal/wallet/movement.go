package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Type is what a movement is.
type Type string

// Movement types. Deposit and Receive add to the wallet; Send and
// RequestPayment take from it; Fee takes a fee on its own (a fee charged
// with a movement is that movement's Fee instead).
const (
	TypeDeposit        Type = "deposit"
	TypeSend           Type = "send"
	TypeReceive        Type = "receive"
	TypeRequestPayment Type = "request_payment"
	TypeFee            Type = "fee"
)

// Types lists every movement type.
var Types = []Type{TypeDeposit, TypeSend, TypeReceive, TypeRequestPayment, TypeFee,
	TypeCorrectionCredit, TypeCorrectionDebit, TypeWithdrawal, TypeWithdrawalReturn, TypeExchange, TypeExchangeIn,
	TypeMerchantPayment, TypeMerchantRefund}

// Inflow reports whether a movement of type t adds its Amount to the wallet.
func (t Type) Inflow() bool {
	switch t {
	case TypeDeposit, TypeReceive, TypeCorrectionCredit, TypeWithdrawalReturn, TypeExchangeIn, TypeMerchantRefund:
		return true
	}
	return false
}

// Status is where a movement is.
type Status string

// Movement statuses. Pending: recorded, money not yet known to have moved.
// RequiresAction: a deposit waiting for the payer's confirmation step.
// Processing: a withdrawal whose money is held while the rail pays it out
// (Withdrawals drives it; the resume job leaves it alone). Completed,
// Failed and Canceled (a withdrawal the customer canceled) are final.
const (
	StatusPending        Status = "pending"
	StatusRequiresAction Status = "requires_action"
	StatusProcessing     Status = "processing"
	StatusCompleted      Status = "completed"
	StatusFailed         Status = "failed"
	StatusCanceled       Status = "canceled"
)

// Statuses lists every movement status.
var Statuses = []Status{StatusPending, StatusRequiresAction, StatusHeld, StatusProcessing, StatusCompleted, StatusFailed, StatusCanceled}

// Final reports whether the status never changes again.
func (s Status) Final() bool { return s == StatusCompleted || s == StatusFailed || s == StatusCanceled }

// Method is how money came in or went out.
type Method string

// Methods. Wallet: between two OKPay wallets. Bank: a bank transfer,
// credited from an imported statement (BankDeposits).
const (
	MethodCard    Method = "card"
	MethodEWallet Method = "ewallet"
	MethodBank    Method = "bank"
	MethodWallet  Method = "wallet"
)

// Payer says who pays a send's fee.
type Payer string

// Fee payers.
const (
	PayerSender   Payer = "sender"
	PayerReceiver Payer = "receiver"
)

// Counterparty is the other side of a movement.
type Counterparty struct {
	WalletID WalletID
	UserID   int64
	// Display is what the user is shown: a name, or a masked email.
	Display string
}

// Movement is one entry of a wallet's history.
type Movement struct {
	// ID is "mv_" and 26 base32 characters.
	ID       string
	WalletID WalletID
	UserID   int64
	Type     Type
	Status   Status
	// Amount is what was deposited, sent or received, before fees;
	// always positive.
	Amount money.Amount
	// Fee is the fee this wallet pays for the movement, in Amount's
	// currency (zero when none, or when the other side pays it).
	Fee money.Amount
	// FeePayer, for sends, says who pays the fee.
	FeePayer     Payer
	Counterparty Counterparty
	Note         string
	Method       Method
	// MethodDisplay describes the card or e-wallet ("Visa •••• 4242"),
	// never with its number.
	MethodDisplay string
	// ChargeID is the rail's id of a deposit's charge.
	ChargeID string
	// FailureCode says why a failed movement failed.
	FailureCode Code
	// RequestID is the money request a payment paid.
	RequestID string
	// PeerID is the other wallet's side of a send (its receive, or the
	// send it received).
	PeerID string
	// SelfDisplay is how this wallet's owner is shown to the counterparty.
	SelfDisplay string
	// Authorized is, for a merchant payment, what the shop authorised
	// (held); once captured, Amount is what was taken and the rest was
	// released (see merchantpay.go). Zero for every other type.
	Authorized money.Amount
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// PostedAt is when the ledger committed the movement's transfers
	// (zero until completed). Statements count a movement in its month.
	PostedAt time.Time

	// The fields below are the service's bookkeeping, kept by the store.

	// IdempotencyKey is the key the user submitted it with (may be empty).
	IdempotencyKey string
	// Fingerprint identifies the operation the key was used for.
	Fingerprint string
	// Plan is the ledger transfers that make the movement, exactly as
	// submitted (ids derived from the movement id).
	Plan []ledger.Transfer
	// Ready: the plan may be submitted (a deposit only once its charge
	// succeeded).
	Ready bool
	// Version counts updates, for conditional writes.
	Version int64
}

// TransferIDs returns the ids of the movement's ledger transfers.
func (m Movement) TransferIDs() []ledger.ID {
	ids := make([]ledger.ID, len(m.Plan))
	for i, t := range m.Plan {
		ids[i] = t.ID
	}
	return ids
}

// Net is what a completed movement changed the wallet's balance by, in
// minor units (zero for a movement that is not completed).
func (m Movement) Net() int64 {
	if m.Status != StatusCompleted {
		return 0
	}
	return netOf(m.Type, m.Amount.Minor, m.Fee.Minor)
}

func netOf(t Type, amount, fee int64) int64 {
	switch {
	case t == TypeFee:
		return -amount - fee
	case t.Inflow():
		return amount - fee
	}
	return -amount - fee
}

// newMovement starts a pending movement with a fresh id.
func (s *Service) newMovement(w Wallet, t Type, amount money.Amount) (Movement, ledger.ID) {
	id, parent := newPrefixedID(movementPrefix)
	now := s.nowUTC()
	return Movement{
		ID: id, WalletID: w.ID, UserID: w.UserID, Type: t, Status: StatusPending,
		Amount: amount, Fee: money.Amount{Currency: amount.Currency},
		CreatedAt: now, UpdatedAt: now,
	}, parent
}

// fingerprint identifies an operation for idempotency checks.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// cleanNote trims a note and drops control characters. Errors:
// ErrNoteTooLong.
func (s *Service) cleanNote(note string) (string, error) {
	note = strings.ToValidUTF8(note, "\uFFFD")
	note = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, note)
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > s.cfg.MaxNote {
		return "", refuse(CodeNoteTooLong, "%d characters, at most %d", utf8.RuneCountInString(note), s.cfg.MaxNote)
	}
	return note, nil
}

// checkAmount refuses an amount that is not positive or not enabled.
func (s *Service) checkAmount(a money.Amount) error {
	if a.Currency.Code == "" {
		return refuse(CodeInvalidAmount, "no currency")
	}
	if _, err := s.enabled(a.Currency.Code); err != nil {
		return err
	}
	if c, _ := money.Lookup(a.Currency.Code); c != a.Currency {
		return refuse(CodeInvalidAmount, "currency %s is not the ISO one", a.Currency.Code)
	}
	if a.Minor <= 0 {
		return refuse(CodeInvalidAmount, "%s is not positive", a)
	}
	return nil
}

// checkKey bounds an idempotency key.
func checkKey(key string) error {
	if len(key) > 255 || !utf8.ValidString(key) {
		return refuse(CodeInvalidKey, "%d bytes", len(key))
	}
	return nil
}

// existing returns the movement the user created with key, checking it is
// the same operation. found is false when there is none.
func (s *Service) existing(ctx context.Context, userID int64, key, fp string) (m Movement, found bool, err error) {
	if key == "" {
		return Movement{}, false, nil
	}
	m, err = s.store.MovementByKey(ctx, userID, key)
	if errors.Is(err, ErrMovementNotFound) {
		return Movement{}, false, nil
	}
	if err != nil {
		return Movement{}, false, unavailable("movement by key", err)
	}
	if m.Fingerprint != fp {
		return Movement{}, true, refuse(CodeIdempotencyKeyReuse, "key %q", key)
	}
	return m, true, nil
}

// replay answers a repeated submission with the first movement's outcome:
// a pending one is driven on (its transfers can only post once), a failed
// one returns its refusal again.
func (s *Service) replay(ctx context.Context, m Movement) (Movement, error) {
	if m.Status == StatusPending && m.Ready {
		return s.settle(ctx, m)
	}
	return m, outcome(m)
}

// outcome is the error a caller gets for a movement: its refusal when it
// failed, nil otherwise.
func outcome(m Movement) error {
	if m.Status != StatusFailed {
		return nil
	}
	e := *ErrorFor(m.FailureCode)
	e.Detail = "movement " + m.ID
	return &e
}

// insert records a new movement with its resume job, and runs also (the
// claim of a money request) in the same transaction. When the user's
// idempotency key is taken meanwhile (a concurrent double submit), it
// returns the movement that took it.
func (s *Service) insert(ctx context.Context, m Movement, also func(Tx) error) (Movement, bool, error) {
	errDup := errors.New("duplicate")
	err := s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.InsertMovement(ctx, m)
		if err != nil {
			return err
		}
		if !ok {
			return errDup
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return tx.Enqueue(ctx, resumeJob(m.ID, s.nowUTC().Add(s.cfg.ResumeAfter)))
	})
	if errors.Is(err, errDup) {
		first, found, err := s.existing(ctx, m.UserID, m.IdempotencyKey, m.Fingerprint)
		if err != nil {
			return Movement{}, false, err
		}
		if !found {
			return Movement{}, false, unavailable("insert movement: key taken but not found", nil)
		}
		return first, false, nil
	}
	if err != nil {
		return Movement{}, false, storeErr("insert movement", err)
	}
	return m, true, nil
}

// update writes m's new state if nobody changed it since it was read, and
// returns the stored movement either way.
func (s *Service) update(ctx context.Context, m Movement, also func(Tx) error) (Movement, bool, error) {
	m.UpdatedAt = s.nowUTC()
	var won bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.UpdateMovement(ctx, m)
		if err != nil || !ok {
			return err
		}
		won = true
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		return m, false, unavailable("update movement", err)
	}
	if !won {
		cur, err := s.store.Movement(ctx, m.ID)
		if err != nil {
			return m, false, storeErr("movement", err)
		}
		return cur, false, nil
	}
	m.Version++
	return m, true, nil
}

// settle submits a ready movement's plan and records the ledger's answer.
// It is what the request does after inserting, and what the resume job
// does again; the derived transfer ids make any number of calls post once.
func (s *Service) settle(ctx context.Context, m Movement) (Movement, error) {
	if m.Status != StatusPending || !m.Ready {
		return m, outcome(m)
	}
	res, err := s.ledger.Submit(ctx, m.Plan)
	if err != nil {
		// Committed or not, the resume job will find out by resubmitting.
		return m, unavailable("submit "+m.ID, err)
	}
	refusal := ledger.OK
	for _, r := range res {
		if !r.Code.Done() && (refusal == ledger.OK || refusal == ledger.LinkedEventFailed) {
			refusal = r.Code
		}
	}
	if refusal == ledger.OK && m.OnHold() {
		return s.held(ctx, m)
	}
	if refusal == ledger.OK {
		return s.complete(ctx, moved(m, res), res[0].Timestamp.UTC())
	}
	if code, ok := s.limitRefusal(m, res); ok {
		return s.fail(ctx, m, code)
	}
	code := CodeProcessingError
	if refusal == ledger.InsufficientFunds {
		code = CodeInsufficientFunds
	} else {
		s.log.Error("wallet: ledger refused a movement's transfers", "movement", m.ID, "code", refusal.String())
	}
	return s.fail(ctx, m, code)
}

// complete records a movement whose transfers committed at postedAt, with
// the receiving side of a send and the request it paid.
func (s *Service) complete(ctx context.Context, m Movement, postedAt time.Time) (Movement, error) {
	done := m
	done.Status, done.PostedAt = StatusCompleted, postedAt
	got, _, err := s.update(ctx, done, func(tx Tx) error {
		if peer, ok := receiveSide(done); ok {
			if _, err := tx.InsertMovement(ctx, peer); err != nil {
				return err
			}
		}
		if m.RequestID != "" {
			if _, err := tx.PayRequest(ctx, m.RequestID, m.ID, postedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	return got, outcome(got)
}

// fail records a movement that will never move money, and frees the
// request it was paying.
func (s *Service) fail(ctx context.Context, m Movement, code Code) (Movement, error) {
	failed := m
	failed.Status, failed.FailureCode = StatusFailed, code
	got, _, err := s.update(ctx, failed, func(tx Tx) error {
		if m.RequestID != "" {
			_, err := tx.ReleaseRequest(ctx, m.RequestID, m.ID, s.nowUTC())
			return err
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	return got, outcome(got)
}

// receiveSide builds the receiving wallet's movement of a completed send.
// Its id (PeerID) is derived from the send's, so it is recorded once.
func receiveSide(m Movement) (Movement, bool) {
	if m.Type == TypeExchange {
		return exchangeInSide(m)
	}
	if (m.Type != TypeSend && m.Type != TypeRequestPayment) || m.PeerID == "" {
		return Movement{}, false
	}
	r := m
	r.ID, r.PeerID = m.PeerID, m.ID
	r.WalletID, r.UserID = m.Counterparty.WalletID, m.Counterparty.UserID
	r.Type = TypeReceive
	r.Counterparty = Counterparty{WalletID: m.WalletID, UserID: m.UserID, Display: m.SelfDisplay}
	r.SelfDisplay = m.Counterparty.Display
	r.Fee = money.Amount{Currency: m.Amount.Currency}
	if m.FeePayer == PayerReceiver {
		for _, t := range m.Plan {
			if t.Code == TransferFee {
				r.Fee.Minor = t.Amount
			}
		}
	}
	r.IdempotencyKey, r.Fingerprint, r.Ready, r.Version = "", "", false, 0
	return r, true
}

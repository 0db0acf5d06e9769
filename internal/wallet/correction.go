package wallet

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Corrections are manual ledger corrections by staff, four-eyes: a
// supervisor proposes one with a reason, and it is posted only when a
// different supervisor (or an admin) approves it. It is safe for
// concurrent use.
//
// Invariants it keeps:
//   - The proposer alone can never post a correction: approving needs
//     auth.ActionCorrectionApprove and another user than the proposer, in
//     the service and again in the database (a CHECK on the table).
//   - A correction is decided once: the approval is one conditional update
//     of a proposed row, so of two approvals at once exactly one posts.
//   - Posting is movements like any other: a correction_debit on the wallet
//     the money leaves (a move) and a correction_credit on the wallet it
//     reaches, both carrying the same ledger transfer (its id derived from
//     the correction's), so the customers see it in their history and
//     statements, a crash is finished by the resume job, and the money
//     moves once. A move that finds the money spent fails on both sides
//     with insufficient_funds; it never overdraws.
//   - Proposal, approval and rejection are each audited in the transaction
//     that records them.
//
// Corrections are not counted against the users' limits: they repair
// money, they are not the users' payments.
type Corrections struct {
	s     *Service
	store CorrectionStore
}

// CorrectionKind is what a correction does.
type CorrectionKind string

// The corrections.
const (
	// CorrectionMove moves money from one wallet to another (a deposit
	// credited to the wrong wallet).
	CorrectionMove CorrectionKind = "move"
	// CorrectionGoodwill credits a wallet from the platform's goodwill
	// expense account.
	CorrectionGoodwill CorrectionKind = "goodwill"
)

// CorrectionStatus is where a correction is.
type CorrectionStatus string

// Correction statuses; approved and rejected are final.
const (
	CorrectionProposed CorrectionStatus = "proposed"
	CorrectionApproved CorrectionStatus = "approved"
	CorrectionRejected CorrectionStatus = "rejected"
)

// Movement types of corrections.
const (
	TypeCorrectionCredit Type = "correction_credit"
	TypeCorrectionDebit  Type = "correction_debit"
)

// TransferCorrection is the ledger code of a correction's transfer, and
// AccountGoodwill the code of the goodwill expense account.
const (
	TransferCorrection uint16 = 150
	AccountGoodwill    uint16 = 150
)

// GoodwillRef is the ledger ref of the goodwill expense account in a
// currency: its balance is negative by what the platform gave.
func GoodwillRef(currency string) string { return "platform:goodwill_expense:" + currency }

// Audit actions of corrections.
const (
	ActionCorrectionProposed = "correction_proposed"
	ActionCorrectionApproved = "correction_approved"
	ActionCorrectionRejected = "correction_rejected"
)

// Refusals of corrections.
const (
	CodeCorrectionNotFound Code = "correction_not_found"
	CodeCorrectionDecided  Code = "correction_decided"
	// CodeCorrectionOwn: the proposer tried to approve their own.
	CodeCorrectionOwn       Code = "correction_own"
	CodeCorrectionForbidden Code = "correction_forbidden"
	CodeReasonRequired      Code = "correction_reason_required"
	CodeInvalidCorrection   Code = "correction_invalid"
)

// CorrectionCodes lists the refusals of corrections.
var CorrectionCodes = []Code{CodeCorrectionNotFound, CodeCorrectionDecided, CodeCorrectionOwn,
	CodeCorrectionForbidden, CodeReasonRequired, CodeInvalidCorrection}

// Correction is a proposed, approved or rejected correction.
type Correction struct {
	// ID is "co_" and 26 base32 characters; the ids of its movements and
	// transfer are derived from it.
	ID         string
	Kind       CorrectionKind
	FromWallet WalletID // for a move
	ToWallet   WalletID
	Amount     money.Amount
	// Reason is why, for staff and the audit log.
	Reason       string
	Status       CorrectionStatus
	ProposedBy   int64
	ProposedAt   time.Time
	DecidedBy    int64
	DecidedAt    time.Time
	DecisionNote string
}

// MovementIDs are the ids of the correction's movements once approved:
// the debit (empty for goodwill) and the credit.
func (c Correction) MovementIDs() (debit, credit string) {
	parent, ok := parsePrefixed(correctionPrefix, c.ID)
	if !ok {
		return "", ""
	}
	if c.Kind == CorrectionMove {
		debit = derivedMovementID(parent, "correction:debit")
	}
	return debit, derivedMovementID(parent, "correction:credit")
}

const correctionPrefix = "co_"

// ValidCorrectionID reports whether s has the form of a correction id.
func ValidCorrectionID(s string) bool {
	_, ok := parsePrefixed(correctionPrefix, s)
	return ok
}

// CorrectionStore is the persistence of corrections; sqlstore implements it.
type CorrectionStore interface {
	// InCorrectionTx runs fn in one transaction; never call the ledger
	// inside it.
	InCorrectionTx(ctx context.Context, fn func(CorrectionTx) error) error
	// Correction returns one. Errors: ErrCorrectionNotFound.
	Correction(ctx context.Context, id string) (Correction, error)
	// Corrections lists the newest first, at most limit.
	Corrections(ctx context.Context, limit int) ([]Correction, error)
}

// CorrectionTx is the store in one transaction, with the wallet's Tx
// (movements, jobs) and the audit log.
type CorrectionTx interface {
	Tx
	audit.Appender
	InsertCorrection(ctx context.Context, c Correction) error
	// DecideCorrection writes c's status, decider, time and note when the
	// stored correction is proposed and, for an approval, was proposed by
	// someone else; false otherwise.
	DecideCorrection(ctx context.Context, c Correction) (bool, error)
}

// ErrCorrectionNotFound is the store's not-found.
var ErrCorrectionNotFound = newErr(CodeCorrectionNotFound, false)

// NewCorrections returns the corrections of the wallet s.
func NewCorrections(s *Service, store CorrectionStore) (*Corrections, error) {
	if s == nil || store == nil {
		return nil, errors.New("wallet: NewCorrections needs the wallet and a store")
	}
	return &Corrections{s: s, store: store}, nil
}

// Proposal asks for a correction.
type Proposal struct {
	Kind       CorrectionKind
	FromWallet string
	ToWallet   string
	Amount     money.Amount
	Reason     string
}

func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(s)
}

// MaxCorrectionReason is the longest reason, in characters.
const MaxCorrectionReason = 1000

// Propose records a proposed correction; nothing moves until another
// staff member approves it. Errors: ErrCorrectionForbidden,
// ErrReasonRequired, ErrInvalidCorrection (unknown kind, the same wallet
// twice, a move without its source), ErrInvalidAmount,
// ErrCurrencyNotEnabled, ErrInvalidWalletID, ErrWalletIDCheckDigit,
// ErrWalletNotFound, ErrUnavailable.
func (c *Corrections) Propose(ctx context.Context, a auth.Actor, p Proposal) (Correction, error) {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(a, auth.ActionCorrectionPropose, auth.Resource{Kind: "correction"}) != nil {
		return Correction{}, refuse(CodeCorrectionForbidden, "user %d (%s) proposes", a.UserID, a.Role)
	}
	reason := cleanReason(p.Reason)
	if reason == "" {
		return Correction{}, refuse(CodeReasonRequired, "no reason")
	}
	if utf8.RuneCountInString(reason) > MaxCorrectionReason {
		return Correction{}, refuse(CodeNoteTooLong, "reason of %d characters", utf8.RuneCountInString(reason))
	}
	if p.Kind != CorrectionMove && p.Kind != CorrectionGoodwill {
		return Correction{}, refuse(CodeInvalidCorrection, "kind %q", p.Kind)
	}
	if err := c.s.checkAmount(p.Amount); err != nil {
		return Correction{}, err
	}
	to, err := c.wallet(ctx, p.ToWallet)
	if err != nil {
		return Correction{}, err
	}
	co := Correction{Kind: p.Kind, ToWallet: to.ID, Amount: p.Amount, Reason: reason, Status: CorrectionProposed,
		ProposedBy: a.UserID, ProposedAt: c.s.nowUTC()}
	if p.Kind == CorrectionMove {
		from, err := c.wallet(ctx, p.FromWallet)
		if err != nil {
			return Correction{}, err
		}
		if from.ID == to.ID {
			return Correction{}, refuse(CodeInvalidCorrection, "from and to are both %s", to.ID)
		}
		co.FromWallet = from.ID
	}
	co.ID, _ = newPrefixedID(correctionPrefix)
	err = c.store.InCorrectionTx(ctx, func(tx CorrectionTx) error {
		if err := tx.InsertCorrection(ctx, co); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role),
			Action: ActionCorrectionProposed, TargetType: "correction", TargetID: co.ID, Details: co.details()})
	})
	if err != nil {
		return Correction{}, unavailable("propose correction", err)
	}
	return co, nil
}

func (co Correction) details() map[string]string {
	return map[string]string{"kind": string(co.Kind), "from": string(co.FromWallet), "to": string(co.ToWallet),
		"amount": co.Amount.Decimal(), "currency": co.Amount.Currency.Code, "reason": co.Reason,
		"proposed_by": strconv.FormatInt(co.ProposedBy, 10)}
}

func (c *Corrections) wallet(ctx context.Context, id string) (Wallet, error) {
	wid, err := ParseWalletID(strings.TrimSpace(id))
	if err != nil {
		return Wallet{}, err
	}
	w, err := c.s.store.Wallet(ctx, wid)
	if err != nil {
		return Wallet{}, storeErr("wallet", err)
	}
	return c.s.withAccounts(ctx, w)
}

// Correction returns one correction.
func (c *Corrections) Correction(ctx context.Context, id string) (Correction, error) {
	if !ValidCorrectionID(id) {
		return Correction{}, refuse(CodeCorrectionNotFound, "%q", id)
	}
	co, err := c.store.Correction(ctx, id)
	if err != nil {
		return Correction{}, storeErr("correction", err)
	}
	return co, nil
}

// List returns the newest corrections.
func (c *Corrections) List(ctx context.Context) ([]Correction, error) {
	cs, err := c.store.Corrections(ctx, 100)
	if err != nil {
		return nil, unavailable("corrections", err)
	}
	return cs, nil
}

// Approve posts a proposed correction, on the word of a second staff
// member. It returns the correction and its credit movement (completed,
// or failed when a move found the money spent). Errors:
// ErrCorrectionForbidden (an agent, a customer), ErrCorrectionOwn (the
// proposer), ErrCorrectionNotFound, ErrCorrectionDecided (already approved
// or rejected, also by a concurrent approval), ErrUnavailable.
func (c *Corrections) Approve(ctx context.Context, a auth.Actor, id, note string) (Correction, Movement, error) {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(a, auth.ActionCorrectionApprove, auth.Resource{Kind: "correction"}) != nil {
		return Correction{}, Movement{}, refuse(CodeCorrectionForbidden, "user %d (%s) approves", a.UserID, a.Role)
	}
	co, err := c.Correction(ctx, id)
	if err != nil {
		return Correction{}, Movement{}, err
	}
	if co.ProposedBy == a.UserID {
		return Correction{}, Movement{}, refuse(CodeCorrectionOwn, "%s proposed by %d", co.ID, a.UserID)
	}
	if co.Status != CorrectionProposed {
		return Correction{}, Movement{}, refuse(CodeCorrectionDecided, "%s is %s", co.ID, co.Status)
	}
	if utf8.RuneCountInString(cleanReason(note)) > MaxCorrectionReason {
		return Correction{}, Movement{}, refuse(CodeNoteTooLong, "note")
	}
	ms, err := c.movements(ctx, co)
	if err != nil {
		return Correction{}, Movement{}, err
	}
	next := co
	next.Status, next.DecidedBy, next.DecidedAt, next.DecisionNote = CorrectionApproved, a.UserID, c.s.nowUTC(), cleanReason(note)
	errLost := errors.New("lost")
	err = c.store.InCorrectionTx(ctx, func(tx CorrectionTx) error {
		ok, err := tx.DecideCorrection(ctx, next)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		for _, m := range ms {
			if ok, err := tx.InsertMovement(ctx, m); err != nil {
				return err
			} else if !ok {
				return errors.New("movement " + m.ID + " exists already")
			}
			if err := tx.Enqueue(ctx, resumeJob(m.ID, next.DecidedAt.Add(c.s.cfg.ResumeAfter))); err != nil {
				return err
			}
		}
		d := co.details()
		d["note"] = next.DecisionNote
		return audit.Record(ctx, tx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role),
			Action: ActionCorrectionApproved, TargetType: "correction", TargetID: co.ID, Details: d})
	})
	if errors.Is(err, errLost) {
		return Correction{}, Movement{}, refuse(CodeCorrectionDecided, "%s decided meanwhile", co.ID)
	}
	if err != nil {
		return Correction{}, Movement{}, unavailable("approve correction", err)
	}
	var credit Movement
	for _, m := range ms {
		got, err := c.s.settle(ctx, m)
		if err != nil && ErrorCode(err) != CodeInsufficientFunds {
			// Recorded: the resume job finishes it.
			return next, got, err
		}
		if m.Type == TypeCorrectionCredit {
			credit = got
		}
	}
	return next, credit, nil
}

// movements builds an approved correction's movements: each carries the
// same single transfer, so whichever is settled first posts it and the
// other finds it done.
func (c *Corrections) movements(ctx context.Context, co Correction) ([]Movement, error) {
	parent, _ := parsePrefixed(correctionPrefix, co.ID)
	cur := co.Amount.Currency.Code
	to, err := c.wallet(ctx, string(co.ToWallet))
	if err != nil {
		return nil, err
	}
	t := ledger.Transfer{ID: ledger.DeriveID(parent, "correction"), CreditAccountID: to.Accounts[cur],
		Amount: co.Amount.Minor, Currency: cur, Code: TransferCorrection, Metadata: co.ID}
	now := c.s.nowUTC()
	mk := func(w Wallet, typ Type, id string) Movement {
		return Movement{ID: id, WalletID: w.ID, UserID: w.UserID, Type: typ, Status: StatusPending,
			Amount: co.Amount, Fee: money.Amount{Currency: co.Amount.Currency}, Method: MethodWallet,
			Counterparty: Counterparty{Display: "OKPay"}, Plan: []ledger.Transfer{t}, Ready: true,
			CreatedAt: now, UpdatedAt: now}
	}
	debitID, creditID := co.MovementIDs()
	if co.Kind == CorrectionGoodwill {
		acc, err := c.s.ledger.CreateAccount(ctx, ledger.Account{Ref: GoodwillRef(cur), Currency: cur, Code: AccountGoodwill})
		if err != nil {
			return nil, unavailable("goodwill account", err)
		}
		t.DebitAccountID = acc.ID
		credit := mk(to, TypeCorrectionCredit, creditID)
		credit.Plan[0] = t
		return []Movement{credit}, nil
	}
	from, err := c.wallet(ctx, string(co.FromWallet))
	if err != nil {
		return nil, err
	}
	t.DebitAccountID = from.Accounts[cur]
	debit, credit := mk(from, TypeCorrectionDebit, debitID), mk(to, TypeCorrectionCredit, creditID)
	debit.Plan[0], credit.Plan[0] = t, t
	debit.PeerID, credit.PeerID = credit.ID, debit.ID
	return []Movement{debit, credit}, nil
}

// Reject closes a proposed correction without moving money; the proposer
// may withdraw their own. Errors: ErrCorrectionForbidden,
// ErrCorrectionNotFound, ErrCorrectionDecided, ErrUnavailable.
func (c *Corrections) Reject(ctx context.Context, a auth.Actor, id, note string) (Correction, error) {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(a, auth.ActionCorrectionPropose, auth.Resource{Kind: "correction"}) != nil {
		return Correction{}, refuse(CodeCorrectionForbidden, "user %d (%s) rejects", a.UserID, a.Role)
	}
	co, err := c.Correction(ctx, id)
	if err != nil {
		return Correction{}, err
	}
	if co.Status != CorrectionProposed {
		return Correction{}, refuse(CodeCorrectionDecided, "%s is %s", co.ID, co.Status)
	}
	next := co
	next.Status, next.DecidedBy, next.DecidedAt, next.DecisionNote = CorrectionRejected, a.UserID, c.s.nowUTC(), cleanReason(note)
	if utf8.RuneCountInString(next.DecisionNote) > MaxCorrectionReason {
		return Correction{}, refuse(CodeNoteTooLong, "note")
	}
	errLost := errors.New("lost")
	err = c.store.InCorrectionTx(ctx, func(tx CorrectionTx) error {
		ok, err := tx.DecideCorrection(ctx, next)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		d := co.details()
		d["note"] = next.DecisionNote
		return audit.Record(ctx, tx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role),
			Action: ActionCorrectionRejected, TargetType: "correction", TargetID: co.ID, Details: d})
	})
	if errors.Is(err, errLost) {
		return Correction{}, refuse(CodeCorrectionDecided, "%s decided meanwhile", co.ID)
	}
	if err != nil {
		return Correction{}, unavailable("reject correction", err)
	}
	return next, nil
}

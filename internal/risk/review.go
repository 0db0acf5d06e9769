package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/wallet"
)

// Audit actions of staff and users.
const (
	ActionHoldReleased = "risk_hold_released"
	ActionHoldRefused  = "risk_hold_refused"
	ActionReported     = "risk_reported"
	ActionFreezeLifted = "risk_freeze_lifted"
)

// ResolveJob carries out a decided hold on the ledger (again, after a
// crash or a failed attempt); it is idempotent.
const ResolveJob = "risk.resolve_hold"

// ResolveAfter is when the job first runs: the decision's own request
// normally finishes the work before that.
const ResolveAfter = time.Minute

type caseArgs struct {
	CaseID string `json:"case_id"`
}

func resolveJob(id string, at time.Time) jobs.Job {
	args, _ := json.Marshal(caseArgs{CaseID: id})
	return jobs.Job{Kind: ResolveJob, Args: args, RunAt: at, UniqueKey: ResolveJob + ":" + id}
}

// Register adds the risk job handler to r.
func (s *Service) Register(r *jobs.Runner) { r.Register(ResolveJob, s.HandleResolve) }

// HandleResolve is the handler of ResolveJob.
func (s *Service) HandleResolve(ctx context.Context, c jobs.Claimed) error {
	var a caseArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || !ValidCaseID(a.CaseID) {
		return jobs.Cancel(fmt.Errorf("risk: job %d: bad args %q", c.ID, c.Args))
	}
	k, err := s.store.Case(ctx, a.CaseID)
	if err != nil {
		return err
	}
	if k.Kind != KindHold || k.Status == CaseOpen {
		return nil
	}
	_, err = s.wallet.ResolveHold(ctx, k.MovementID, k.Status == CaseReleased)
	if errors.Is(err, wallet.ErrNotHeld) {
		return jobs.Cancel(err)
	}
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func joinReasons(rs []string) string { return strings.Join(rs, ",") }

// Release lets a held payment go: the ledger posts the hold and the payee
// gets the money. Only a supervisor may (auth.ActionRiskDecide). Errors:
// ErrForbidden, ErrCaseNotFound, ErrDecided, ErrHoldEnded, ErrNoteTooLong.
func (s *Service) Release(ctx context.Context, caseID string, staff auth.Actor, note string) (Case, error) {
	return s.decide(ctx, caseID, staff, true, note)
}

// Refuse refuses a held payment: the ledger voids the hold and the money
// is the payer's again; they are told. Errors: as Release.
func (s *Service) Refuse(ctx context.Context, caseID string, staff auth.Actor, note string) (Case, error) {
	return s.decide(ctx, caseID, staff, false, note)
}

func (s *Service) decide(ctx context.Context, caseID string, staff auth.Actor, release bool, note string) (Case, error) {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(staff, auth.ActionRiskDecide, auth.Resource{Kind: "risk"}) != nil {
		return Case{}, ErrForbidden
	}
	note, err := s.cleanText(note, ErrNoteTooLong)
	if err != nil {
		return Case{}, err
	}
	if !ValidCaseID(caseID) {
		return Case{}, ErrCaseNotFound
	}
	k, err := s.store.Case(ctx, caseID)
	if err != nil {
		return Case{}, err
	}
	if k.Kind != KindHold {
		return Case{}, ErrCaseNotFound
	}
	if k.Status != CaseOpen {
		return k, decided(k)
	}
	m, err := s.wallet.Movement(ctx, k.UserID, k.MovementID)
	if err != nil {
		return Case{}, fmt.Errorf("risk: movement of %s: %w", k.ID, err)
	}
	if m.Status != wallet.StatusPending && m.Status != wallet.StatusHeld {
		return k, fmt.Errorf("%w: %s is %s", ErrHoldEnded, m.ID, m.Status)
	}
	now := s.nowUTC()
	next := k
	next.Status, next.DecidedBy, next.DecidedAt, next.Note, next.UpdatedAt = CaseRefused, staff.UserID, now, note, now
	action, notice := ActionHoldRefused, NoticeRefused
	if release {
		next.Status, action, notice = CaseReleased, ActionHoldReleased, NoticeReleased
	}
	errLost := errors.New("lost")
	err = s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.DecideCase(ctx, next, CaseOpen)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		if err := audit.Record(ctx, tx, audit.Event{ActorID: staff.UserID, ActorRole: string(staff.Role), Action: action,
			TargetType: "movement", TargetID: k.MovementID, Details: map[string]string{"case": k.ID,
				"user": itoa(k.UserID), "amount": k.Amount.Decimal(), "currency": k.Amount.Currency.Code,
				"reasons": joinReasons(k.Reasons), "note": note}}); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, resolveJob(k.ID, now.Add(ResolveAfter))); err != nil {
			return err
		}
		return s.notify.Notify(ctx, tx, Notice{Kind: notice, Case: next})
	})
	if errors.Is(err, errLost) {
		cur, err := s.store.Case(ctx, k.ID)
		if err != nil {
			return Case{}, err
		}
		return cur, decided(cur)
	}
	if err != nil {
		return Case{}, err
	}
	if _, err := s.wallet.ResolveHold(ctx, k.MovementID, release); err != nil {
		// Decided and recorded: ResolveJob finishes it.
		s.log.Warn("risk: resolving a decided hold failed; the job retries", "case", k.ID, "err", err)
	}
	return next, nil
}

func decided(k Case) error {
	return fmt.Errorf("%w: %s is %s (by user %d)", ErrDecided, k.ID, k.Status, k.DecidedBy)
}

// Report records that the user says a movement of theirs is not theirs
// ("not my transaction"): their outgoing payments are frozen at once (a
// send or withdrawal committing after this is refused), a report case
// with their words opens for staff, and an email tells them what happens
// next. Reporting the same movement again returns the first report.
// Errors: wallet.ErrMovementNotFound (not the user's), ErrWordsTooLong.
func (s *Service) Report(ctx context.Context, userID int64, movementID, words string) (Case, error) {
	ctx = context.WithoutCancel(ctx)
	words, err := s.cleanText(words, ErrWordsTooLong)
	if err != nil {
		return Case{}, err
	}
	m, err := s.wallet.Movement(ctx, userID, movementID)
	if err != nil {
		return Case{}, err
	}
	now := s.nowUTC()
	c := Case{ID: newCaseID(), Kind: KindReport, UserID: userID, MovementID: m.ID, Status: CaseOpen,
		Amount: m.Amount, Payee: payeeOf(m), Words: words, CreatedAt: now, UpdatedAt: now}
	errDup := errors.New("duplicate")
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.SetFrozen(ctx, userID, c.ID, now); err != nil {
			return err
		}
		n, err := tx.CountOutgoing(ctx, userID)
		if err != nil {
			return err
		}
		c.OutgoingBefore = n
		ok, err := tx.InsertCase(ctx, c)
		if err != nil {
			return err
		}
		if !ok {
			return errDup
		}
		if err := audit.Record(ctx, tx, audit.Event{ActorID: userID, ActorRole: string(auth.RoleCustomer),
			Action: ActionReported, TargetType: "movement", TargetID: m.ID,
			Details: map[string]string{"case": c.ID, "amount": m.Amount.Decimal(), "currency": m.Amount.Currency.Code,
				"type": string(m.Type)}}); err != nil {
			return err
		}
		return s.notify.Notify(ctx, tx, Notice{Kind: NoticeReported, Case: c})
	})
	if errors.Is(err, errDup) {
		return s.store.CaseByMovement(ctx, KindReport, m.ID)
	}
	if err != nil {
		return Case{}, err
	}
	return c, nil
}

// LiftFreeze lets a user send and withdraw again, after support has
// checked the account with them; their open reports close with the note.
// Only a supervisor may. Errors: ErrForbidden, ErrNotFrozen,
// ErrNoteTooLong.
func (s *Service) LiftFreeze(ctx context.Context, userID int64, staff auth.Actor, note string) error {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(staff, auth.ActionRiskDecide, auth.Resource{Kind: "risk"}) != nil {
		return ErrForbidden
	}
	note, err := s.cleanText(note, ErrNoteTooLong)
	if err != nil {
		return err
	}
	now := s.nowUTC()
	errNone := errors.New("none")
	err = s.store.InTx(ctx, func(tx Tx) error {
		fz, err := tx.LiftFreeze(ctx, userID, staff.UserID, now)
		if err != nil {
			return err
		}
		if !fz {
			return errNone
		}
		n, err := tx.CloseReports(ctx, userID, staff.UserID, now, note)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{ActorID: staff.UserID, ActorRole: string(staff.Role),
			Action: ActionFreezeLifted, TargetType: "user", TargetID: itoa(userID),
			Details: map[string]string{"reports_closed": itoa(n), "note": note}}); err != nil {
			return err
		}
		return s.notify.Notify(ctx, tx, Notice{Kind: NoticeFreezeLifted, Case: Case{UserID: userID, Note: note}})
	})
	if errors.Is(err, errNone) {
		return ErrNotFrozen
	}
	return err
}

// Open is what is open about one user (or, for Queue, everyone).
type Open struct {
	// Freezes are the users whose outgoing payments are frozen.
	Freezes []Freeze
	// Holds are payments held for review and not yet decided.
	Holds []Case
	// Reports are "not my transaction" reports not yet closed.
	Reports []Case
}

// OpenCases returns what is open about a user: the freeze if any, the
// payments held for review, and the open reports. The support desk's
// agent console shows it beside a customer's ticket.
func (s *Service) OpenCases(ctx context.Context, userID int64) (Open, error) {
	if userID <= 0 {
		return Open{}, ErrCaseNotFound
	}
	var o Open
	fz, err := s.store.Freeze(ctx, userID)
	if err != nil {
		return Open{}, err
	}
	if fz.Frozen {
		o.Freezes = []Freeze{fz}
	}
	if o.Holds, err = s.store.Cases(ctx, CaseQuery{UserID: userID, Kinds: []Kind{KindHold}, Statuses: []CaseStatus{CaseOpen}, Live: true, Limit: 200}); err != nil {
		return Open{}, err
	}
	if o.Reports, err = s.store.Cases(ctx, CaseQuery{UserID: userID, Kinds: []Kind{KindReport}, Statuses: []CaseStatus{CaseOpen}, Limit: 200}); err != nil {
		return Open{}, err
	}
	return o, nil
}

// Queue is the staff view: every frozen user, held payment and open
// report, oldest first, at most limit of each. Errors: ErrForbidden (the
// actor is not staff).
func (s *Service) Queue(ctx context.Context, staff auth.Actor, limit int) (Open, error) {
	if auth.Authorize(staff, auth.ActionRiskView, auth.Resource{Kind: "risk"}) != nil {
		return Open{}, ErrForbidden
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var o Open
	var err error
	if o.Freezes, err = s.store.Frozen(ctx, limit); err != nil {
		return Open{}, err
	}
	if o.Holds, err = s.store.Cases(ctx, CaseQuery{Kinds: []Kind{KindHold}, Statuses: []CaseStatus{CaseOpen}, Live: true, Limit: limit}); err != nil {
		return Open{}, err
	}
	if o.Reports, err = s.store.Cases(ctx, CaseQuery{Kinds: []Kind{KindReport}, Statuses: []CaseStatus{CaseOpen}, Limit: limit}); err != nil {
		return Open{}, err
	}
	return o, nil
}

// ForMovement returns the user's cases about one of their movements (a
// hold, a report; either may be missing), for the movement page.
func (s *Service) ForMovement(ctx context.Context, userID int64, movementID string) (hold, report *Case, err error) {
	for _, k := range []Kind{KindHold, KindReport} {
		c, err := s.store.CaseByMovement(ctx, k, movementID)
		if errors.Is(err, ErrCaseNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if c.UserID != userID {
			continue
		}
		if k == KindHold {
			hold = &c
		} else {
			report = &c
		}
	}
	return hold, report, nil
}

// Frozen reports the user's freeze state.
func (s *Service) Frozen(ctx context.Context, userID int64) (Freeze, error) {
	return s.store.Freeze(ctx, userID)
}

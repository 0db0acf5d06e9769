package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Job kinds of withdrawals (see Withdrawals on steps and crash safety).
const (
	// WithdrawAdvanceJob finishes steps 2 and 3 of one withdrawal (hold
	// and payout) if its request did not.
	WithdrawAdvanceJob = "wallet.withdraw_advance"
	// WithdrawSettleJob periodically asks the rails about open (and
	// recently completed) withdrawals and settles them.
	WithdrawSettleJob = "wallet.withdraw_settle"
)

type withdrawArgs struct {
	WithdrawalID string `json:"withdrawal_id"`
}

func withdrawAdvanceJob(id string, at time.Time) jobs.Job {
	args, _ := json.Marshal(withdrawArgs{WithdrawalID: id})
	return jobs.Job{Kind: WithdrawAdvanceJob, Args: args, RunAt: at, UniqueKey: WithdrawAdvanceJob + ":" + id}
}

// Register adds the withdrawal jobs' handlers and the periodic settlement
// to r.
func (w *Withdrawals) Register(r *jobs.Runner) {
	r.Register(WithdrawAdvanceJob, w.HandleAdvance)
	r.Register(WithdrawSettleJob, w.HandleSettle)
	r.Periodic(WithdrawSettleJob, w.cfg.SettleEvery, nil)
}

// HandleAdvance is the handler of WithdrawAdvanceJob: it retries (with the
// runner's backoff) until the rail has accepted or refused the payout.
func (w *Withdrawals) HandleAdvance(ctx context.Context, c jobs.Claimed) error {
	var a withdrawArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || !ValidMovementID(a.WithdrawalID) {
		return jobs.Cancel(fmt.Errorf("wallet: job %d: bad args %q", c.ID, c.Args))
	}
	ctx = context.WithoutCancel(ctx)
	wd, err := w.store.Withdrawal(ctx, a.WithdrawalID)
	if errors.Is(err, ErrWithdrawalNotFound) {
		return jobs.Cancel(err)
	}
	if err != nil {
		return err
	}
	if wd.Status != WithdrawalPending && wd.Status != WithdrawalReview {
		return nil
	}
	wd, err = w.advance(ctx, wd)
	switch {
	case err != nil:
	case wd.Status == WithdrawalPending:
		err = fmt.Errorf("wallet: withdrawal %s: the rail has not answered yet", wd.ID)
	case wd.Status == WithdrawalReview && wd.HeldAt.IsZero():
		err = fmt.Errorf("wallet: withdrawal %s: its review hold is not recorded yet", wd.ID)
	}
	return err
}

// HandleSettle is the handler of WithdrawSettleJob.
func (w *Withdrawals) HandleSettle(ctx context.Context, c jobs.Claimed) error {
	_, err := w.Settle(ctx)
	return err
}

// Settle asks the rails about every open withdrawal, and every completed
// one within the return window, oldest first, and settles what they
// answer: it posts paid ones, voids failed and canceled ones (telling the
// customer why), and credits returned ones back. It returns how many
// withdrawals changed. Running it twice, or at once on two nodes, or again
// after it was cut off, settles each withdrawal once. The error reports
// the store failing; a rail that does not answer leaves its withdrawals
// for the next run.
func (w *Withdrawals) Settle(ctx context.Context) (int, error) {
	ctx = context.WithoutCancel(ctx)
	ws, err := w.store.SettleWithdrawals(ctx, w.s.nowUTC().Add(-w.cfg.ReturnWindow), 500)
	if err != nil {
		return 0, unavailable("withdrawals to settle", err)
	}
	changed := 0
	var errs []error
	for _, wd := range ws {
		got, err := w.advance(ctx, wd)
		if err != nil {
			errs = append(errs, err)
		}
		if got.Status != wd.Status {
			changed++
		}
	}
	if len(errs) > 0 {
		w.log.Warn("wallet: withdrawals left unsettled", "count", len(errs), "first", errs[0])
	}
	return changed, nil
}

// advance drives a withdrawal as far as the ledger and the rail let it go
// now. Every step is safe to repeat.
func (w *Withdrawals) advance(ctx context.Context, wd Withdrawal) (Withdrawal, error) {
	if !wd.Status.Open() && wd.Status != WithdrawalCompleted {
		return wd, nil
	}
	rail, ok := w.payers[wd.Method]
	if !ok {
		return wd, unavailable("no payout rail for "+string(wd.Method), nil)
	}
	if wd.Status == WithdrawalPending || wd.Status == WithdrawalReview {
		held, code, err := w.ensureHeld(ctx, wd)
		if err != nil {
			return wd, err
		}
		if !held {
			return w.record(ctx, wd, WithdrawalFailed, code, nil)
		}
		if wd, err = w.markHeld(ctx, wd); err != nil || wd.Status != WithdrawalPending {
			// Under review the money stays held and nothing goes to the
			// rail until staff decide (resolveReview).
			return wd, err
		}
		return w.pay(ctx, rail, wd)
	}
	res, err := rail.PayoutStatus(ctx, wd.ID, wd.PayoutID)
	if err != nil {
		return wd, unavailable("payout status "+wd.ID, err)
	}
	if res.State == PayoutUnknown && wd.Status == WithdrawalProcessing {
		// The rail lost it (a sandbox restarted): send it again under the
		// same key, which a real rail answers with the same payout.
		return w.pay(ctx, rail, wd)
	}
	return w.apply(ctx, wd, res)
}

// pay sends (or asks again for) a withdrawal's payout.
func (w *Withdrawals) pay(ctx context.Context, rail PayoutRail, wd Withdrawal) (Withdrawal, error) {
	d, err := w.open(wd)
	if err != nil {
		return wd, unavailable("open the destination of "+wd.ID, err)
	}
	res, err := rail.Payout(ctx, PayoutRequest{Key: wd.ID, Amount: wd.Amount, Destination: d,
		Description: "OKPay " + wd.ID})
	if err != nil {
		w.log.Warn("wallet: payout outcome unknown", "withdrawal", wd.ID, "err", err)
		return wd, unavailable("payout "+wd.ID, err)
	}
	return w.apply(ctx, wd, res)
}

// apply records what the rail said about a withdrawal, moving the money
// first.
func (w *Withdrawals) apply(ctx context.Context, wd Withdrawal, res PayoutResult) (Withdrawal, error) {
	switch res.State {
	case PayoutPending:
		if wd.Status != WithdrawalPending {
			return wd, nil
		}
		next := wd
		next.Status, next.PayoutID = WithdrawalProcessing, res.ID
		if !res.ExpectedAt.IsZero() {
			next.ExpectedAt = res.ExpectedAt.UTC()
		}
		return w.write(ctx, wd, next, time.Time{}, nil)
	case PayoutPaid, PayoutReturned:
		if wd.Status.Open() {
			at, err := w.resolve(ctx, wd, ledger.PostPending)
			if err != nil {
				return wd, err
			}
			if res.State == PayoutPaid {
				next := wd
				next.Status, next.PayoutID, next.SettledAt = WithdrawalCompleted, res.ID, at
				return w.write(ctx, wd, next, at, nil)
			}
			wd.SettledAt = at
		}
		if res.State == PayoutReturned {
			return w.returned(ctx, wd, res)
		}
		return wd, nil
	case PayoutFailed, PayoutCanceled:
		if !wd.Status.Open() {
			if wd.Status == WithdrawalCompleted {
				w.log.Error("wallet: a paid withdrawal's payout reads failed; reconcile it with the rail",
					"withdrawal", wd.ID, "state", res.State)
			}
			return wd, nil
		}
		held, _, err := w.ensureHeld(ctx, wd)
		if err != nil {
			return wd, err
		}
		if held {
			if _, err := w.resolve(ctx, wd, ledger.VoidPending); err != nil {
				return wd, err
			}
		}
		status, code := WithdrawalFailed, payoutCode(res.Code)
		if res.State == PayoutCanceled {
			status, code = WithdrawalCanceled, CodeWithdrawalCanceled
		}
		if res.ID != "" {
			wd.PayoutID = res.ID
		}
		return w.record(ctx, wd, status, code, nil)
	}
	return wd, nil
}

// payoutCode maps a rail's reason to the wallet's.
func payoutCode(rail string) Code {
	switch rail {
	case "account_closed":
		return CodePayoutAccountClosed
	case "account_not_found":
		return CodePayoutAccountNotFound
	case "invalid_account":
		return CodeInvalidPayoutAccount
	}
	return CodePayoutFailed
}

// returned credits a paid withdrawal that came back, and tells the
// customer.
func (w *Withdrawals) returned(ctx context.Context, wd Withdrawal, res PayoutResult) (Withdrawal, error) {
	rid := wd.ReturnID()
	plan := returnPlan(wd.Plan, rid)
	at, code, err := w.submit(ctx, plan)
	if err != nil {
		return wd, err
	}
	if code != ledger.OK {
		w.log.Error("wallet: ledger refused the return of a withdrawal", "withdrawal", wd.ID, "code", code.String())
		return wd, unavailable("return of "+wd.ID+": "+code.String(), nil)
	}
	w.hook("withdraw.moved")
	now := w.s.nowUTC()
	credited := money.Amount{Minor: wd.Amount.Minor + wd.Fee.Minor, Currency: wd.Amount.Currency}
	back := Movement{
		ID: rid, WalletID: wd.WalletID, UserID: wd.UserID, Type: TypeWithdrawalReturn, Status: StatusCompleted,
		Amount: credited, Fee: money.Amount{Currency: wd.Amount.Currency}, Method: wd.Method,
		MethodDisplay: wd.Display, ChargeID: res.ID, FailureCode: payoutCode(res.Code), PeerID: wd.ID, Plan: plan,
		CreatedAt: now, UpdatedAt: now, PostedAt: at,
	}
	next := wd
	next.Status, next.FailureCode, next.ReturnedAt = WithdrawalReturned, payoutCode(res.Code), at
	if res.ID != "" {
		next.PayoutID = res.ID
	}
	return w.write(ctx, wd, next, wd.SettledAt, func(tx WithdrawTx) error {
		if _, err := tx.InsertMovement(ctx, back); err != nil {
			return err
		}
		return w.mail.QueueWithdrawal(ctx, tx, WithdrawalNotice{Withdrawal: next, Credited: credited})
	})
}

// ensureHeld makes sure the hold was submitted: held reports whether it is
// in the ledger; when the ledger refused it, code says why.
func (w *Withdrawals) ensureHeld(ctx context.Context, wd Withdrawal) (held bool, code Code, err error) {
	if !wd.HeldAt.IsZero() {
		return true, "", nil
	}
	_, refusal, err := w.submit(ctx, wd.Plan)
	if err != nil {
		return false, "", err
	}
	switch refusal {
	case ledger.OK:
		return true, "", nil
	case ledger.InsufficientFunds:
		return false, CodeInsufficientFunds, nil
	}
	w.log.Error("wallet: ledger refused a withdrawal's hold", "withdrawal", wd.ID, "code", refusal.String())
	return false, CodeProcessingError, nil
}

// markHeld records that the hold committed.
func (w *Withdrawals) markHeld(ctx context.Context, wd Withdrawal) (Withdrawal, error) {
	if !wd.HeldAt.IsZero() {
		return wd, nil
	}
	next := wd
	next.HeldAt = w.s.nowUTC()
	return w.write(ctx, wd, next, time.Time{}, nil)
}

// resolve posts or voids a withdrawal's hold and returns when the ledger
// committed it.
func (w *Withdrawals) resolve(ctx context.Context, wd Withdrawal, how ledger.TransferFlags) (time.Time, error) {
	at, code, err := w.submit(ctx, resolvePlan(wd.Plan, how))
	if err != nil {
		return time.Time{}, err
	}
	if code != ledger.OK {
		w.log.Error("wallet: ledger refused to resolve a withdrawal's hold", "withdrawal", wd.ID, "code", code.String())
		return time.Time{}, unavailable("resolve the hold of "+wd.ID+": "+code.String(), nil)
	}
	w.hook("withdraw.moved")
	return at, nil
}

// submit sends transfers to the ledger: code is ledger.OK when they are
// all in the journal (now or before), else the first refusal.
func (w *Withdrawals) submit(ctx context.Context, plan []ledger.Transfer) (time.Time, ledger.Code, error) {
	res, err := w.s.ledger.Submit(ctx, plan)
	if err != nil {
		return time.Time{}, 0, unavailable("submit", err)
	}
	code := ledger.OK
	for _, r := range res {
		if !r.Code.Done() && (code == ledger.OK || code == ledger.LinkedEventFailed) {
			code = r.Code
		}
	}
	if len(res) == 0 {
		return w.s.nowUTC(), code, nil
	}
	return res[0].Timestamp.UTC(), code, nil
}

// record ends a withdrawal as failed or canceled (its hold voided or never
// made) and tells the customer about a failure.
func (w *Withdrawals) record(ctx context.Context, wd Withdrawal, status WithdrawalStatus, code Code, also func(WithdrawTx) error) (Withdrawal, error) {
	next := wd
	next.Status, next.FailureCode, next.SettledAt = status, code, w.s.nowUTC()
	return w.write(ctx, wd, next, time.Time{}, func(tx WithdrawTx) error {
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if status == WithdrawalFailed && code != CodeInsufficientFunds {
			return w.mail.QueueWithdrawal(ctx, tx, WithdrawalNotice{Withdrawal: next})
		}
		return nil
	})
}

// write stores next if the stored withdrawal is still at cur's version,
// with its movement's state, and runs also in the same transaction. When
// another writer got there first it returns the stored withdrawal.
func (w *Withdrawals) write(ctx context.Context, cur, next Withdrawal, postedAt time.Time, also func(WithdrawTx) error) (Withdrawal, error) {
	next.UpdatedAt = w.s.nowUTC()
	next.Version = cur.Version
	won := false
	err := w.store.InWithdrawTx(ctx, func(tx WithdrawTx) error {
		ok, err := tx.UpdateWithdrawal(ctx, next, postedAt)
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
		return cur, unavailable("record withdrawal "+cur.ID, err)
	}
	if !won {
		got, err := w.store.Withdrawal(ctx, cur.ID)
		if err != nil {
			return cur, storeErr("withdrawal", err)
		}
		return got, nil
	}
	next.Version++
	return next, nil
}

// resolveReview carries out staff's decision on a withdrawal the risk
// rules held (Service.ResolveHold sends withdrawals here). Release makes
// it pending and sends the payout at once (WithdrawSettleJob retries a
// rail that does not answer); refuse voids the hold and fails it with
// CodeRefusedInReview (internal/risk tells the customer, so no withdrawal
// mail is queued). Both may be repeated: the ledger ids are derived and
// the record is written once, conditionally on its version. Errors:
// ErrNotHeld (it was never under review, or ended the other way),
// ErrUnavailable.
func (w *Withdrawals) resolveReview(ctx context.Context, m Movement, release bool) (Movement, error) {
	wd, err := w.store.Withdrawal(ctx, m.ID)
	if err != nil {
		return m, storeErr("withdrawal", err)
	}
	done := func() (Movement, error) {
		got, err := w.s.store.Movement(ctx, m.ID)
		if err != nil {
			return m, storeErr("movement", err)
		}
		return got, nil
	}
	if wd.Status != WithdrawalReview {
		released := wd.Status == WithdrawalPending || wd.Status == WithdrawalProcessing ||
			wd.Status == WithdrawalCompleted || wd.Status == WithdrawalReturned
		refused := wd.Status == WithdrawalFailed && wd.FailureCode == CodeRefusedInReview
		if release && released || !release && refused {
			return done()
		}
		return m, refuse(CodeNotHeld, "withdrawal %s is %s", wd.ID, wd.Status)
	}
	held, code, err := w.ensureHeld(ctx, wd)
	if err != nil {
		return m, err
	}
	if !held {
		if _, err := w.record(ctx, wd, WithdrawalFailed, code, nil); err != nil {
			return m, err
		}
		return m, refuse(CodeNotHeld, "withdrawal %s failed before review: %s", wd.ID, code)
	}
	if wd, err = w.markHeld(ctx, wd); err != nil {
		return m, err
	}
	if wd.Status != WithdrawalReview {
		return w.resolveReview(ctx, m, release) // another node decided first
	}
	next := wd
	if !release {
		at, err := w.resolve(ctx, wd, ledger.VoidPending)
		if err != nil {
			return m, err
		}
		next.Status, next.FailureCode, next.SettledAt = WithdrawalFailed, CodeRefusedInReview, at
		if _, err := w.write(ctx, wd, next, time.Time{}, nil); err != nil {
			return m, err
		}
		return done()
	}
	next.Status = WithdrawalPending
	if wd, err = w.write(ctx, wd, next, time.Time{}, nil); err != nil {
		return m, err
	}
	if wd.Status == WithdrawalPending {
		if _, err := w.advance(ctx, wd); err != nil {
			// Released and recorded: the settlement job sends the payout.
			w.log.Warn("wallet: a released withdrawal's payout is not sent yet", "withdrawal", wd.ID, "err", err)
		}
	}
	return done()
}

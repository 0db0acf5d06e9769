package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// Job kinds of the wallet (see the package comment on crash safety).
const (
	// ResumeJob drives one movement to its end, if its request did not.
	ResumeJob = "wallet.resume_movement"
	// ExpireActionJob fails a deposit still waiting for its confirmation
	// step after Config.ActionTTL.
	ExpireActionJob = "wallet.expire_action"
	// SweepJob periodically resumes pending movements whose resume job was
	// lost or gave up.
	SweepJob = "wallet.sweep"
)

// SweepEvery is the period of SweepJob; a movement is swept once it has
// been pending that long without change.
const SweepEvery = 15 * time.Minute

type movementArgs struct {
	MovementID string `json:"movement_id"`
}

func movementJob(kind, id string, at time.Time) jobs.Job {
	args, _ := json.Marshal(movementArgs{MovementID: id})
	return jobs.Job{Kind: kind, Args: args, RunAt: at, UniqueKey: kind + ":" + id}
}

func resumeJob(id string, at time.Time) jobs.Job { return movementJob(ResumeJob, id, at) }
func expireJob(id string, at time.Time) jobs.Job { return movementJob(ExpireActionJob, id, at) }

// Register adds the wallet's job handlers and its periodic sweep to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(ResumeJob, s.HandleResume)
	r.Register(ExpireActionJob, s.HandleExpireAction)
	r.Register(SweepJob, s.HandleSweep)
	r.Periodic(SweepJob, SweepEvery, nil)
}

func movementOf(c jobs.Claimed) (string, error) {
	var a movementArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || !ValidMovementID(a.MovementID) {
		return "", jobs.Cancel(fmt.Errorf("wallet: job %d: bad args %q", c.ID, c.Args))
	}
	return a.MovementID, nil
}

// HandleResume is the handler of ResumeJob.
func (s *Service) HandleResume(ctx context.Context, c jobs.Claimed) error {
	id, err := movementOf(c)
	if err != nil {
		return err
	}
	_, err = s.resume(ctx, id, c.Attempt >= c.MaxAttempts)
	return err
}

// Resume drives a pending movement to its end: it resubmits a ready
// movement's transfers (the ledger answers exists for those that
// committed) or asks the rail again about an unanswered charge, and records
// the outcome. A movement that has ended is returned as it is. The error is
// an infrastructure failure worth retrying later, never the movement's own
// refusal (which is in FailureCode).
func (s *Service) Resume(ctx context.Context, movementID string) (Movement, error) {
	return s.resume(ctx, movementID, false)
}

// resume is Resume; last says this is the final attempt, when a charge the
// rail still cannot answer for is given up as failed.
func (s *Service) resume(ctx context.Context, id string, last bool) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	m, err := s.store.Movement(ctx, id)
	if errors.Is(err, ErrMovementNotFound) {
		return Movement{}, jobs.Cancel(err)
	}
	if err != nil {
		return Movement{}, err
	}
	if m.Status != StatusPending {
		return m, nil
	}
	if !m.Ready {
		m, err = s.recharge(ctx, m, last)
	} else {
		m, err = s.settle(ctx, m)
	}
	var e *Error
	if errors.As(err, &e) && e.Code != CodeUnavailable && e.Code != CodeProcessingError {
		return m, nil // the movement's own refusal: recorded, nothing to retry
	}
	if err == nil && m.Status == StatusPending {
		return m, fmt.Errorf("wallet: movement %s still pending", m.ID)
	}
	if err != nil && m.Status.Final() {
		return m, nil
	}
	return m, err
}

// recharge asks the rail again about a deposit whose charge was never
// answered, with the same idempotency key and no source.
func (s *Service) recharge(ctx context.Context, m Movement, last bool) (Movement, error) {
	rail, ok := s.rails[m.Method]
	if !ok {
		s.log.Error("wallet: pending deposit with no rail", "movement", m.ID, "method", m.Method)
		return s.fail(ctx, m, CodeMethodNotAvailable)
	}
	res, err := rail.Charge(ctx, ChargeRequest{IdempotencyKey: m.ID, Amount: m.Amount})
	if err != nil {
		if last {
			s.log.Error("wallet: giving up on a charge the rail cannot answer for; reconcile it with the rail",
				"movement", m.ID, "err", err)
			return s.fail(ctx, m, CodeProcessingError)
		}
		return m, unavailable("recharge "+m.ID, err)
	}
	return s.applyCharge(ctx, m, res)
}

// HandleExpireAction is the handler of ExpireActionJob.
func (s *Service) HandleExpireAction(ctx context.Context, c jobs.Claimed) error {
	id, err := movementOf(c)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	m, err := s.store.Movement(ctx, id)
	if errors.Is(err, ErrMovementNotFound) {
		return jobs.Cancel(err)
	}
	if err != nil {
		return err
	}
	if m.Status != StatusRequiresAction {
		return nil
	}
	_, err = s.fail(ctx, m, CodeAuthenticationExpired)
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return nil
}

// HandleSweep is the handler of SweepJob: it resumes, oldest first, up to
// 100 movements pending and unchanged for SweepEvery.
func (s *Service) HandleSweep(ctx context.Context, c jobs.Claimed) error {
	ms, err := s.store.StaleMovements(ctx, s.nowUTC().Add(-SweepEvery), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range ms {
		if _, err := s.Resume(ctx, m.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		s.log.Warn("wallet: sweep left movements pending", "count", len(errs), "first", errs[0])
	}
	return nil
}

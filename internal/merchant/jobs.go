package merchant

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// SweepJob periodically finishes payments left Processing and refunds left
// pending by a crash or a lost ledger answer: each is resubmitted with the
// same transfer ids (Resume, ResumeRefund), so money moves at most once.
// It also expires open checkout sessions past their expiry, and cancels
// authorisations not captured within Config.CaptureWindow, so a payer's
// money is never held for ever.
const SweepJob = "merchant.sweep"

// SweepEvery is the period of SweepJob; a payment or refund is swept once
// it has been unchanged that long.
const SweepEvery = 5 * time.Minute

// Register adds the merchant's periodic sweep to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(SweepJob, s.HandleSweep)
	r.Periodic(SweepJob, SweepEvery, nil)
}

// HandleSweep is the handler of SweepJob.
func (s *Service) HandleSweep(ctx context.Context, _ jobs.Claimed) error {
	now := s.nowUTC()
	st, err := s.store.Stale(ctx, now.Add(-SweepEvery), now.Add(-s.cfg.CaptureWindow), 100)
	if err != nil {
		return err
	}
	var failed int
	var first error
	note := func(err error) {
		if err != nil && ErrorCode(err) == ErrorCode(ErrUnavailable) {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	for _, id := range st.Payments {
		_, err := s.Resume(ctx, id)
		note(err)
	}
	for _, id := range st.Refunds {
		_, err := s.ResumeRefund(ctx, id)
		note(err)
	}
	for _, id := range st.Sessions {
		_, err := s.Checkout(ctx, id) // expires it
		note(err)
	}
	for _, id := range st.Uncaptured {
		p, err := s.payment(ctx, id)
		if err == nil {
			_, err = s.cancel(ctx, p)
		}
		if ErrorCode(err) != ErrorCode(ErrInvalidState) { // captured meanwhile
			note(err)
		}
	}
	if failed > 0 {
		s.log.Warn("merchant: sweep left work unfinished", "count", failed, "first", first)
	}
	return nil
}

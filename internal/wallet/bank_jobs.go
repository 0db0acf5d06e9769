package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// Job kinds of bank-transfer deposits (see BankDeposits on crash safety).
// Deposit movements of bank entries are finished by ResumeJob like any
// other movement.
const (
	// BankPostJob submits a statement entry's transfer into or out of
	// suspense, if the import or the return that recorded it did not.
	BankPostJob = "wallet.bank_post_entry"
	// BankSweepJob periodically posts entries whose job was lost or gave
	// up.
	BankSweepJob = "wallet.bank_sweep"
)

type bankEntryArgs struct {
	EntryID string `json:"entry_id"`
}

// bankPostJob is the job posting the transfer step (stepSuspense or
// stepReturn) of an entry.
func bankPostJob(id, step string, at time.Time) jobs.Job {
	args, _ := json.Marshal(bankEntryArgs{EntryID: id})
	return jobs.Job{Kind: BankPostJob, Args: args, RunAt: at, UniqueKey: BankPostJob + ":" + id + ":" + step}
}

// Register adds the bank jobs' handlers and the periodic sweep to r.
func (b *BankDeposits) Register(r *jobs.Runner) {
	r.Register(BankPostJob, b.HandlePost)
	r.Register(BankSweepJob, b.HandleSweep)
	r.Periodic(BankSweepJob, SweepEvery, nil)
}

// HandlePost is the handler of BankPostJob.
func (b *BankDeposits) HandlePost(ctx context.Context, c jobs.Claimed) error {
	var a bankEntryArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || !ValidBankEntryID(a.EntryID) {
		return jobs.Cancel(fmt.Errorf("wallet: job %d: bad args %q", c.ID, c.Args))
	}
	ctx = context.WithoutCancel(ctx)
	e, err := b.store.BankEntry(ctx, a.EntryID)
	if errors.Is(err, ErrBankEntryNotFound) {
		return jobs.Cancel(err)
	}
	if err != nil {
		return err
	}
	_, err = b.finish(ctx, e)
	return err
}

// HandleSweep is the handler of BankSweepJob: it finishes, oldest first,
// up to 100 entries whose transfers are not known to have posted and that
// have not changed for SweepEvery.
func (b *BankDeposits) HandleSweep(ctx context.Context, c jobs.Claimed) error {
	ctx = context.WithoutCancel(ctx)
	es, err := b.store.UnpostedBankEntries(ctx, b.s.nowUTC().Add(-SweepEvery), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range es {
		if _, err := b.finish(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		b.log.Warn("wallet: bank sweep left entries unposted", "count", len(errs), "first", errs[0])
	}
	return nil
}

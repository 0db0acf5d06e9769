package ledger

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/okpay/okpay/internal/jobs"
)

// Expire voids the pending transfer named in a job's args once its timeout
// has passed. A hold already posted or voided is left alone. The void's id
// is derived from the hold's, so a retried job voids at most once.
// It is the handler of ExpireJob jobs.
func (l *Ledger) Expire(ctx context.Context, c jobs.Claimed) error {
	var a expireArgs
	if err := json.Unmarshal(c.Args, &a); err != nil {
		return jobs.Cancel(fmt.Errorf("ledger: expire args: %w", err))
	}
	res, err := l.Submit(ctx, []Transfer{{
		ID:        DeriveID(a.PendingID, "expire"),
		Flags:     VoidPending,
		PendingID: a.PendingID,
	}})
	if err != nil {
		return err
	}
	switch res[0].Code {
	case OK, Exists, PendingAlreadyResolved:
		return nil
	}
	return fmt.Errorf("ledger: expire %s: %s", a.PendingID, res[0].Code)
}

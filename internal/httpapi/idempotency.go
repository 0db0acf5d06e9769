package httpapi

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/jobs"
)

// IdempotencyKey names one Idempotency-Key: keys are scoped to the API
// key's owner and mode, so two merchants (or a merchant's test and live
// mode) never see each other's.
type IdempotencyKey struct {
	Owner    apikey.Owner
	Livemode bool
	Key      string
}

// Saved is what is stored under an Idempotency-Key.
type Saved struct {
	// RequestHash is the SHA-256 of the first request's method, path and
	// body.
	RequestHash string
	// Done: the first request finished and Status and Body are its
	// response; otherwise it is still running.
	Done      bool
	Status    int
	Body      []byte
	CreatedAt time.Time
}

// IdempotencyStore keeps Idempotency-Keys in the database, so every node
// sees them.
type IdempotencyStore interface {
	// Claim records k as running for a request of hash at now, unless k
	// is already recorded: then it returns what is recorded and false.
	// A record created before expiredBefore counts as absent, and so does
	// a record of the same hash still running since before staleBefore
	// (its node died). Two concurrent claims of one key: exactly one
	// gets true.
	Claim(ctx context.Context, k IdempotencyKey, hash string, now, expiredBefore, staleBefore time.Time) (Saved, bool, error)
	// Save records the response of k's request.
	Save(ctx context.Context, k IdempotencyKey, status int, body []byte) error
	// Release forgets a running k, so the request may be retried.
	Release(ctx context.Context, k IdempotencyKey) error
	// Purge deletes every record created before before.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

// PurgeJob is the periodic job that forgets Idempotency-Keys older than
// IdempotencyRetention.
const PurgeJob = "httpapi.purge_idempotency"

// PurgeEvery is how often PurgeJob runs.
const PurgeEvery = time.Hour

// Register makes the runner purge old Idempotency-Keys every PurgeEvery.
func (a *API) Register(r *jobs.Runner) {
	r.Register(PurgeJob, func(ctx context.Context, _ jobs.Claimed) error {
		_, err := a.Purge(ctx)
		return err
	})
	r.Periodic(PurgeJob, PurgeEvery, nil)
}

// Purge forgets the Idempotency-Keys older than IdempotencyRetention and
// reports how many.
func (a *API) Purge(ctx context.Context) (int64, error) {
	return a.idem.Purge(ctx, a.now().UTC().Add(-IdempotencyRetention))
}

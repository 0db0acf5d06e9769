package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// EnqueueJobs inserts js through q, inside whatever transaction q is: this
// is how domain code enqueues in the same transaction as its change, so a
// rollback leaves no job behind. now stands in for a zero RunAt and is the
// creation time. A job whose UniqueKey is taken is silently skipped.
// Errors: jobs.ErrInvalidJob.
func EnqueueJobs(ctx context.Context, q Querier, now time.Time, js ...jobs.Job) error {
	for _, j := range js {
		if err := j.Validate(); err != nil {
			return err
		}
	}
	for _, j := range js {
		runAt := j.RunAt
		if runAt.IsZero() {
			runAt = now
		}
		maxAttempts := j.MaxAttempts
		if maxAttempts == 0 {
			maxAttempts = jobs.DefaultMaxAttempts
		}
		args := j.Args
		if args == nil {
			args = []byte{} // the column is NOT NULL
		}
		var key any // NULL: keys are unique, NULLs are not
		if j.UniqueKey != "" {
			key = j.UniqueKey
		}
		if _, err := q.Exec(ctx, `INSERT INTO jobs (kind, args, max_attempts, run_at, unique_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (unique_key) DO NOTHING`,
			j.Kind, args, maxAttempts, runAt.UnixNano(), key, now.UnixNano()); err != nil {
			return fmt.Errorf("sqlstore: enqueue job %s: %w", j.Kind, err)
		}
	}
	return nil
}

// JobStore is the jobs table; it implements jobs.Store on both engines.
type JobStore struct{ db *DB }

var _ jobs.Store = (*JobStore)(nil)

// Jobs returns the store of background jobs.
func (db *DB) Jobs() *JobStore { return &JobStore{db: db} }

// Enqueue inserts js in one transaction at the database's clock.
// Errors: jobs.ErrInvalidJob.
func (s *JobStore) Enqueue(ctx context.Context, js ...jobs.Job) error {
	if len(js) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		return EnqueueJobs(ctx, tx, s.db.Now(), js...)
	})
}

// Claim implements jobs.Store. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// concurrent claimers on several nodes pass over each other's rows; on
// SQLite the statement runs in a BEGIN IMMEDIATE transaction, which holds
// the database's single write lock, so it is atomic without it.
func (s *JobStore) Claim(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]jobs.Claimed, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	now := s.db.Now()
	args := []any{worker, now.Add(lease).UnixNano(), now.UnixNano(), limit}
	in := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		in[i] = "$" + strconv.Itoa(len(args))
	}
	lock := ""
	if s.db.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = $1, locked_until = $2
		WHERE id IN (
			SELECT id FROM jobs
			WHERE ((state = 'available' AND run_at <= $3) OR (state = 'running' AND locked_until < $3))
			  AND kind IN (` + strings.Join(in, ", ") + `)
			ORDER BY run_at, id
			LIMIT $4` + lock + `)
		RETURNING id, kind, args, run_at, max_attempts, unique_key, attempt`
	var cs []jobs.Claimed
	err := s.db.InTx(ctx, func(tx Tx) error {
		cs = cs[:0]
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c     jobs.Claimed
				runAt int64
				key   sql.NullString
			)
			if err := rows.Scan(&c.ID, &c.Kind, &c.Args, &runAt, &c.MaxAttempts, &key, &c.Attempt); err != nil {
				return err
			}
			c.Args = nilIfEmpty(c.Args)
			c.RunAt = fromNanos(runAt)
			c.UniqueKey = key.String
			cs = append(cs, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim jobs: %w", err)
	}
	// RETURNING promises no order.
	slices.SortFunc(cs, func(a, b jobs.Claimed) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return cs, nil
}

// Complete implements jobs.Store.
func (s *JobStore) Complete(ctx context.Context, id int64) error {
	return s.finish(ctx, "complete", id, `UPDATE jobs SET state = 'completed', finished_at = $2, locked_until = 0
		WHERE id = $1 AND state = 'running'`, id, s.db.Now().UnixNano())
}

// Retry implements jobs.Store.
func (s *JobStore) Retry(ctx context.Context, id int64, runAt time.Time, msg string) error {
	return s.finish(ctx, "retry", id, `UPDATE jobs SET state = 'available', run_at = $2, last_error = $3, locked_until = 0
		WHERE id = $1 AND state = 'running'`, id, runAt.UnixNano(), msg)
}

// Discard implements jobs.Store.
func (s *JobStore) Discard(ctx context.Context, id int64, msg string) error {
	return s.finish(ctx, "discard", id, `UPDATE jobs SET state = 'discarded', last_error = $2, finished_at = $3, locked_until = 0
		WHERE id = $1 AND state = 'running'`, id, msg, s.db.Now().UnixNano())
}

// finish runs an update of one running job and tells why it changed nothing.
func (s *JobStore) finish(ctx context.Context, op string, id int64, query string, args ...any) error {
	n, err := s.db.Write().Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: %s job %d: %w", op, id, err)
	}
	if n == 1 {
		return nil
	}
	var state string
	err = s.db.Write().QueryRow(ctx, "SELECT state FROM jobs WHERE id = $1", id).Scan(&state)
	switch {
	case errors.Is(err, ErrNoRows):
		return fmt.Errorf("sqlstore: %s job %d: %w", op, id, jobs.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlstore: %s job %d: %w", op, id, err)
	}
	return fmt.Errorf("sqlstore: %s job %d (%s): %w", op, id, state, jobs.ErrNotRunning)
}

const jobColumns = `id, kind, args, run_at, max_attempts, unique_key, state, attempt,
	locked_by, locked_until, last_error, created_at, finished_at`

// Job returns the job with the id. Errors: jobs.ErrNotFound.
func (s *JobStore) Job(ctx context.Context, id int64) (jobs.Record, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", id)
	if err != nil {
		return jobs.Record{}, fmt.Errorf("sqlstore: job %d: %w", id, err)
	}
	rs, err := scanRecords(rows)
	if err != nil {
		return jobs.Record{}, fmt.Errorf("sqlstore: job %d: %w", id, err)
	}
	if len(rs) == 0 {
		return jobs.Record{}, fmt.Errorf("sqlstore: job %d: %w", id, jobs.ErrNotFound)
	}
	return rs[0], nil
}

// List returns the jobs of kind, or every job when kind is empty, in the
// order they were enqueued.
func (s *JobStore) List(ctx context.Context, kind string) ([]jobs.Record, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+jobColumns+" FROM jobs WHERE $1 = '' OR kind = $1 ORDER BY id", kind)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list jobs: %w", err)
	}
	rs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list jobs: %w", err)
	}
	return rs, nil
}

func scanRecords(rows Rows) ([]jobs.Record, error) {
	defer rows.Close()
	var rs []jobs.Record
	for rows.Next() {
		var (
			r                                         jobs.Record
			runAt, lockedUntil, createdAt, finishedAt int64
			key                                       sql.NullString
			state                                     string
		)
		if err := rows.Scan(&r.ID, &r.Kind, &r.Args, &runAt, &r.MaxAttempts, &key, &state, &r.Attempt,
			&r.LockedBy, &lockedUntil, &r.LastError, &createdAt, &finishedAt); err != nil {
			return nil, err
		}
		r.Args = nilIfEmpty(r.Args)
		r.UniqueKey = key.String
		r.State = jobs.State(state)
		r.RunAt = fromNanos(runAt)
		r.LockedUntil = fromNanos(lockedUntil)
		r.CreatedAt = fromNanos(createdAt)
		r.FinishedAt = fromNanos(finishedAt)
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// fromNanos reads a stored unix-nanosecond time; 0 means none.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

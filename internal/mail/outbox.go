package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// SendJob is the kind of the job that sends one outbox message; register
// Sender.Handle for it.
const SendJob = "mail.send"

// sendArgs are the arguments of a SendJob.
type sendArgs struct {
	ID int64 `json:"id"`
}

// OutboxTx is the part of a database transaction the outbox writes
// through; sqlstore implements it (DB.OutboxTx).
type OutboxTx interface {
	// InsertMail stores m, whose Status is queued, and returns its id.
	InsertMail(ctx context.Context, m Stored) (int64, error)
	// EnqueueJobs enqueues js in the same transaction.
	// Errors: jobs.ErrInvalidJob.
	EnqueueJobs(ctx context.Context, js ...jobs.Job) error
}

// Store is what the sender worker needs; sqlstore implements it (DB.Mail).
type Store interface {
	MailboxStore
	// RecordAttempt records the outcome of a send attempt on a queued
	// message: its new status (queued again when it will be retried),
	// the error if any, and, unless it is still queued, the time it was
	// done. It adds one to Attempts. Errors: ErrNotFound, ErrNotQueued.
	RecordAttempt(ctx context.Context, id int64, a Attempt) error
}

// MailboxStore is what the dev mailbox reads; sqlstore implements it.
type MailboxStore interface {
	// Mail returns one message. Errors: ErrNotFound.
	Mail(ctx context.Context, id int64) (Stored, error)
	// Delivered returns up to limit messages delivered locally, newest
	// first, without their Raw bytes.
	Delivered(ctx context.Context, limit int) ([]Stored, error)
}

// Attempt is the outcome of one send attempt.
type Attempt struct {
	Status Status
	At     time.Time
	Err    string
}

// Queue composes m and writes it to the outbox through tx, together with
// the job that will send it once tx commits. Call it inside the
// transaction of the change that causes the mail: if that rolls back, no
// mail is stored and none is sent. Storing the composed, signed bytes
// rather than the inputs means a retry sends exactly the same message,
// any node can send it without the templates or the key, and the dev
// mailbox shows what the relay would get.
// It returns the stored message (its outbox ID and Message-ID, which a
// caller threading later replies keeps).
// Errors: ErrInvalidMessage, ErrTooLarge, and tx's.
func (ob *Outbox) Queue(ctx context.Context, tx OutboxTx, m Message) (Stored, error) {
	s, err := ob.Compose(m)
	if err != nil {
		return Stored{}, err
	}
	id, err := tx.InsertMail(ctx, s)
	if err != nil {
		return Stored{}, fmt.Errorf("mail: queue: %w", err)
	}
	s.ID = id
	args, err := json.Marshal(sendArgs{ID: id})
	if err != nil {
		return Stored{}, fmt.Errorf("mail: queue: %w", err)
	}
	job := jobs.Job{Kind: SendJob, Args: args, RunAt: s.CreatedAt, MaxAttempts: ob.maxAttempts}
	if err := tx.EnqueueJobs(ctx, job); err != nil {
		return Stored{}, fmt.Errorf("mail: queue: %w", err)
	}
	return s, nil
}

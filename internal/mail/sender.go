package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/jobs"
)

// Transport hands a composed message to the next hop; *Relay implements it.
type Transport interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// SenderOptions configure a Sender.
type SenderOptions struct {
	// Store holds the outbox.
	Store Store
	// Transport sends the messages; nil keeps each one in the dev mailbox
	// instead (development without a relay).
	Transport Transport
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives deliveries and failures; slog.Default when nil.
	Logger *slog.Logger
	// VERP, when set, gives every message its own envelope sender
	// (return path), so that its bounce finds it.
	VERP *VERP
}

// Sender is the mail.send worker.
type Sender struct {
	store     Store
	transport Transport
	now       func() time.Time
	log       *slog.Logger
	verp      *VERP
}

// NewSender returns the worker; register its Handle for SendJob.
func NewSender(o SenderOptions) *Sender {
	s := &Sender{store: o.Store, transport: o.Transport, now: o.Now, log: o.Logger, verp: o.VERP}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// maxErrorLen bounds the relay answer kept on an outbox row.
const maxErrorLen = 1000

// Handle sends the outbox message a SendJob names (jobs.Handler). A message
// no longer queued was handled by an earlier run and is left alone. A
// permanent refusal marks it failed and cancels the job; other errors are
// returned for the runner to retry, and the last attempt's failure marks
// the message failed too.
func (s *Sender) Handle(ctx context.Context, c jobs.Claimed) error {
	var a sendArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || a.ID <= 0 {
		return jobs.Cancel(fmt.Errorf("mail: send job args %q", c.Args))
	}
	m, err := s.store.Mail(ctx, a.ID)
	if errors.Is(err, ErrNotFound) {
		return jobs.Cancel(err)
	}
	if err != nil {
		return err
	}
	if m.Status != StatusQueued {
		return nil
	}
	// Outcomes are recorded even when the runner is shutting down.
	rctx := context.WithoutCancel(ctx)

	if s.transport == nil {
		err := s.store.RecordAttempt(rctx, m.ID, Attempt{Status: StatusDeliveredLocally, At: s.now()})
		if err != nil && !errors.Is(err, ErrNotQueued) {
			return err
		}
		s.log.Info("mail delivered to the dev mailbox", "mail_id", m.ID)
		return nil
	}

	from := m.From
	if s.verp != nil {
		from = s.verp.Address(m.ID)
	}
	sendErr := s.transport.Send(ctx, from, m.To, m.Raw)
	if sendErr == nil {
		err := s.store.RecordAttempt(rctx, m.ID, Attempt{Status: StatusSent, At: s.now()})
		if err != nil && !errors.Is(err, ErrNotQueued) {
			// Retrying would send it twice: give up on the job and keep
			// the reason in its last error.
			s.log.Error("mail sent but not marked sent", "mail_id", m.ID, "err", err)
			return jobs.Cancel(fmt.Errorf("mail: sent message %d, but marking it sent failed: %w", m.ID, err))
		}
		s.log.Info("mail sent", "mail_id", m.ID, "attempt", c.Attempt)
		return nil
	}

	permanent := IsPermanent(sendErr)
	last := c.MaxAttempts > 0 && c.Attempt >= c.MaxAttempts
	att := Attempt{Status: StatusQueued, Err: clip(sendErr.Error(), maxErrorLen)}
	if permanent || last {
		att.Status, att.At = StatusFailed, s.now()
	}
	if err := s.store.RecordAttempt(rctx, m.ID, att); err != nil && !errors.Is(err, ErrNotQueued) {
		s.log.Error("mail: record failed attempt", "mail_id", m.ID, "err", err)
	}
	if permanent {
		s.log.Warn("mail refused permanently", "mail_id", m.ID, "err", sendErr)
		return jobs.Cancel(sendErr)
	}
	s.log.Warn("mail not sent; will retry", "mail_id", m.ID, "attempt", c.Attempt, "last", last, "err", sendErr)
	return sendErr
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

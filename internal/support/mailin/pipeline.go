package mailin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/inbound"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/support"
)

type processArgs struct {
	ID int64 `json:"id"`
}

// Store seals and stores one received message with its safety-net
// processing job, and returns its id. The listener answers "250" only
// after it returns nil.
func (s *Service) Store(ctx context.Context, env Envelope, raw []byte) (int64, error) {
	now := s.o.Now()
	seal := func(id int64) ([]byte, error) { return s.o.Box.Seal(raw, ad(id)) }
	job := func(id int64) jobs.Job {
		args, _ := json.Marshal(processArgs{ID: id})
		return jobs.Job{Kind: ProcessJob, Args: args, RunAt: now.Add(retryDelay), MaxAttempts: 20}
	}
	id, err := s.o.Store.InsertRaw(ctx, env, now, len(raw), seal, job)
	if err != nil {
		return 0, fmt.Errorf("mailin: store: %w", err)
	}
	return id, nil
}

// Deliver stores a message and processes it at once. Once stored, a
// processing error is only logged: the job retries it.
func (s *Service) Deliver(ctx context.Context, env Envelope, raw []byte) (int64, error) {
	id, err := s.Store(ctx, env, raw)
	if err != nil {
		return 0, err
	}
	if err := s.Process(context.WithoutCancel(ctx), id); err != nil {
		s.log.Warn("inbound mail stored; processing will be retried", "raw_id", id, "err", err)
	}
	return id, nil
}

// HandleProcess is the ProcessJob handler.
func (s *Service) HandleProcess(ctx context.Context, c jobs.Claimed) error {
	var a processArgs
	if err := json.Unmarshal(c.Args, &a); err != nil || a.ID <= 0 {
		return jobs.Cancel(fmt.Errorf("mailin: process job args %q", c.Args))
	}
	err := s.Process(ctx, a.ID)
	if errors.Is(err, ErrNotFound) {
		return jobs.Cancel(err)
	}
	return err
}

// Process processes a stored message unless it is already done (or
// being done elsewhere).
func (s *Service) Process(ctx context.Context, id int64) error {
	now := s.o.Now()
	ok, err := s.o.Store.ClaimRaw(ctx, id, now, now.Add(-processLease))
	if err != nil || !ok {
		return err
	}
	r, err := s.o.Store.Raw(ctx, id)
	if err != nil {
		_ = s.o.Store.ReleaseRaw(context.WithoutCancel(ctx), id)
		return err
	}
	out, err := s.process(ctx, r)
	if err != nil {
		if rerr := s.o.Store.ReleaseRaw(context.WithoutCancel(ctx), id); rerr != nil {
			s.log.Error("mailin: release", "raw_id", id, "err", rerr)
		}
		return err
	}
	if err := s.o.Store.FinishRaw(context.WithoutCancel(ctx), id, out, s.o.Now()); err != nil {
		return err
	}
	s.log.Info("inbound mail processed", "raw_id", id, "status", string(out.Status), "note", out.Note,
		"ticket_id", out.TicketID, "outbox_id", out.OutboxID, "remote_ip", r.RemoteIP)
	return nil
}

// Reprocess runs an unparsed message through the pipeline again (after
// a parser fix, say). Errors: ErrNotFound, ErrState.
func (s *Service) Reprocess(ctx context.Context, id int64) (Raw, error) {
	if err := s.o.Store.Requeue(ctx, id); err != nil {
		return Raw{}, err
	}
	if err := s.Process(ctx, id); err != nil {
		return Raw{}, err
	}
	r, err := s.o.Store.Raw(ctx, id)
	r.Sealed = nil
	return r, err
}

// Unparsed lists the messages kept for staff because they could not be
// parsed, oldest first.
func (s *Service) Unparsed(ctx context.Context, limit int) ([]Raw, error) {
	return s.o.Store.ListRaw(ctx, StatusUnparsed, limit)
}

// HandlePurge is the PurgeJob handler.
func (s *Service) HandlePurge(ctx context.Context, _ jobs.Claimed) error {
	now := s.o.Now()
	n, err := s.o.Store.PurgeRaw(ctx, now.Add(-s.o.Retention), now)
	if err != nil {
		return err
	}
	if err := s.o.Store.PruneAcks(ctx, now.Add(-24*time.Hour-s.o.AckWindow)); err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("inbound mail past retention purged", "messages", n)
	}
	return nil
}

// process decides what a message is and hands it on.
func (s *Service) process(ctx context.Context, r Raw) (Outcome, error) {
	raw, err := s.o.Box.Open(r.Sealed, ad(r.ID))
	if err != nil {
		return Outcome{}, fmt.Errorf("mailin: open message %d: %w", r.ID, err)
	}
	m, err := inbound.Parse(raw)
	if err != nil {
		note := "not an email message"
		if !errors.Is(err, inbound.ErrNotMessage) {
			note = "parser failed: " + safeNote(err.Error())
		}
		s.log.Warn("inbound mail kept unparsed for staff", "raw_id", r.ID, "note", note)
		return Outcome{Status: StatusUnparsed, Note: note}, nil
	}
	key := messageKey(m.MessageID)

	if why := s.loop(m); why != "" {
		return Outcome{Status: StatusDropped, Note: why, MessageKey: key}, nil
	}
	verpID := s.verpRecipient(r.To)
	if verpID != 0 || m.Bounce != nil {
		o, err := s.bounce(ctx, r, m, verpID)
		o.MessageKey = key
		return o, err
	}
	if why := s.own(m, raw); why != "" {
		return Outcome{Status: StatusDropped, Note: why, MessageKey: key}, nil
	}
	if key != "" {
		other, err := s.o.Store.FiledWithKey(ctx, key, r.ID)
		if err != nil {
			return Outcome{}, err
		}
		if other != 0 {
			return Outcome{Status: StatusDuplicate, Note: fmt.Sprintf("same Message-ID as message %d", other), MessageKey: key}, nil
		}
	}

	in := s.inboundMail(r, m)
	rec, err := s.o.Desk.ReceiveMail(ctx, in)
	if errors.Is(err, support.ErrInvalid) {
		// Nothing the desk can file (no usable sender): kept for staff.
		note := "the desk cannot file it: " + safeNote(err.Error())
		s.log.Warn("inbound mail kept unparsed for staff", "raw_id", r.ID, "note", note)
		return Outcome{Status: StatusUnparsed, Note: note, MessageKey: key}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("mailin: desk: %w", err)
	}
	if rec.Duplicate {
		return Outcome{Status: StatusDuplicate, Note: "the desk already has this Message-ID", MessageKey: key, TicketID: rec.TicketID}, nil
	}
	o := Outcome{Status: StatusFiled, MessageKey: key, TicketID: rec.TicketID}
	switch {
	case rec.New && rec.LinkedTo != 0:
		o.Note = fmt.Sprintf("new ticket #%d following #%d", rec.Number, rec.LinkedTo)
	case rec.New:
		o.Note = fmt.Sprintf("new ticket #%d", rec.Number)
	case rec.Reopened:
		o.Note = fmt.Sprintf("reopened ticket #%d", rec.Number)
	default:
		o.Note = fmt.Sprintf("added to ticket #%d", rec.Number)
	}
	if in.Automated {
		o.Note += "; automated (" + safeNote(m.AutoReplyReason) + "), not acknowledged"
	} else if rec.New {
		o.Note += s.acknowledge(ctx, r, in, rec)
	}
	return o, nil
}

// acknowledge acknowledges a new ticket within the rate limits and says
// what it did, for the note.
func (s *Service) acknowledge(ctx context.Context, r Raw, in support.InboundMail, rec support.Received) string {
	to := strings.ToLower(in.From.Address)
	if to == "" {
		return "; no sender to acknowledge"
	}
	window := s.o.Now().Truncate(s.o.AckWindow)
	counters, limits := []string{"rcpt:" + to}, []int{s.o.AckPerRecipient}
	if r.RemoteIP != "" {
		counters, limits = append(counters, "ip:"+r.RemoteIP), append(limits, s.o.AckPerIP)
	}
	ok, err := s.o.Store.CountAck(ctx, window, counters, limits)
	if err != nil {
		s.log.Error("mailin: ack counter", "raw_id", r.ID, "err", err)
		return "; not acknowledged (counter error)"
	}
	if !ok {
		s.log.Warn("acknowledgement rate limit reached", "raw_id", r.ID, "ticket_id", rec.TicketID, "remote_ip", r.RemoteIP)
		return "; not acknowledged (rate limit)"
	}
	if err := s.o.Desk.Acknowledge(ctx, rec.TicketID); err != nil {
		s.log.Error("mailin: acknowledge", "raw_id", r.ID, "ticket_id", rec.TicketID, "err", err)
		return "; acknowledgement failed"
	}
	return "; acknowledged"
}

// inboundMail is what the desk gets.
func (s *Service) inboundMail(r Raw, m *inbound.Message) support.InboundMail {
	in := support.InboundMail{
		MessageID:  m.MessageID,
		InReplyTo:  m.InReplyTo,
		References: m.References,
		From:       mail.Address{Name: m.From.Name, Address: m.From.Address},
		Verified:   s.verified(m),
		Mailbox:    support.MailboxSupport,
		Subject:    m.Subject,
		Text:       m.NewText,
		Automated:  m.Automated(),
		Urgent:     inbound.Urgent(m.Subject),
		RawID:      r.ID,
		ReceivedAt: r.ReceivedAt,
	}
	for _, a := range m.To {
		in.To = append(in.To, strings.ToLower(a.Address))
	}
	for _, a := range m.Cc {
		in.Cc = append(in.Cc, strings.ToLower(a.Address))
	}
	// A transaction to both mailboxes is one complaint.
	for _, to := range r.To {
		if mb, ok := s.o.Mailboxes[to]; ok && mb == support.MailboxComplaints {
			in.Mailbox = support.MailboxComplaints
		}
	}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, support.Attachment{Name: a.Filename, ContentType: a.ContentType, Data: a.Data})
	}
	return in
}

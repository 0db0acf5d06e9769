package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/jobs"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
)

// MaxLoggedBody is how much of a response body the log keeps.
const MaxLoggedBody = 2048

// maxErrorText bounds an attempt's error text.
const maxErrorText = 500

// drainLimit is how much more of a response is read, unlogged, so the
// connection can be reused; a longer body closes it.
const drainLimit = 64 << 10

// UserAgent is sent with every delivery.
const UserAgent = "OKPay-Webhooks/1"

// Deliver is the DeliverJob handler: it makes one attempt of a delivery,
// logs it, and then marks the delivery succeeded (2xx), failed (a manual
// resend, RetryFor passed, or the endpoint disabled) or queues the next
// attempt after Backoff — never past the RetryFor deadline. A job whose
// attempt was already recorded does nothing, so the runner's at-least-once
// execution logs each attempt once.
func (s *Service) Deliver(ctx context.Context, c jobs.Claimed) error {
	var args deliverArgs
	if err := json.Unmarshal(c.Args, &args); err != nil || args.Delivery <= 0 || args.Attempt <= 0 {
		return jobs.Cancel(fmt.Errorf("webhook: bad job args %q", c.Args))
	}
	var (
		d        Delivery
		ev       Event
		e        Endpoint
		endpoint error
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if d, err = tx.Delivery(ctx, args.Delivery); err != nil {
			return err
		}
		if ev, err = tx.Event(ctx, d.EventID); err != nil {
			return err
		}
		e, endpoint = tx.Endpoint(ctx, d.EndpointID)
		if endpoint != nil && !errors.Is(endpoint, ErrNotFound) {
			return endpoint
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return jobs.Cancel(fmt.Errorf("webhook: delivery %d: %w", args.Delivery, err))
	case err != nil:
		return fmt.Errorf("webhook: delivery %d: %w", args.Delivery, err)
	case d.Status != Pending || d.Attempts >= args.Attempt:
		return nil // already done: this job ran before
	}
	log := s.log.With("delivery", d.ID, "event", d.EventID, "endpoint", d.EndpointID, "attempt", args.Attempt)

	if endpoint != nil || e.Status != Enabled {
		return s.fail(ctx, d, "endpoint disabled")
	}
	now := s.now()
	secrets, err := s.secrets(e, now)
	if err != nil {
		// The master key changed: no attempt can ever be signed.
		log.Error("webhook: cannot open the endpoint secret", "err", err)
		return s.fail(ctx, d, "endpoint secret cannot be opened")
	}

	a := s.post(ctx, e.URL, ev.Payload, okwebhook.Sign(ev.Payload, now, secrets...), now)
	a.DeliveryID, a.Number = d.ID, args.Attempt

	d.Attempts = args.Attempt
	d.LastStatus, d.LastError = a.Status, a.Error
	d.UpdatedAt = s.now().UTC()
	d.NextAttemptAt = time.Time{} // none, unless a retry is queued
	var next []jobs.Job
	switch deadline := d.CreatedAt.Add(s.retryFor); {
	case a.Succeeded():
		d.Status = Succeeded
	case d.Manual || !d.UpdatedAt.Before(deadline):
		d.Status = Failed
	default:
		at := d.UpdatedAt.Add(s.backoff(args.Attempt))
		if at.After(deadline) {
			at = deadline // one last attempt when the window closes
		}
		d.NextAttemptAt = at
		next = append(next, deliverJob(d.ID, args.Attempt+1, at))
	}
	disabled := false
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.RecordAttempt(ctx, d, a); err != nil {
			return err
		}
		failing, err := tx.EndpointHealth(ctx, e.ID, a.Succeeded(), d.UpdatedAt)
		if err != nil {
			return err
		}
		if !failing.IsZero() && s.disableAfter > 0 && d.UpdatedAt.Sub(failing) >= s.disableAfter {
			if disabled, err = tx.DisableFailing(ctx, e.ID, d.UpdatedAt); err != nil {
				return err
			}
			if disabled {
				args, _ := json.Marshal(noticeArgs{Endpoint: e.ID}) // cannot fail
				next = append(next, jobs.Job{Kind: DisabledNoticeJob, Args: args, RunAt: d.UpdatedAt,
					UniqueKey: DisabledNoticeJob + ":" + e.ID + ":" + strconv.FormatInt(d.UpdatedAt.UnixNano(), 10)})
			}
		}
		return tx.EnqueueJobs(ctx, next...)
	})
	switch {
	case errors.Is(err, ErrConflict):
		return nil // another run of this job recorded the attempt
	case err != nil:
		return fmt.Errorf("webhook: record attempt: %w", err)
	}
	if disabled {
		log.Warn("webhook endpoint disabled: every attempt failed", "for", s.disableAfter)
	}
	switch d.Status {
	case Succeeded:
		log.Debug("webhook delivered", "status", a.Status)
	case Failed:
		log.Warn("webhook delivery failed for good", "status", a.Status, "err", a.Error)
	default:
		log.Info("webhook attempt failed, will retry", "status", a.Status, "err", a.Error, "at", d.NextAttemptAt)
	}
	return nil
}

// fail marks d failed without an attempt.
func (s *Service) fail(ctx context.Context, d Delivery, reason string) error {
	err := s.store.InTx(ctx, func(tx Tx) error { return tx.FailDelivery(ctx, d.ID, reason, s.now().UTC()) })
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("webhook: fail delivery %d: %w", d.ID, err)
	}
	return nil
}

// post sends one attempt and reports it; it never returns an error, since
// every failure is the attempt's outcome.
func (s *Service) post(ctx context.Context, url string, body []byte, sig string, at time.Time) (a Attempt) {
	a = Attempt{At: at.UTC(), URL: url, Signature: sig}
	defer func() { a.Duration = max(s.now().Sub(at), 0) }() // sets the result
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Error = clean(err.Error(), maxErrorText)
		return a
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(okwebhook.SignatureHeader, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		a.Error = clean(describe(err), maxErrorText)
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxLoggedBody))
	a.Body = clean(string(b), MaxLoggedBody)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	case rerr != nil:
		a.Error = clean("reading the response: "+describe(rerr), maxErrorText) // not acknowledged in full
	}
	return a
}

// describe says why a request failed, without Go's "Post \"url\":" prefix.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return "address is not public"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return "timeout"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}

// clean makes s fit a text column: valid UTF-8, no NUL bytes, at most n
// bytes, cut on a character boundary.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

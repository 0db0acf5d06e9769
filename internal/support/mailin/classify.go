package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/okpay/okpay/internal/inbound"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/redact"
)

// loop reports why m is part of a mail loop, or "".
func (s *Service) loop(m *inbound.Message) string {
	if s.o.OwnDomain != "" {
		for _, v := range m.Header.Values(mail.LoopHeader) {
			if strings.EqualFold(strings.TrimSpace(v), s.o.OwnDomain) {
				return "mail loop: carries our loop marker"
			}
		}
	}
	if n := len(m.Header.Values("Received")); n > s.o.MaxReceived {
		return fmt.Sprintf("mail loop: %d Received headers (at most %d)", n, s.o.MaxReceived)
	}
	return ""
}

// own reports why m is mail we sent ourselves, or "": our Message-ID
// domain, our sender address, or a From in our domain with our valid
// DKIM signature. Answering it would start a loop.
func (s *Service) own(m *inbound.Message, raw []byte) string {
	if s.o.OwnDomain != "" && strings.HasSuffix(strings.ToLower(m.MessageID), "@"+s.o.OwnDomain) {
		return "our own mail (Message-ID)"
	}
	from := strings.ToLower(m.From.Address)
	if from != "" && from == s.o.OwnFrom {
		return "our own sender address"
	}
	if s.o.DKIM != nil && strings.HasSuffix(from, "@"+strings.ToLower(s.o.DKIM.Domain())) && s.ourSignature(raw) {
		return "our own mail (DKIM)"
	}
	return ""
}

// ourSignature reports a valid DKIM signature by our key on raw; the key
// is our own, no DNS is asked.
func (s *Service) ourSignature(raw []byte) bool {
	d := s.o.DKIM
	lookup := func(name string) ([]string, error) {
		if strings.EqualFold(name, d.RecordName()) {
			return []string{d.RecordValue()}, nil
		}
		return nil, &net.DNSError{Err: "not ours", Name: name, IsNotFound: true}
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: 5})
	if err != nil {
		return false
	}
	for _, v := range vs {
		if v.Err == nil && strings.EqualFold(v.Domain, d.Domain()) {
			return true
		}
	}
	return false
}

// verified reports a trusted dmarc=pass for m's From domain: only the
// topmost Authentication-Results counts (the one our MTA added), and only
// with our MTA's authserv-id.
func (s *Service) verified(m *inbound.Message) bool {
	if s.o.AuthServID == "" || len(m.AuthenticationResults) == 0 || m.From.Address == "" {
		return false
	}
	id, results, err := authres.Parse(m.AuthenticationResults[0])
	if err != nil || !strings.EqualFold(id, s.o.AuthServID) {
		return false
	}
	domain := strings.ToLower(m.From.Address[strings.LastIndexByte(m.From.Address, '@')+1:])
	for _, r := range results {
		if d, ok := r.(*authres.DMARCResult); ok && d.Value == authres.ResultPass &&
			(d.From == "" || strings.EqualFold(d.From, domain)) {
			return true
		}
	}
	return false
}

// verpRecipient returns the outbox id of the first return path among the
// recipients, or 0.
func (s *Service) verpRecipient(to []string) int64 {
	if s.o.VERP == nil {
		return 0
	}
	for _, a := range to {
		if id, ok := s.o.VERP.Parse(a); ok {
			return id
		}
	}
	return 0
}

// bounce handles a delivery report, or any mail to a return path: it
// never opens a ticket. A permanent failure marks the outbox message
// failed and tells the desk.
func (s *Service) bounce(ctx context.Context, r Raw, m *inbound.Message, verpID int64) (Outcome, error) {
	b := m.Bounce
	if b == nil {
		// Mail to a return path that is not a report: an autoresponder
		// answering the envelope sender (RFC 3834), or noise.
		return Outcome{Status: StatusDropped, Note: fmt.Sprintf("mail to the return path of outbox %d that is not a delivery report", verpID)}, nil
	}
	id := verpID
	if id == 0 && s.o.VERP != nil {
		for _, a := range []string{b.OriginalReturnPath, b.EnvelopeTo} {
			if v, ok := s.o.VERP.Parse(a); ok {
				id = v
				break
			}
		}
	}
	if id == 0 && b.OriginalMessageID != "" {
		v, err := s.o.Bounces.MailIDByMessageID(ctx, b.OriginalMessageID)
		switch {
		case err == nil:
			id = v
		case !errors.Is(err, mail.ErrNotFound):
			return Outcome{}, err
		}
	}
	if id == 0 {
		return Outcome{Status: StatusBounce, Note: "bounce of a message we did not send"}, nil
	}
	reason := bounceReason(b)
	if !b.Permanent() {
		return Outcome{Status: StatusBounce, OutboxID: id, Note: fmt.Sprintf("delay warning for outbox %d: %s", id, reason)}, nil
	}
	changed, err := s.o.Bounces.MarkBounced(ctx, id, reason, s.o.Now())
	if errors.Is(err, mail.ErrNotFound) {
		return Outcome{Status: StatusBounce, Note: fmt.Sprintf("bounce of outbox %d, which does not exist", id)}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	// The desk's MarkBounced is idempotent: called again after a crash
	// between the two, it records the bounce once.
	if err := s.o.Desk.MarkBounced(ctx, id, reason); err != nil {
		return Outcome{}, fmt.Errorf("mailin: desk: mark bounced: %w", err)
	}
	note := fmt.Sprintf("outbox %d failed: %s", id, reason)
	if !changed {
		note = fmt.Sprintf("outbox %d had already failed: %s", id, reason)
	}
	return Outcome{Status: StatusBounce, OutboxID: id, Note: note}, nil
}

// bounceReason is the first failed recipient's status and diagnostic,
// redacted and clipped.
func bounceReason(b *inbound.Bounce) string {
	for _, pass := range []bool{true, false} {
		for _, r := range b.Recipients {
			if pass && r.Action != "failed" && !strings.HasPrefix(r.Status, "5") {
				continue
			}
			parts := []string{}
			for _, p := range []string{r.Address, r.Status, r.Diagnostic} {
				if p != "" {
					parts = append(parts, p)
				}
			}
			if len(parts) > 0 {
				return safeNote(strings.Join(parts, " "))
			}
		}
	}
	return "undeliverable"
}

// messageKey is a digest of a Message-ID, written in the letters a to p
// (no digits, so no number can ever show in it).
func messageKey(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	out := make([]byte, 0, 2*len(sum))
	for _, c := range sum[:20] {
		out = append(out, 'a'+c>>4, 'a'+c&0x0f)
	}
	return string(out)
}

// safeNote makes text fit for a row or a log: redacted, one line, short.
func safeNote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s, _ = redact.Text(s)
	const max = 300
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

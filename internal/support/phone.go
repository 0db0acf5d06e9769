package support

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
)

// The phone desk (SUP-4): customers ask to be called back, which opens a
// phone ticket for the agents; agents log each call on a ticket.

// KindCall is a call an agent logged: staff only, like a note.
const KindCall Kind = "call"

// TagCallback marks tickets opened by a callback request.
const TagCallback = "callback"

// Call directions.
const (
	CallIn  = "in"  // the customer called us
	CallOut = "out" // we called the customer
)

// Limits of the phone desk.
const (
	// CallbackHorizon is how far ahead a callback may be asked for.
	CallbackHorizon = 30 * 24 * time.Hour
	// MaxCallLength bounds a logged call: longer is a typing mistake.
	MaxCallLength = 8 * time.Hour
	MaxNoteLen    = 2000 // runes, a callback request's note
)

// CallbackRequest is a customer's request to be called.
type CallbackRequest struct {
	UserID      int64  // the signed-in customer, or 0 for a visitor
	Email, Name string // a visitor's: the acknowledgement goes there
	Language    string // the page language
	Phone       string // as typed: "+86 138 0000 0000"
	// At is the preferred time; Zone names the customer's time zone it
	// was chosen in, so the agent can say "your 19:00".
	At   time.Time
	Zone *time.Location
	// Line is the phone line the customer wants ("phone-en"), and
	// LineZone the zone its hours are kept in (the agents').
	Line     string
	LineZone *time.Location
	Note     string
	IP       string
}

// NormalizePhone returns a phone number as + and digits ("+8613800000000"),
// or false when it is not a plausible international or national number.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", false
		}
	}
	n := strings.TrimPrefix(b.String(), "+")
	if len(n) < 7 || len(n) > 15 {
		return "", false
	}
	return b.String(), true
}

// RequestCallback opens a phone ticket asking an agent to call the
// customer back at the time they chose, and queues its acknowledgement.
// Bad input changes nothing. Errors: *FieldError (phone, time, email,
// body), ErrRateLimited.
func (s *Service) RequestCallback(ctx context.Context, r CallbackRequest) (Opened, error) {
	phone, ok := NormalizePhone(r.Phone)
	if !ok {
		return Opened{}, invalid("phone", "invalid")
	}
	now := s.nowUTC()
	switch {
	case r.At.IsZero():
		return Opened{}, invalid("time", "required")
	case !r.At.After(now):
		return Opened{}, invalid("time", "past")
	case r.At.Sub(now) > CallbackHorizon:
		return Opened{}, invalid("time", "too_far")
	}
	var note string
	var nf redact.Findings
	if strings.TrimSpace(r.Note) != "" {
		var err error
		if note, nf, err = cleanText("body", r.Note, MaxNoteLen, true); err != nil {
			return Opened{}, err
		}
	}
	var email string
	if r.UserID == 0 {
		var err error
		if email, err = normEmail(r.Email); err != nil {
			return Opened{}, err
		}
	}
	zone, lineZone := r.Zone, r.LineZone
	if zone == nil {
		zone = s.cal.Location()
	}
	if lineZone == nil {
		lineZone = s.cal.Location()
	}
	lang := r.Language
	if lang != "en" {
		lang = "zh-CN"
	}
	when := r.At.In(zone).Format("2006-01-02 15:04 MST")
	subject := "回电请求 " + phone + " · " + when
	if lang == "en" {
		subject = "Callback request " + phone + " · " + when
	}
	body := "Phone: " + phone + "\n" +
		"Preferred time: " + when + " (" + zone.String() + ")\n" +
		"Agents' time: " + r.At.In(lineZone).Format("2006-01-02 15:04 MST") + " (" + lineZone.String() + ")\n"
	if r.Line != "" {
		body += "Line: " + clip(oneLine(r.Line), 40) + "\n"
	}
	if note != "" {
		body += "\n" + note
	}
	var out Opened
	err := s.store.InTx(ctx, func(tx Tx) error {
		tk := Ticket{Subject: clip(subject, MaxSubjectLen), Category: CatOther, Priority: PrioNormal, Status: StatusNew, Channel: ChannelPhone,
			Mailbox: MailboxSupport, Queue: QueueGeneral, CreatedAt: now, UpdatedAt: now, Language: lang, Tags: []string{TagCallback}}
		keys := []string{"ip:" + r.IP}
		limit := s.cfg.FormLimit
		if r.UserID > 0 {
			c, err := tx.CustomerByID(ctx, r.UserID)
			if err != nil {
				return err
			}
			tk.RequesterID, tk.RequesterEmail = c.ID, c.Email
			if c.Locale != "" {
				tk.Language = c.Locale
			}
			keys, limit = []string{"user:" + itoa(c.ID)}, limit*4
		} else {
			name, _ := redact.Text(clip(oneLine(r.Name), 100))
			tk.RequesterEmail, tk.RequesterName = email, name
			keys = append(keys, "email:"+email)
			if _, err := tx.CustomerByEmail(ctx, email); err == nil {
				// As with the form: the request does not prove who asks.
				tk.Unverified = true
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if _, err := s.fileTicket(ctx, tx, &tk, formIntake{keys: keys, ip: r.IP, limit: limit, channel: ChannelPhone,
			author: r.UserID, body: body, findings: nf, at: now}); err != nil {
			return err
		}
		if nf != 0 {
			if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, nf.String()); err != nil {
				return err
			}
		}
		if err := s.ackTx(ctx, tx, &tk); err != nil {
			return err
		}
		out = Opened{Ticket: tk, Findings: nf}
		return nil
	})
	return out, err
}

// Call is a call an agent logs on a ticket.
type Call struct {
	Direction string // CallIn or CallOut
	Duration  time.Duration
	Summary   string
}

// CallDetail is how a call's direction and length are kept on its
// message ("out:330", seconds); ParseCallDetail reads it back.
func CallDetail(direction string, d time.Duration) string {
	return direction + ":" + strconv.FormatInt(int64(d/time.Second), 10)
}

// ParseCallDetail reads a KindCall message's Detail.
func ParseCallDetail(detail string) (direction string, d time.Duration, ok bool) {
	dir, secs, found := strings.Cut(detail, ":")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !found || err != nil || (dir != CallIn && dir != CallOut) {
		return "", 0, false
	}
	return dir, time.Duration(n) * time.Second, true
}

// LogCall records a call on a ticket's timeline, visible to staff only,
// its summary passed through the sensitive-data guard. Talking to the
// customer answers them: the first call stamps the first response.
// Errors: ErrForbidden, *FieldError (direction, duration, body),
// ErrNotFound, ErrState (merged).
func (s *Service) LogCall(ctx context.Context, a auth.Actor, number int64, c Call) (redact.Findings, error) {
	if c.Direction != CallIn && c.Direction != CallOut {
		return 0, invalid("direction", "invalid")
	}
	if c.Duration <= 0 || c.Duration > MaxCallLength {
		return 0, invalid("duration", "invalid")
	}
	summary, f, err := cleanText("body", c.Summary, MaxBodyLen, true)
	if err != nil {
		return 0, err
	}
	err = s.staffTx(ctx, a, auth.ActionSupportWork, number, func(tx Tx, tk *Ticket) error {
		if tk.MergedInto != 0 {
			return ErrState
		}
		now := s.nowUTC()
		m := Message{TicketID: tk.ID, Kind: KindCall, AuthorID: a.UserID, Body: summary, Event: "call",
			Detail: CallDetail(c.Direction, c.Duration.Truncate(time.Second)), Findings: f, CreatedAt: now}
		if _, err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if f != 0 {
			if err := s.event(ctx, tx, tk.ID, 0, EventRedacted, f.String()); err != nil {
				return err
			}
		}
		if tk.FirstResponseAt.IsZero() {
			tk.FirstResponseAt = now
		}
		if tk.AssigneeID == 0 {
			tk.AssigneeID = a.UserID
		}
		if tk.Status == StatusNew {
			return s.setStatus(ctx, tx, tk, a, StatusOpen)
		}
		return nil
	})
	return f, err
}

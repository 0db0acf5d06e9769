// Package announce owns announcements (HLP-2): maintenance windows and
// changes to the support hours, written by staff in Chinese and English,
// each with the window in which it is current. The site shows the current
// ones as a banner on every page, lists them and publishes them as an Atom
// feed.
//
// Invariants it keeps:
//   - Only supervisors and admins create or end announcements, and each
//     change is audited in the transaction that makes it.
//   - An announcement is current exactly while Starts <= now < Ends, by the
//     injected clock; ending one early moves Ends to now, nothing is
//     deleted, so the feed's history stays whole.
//   - Text is stored as written (the pages escape it); it is never HTML.
//
// The package knows no SQL or HTTP: sqlstore implements Store.
package announce

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
)

// Errors returned by the package.
var (
	ErrNotFound  = errors.New("announce: not found")
	ErrForbidden = errors.New("announce: not allowed")
	// ErrInvalid: bad input; the *FieldError says which field.
	ErrInvalid = errors.New("announce: invalid input")
)

// FieldError is a validation error on one input field; it wraps ErrInvalid.
type FieldError struct {
	Field string // "kind", "title", "body", "starts", "ends"
	Code  string // "required", "too_long", "invalid", "before_start", "past", "too_long_window"
}

func (e *FieldError) Error() string { return "announce: " + e.Field + ": " + e.Code }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Kind is what an announcement is about.
type Kind string

// Kinds.
const (
	KindMaintenance Kind = "maintenance" // the service or part of it is down
	KindHours       Kind = "hours"       // support hours change (a holiday, a new line)
	KindNotice      Kind = "notice"      // anything else worth a banner
)

// Kinds lists the kinds in the order forms show them.
var Kinds = []Kind{KindMaintenance, KindHours, KindNotice}

// Limits on what one announcement holds.
const (
	MaxTitleLen = 120
	MaxBodyLen  = 2000
	// MaxWindow is the longest an announcement may stay current: a banner
	// that never goes away is no longer read.
	MaxWindow = 90 * 24 * time.Hour
)

// Announcement is one announcement.
type Announcement struct {
	ID               int64
	Kind             Kind
	TitleZh, TitleEn string
	BodyZh, BodyEn   string
	Starts, Ends     time.Time
	CreatedBy        int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Title returns the title in lang ("zh-CN" or "en"), falling back to the
// other language when it was written in one only.
func (a Announcement) Title(lang string) string { return pick(lang, a.TitleZh, a.TitleEn) }

// Body is Title for the body.
func (a Announcement) Body(lang string) string { return pick(lang, a.BodyZh, a.BodyEn) }

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" || zh == "" {
		return en
	}
	return zh
}

// CurrentAt reports whether a is current at t.
func (a Announcement) CurrentAt(t time.Time) bool { return !t.Before(a.Starts) && t.Before(a.Ends) }

// Store keeps announcements; sqlstore implements it (DB.Announcements).
type Store interface {
	// InTx runs fn in one read-write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Announcements lists those ending after endsAfter, latest start
	// first, at most limit.
	Announcements(ctx context.Context, endsAfter time.Time, limit int) ([]Announcement, error)
}

// Tx is one transaction.
type Tx interface {
	// Insert stores a (ID ignored) and returns its id.
	Insert(ctx context.Context, a Announcement) (int64, error)
	// Announcement returns one. Errors: ErrNotFound.
	Announcement(ctx context.Context, id int64) (Announcement, error)
	// SetEnds moves an announcement's end.
	SetEnds(ctx context.Context, id int64, ends, updated time.Time) error
	Audit() audit.Appender
}

// Options configure a Service.
type Options struct {
	Store Store
	Now   func() time.Time // nil: time.Now
}

// Service manages announcements. It is safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time

	mu       sync.Mutex
	cachedAt time.Time
	cached   []Announcement // those not ended at cachedAt
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Draft is what staff write.
type Draft struct {
	Kind             Kind
	TitleZh, TitleEn string
	BodyZh, BodyEn   string
	Starts, Ends     time.Time
}

// Request says where a staff action came from, for the audit log.
type Request struct {
	IP, UserAgent string
}

func manager(a auth.Actor) error {
	if auth.Authorize(a, auth.ActionAnnounce, auth.Resource{Kind: "announcement"}) != nil {
		return ErrForbidden
	}
	return nil
}

func clean(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", &FieldError{field, "invalid"}
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if utf8.RuneCountInString(s) > max {
		return "", &FieldError{field, "too_long"}
	}
	if required && s == "" {
		return "", &FieldError{field, "required"}
	}
	return s, nil
}

// Create stores a new announcement. Errors: ErrForbidden, *FieldError.
func (s *Service) Create(ctx context.Context, a auth.Actor, r Request, d Draft) (Announcement, error) {
	if err := manager(a); err != nil {
		return Announcement{}, err
	}
	valid := false
	for _, k := range Kinds {
		valid = valid || k == d.Kind
	}
	if !valid {
		return Announcement{}, &FieldError{"kind", "required"}
	}
	var err error
	n := Announcement{Kind: d.Kind}
	if n.TitleZh, err = clean("title", d.TitleZh, MaxTitleLen, false); err != nil {
		return Announcement{}, err
	}
	if n.TitleEn, err = clean("title", d.TitleEn, MaxTitleLen, n.TitleZh == ""); err != nil {
		return Announcement{}, err
	}
	if n.BodyZh, err = clean("body", d.BodyZh, MaxBodyLen, false); err != nil {
		return Announcement{}, err
	}
	if n.BodyEn, err = clean("body", d.BodyEn, MaxBodyLen, false); err != nil {
		return Announcement{}, err
	}
	now := s.now().UTC()
	switch {
	case d.Starts.IsZero():
		return Announcement{}, &FieldError{"starts", "required"}
	case d.Ends.IsZero():
		return Announcement{}, &FieldError{"ends", "required"}
	case !d.Ends.After(d.Starts):
		return Announcement{}, &FieldError{"ends", "before_start"}
	case !d.Ends.After(now):
		return Announcement{}, &FieldError{"ends", "past"}
	case d.Ends.Sub(d.Starts) > MaxWindow:
		return Announcement{}, &FieldError{"ends", "too_long_window"}
	}
	n.Starts, n.Ends = d.Starts.UTC(), d.Ends.UTC()
	n.CreatedBy, n.CreatedAt, n.UpdatedAt = a.UserID, now, now
	err = s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if n.ID, err = tx.Insert(ctx, n); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Audit(), audit.Event{
			ActorID: a.UserID, ActorRole: string(a.Role), Action: "announcement_created",
			TargetType: "announcement", TargetID: strconv.FormatInt(n.ID, 10), IP: r.IP, UserAgent: r.UserAgent,
			Details: map[string]string{"kind": string(n.Kind), "starts": n.Starts.Format(time.RFC3339), "ends": n.Ends.Format(time.RFC3339)},
		})
	})
	if err != nil {
		return Announcement{}, err
	}
	s.forget()
	return n, nil
}

// End ends a current or future announcement now (a maintenance finished
// early); one already over is left alone. Errors: ErrForbidden, ErrNotFound.
func (s *Service) End(ctx context.Context, a auth.Actor, r Request, id int64) error {
	if err := manager(a); err != nil {
		return err
	}
	now := s.now().UTC()
	err := s.store.InTx(ctx, func(tx Tx) error {
		an, err := tx.Announcement(ctx, id)
		if err != nil {
			return err
		}
		if !an.Ends.After(now) {
			return nil
		}
		if err := tx.SetEnds(ctx, id, now, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Audit(), audit.Event{
			ActorID: a.UserID, ActorRole: string(a.Role), Action: "announcement_ended",
			TargetType: "announcement", TargetID: strconv.FormatInt(id, 10), IP: r.IP, UserAgent: r.UserAgent,
			Details: map[string]string{"was_ending": an.Ends.Format(time.RFC3339)},
		})
	})
	if err == nil {
		s.forget()
	}
	return err
}

// cacheFor is how long Current reuses what it read: every page asks, and
// an announcement made on another node shows within this.
const cacheFor = 30 * time.Second

func (s *Service) forget() {
	s.mu.Lock()
	s.cachedAt, s.cached = time.Time{}, nil
	s.mu.Unlock()
}

// Current returns the announcements current now, latest start first.
func (s *Service) Current(ctx context.Context) ([]Announcement, error) {
	now := s.now().UTC()
	s.mu.Lock()
	fresh := !s.cachedAt.IsZero() && !now.Before(s.cachedAt) && now.Sub(s.cachedAt) < cacheFor
	list := s.cached
	s.mu.Unlock()
	if !fresh {
		var err error
		if list, err = s.store.Announcements(ctx, now, 100); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.cachedAt, s.cached = now, list
		s.mu.Unlock()
	}
	var out []Announcement
	for _, a := range list {
		if a.CurrentAt(now) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Recent lists announcements that ended less than 90 days ago, are
// current or are still to come, latest start first: the page and the feed.
func (s *Service) Recent(ctx context.Context, limit int) ([]Announcement, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.Announcements(ctx, s.now().UTC().Add(-MaxWindow), limit)
}

// Now is the service's clock, for pages that say what is current.
func (s *Service) Now() time.Time { return s.now() }

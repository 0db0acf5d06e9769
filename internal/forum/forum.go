// Package forum is the community forum (HLP-3): topics and replies by
// signed-in customers, read by anyone; categories; search over its own
// small term index (CJK bigrams, so two-character Chinese queries such as
// 退款 find posts); an accepted answer chosen by the topic's author or by
// staff; reports from readers and the staff's moderation (hide a post or a
// topic, lock a topic, ban a member from posting for a reason and an
// optional end).
//
// Invariants it keeps:
//   - Every text a member writes (title, post, report reason) passes the
//     sensitive-data guard (redact.Text) before it is stored, and the
//     author is told what was masked: no forum table holds a full card
//     number, security code, password or identity number.
//   - Posting is refused, and nothing is stored, to a banned member, into a
//     locked or hidden topic, and beyond the rate limits. The limits are
//     counted from the posts table in the posting transaction, after
//     taking the member's row lock, so they hold across nodes and under
//     concurrency; staff are not limited.
//   - Hidden posts and topics are shown to staff only, are left out of
//     listings, counts and search for everyone else, and never become
//     the accepted answer.
//   - Every moderation action is recorded in the audit log in the
//     transaction that makes it.
//   - Text is stored as plain text; Paragraphs splits it for display and
//     links only http and https URLs. The forum stores no HTML.
//
// The package knows no SQL or HTTP: sqlstore implements Store.
package forum

import (
	"errors"
	"time"

	"github.com/okpay/okpay/internal/auth"
)

// Errors returned by the package.
var (
	ErrNotFound = errors.New("forum: not found")
	// ErrForbidden: the actor may not do this (not the author, not staff).
	ErrForbidden = errors.New("forum: not allowed")
	// ErrInvalid: bad input; the *FieldError says which field.
	ErrInvalid = errors.New("forum: invalid input")
	// ErrLocked: the topic is locked (or hidden): no replies, edits or
	// new accepted answer.
	ErrLocked = errors.New("forum: topic locked")
	// ErrBanned: the member is banned from posting; the *BanError says
	// why and until when.
	ErrBanned = errors.New("forum: banned from posting")
	// ErrRateLimited: too many posts too fast; the *RateLimitError says
	// when the member may post again.
	ErrRateLimited = errors.New("forum: too many posts")
	// ErrDuplicate: the store's answer to a second open report of one
	// post by one member (Report treats it as done).
	ErrDuplicate = errors.New("forum: duplicate")
)

// FieldError is a validation error on one input field; it wraps ErrInvalid.
type FieldError struct {
	Field string // "title", "body", "category", "reason", "until", "user", "post"
	Code  string // "required", "too_long", "too_short", "invalid"
}

func (e *FieldError) Error() string { return "forum: " + e.Field + ": " + e.Code }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, code string) error { return &FieldError{Field: field, Code: code} }

// BanError is the refusal of a banned member; it wraps ErrBanned.
type BanError struct {
	Reason string
	Until  time.Time // zero: until staff lift it
}

func (e *BanError) Error() string { return "forum: banned from posting" }
func (e *BanError) Unwrap() error { return ErrBanned }

// RateLimitError is the refusal of a post over a limit; it wraps
// ErrRateLimited.
type RateLimitError struct {
	RetryAt time.Time // the member may post again from then
}

func (e *RateLimitError) Error() string {
	return "forum: too many posts, retry at " + e.RetryAt.UTC().Format(time.RFC3339)
}
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// Limits are the anti-spam limits. A member whose account is younger than
// NewAccountAge gets the New* limits.
type Limits struct {
	TopicsPerHour      int
	RepliesPerMinute   int
	RepliesPerHour     int
	NewAccountAge      time.Duration
	NewTopicsPerHour   int
	NewRepliesPerMin   int
	NewRepliesPerHour  int
	ReportsPerHour     int
	MaxReportsPerQueue int
}

// DefaultLimits: five topics an hour and three replies a minute (sixty an
// hour); in an account's first three days one topic an hour and one reply
// a minute (twenty an hour), which is plenty for a person asking for help
// and little for a spammer.
var DefaultLimits = Limits{
	TopicsPerHour:      5,
	RepliesPerMinute:   3,
	RepliesPerHour:     60,
	NewAccountAge:      72 * time.Hour,
	NewTopicsPerHour:   1,
	NewRepliesPerMin:   1,
	NewRepliesPerHour:  20,
	ReportsPerHour:     20,
	MaxReportsPerQueue: 200,
}

// Input limits, in characters.
const (
	MaxTitleLen  = 120
	MinTitleLen  = 4
	MaxBodyLen   = 10000
	MaxReasonLen = 500
	// PageSize is the topics or posts on one page.
	PageSize = 20
)

// Options configure a Service. Store is required.
type Options struct {
	Store  Store
	Now    func() time.Time // nil: time.Now
	Limits Limits           // zero: DefaultLimits
}

// Service is the forum. It is safe for concurrent use.
type Service struct {
	store  Store
	now    func() time.Time
	limits Limits
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, now: o.Now, limits: o.Limits}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limits == (Limits{}) {
		s.limits = DefaultLimits
	}
	return s
}

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

// IsStaff reports whether role is shown as official OKPay staff and may
// moderate: agents, supervisors and admins.
func IsStaff(role auth.Role) bool { return role.AtLeast(auth.RoleAgent) }

func staff(a auth.Actor) bool { return a.UserID > 0 && IsStaff(a.Role) }

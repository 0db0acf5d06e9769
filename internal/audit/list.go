package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page sizes for List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Filter selects records for staff. Zero fields match everything.
type Filter struct {
	// ActorID keeps the records of one actor; 0 means any actor.
	ActorID int64
	// Action keeps one action.
	Action string
	// TargetType keeps one kind of target; TargetID, with it, one target.
	TargetType string
	TargetID   string
	// Since (inclusive) and Until (exclusive) bound At.
	Since, Until time.Time
	// Cursor continues from a Page's Next; empty starts at the newest.
	Cursor string
	// Limit caps the page (default DefaultLimit, at most MaxLimit).
	Limit int
}

// Page is one page of records, newest first.
type Page struct {
	Events []Event
	// Next is the cursor of the following (older) page; empty on the last.
	Next string
}

// Query is what a Reader is asked: Filter with the cursor decoded.
type Query struct {
	ActorID      int64
	Action       string
	TargetType   string
	TargetID     string
	Since, Until time.Time // zero: unbounded
	BeforeID     int64     // 0: from the newest
	Limit        int       // > 0
}

// Reader reads the log; sqlstore implements it.
type Reader interface {
	// AuditEvents returns up to q.Limit records matching q with an id below
	// q.BeforeID (when set), highest id first.
	AuditEvents(ctx context.Context, q Query) ([]Event, error)
}

// List returns one page of the records f selects, newest first.
// Errors: ErrInvalidFilter, ErrInvalidCursor, and the Reader's.
func List(ctx context.Context, r Reader, f Filter) (Page, error) {
	q := Query{
		ActorID:    f.ActorID,
		Action:     f.Action,
		TargetType: f.TargetType,
		TargetID:   f.TargetID,
		Since:      f.Since,
		Until:      f.Until,
		Limit:      f.Limit,
	}
	switch {
	case q.Limit < 0 || q.ActorID < 0:
		return Page{}, fmt.Errorf("%w: negative limit or actor", ErrInvalidFilter)
	case !q.Since.IsZero() && !q.Until.IsZero() && q.Since.After(q.Until):
		return Page{}, fmt.Errorf("%w: since %s is after until %s", ErrInvalidFilter, q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	if f.Cursor != "" {
		id, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		q.BeforeID = id
	}
	want := q.Limit
	q.Limit++ // one more tells whether another page follows
	evs, err := r.AuditEvents(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("audit: list: %w", err)
	}
	var p Page
	if len(evs) > want {
		evs = evs[:want]
		p.Next = encodeCursor(evs[want-1].ID)
	}
	p.Events = evs
	return p, nil
}

// A cursor is the last id of a page, versioned and base64url-encoded so
// that clients treat it as opaque.
const cursorPrefix = "a1."

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, ErrInvalidCursor
	}
	id, err := strconv.ParseInt(string(b[len(cursorPrefix):]), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrInvalidCursor
	}
	return id, nil
}

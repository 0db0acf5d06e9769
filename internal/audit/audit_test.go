package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/audit"
)

// memLog is an in-memory Appender and Reader, enough to test what the
// package itself decides.
type memLog struct {
	events []audit.Event
	last   audit.Query
}

func (m *memLog) AppendAudit(_ context.Context, e audit.Event) (int64, error) {
	e.ID = int64(len(m.events) + 1)
	m.events = append(m.events, e)
	return e.ID, nil
}

func (m *memLog) AuditEvents(_ context.Context, q audit.Query) ([]audit.Event, error) {
	m.last = q
	var out []audit.Event
	for i := len(m.events) - 1; i >= 0 && len(out) < q.Limit; i-- {
		if e := m.events[i]; q.BeforeID == 0 || e.ID < q.BeforeID {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestRecordRefusesProgrammingMistakes(t *testing.T) {
	tooMany := map[string]string{}
	for i := range audit.MaxDetails + 1 {
		tooMany[fmt.Sprint("k", i)] = "v"
	}
	for _, e := range []audit.Event{
		{},
		{Action: "Login"},
		{Action: "login-succeeded"},
		{Action: "1login"},
		{Action: "login succeeded"},
		{Action: strings.Repeat("a", audit.MaxActionLen+1)},
		{Action: "login_succeeded", ActorID: -1},
		{Action: "login_succeeded", Details: tooMany},
	} {
		var m memLog
		err := audit.Record(context.Background(), &m, e)
		if !errors.Is(err, audit.ErrInvalidEvent) {
			t.Errorf("Record(%+v) = %v, want ErrInvalidEvent", e, err)
		}
		if len(m.events) != 0 {
			t.Errorf("Record(%+v) appended %d events", e, len(m.events))
		}
	}
}

func TestRecordClampsWhatComesFromOutside(t *testing.T) {
	var m memLog
	at := time.Date(2030, 1, 2, 11, 4, 5, 0, time.FixedZone("CST", 8*3600))
	err := audit.Record(context.Background(), &m, audit.Event{
		ID:        99, // ignored: the store sets it
		At:        at,
		Action:    audit.LoginFailed,
		IP:        "203.0.113.9",
		UserAgent: "Mozilla\r\n\xff" + strings.Repeat("界", 400),
		Details:   map[string]string{"email": "a@example.com\nInjected: yes"},
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	got := m.events[0]
	if !got.At.Equal(at) || got.At.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", got.At, at)
	}
	if !utf8.ValidString(got.UserAgent) || len(got.UserAgent) > 512 || strings.ContainsAny(got.UserAgent, "\r\n") {
		t.Errorf("UserAgent %q (%d bytes) is not clamped to 512 bytes of valid UTF-8 on one line", got.UserAgent[:40], len(got.UserAgent))
	}
	if !strings.HasPrefix(got.UserAgent, "Mozilla  \uFFFD界") {
		t.Errorf("UserAgent starts %q, want the original with controls blanked", got.UserAgent[:20])
	}
	if want := "a@example.com Injected: yes"; got.Details["email"] != want {
		t.Errorf("Details[email] = %q, want %q", got.Details["email"], want)
	}
}

func TestListPages(t *testing.T) {
	var m memLog
	for i := range 5 {
		if err := audit.Record(context.Background(), &m, audit.Event{Action: audit.LoginSucceeded, ActorID: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	f := audit.Filter{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("List never ends")
		}
		p, err := audit.List(context.Background(), &m, f)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, e := range p.Events {
			got = append(got, e.ID)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if diff := cmp.Diff([]int64{5, 4, 3, 2, 1}, got); diff != "" {
		t.Errorf("ids over all pages (-want +got):\n%s", diff)
	}
}

func TestListLimits(t *testing.T) {
	var m memLog
	for _, tc := range []struct{ limit, want int }{{0, audit.DefaultLimit}, {7, 7}, {100000, audit.MaxLimit}} {
		if _, err := audit.List(context.Background(), &m, audit.Filter{Limit: tc.limit}); err != nil {
			t.Fatal(err)
		}
		// One more than the page, to learn whether another follows.
		if m.last.Limit != tc.want+1 {
			t.Errorf("Limit %d asked the store for %d, want %d", tc.limit, m.last.Limit, tc.want+1)
		}
	}
}

func TestListRefusesBadFilters(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		f    audit.Filter
		want error
	}{
		{audit.Filter{Limit: -1}, audit.ErrInvalidFilter},
		{audit.Filter{ActorID: -1}, audit.ErrInvalidFilter},
		{audit.Filter{Since: now, Until: now.Add(-time.Second)}, audit.ErrInvalidFilter},
		{audit.Filter{Cursor: "nonsense"}, audit.ErrInvalidCursor},
		{audit.Filter{Cursor: "MTI"}, audit.ErrInvalidCursor},     // "12", no version
		{audit.Filter{Cursor: "YTEuLTM"}, audit.ErrInvalidCursor}, // "a1.-3"
	} {
		var m memLog
		if _, err := audit.List(context.Background(), &m, tc.f); !errors.Is(err, tc.want) {
			t.Errorf("List(%+v) = %v, want %v", tc.f, err, tc.want)
		}
	}
}

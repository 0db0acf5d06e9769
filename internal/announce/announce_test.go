package announce_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func titles(as []announce.Announcement) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.TitleEn)
	}
	return out
}

func TestAnnouncementsWindow(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		ctx := context.Background()
		clk := clock.NewSettable(t0)
		db := sqltest.NewDB(t, e, "announce", clk.Now)
		s := announce.New(announce.Options{Store: db.Announcements(), Now: clk.Now})
		sup := auth.Actor{UserID: 7, Role: auth.RoleSupervisor}
		req := announce.Request{IP: "192.0.2.1", UserAgent: "test"}

		m, err := s.Create(ctx, sup, req, announce.Draft{Kind: announce.KindMaintenance, TitleZh: "系统维护", TitleEn: "Maintenance",
			BodyZh: "提现暂停", Starts: t0.Add(time.Hour), Ends: t0.Add(3 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, sup, req, announce.Draft{Kind: announce.KindHours, TitleEn: "New phone hours",
			Starts: t0.Add(-time.Hour), Ends: t0.Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			at   time.Time
			want int
		}{
			{t0, 1},                                  // only the hours change
			{t0.Add(time.Hour - time.Nanosecond), 1}, // maintenance not yet
			{t0.Add(time.Hour), 2},                   // starts
			{t0.Add(3*time.Hour - time.Second), 2},
			{t0.Add(3 * time.Hour), 1}, // ends
			{t0.Add(49 * time.Hour), 0},
			{t0.Add(2 * time.Hour), 2}, // the clock moved back
		} {
			clk.Set(tt.at)
			cur, err := s.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(cur) != tt.want {
				t.Errorf("at %v: current = %v, want %d", tt.at, titles(cur), tt.want)
			}
		}
		// Ending early takes the banner down at once.
		clk.Set(t0.Add(2 * time.Hour))
		if err := s.End(ctx, sup, req, m.ID); err != nil {
			t.Fatal(err)
		}
		cur, _ := s.Current(ctx)
		if len(cur) != 1 || cur[0].TitleEn != "New phone hours" {
			t.Errorf("after End: current = %v", titles(cur))
		}
		recent, err := s.Recent(ctx, 10)
		if err != nil || len(recent) != 2 || recent[0].ID != m.ID || !recent[0].Ends.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("Recent = %+v, %v", recent, err)
		}
		if recent[1].Title("zh-CN") != "New phone hours" || recent[0].Title("en") != "Maintenance" || recent[0].Body("en") != "提现暂停" {
			t.Errorf("language fallback wrong: %q %q %q", recent[1].Title("zh-CN"), recent[0].Title("en"), recent[0].Body("en"))
		}
		// Both changes are in the audit log.
		evs, err := audit.List(ctx, db.Audit(), audit.Filter{TargetType: "announcement"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs.Events {
			actions = append(actions, e.Action+":"+e.TargetID)
		}
		if len(actions) != 3 {
			t.Errorf("audit = %v, want two creations and one end", actions)
		}
		if err := s.End(ctx, sup, req, 999); !errors.Is(err, announce.ErrNotFound) {
			t.Errorf("End(999) = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateRefuses(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		ctx := context.Background()
		clk := clock.NewSettable(t0)
		db := sqltest.NewDB(t, e, "announce", clk.Now)
		s := announce.New(announce.Options{Store: db.Announcements(), Now: clk.Now})
		sup := auth.Actor{UserID: 7, Role: auth.RoleSupervisor}
		ok := announce.Draft{Kind: announce.KindNotice, TitleZh: "通知", Starts: t0, Ends: t0.Add(time.Hour)}
		for _, tt := range []struct {
			name  string
			actor auth.Actor
			edit  func(*announce.Draft)
			want  error
			field string
		}{
			{"agent", auth.Actor{UserID: 8, Role: auth.RoleAgent}, nil, announce.ErrForbidden, ""},
			{"visitor", auth.Actor{}, nil, announce.ErrForbidden, ""},
			{"no kind", sup, func(d *announce.Draft) { d.Kind = "party" }, announce.ErrInvalid, "kind"},
			{"no title", sup, func(d *announce.Draft) { d.TitleZh = "  " }, announce.ErrInvalid, "title"},
			{"ends first", sup, func(d *announce.Draft) { d.Ends = d.Starts.Add(-time.Minute) }, announce.ErrInvalid, "ends"},
			{"past", sup, func(d *announce.Draft) { d.Starts, d.Ends = t0.Add(-2*time.Hour), t0.Add(-time.Hour) }, announce.ErrInvalid, "ends"},
			{"forever", sup, func(d *announce.Draft) { d.Ends = d.Starts.Add(announce.MaxWindow + time.Hour) }, announce.ErrInvalid, "ends"},
			{"no start", sup, func(d *announce.Draft) { d.Starts = time.Time{} }, announce.ErrInvalid, "starts"},
			{"bad utf8", sup, func(d *announce.Draft) { d.BodyEn = "\xff" }, announce.ErrInvalid, "body"},
		} {
			d := ok
			if tt.edit != nil {
				tt.edit(&d)
			}
			_, err := s.Create(ctx, tt.actor, announce.Request{}, d)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
			var fe *announce.FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("%s: err = %v, want field %s", tt.name, err, tt.field)
			}
		}
		if rs, _ := s.Recent(ctx, 10); len(rs) != 0 {
			t.Errorf("refused drafts were stored: %+v", rs)
		}
	})
}

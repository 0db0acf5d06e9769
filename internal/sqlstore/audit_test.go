package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func mustRecord(tb testing.TB, db *sqlstore.DB, es ...audit.Event) {
	tb.Helper()
	err := db.InTx(context.Background(), func(tx sqlstore.Tx) error {
		for _, e := range es {
			if err := audit.Record(context.Background(), db.AuditTx(tx), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("record audit events: %v", err)
	}
}

func mustListAudit(tb testing.TB, db *sqlstore.DB, f audit.Filter) audit.Page {
	tb.Helper()
	p, err := audit.List(context.Background(), db.Audit(), f)
	if err != nil {
		tb.Fatalf("audit.List(%+v): %v", f, err)
	}
	return p
}

// isAppendOnlyRefusal: the refusal comes from the table's trigger, told by
// the engine's error code.
func isAppendOnlyRefusal(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "P0001" // raise_exception, from audit_log_append_only()
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_TRIGGER
}

func TestAuditLogRefusesEdits(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		ev := audit.Event{ActorID: 7, ActorRole: "admin", Action: audit.RoleChanged, TargetType: "user", TargetID: "42",
			IP: "192.0.2.1", UserAgent: "curl/8", Details: map[string]string{"from": "customer", "to": "agent"}}
		mustRecord(t, db, ev)
		before := mustListAudit(t, db, audit.Filter{})

		edits := []string{
			"UPDATE audit_log SET action = 'nothing_happened'",
			"UPDATE audit_log SET details = '{}' WHERE id = 1",
			"DELETE FROM audit_log",
			"DELETE FROM audit_log WHERE id = 1",
		}
		if e == sqlstore.Postgres {
			edits = append(edits, "TRUNCATE audit_log")
		}
		for _, q := range edits {
			_, err := db.Write().Exec(ctx, q)
			if err == nil {
				t.Errorf("%s: succeeded, want it refused", q)
				continue
			}
			if !isAppendOnlyRefusal(err) {
				t.Errorf("%s: %v, want the append-only trigger's refusal", q, err)
			}
			// Inside a transaction too, where a caller could hope to hide it.
			err = db.InTx(ctx, func(tx sqlstore.Tx) error {
				_, err := tx.Exec(ctx, q)
				return err
			})
			if !isAppendOnlyRefusal(err) {
				t.Errorf("%s in a transaction: %v, want the append-only trigger's refusal", q, err)
			}
		}
		after := mustListAudit(t, db, audit.Filter{})
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("audit log changed after refused edits (-before +after):\n%s", diff)
		}
		// Appending still works.
		mustRecord(t, db, audit.Event{Action: audit.Logout, ActorID: 7})
		if n := len(mustListAudit(t, db, audit.Filter{}).Events); n != 2 {
			t.Errorf("%d records after a second append, want 2", n)
		}
	})
}

func TestAuditRecordFollowsTransaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		errRollback := errors.New("roll back")

		err := db.InTx(ctx, func(tx sqlstore.Tx) error {
			if err := audit.Record(ctx, db.AuditTx(tx), audit.Event{Action: audit.UserCreated, TargetType: "user", TargetID: "1"}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want %v", err, errRollback)
		}
		if got := mustListAudit(t, db, audit.Filter{}).Events; len(got) != 0 {
			t.Fatalf("rolled-back record is in the log: %+v", got)
		}

		at := time.Date(2030, 1, 1, 8, 0, 0, 123456789, time.UTC)
		full := audit.Event{At: at, ActorID: 3, ActorRole: "supervisor", Action: audit.AccountUnlocked,
			TargetType: "user", TargetID: "9", IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11; Linux) 火狐",
			Details: map[string]string{"reason": "客户来电核实身份", "ticket": "T-17"}}
		noTime := audit.Event{Action: audit.LoginFailed, IP: "198.51.100.4", Details: map[string]string{"email_hash": "ab12"}}
		mustRecord(t, db, full, noTime)

		got := mustListAudit(t, db, audit.Filter{}).Events
		if len(got) == 2 {
			// Ids increase in the order of appending; PostgreSQL does not
			// give back the one the rolled-back record used.
			if got[0].ID <= got[1].ID {
				t.Errorf("ids %d then %d, want the newest first", got[0].ID, got[1].ID)
			}
			noTime.ID, full.ID = got[0].ID, got[1].ID
		}
		noTime.At = clk.Now() // a zero At is the store's clock
		if diff := cmp.Diff([]audit.Event{noTime, full}, got); diff != "" {
			t.Errorf("stored records (-want +got):\n%s", diff)
		}
	})
}

func TestAuditListFiltersAndPages(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		t0 := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		// id: actor, action, target, time
		var evs []audit.Event
		add := func(actor int64, action, targetType, targetID string, hour int) {
			evs = append(evs, audit.Event{ActorID: actor, Action: action, TargetType: targetType, TargetID: targetID,
				At: t0.Add(time.Duration(hour) * time.Hour)})
		}
		add(0, audit.LoginFailed, "user", "5", 0)    // 1
		add(5, audit.LoginSucceeded, "user", "5", 1) // 2
		add(7, audit.RoleChanged, "user", "5", 2)    // 3
		add(7, audit.UserCreated, "user", "6", 3)    // 4
		add(6, audit.LoginSucceeded, "user", "6", 4) // 5
		add(7, audit.RoleChanged, "user", "6", 5)    // 6
		add(0, audit.LoginFailed, "user", "6", 6)    // 7
		mustRecord(t, db, evs...)

		for _, tc := range []struct {
			name string
			f    audit.Filter
			want []int64
		}{
			{"everything, newest first", audit.Filter{}, []int64{7, 6, 5, 4, 3, 2, 1}},
			{"one actor", audit.Filter{ActorID: 7}, []int64{6, 4, 3}},
			{"one action", audit.Filter{Action: audit.LoginFailed}, []int64{7, 1}},
			{"one target", audit.Filter{TargetType: "user", TargetID: "5"}, []int64{3, 2, 1}},
			{"a kind of target", audit.Filter{TargetType: "user"}, []int64{7, 6, 5, 4, 3, 2, 1}},
			{"since, inclusive", audit.Filter{Since: t0.Add(5 * time.Hour)}, []int64{7, 6}},
			{"until, exclusive", audit.Filter{Until: t0.Add(2 * time.Hour)}, []int64{2, 1}},
			{"a time range", audit.Filter{Since: t0.Add(time.Hour), Until: t0.Add(4 * time.Hour)}, []int64{4, 3, 2}},
			{"combined", audit.Filter{ActorID: 7, Action: audit.RoleChanged, TargetID: "6", TargetType: "user"}, []int64{6}},
			{"nothing matches", audit.Filter{Action: audit.PasswordChanged}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if diff := cmp.Diff(tc.want, ids(mustListAudit(t, db, tc.f).Events)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				// The same records page by page, two at a time.
				var got []int64
				f := tc.f
				f.Limit = 2
				for pages := 1; ; pages++ {
					p := mustListAudit(t, db, f)
					if len(p.Events) > 2 {
						t.Fatalf("page of %d records, limit 2", len(p.Events))
					}
					got = append(got, ids(p.Events)...)
					if p.Next == "" {
						break
					}
					if pages > len(evs) {
						t.Fatal("pages never end")
					}
					f.Cursor = p.Next
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ids over pages of 2 (-want +got):\n%s", diff)
				}
			})
		}

		// A record appended while a client pages is not repeated or skipped
		// within the pages it already walked past.
		p1 := mustListAudit(t, db, audit.Filter{Limit: 3})
		mustRecord(t, db, audit.Event{Action: audit.Logout})
		p2 := mustListAudit(t, db, audit.Filter{Limit: 3, Cursor: p1.Next})
		if diff := cmp.Diff([]int64{4, 3, 2}, ids(p2.Events)); diff != "" {
			t.Errorf("second page after a new append (-want +got):\n%s", diff)
		}
	})
}

func ids(es []audit.Event) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

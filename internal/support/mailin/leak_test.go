package mailin_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/inbound"
	"github.com/okpay/okpay/internal/redact/redacttest"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
)

// What the test messages carry and nothing may keep outside the sealed
// raw store.
const (
	leakCard     = "4242 4242 4242 4242"
	leakCard2    = "6205500000000000004"
	leakCVC      = "739"
	leakPassword = "Hunter2-Qz9!"
)

// TestNothingSensitiveLeaks sends mail full of card numbers, security
// codes and passwords every way the pipeline can meet them (a ticket, a
// reply, an unparsable message, one without a sender, a bounce, an
// auto-reply, mail to a return path), then scans every value of every
// table (outgoing mail decoded; the sealed raw store and sealed
// attachments excepted), the job arguments and the logs.
func TestNothingSensitiveLeaks(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		s := startSink(t)
		secret := fmt.Sprintf("My card is %s, CVC %s, password: %s", leakCard, leakCVC, leakPassword)
		r.mustSend("li@example.com", []string{supportAddr}, msg("li@example.com", supportAddr, "卡号 "+leakCard2+" CVV "+leakCVC, secret+"\n卡号 "+leakCard2+" 安全码 "+leakCVC+" 密码 "+leakPassword))
		tk, _ := r.onlyTicket()
		r.mustSend("li@example.com", []string{supportAddr}, msg("li@example.com", supportAddr, fmt.Sprintf("Re: [#%d]", tk.Number),
			"Again: "+secret+"\n\nOn Mon, OKPay wrote:\n> "+secret))
		r.mustSend("li@example.com", []string{supportAddr}, "no headers here, only "+secret+"\r\n")
		r.mustSend("li@example.com", []string{supportAddr}, "Subject: "+secret+"\r\n\r\n"+secret+"\r\n")
		r.mustSend("bot@example.com", []string{supportAddr}, msg("bot@example.com", supportAddr, "Auto: "+secret, secret, "Auto-Submitted: auto-replied"))
		agent := r.user("agent@okpay.test", auth.RoleAgent)
		reply, err := r.desk.Reply(r.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, tk.Number, support.Reply{Body: "Please never send " + leakCard + " again."})
		if err != nil {
			t.Fatal(err)
		}
		r.relay(s, reply.OutboxID)
		bounce := strings.Replace(dsn(r.verp.Address(reply.OutboxID), reply.MailID, "5.1.1"),
			"User unknown", "User unknown "+secret, 1)
		r.mustSend("", []string{r.verp.Address(reply.OutboxID)}, bounce)
		r.mustSend("x@example.com", []string{r.verp.Address(reply.OutboxID)}, msg("x@example.com", r.verp.Address(reply.OutboxID), secret, secret))
		if len(r.raws()) != 7 {
			t.Fatalf("%d messages stored, want 7: %q", len(r.raws()), statuses(r.raws()))
		}

		check := func(where, s string) {
			if c := redacttest.CardLike(s); len(c) > 0 {
				t.Errorf("%s holds a card number %v", where, c)
			}
			if redacttest.CVCLike(s, leakCVC) {
				t.Errorf("%s holds the security code", where)
			}
			if strings.Contains(s, leakPassword) {
				t.Errorf("%s holds the password", where)
			}
		}
		scanned := scanTables(t, r, check)
		if scanned < 100 {
			t.Fatalf("scanned only %d values; is the scan broken?", scanned)
		}
		check("the logs", r.logs.String())
	})
}

// sealedColumns hold ciphertext: the raw store and sealed secrets.
var sealedColumns = map[string]bool{"mailin_raw.sealed": true, "support_attachments.data": true}

// scanTables hands check every text and blob value of every table, as
// text; outgoing mail is also decoded (its bodies are base64 or
// quoted-printable). It returns how many values it checked.
func scanTables(t *testing.T, r *rig, check func(where, s string)) int {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if r.db.Engine() == sqlstore.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := r.db.Read().Query(r.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found %d tables", len(tables))
	}
	scanned := 0
	for _, table := range tables {
		cq := `SELECT name FROM pragma_table_info($1) WHERE upper(type) IN ('TEXT', 'BLOB')`
		if r.db.Engine() == sqlstore.Postgres {
			cq = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
				AND data_type IN ('text', 'bytea', 'character varying', 'jsonb', 'json')`
		}
		cols, err := r.db.Read().Query(r.ctx, cq, table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var n string
			cols.Scan(&n)
			names = append(names, n)
		}
		cols.Close()
		for _, col := range names {
			where := table + "." + col
			if sealedColumns[where] || strings.HasSuffix(col, "_hash") || col == "sealed" {
				continue
			}
			vals, err := r.db.Read().Query(r.ctx, `SELECT "`+col+`" FROM "`+table+`"`)
			if err != nil {
				t.Fatal(err)
			}
			for vals.Next() {
				var v any
				if err := vals.Scan(&v); err != nil {
					t.Fatal(err)
				}
				var s string
				switch x := v.(type) {
				case string:
					s = x
				case []byte:
					s = string(x)
				case nil:
					continue
				default:
					s = fmt.Sprint(x)
				}
				scanned++
				check(where, s)
				if where == "mail_outbox.raw" {
					m, err := inbound.Parse([]byte(s))
					if err != nil {
						t.Fatalf("outgoing mail does not parse: %v", err)
					}
					check(where+" (decoded)", m.Subject+"\n"+m.Text)
				}
			}
			vals.Close()
		}
	}
	return scanned
}

package wallet_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func ids(ms []wallet.Movement) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestHistoryFiltersPagesAndCSV(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 10)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(bob, amt(50_00, usd))
		step := func() time.Time { en.clock.Add(time.Minute); return en.clock.Now() }

		t0 := step()
		dUSD := en.mustFund(alice, amt(100_00, usd))
		t1 := step()
		dEUR := en.mustFund(alice, amt(20_00, eur))
		step()
		lunch := en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(10_00, usd), Note: "午饭 Lunch"})
		t3 := step()
		evil := en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1_00, usd),
			Note: `=HYPERLINK("http://evil.example","x"), "quoted"`})
		step()
		declined, _ := en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard, Amount: amt(5_00, usd), Source: cardDeclined})
		step()
		yen := en.mustFund(alice, amt(5000, jpy))
		step()
		back := en.mustSend(wallet.SendRequest{UserID: bob, To: "alice@example.com", Amount: amt(2_50, usd), Note: "100% 谢谢_ok"})
		all := []string{back.PeerID, yen.ID, declined.ID, evil.ID, lunch.ID, dEUR.ID, dUSD.ID}

		hist := func(h wallet.History) []string {
			t.Helper()
			h.UserID = alice
			p, err := en.svc.History(ctx, h)
			if err != nil {
				t.Fatalf("history %+v: %v", h, err)
			}
			return ids(p.Movements)
		}
		tests := []struct {
			name string
			h    wallet.History
			want []string
		}{
			{"all, newest first", wallet.History{}, all},
			{"sends", wallet.History{Types: []wallet.Type{wallet.TypeSend}}, []string{evil.ID, lunch.ID}},
			{"received", wallet.History{Types: []wallet.Type{wallet.TypeReceive}}, []string{back.PeerID}},
			{"EUR", wallet.History{Currencies: []string{"eur"}}, []string{dEUR.ID}},
			{"failed", wallet.History{Statuses: []wallet.Status{wallet.StatusFailed}}, []string{declined.ID}},
			{"date range", wallet.History{From: t1, To: t3}, []string{lunch.ID, dEUR.ID}},
			{"from", wallet.History{From: t3.Add(time.Minute)}, all[:3]},
			{"to", wallet.History{To: t1}, []string{dUSD.ID}},
			{"search note, any case", wallet.History{Search: "LUNCH"}, []string{lunch.ID}},
			{"search Chinese", wallet.History{Search: "午饭"}, []string{lunch.ID}},
			{"search counterparty", wallet.History{Search: "b***b@"}, []string{back.PeerID, evil.ID, lunch.ID}},
			{"search card", wallet.History{Search: "visa •••• 0002"}, []string{declined.ID}},
			{"search %, literally", wallet.History{Search: "0%"}, []string{back.PeerID}},
			{"search _, literally", wallet.History{Search: "谢_"}, []string{back.PeerID}},
			{"search _ is no wildcard", wallet.History{Search: "饭_"}, []string{}},
			{"combined", wallet.History{Types: []wallet.Type{wallet.TypeDeposit}, Currencies: []string{"USD"}, Statuses: []wallet.Status{wallet.StatusCompleted}}, []string{dUSD.ID}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, hist(tt.h)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
		_ = t0

		// Pages of two, with new movements arriving between pages: every
		// movement that existed is seen once, in order.
		var got []string
		cursor := ""
		for i := 0; ; i++ {
			p, err := en.svc.History(ctx, wallet.History{UserID: alice, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(p.Movements)...)
			if i < 2 {
				step()
				en.mustFund(alice, amt(1_00, usd))
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("pages under inserts (-want +got):\n%s", diff)
		}
		for _, bad := range []wallet.History{{Cursor: "!!"}, {Cursor: "MTIz"}} {
			_, err := en.svc.History(ctx, bad)
			wantCode(t, "bad cursor", err, wallet.CodeInvalidCursor)
		}
		for _, bad := range []wallet.History{{Types: []wallet.Type{"refund"}}, {Currencies: []string{"XXX"}},
			{Statuses: []wallet.Status{"done"}}, {From: t3, To: t1}} {
			_, err := en.svc.History(ctx, bad)
			wantCode(t, "bad filter", err, wallet.CodeInvalidFilter)
		}

		// CSV.
		var buf bytes.Buffer
		if err := en.svc.ExportCSV(ctx, &buf, wallet.History{UserID: alice, To: en.clock.Now().Add(-30 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		raw := buf.String()
		if !strings.HasSuffix(raw, "\r\n") || strings.Count(raw, "\r\n") != strings.Count(raw, "\n") {
			t.Errorf("CSV lines must end in CRLF: %q", raw)
		}
		rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("read CSV back: %v", err)
		}
		if diff := cmp.Diff(wallet.CSVHeader, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		byID := map[string][]string{}
		for _, r := range rows[1:] {
			byID[r[1]] = r
		}
		if len(rows)-1 != len(all)+1 { // and the first deposit made while paging; the second is after To
			t.Errorf("CSV has %d movements, want %d", len(rows)-1, len(all)+1)
		}
		col := func(id, name string) string {
			i := slices.Index(wallet.CSVHeader, name)
			return byID[id][i]
		}
		checks := []struct{ id, col, want string }{
			{lunch.ID, "amount", "-10.00"},
			{lunch.ID, "fee", "0.10"},
			{lunch.ID, "net", "-10.10"},
			{lunch.ID, "type", "send"},
			{lunch.ID, "counterparty", "b***b@example.com"},
			{lunch.ID, "note", "午饭 Lunch"},
			{lunch.ID, "created_at", lunch.CreatedAt.Format(time.DateTime)},
			{yen.ID, "amount", "5000"},
			{yen.ID, "currency", "JPY"},
			{back.PeerID, "amount", "2.50"},
			{back.PeerID, "net", "2.50"},
			{declined.ID, "status", "failed"},
			{declined.ID, "failure_code", "card_declined"},
			{declined.ID, "net", "0.00"},
			{declined.ID, "method", "Visa •••• 0002"},
			{evil.ID, "note", `'=HYPERLINK("http://evil.example","x"), "quoted"`},
		}
		for _, c := range checks {
			if got := col(c.id, c.col); got != c.want {
				t.Errorf("CSV %s of %s = %q, want %q", c.col, c.id, got, c.want)
			}
		}
	})
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"lunch":       "lunch",
		"=1+2":        "'=1+2",
		"+86 138":     "'+86 138",
		"-5":          "'-5",
		"@SUM(A1)":    "'@SUM(A1)",
		"\tx":         "'\tx",
		"\rx":         "'\rx",
		"＝1+2":        "'＝1+2",
		"a=1":         "a=1",
		"谢谢 = thanks": "谢谢 = thanks",
	} {
		if got := wallet.CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// A monthly statement adds up, and its closing balance is the ledger's
// balance at the end of the month, summed from the journal.
func TestStatementAddsUp(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		cst := time.FixedZone("CST", 8*3600)
		en := newEnv(t, e, func(_ *env, o *wallet.Options) { o.Config.Location = cst })
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 10)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		at := func(s string) {
			ts, err := time.ParseInLocation(time.DateTime, s, cst)
			if err != nil {
				t.Fatal(err)
			}
			en.clock.Set(ts)
		}

		at("2026-10-15 10:00:00")
		en.fees.set(wallet.FeeDepositCard, 100, 0) // 1%
		en.mustFund(alice, amt(100_00, usd))
		en.mustFund(bob, amt(50_00, usd))
		en.fees.set(wallet.FeeDepositCard, 0, 0)
		at("2026-11-01 00:00:00") // the first instant of November
		en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(30_00, usd)})
		at("2026-11-12 09:30:00")
		en.mustSend(wallet.SendRequest{UserID: bob, To: "alice@example.com", Amount: amt(5_00, usd), FeePayer: wallet.PayerReceiver})
		en.svc.Deposit(ctx, wallet.DepositRequest{UserID: alice, Method: wallet.MethodCard, Amount: amt(7_00, usd), Source: cardDeclined})
		en.mustFund(alice, amt(3000, jpy))
		at("2026-11-30 23:59:59")
		en.mustFund(alice, amt(1_00, usd))
		at("2026-12-01 01:30:00") // still November 30 in UTC
		en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(2_00, usd)})
		at("2026-12-20 12:00:00")

		w := en.mustOpen(alice)
		want := map[time.Month]map[string][5]int64{ // opening, in, out, fees, closing
			time.October:  {"USD": {0, 100_00, 0, 1_00, 99_00}},
			time.November: {"USD": {99_00, 6_00, 30_00, 20, 74_80}, "JPY": {0, 3000, 0, 0, 3000}},
			time.December: {"USD": {74_80, 0, 2_00, 10, 72_70}, "JPY": {3000, 0, 0, 0, 3000}},
		}
		for _, month := range []time.Month{time.October, time.November, time.December} {
			st, err := en.svc.Statement(ctx, alice, 2026, month)
			if err != nil {
				t.Fatalf("statement %s: %v", month, err)
			}
			if st.From.Month() != month || st.From.Day() != 1 || st.From.Location() != cst {
				t.Errorf("statement %s from %s", month, st.From)
			}
			got := map[string][5]int64{}
			for _, l := range st.Lines {
				got[l.Currency.Code] = [5]int64{l.Opening.Minor, l.In.Minor, l.Out.Minor, l.Fees.Minor, l.Closing.Minor}
				if l.Opening.Minor+l.In.Minor-l.Out.Minor-l.Fees.Minor != l.Closing.Minor {
					t.Errorf("%s %s: %+v does not add up", month, l.Currency, l)
				}
				if jb := en.journalBalance(w.Accounts[l.Currency.Code], st.To); jb != l.Closing.Minor {
					t.Errorf("%s %s: closing %d, but the journal gives %d at %s", month, l.Currency, l.Closing.Minor, jb, st.To)
				}
				if jb := en.journalBalance(w.Accounts[l.Currency.Code], st.From); jb != l.Opening.Minor {
					t.Errorf("%s %s: opening %d, but the journal gives %d at %s", month, l.Currency, l.Opening.Minor, jb, st.From)
				}
			}
			if diff := cmp.Diff(want[month], got); diff != "" {
				t.Errorf("statement %s (-want +got):\n%s", month, diff)
			}
		}
		// December's closing is today's ledger balance.
		if got, want := en.available(alice, usd), int64(72_70); got != want {
			t.Errorf("balance now %d, want %d", got, want)
		}
		_, err := en.svc.Statement(ctx, alice, 2026, 13)
		wantCode(t, "month 13", err, wallet.CodeInvalidFilter)
	})
}

package merchant_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// cardPaid is a card payment of a in mode, captured now.
func (en *env) cardPaid(a merchant.Access, amount money.Amount, desc string) merchant.Payment {
	en.t.Helper()
	ctx := context.Background()
	p, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amount, Description: desc})
	mustOK(en.t, "create payment", err)
	p, err = en.svc.PayCard(ctx, merchant.CardPayment{PaymentID: p.ID, Card: testCard("4242424242424242")})
	if err != nil || p.Status != merchant.Succeeded {
		en.t.Fatalf("pay by card: %v (%s)", err, p.Status)
	}
	return p
}

func (en *env) balanceOf(a merchant.Access, cur string) int64 {
	en.t.Helper()
	acc, err := en.db.Ledger().AccountByRef(context.Background(), merchant.MerchantBalanceRef(a.MerchantID, a.Mode, cur))
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return 0 // opened by the first payment in the currency
	}
	mustOK(en.t, "balance account", err)
	return acc.Balance()
}

func (en *env) reports() *merchant.Reports {
	en.t.Helper()
	r, err := merchant.NewReports(en.svc, en.db.MerchantReports(), shanghai)
	mustOK(en.t, "reports", err)
	return r
}

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 12, day, hour, minute, 0, 0, shanghai)
}

// TestReportPerDayAndCurrency: payments, a partial refund and fees in two
// currencies over several days sum per day of the platform's zone; a day
// with nothing reads zero; test mode is a report of its own; the net of
// the period equals the movement of the merchant's balance account in
// the ledger; the CSV carries the same numbers and defuses a formula.
func TestReportPerDayAndCurrency(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		reps := en.reports()
		m, live := en.merchant(merchant.Live)
		test, err := en.svc.Access(ctx, mustOwner(t, en, m.ID), m.ID, merchant.Test)
		mustOK(t, "test access", err)
		eur := money.MustCurrency("EUR")

		en.clock.Set(at(1, 12, 0)) // before the period
		en.cardPaid(live, amt(1000), "before")
		en.clock.Set(at(2, 0, 0))
		startUSD, startEUR := en.balanceOf(live, "USD"), en.balanceOf(live, "EUR")

		en.clock.Set(at(2, 0, 30)) // 16:30 UTC on the 1st: the 2nd in Shanghai
		p1 := en.cardPaid(live, amt(100_00), "=cmd|' /C calc'!A0")
		en.clock.Set(at(2, 10, 0))
		p2 := en.cardPaid(live, money.Amount{Minor: 50_00, Currency: eur}, "kettle")
		en.cardPaid(test, amt(7_00), "test tea")
		// the 3rd: nothing
		en.clock.Set(at(4, 9, 0))
		_, err = en.svc.Refund(ctx, live, merchant.RefundRequest{PaymentID: p1.ID, Amount: amt(30_00), Reason: "+chipped cup"})
		mustOK(t, "partial refund", err)
		en.clock.Set(at(5, 23, 30))
		p3 := en.cardPaid(live, amt(20_00), "late tea")
		endUSD, endEUR := en.balanceOf(live, "USD"), en.balanceOf(live, "EUR")
		en.clock.Set(at(6, 0, 30)) // after the period
		en.cardPaid(live, amt(5_00), "after")

		if p1.Fee <= 0 || p2.Fee <= 0 {
			t.Fatalf("no fees charged (%d, %d): the test would prove nothing", p1.Fee, p2.Fee)
		}
		rep, err := reps.Report(ctx, live, at(2, 0, 0), at(5, 0, 0))
		mustOK(t, "report", err)
		if len(rep.Currencies) != 2 || rep.Currencies[0].Currency.Code != "USD" || rep.Currencies[1].Currency.Code != "EUR" {
			t.Fatalf("currencies: %+v", rep.Currencies)
		}
		usdDays, eurDays := rep.Currencies[0].Days, rep.Currencies[1].Days
		if len(usdDays) != 4 || len(eurDays) != 4 {
			t.Fatalf("%d and %d days, want 4", len(usdDays), len(eurDays))
		}
		type want struct{ vol, fees, ref, net int64 }
		check := func(name string, d merchant.ReportDay, w want) {
			t.Helper()
			got := want{d.Volume.Minor, d.Fees.Minor, d.Refunded.Minor, d.Net.Minor}
			if got != w {
				t.Errorf("%s %s: got %+v, want %+v", name, d.Day.Format(time.DateOnly), got, w)
			}
		}
		check("USD", usdDays[0], want{100_00, p1.Fee, 0, 100_00 - p1.Fee})
		check("USD", usdDays[1], want{})
		check("USD", usdDays[2], want{0, 0, 30_00, -30_00})
		check("USD", usdDays[3], want{20_00, p3.Fee, 0, 20_00 - p3.Fee})
		check("EUR", eurDays[0], want{50_00, p2.Fee, 0, 50_00 - p2.Fee})
		for _, d := range eurDays[1:] {
			check("EUR", d, want{})
		}
		if got := usdDays[1].Day.Format(time.DateOnly); got != "2026-12-03" {
			t.Errorf("the second day is %s", got)
		}
		// The ledger agrees: the period's net is what the balance moved.
		if net := rep.Currencies[0].Total.Net.Minor; net != endUSD-startUSD {
			t.Errorf("USD net %d, balance moved %d", net, endUSD-startUSD)
		}
		if net := rep.Currencies[1].Total.Net.Minor; net != endEUR-startEUR {
			t.Errorf("EUR net %d, balance moved %d", net, endEUR-startEUR)
		}

		// Test mode is its own report.
		trep, err := reps.Report(ctx, test, at(2, 0, 0), at(5, 0, 0))
		mustOK(t, "test report", err)
		if v := trep.Currencies[0].Total.Volume.Minor; len(trep.Currencies) != 1 || v != 7_00 {
			t.Errorf("test report: %d currencies, USD volume %d, want 1 and 700", len(trep.Currencies), v)
		}

		// The CSV: the same day totals, the formula defused.
		var buf bytes.Buffer
		mustOK(t, "csv", reps.WriteCSV(&buf, rep))
		rows, err := csv.NewReader(&buf).ReadAll()
		mustOK(t, "read csv", err)
		totals := map[string][]string{}
		var sawDesc, sawReason bool
		for _, r := range rows[1:] {
			switch r[2] {
			case "total":
				totals[r[0]+" "+r[1]] = r[5:]
			case "payment":
				if r[3] == p1.ID {
					sawDesc = r[4] == "'=cmd|' /C calc'!A0"
				}
			case "refund":
				sawReason = r[4] == "'+chipped cup"
			}
		}
		if !sawDesc || !sawReason {
			t.Errorf("formula not defused (description %v, reason %v):\n%s", sawDesc, sawReason, rowsText(rows))
		}
		for _, rc := range rep.Currencies {
			for _, d := range rc.Days {
				got := totals[d.Day.Format(time.DateOnly)+" "+rc.Currency.Code]
				w := []string{d.Volume.Decimal(), d.Fees.Decimal(), d.Refunded.Decimal(), d.Net.Decimal()}
				if strings.Join(got, ",") != strings.Join(w, ",") {
					t.Errorf("CSV %s %s: %v, page %v", d.Day.Format(time.DateOnly), rc.Currency.Code, got, w)
				}
			}
		}
		if got := totals["2026-12-04 USD"]; len(got) != 4 || got[3] != "-30.00" {
			t.Errorf("CSV refund day: %v", got)
		}

		// A reversed or too long period is refused.
		_, err = reps.Report(ctx, live, at(5, 0, 0), at(2, 0, 0))
		mustErr(t, "reversed", err, merchant.ErrInvalidPeriod)
		_, err = reps.Report(ctx, live, at(1, 0, 0).AddDate(-2, 0, 0), at(1, 0, 0))
		mustErr(t, "two years", err, merchant.ErrInvalidPeriod)
	})
}

// TestReportAllZero: a merchant with nothing has every day at zero in its
// own currency.
func TestReportAllZero(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		_, live := en.merchant(merchant.Live)
		from, to := en.reports().DefaultPeriod()
		rep, err := en.reports().Report(context.Background(), live, from, to)
		mustOK(t, "report", err)
		if len(rep.Currencies) != 1 || len(rep.Currencies[0].Days) != 30 {
			t.Fatalf("%d currencies", len(rep.Currencies))
		}
		for _, d := range rep.Currencies[0].Days {
			if d.Volume.Minor != 0 || d.Net.Minor != 0 || d.Currency.Code != "USD" {
				t.Errorf("%v", d)
			}
		}
	})
}

func mustOwner(t *testing.T, en *env, merchantID string) int64 {
	t.Helper()
	ms, err := en.svc.Members(context.Background(), merchant.Access{MerchantID: merchantID, Mode: merchant.Live, Role: merchant.Owner})
	mustOK(t, "members", err)
	return ms[0].UserID
}

func rowsText(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	return b.String()
}

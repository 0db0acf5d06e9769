package wallet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// exchangeRatesXML are reference rates per 1 EUR, as the ECB publishes them.
const exchangeRatesXML = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-10-30"><Cube currency="USD" rate="1.10"/><Cube currency="CNY" rate="7.70"/><Cube currency="GBP" rate="0.85"/><Cube currency="JPY" rate="160"/><Cube currency="RUB" rate="100"/></Cube></Cube>
</gesmes:Envelope>`

// realFees charges from the published fee schedule.
func realFees(_ *env, o *wallet.Options) { o.Fees = adapt.Fees(fees.Default()) }

// newExchange is the exchange over the env's database, with the reference
// rates above imported, and the rates service (for staff-set rates).
func (en *env) newExchange() (*wallet.Exchange, *fx.Service) {
	en.t.Helper()
	rates := fx.New(fx.Options{Store: en.db.FX(), Now: en.clock.Now})
	if _, err := rates.ImportECB(context.Background(), strings.NewReader(exchangeRatesXML)); err != nil {
		en.t.Fatal(err)
	}
	x, err := wallet.NewExchange(en.svc, wallet.ExchangeOptions{Store: en.db.Wallet(), Rates: adapt.ExchangeRates(rates)})
	if err != nil {
		en.t.Fatal(err)
	}
	return x, rates
}

func TestExchangeQuoteThenConfirm(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		x, _ := en.newExchange()
		mei := en.mustUser("mei@example.com", "")
		en.mustFund(mei, amt(100_00, usd))

		q, err := x.Quote(ctx, wallet.ExchangeRequest{UserID: mei, Sell: amt(50_00, usd), Buy: "eur"})
		if err != nil {
			t.Fatalf("quote: %v", err)
		}
		// 50.00 USD at 1/1.10 = 0.909090909091 EUR (12 digits) is
		// 45.45454545455, rounded half-even to 45.45; the fee is 0.5 %.
		if q.Rate.String() != "0.909090909091" || q.Bought != amt(45_45, eur) || q.Fee != amt(25, usd) ||
			q.Debited != amt(50_25, usd) || q.RateSource != "ecb" || !q.ExpiresAt.Equal(en.clock.Now().Add(30*time.Second)) ||
			q.RateText() != "1 USD = 0.909090909091 EUR" {
			t.Fatalf("quote: %+v", q)
		}
		// Nothing moved yet.
		if got := en.available(mei, usd); got != 100_00 {
			t.Fatalf("after quoting, USD available %d", got)
		}
		en.clock.Add(29 * time.Second)
		m, err := x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: "x1"})
		if err != nil || m.Status != wallet.StatusCompleted || m.Type != wallet.TypeExchange || m.Amount != amt(50_00, usd) ||
			m.Fee != amt(25, usd) || len(m.Plan) != 3 {
			t.Fatalf("exchange: %+v, %v", m, err)
		}
		if got := en.available(mei, usd); got != 49_75 {
			t.Errorf("USD available %d, want 4975", got)
		}
		if got := en.available(mei, eur); got != 45_45 {
			t.Errorf("EUR available %d, want 4545", got)
		}
		if got := en.platformBalance(wallet.FXLiquidity, usd); got != 50_00 {
			t.Errorf("USD liquidity %d, want 5000", got)
		}
		if got := en.platformBalance(wallet.FXLiquidity, eur); got != -45_45 {
			t.Errorf("EUR liquidity %d, want -4545", got)
		}
		if got := en.platformBalance(wallet.FeeRevenue, usd); got != 25 {
			t.Errorf("USD fee revenue %d, want 25", got)
		}
		in, err := en.svc.Movement(ctx, mei, m.PeerID)
		if err != nil || in.Type != wallet.TypeExchangeIn || in.Amount != amt(45_45, eur) || !in.Fee.IsZero() ||
			in.Status != wallet.StatusCompleted || in.PeerID != m.ID || in.MethodDisplay != q.RateText() {
			t.Errorf("bought side: %+v, %v", in, err)
		}

		// A double submit, or the same quote under another key, is the
		// same exchange.
		for _, key := range []string{"x1", "x2"} {
			again, err := x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: key})
			if err != nil || again.ID != m.ID {
				t.Errorf("confirming again with key %s: %+v, %v", key, again, err)
			}
		}
		if got := en.available(mei, usd); got != 49_75 {
			t.Errorf("after confirming again, USD available %d", got)
		}

		// History, CSV and the statement show both sides.
		page, err := en.svc.History(ctx, wallet.History{UserID: mei, Types: []wallet.Type{wallet.TypeExchange, wallet.TypeExchangeIn}})
		if err != nil || len(page.Movements) != 2 {
			t.Fatalf("history: %+v, %v", page, err)
		}
		var csv strings.Builder
		if err := en.svc.ExportCSV(ctx, &csv, wallet.History{UserID: mei}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"exchange_in", "45.45", "EUR", "exchange", "-50.00", "0.25"} {
			if !strings.Contains(csv.String(), want) {
				t.Errorf("CSV lacks %q:\n%s", want, csv.String())
			}
		}
		now := en.clock.Now()
		st, err := en.svc.Statement(ctx, mei, now.Year(), now.Month())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range st.Lines {
			switch l.Currency {
			case usd:
				if l.Out != amt(50_00, usd) || l.Fees != amt(25, usd) || l.Closing != amt(49_75, usd) {
					t.Errorf("USD statement line %+v", l)
				}
			case eur:
				if l.In != amt(45_45, eur) || l.Closing != amt(45_45, eur) {
					t.Errorf("EUR statement line %+v", l)
				}
			}
		}
	})
}

func TestExchangeExpiredQuoteIsNotBooked(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		x, rates := en.newExchange()
		mei := en.mustUser("mei@example.com", "")
		staff := en.mustUser("rates.desk@example.com", "")
		en.mustFund(mei, amt(1000_00, cny))

		q, err := x.Quote(ctx, wallet.ExchangeRequest{UserID: mei, Sell: amt(100_00, cny), Buy: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		// 100 CNY at 1.10/7.70 = 0.142857142857 USD: 14.29.
		if q.Bought != amt(14_29, usd) {
			t.Fatalf("quote %+v", q)
		}
		// Staff set a new rate; the quote is honoured until it expires.
		if _, err := rates.SetManualRate(ctx, fx.ManualRate{Base: "CNY", Quote: "USD", Rate: mustRate(t, "0.15"), SetBy: staff, SetByRole: "supervisor"}); err != nil {
			t.Fatal(err)
		}
		en.clock.Add(30 * time.Second)
		_, err = x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: "late"})
		wantCode(t, "confirming at the expiry", err, wallet.CodeExchangeQuoteExpired)
		if got := en.available(mei, cny); got != 1000_00 {
			t.Errorf("after an expired confirmation, CNY available %d", got)
		}
		if got := en.available(mei, usd); got != 0 {
			t.Errorf("after an expired confirmation, USD available %d", got)
		}
		fresh, err := x.Requote(ctx, mei, q.ID)
		if err != nil || fresh.ID == q.ID || fresh.Bought != amt(15_00, usd) || fresh.RateSource != "manual" ||
			fresh.Sell != q.Sell || fresh.Expired(en.clock.Now()) {
			t.Fatalf("requote: %+v, %v", fresh, err)
		}
		m, err := x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: fresh.ID, IdempotencyKey: "fresh"})
		if err != nil || m.Status != wallet.StatusCompleted {
			t.Fatalf("exchange at the fresh quote: %+v, %v", m, err)
		}
		if got := en.available(mei, usd); got != 15_00 {
			t.Errorf("USD available %d, want 1500", got)
		}
	})
}

func TestExchangeRefusals(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		x, _ := en.newExchange()
		mei := en.mustUser("mei@example.com", "")
		other := en.mustUser("other@example.com", "")
		en.mustFund(mei, amt(10_00, usd))
		en.mustFund(mei, amt(1_00, currency("RUB")))

		for _, c := range []struct {
			name string
			r    wallet.ExchangeRequest
			want wallet.Code
		}{
			{"same currency", wallet.ExchangeRequest{UserID: mei, Sell: amt(1_00, usd), Buy: "USD"}, wallet.CodeExchangeSameCurrency},
			{"not enabled", wallet.ExchangeRequest{UserID: mei, Sell: amt(1_00, usd), Buy: "CHF"}, wallet.CodeCurrencyNotEnabled},
			{"zero", wallet.ExchangeRequest{UserID: mei, Sell: amt(0, usd), Buy: "EUR"}, wallet.CodeInvalidAmount},
			{"more than the balance with the fee", wallet.ExchangeRequest{UserID: mei, Sell: amt(10_00, usd), Buy: "EUR"}, wallet.CodeInsufficientFunds},
			// 0.01 RUB buys 0.016 JPY: less than one yen.
			{"too small", wallet.ExchangeRequest{UserID: mei, Sell: amt(1, currency("RUB")), Buy: "JPY"}, wallet.CodeExchangeTooSmall},
		} {
			_, err := x.Quote(ctx, c.r)
			wantCode(t, c.name, err, c.want)
		}
		q, err := x.Quote(ctx, wallet.ExchangeRequest{UserID: mei, Sell: amt(5_00, usd), Buy: "GBP"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.Exchange(ctx, wallet.ExchangeConfirm{UserID: other, QuoteID: q.ID, IdempotencyKey: "k"})
		wantCode(t, "someone else's quote", err, wallet.CodeExchangeQuoteNotFound)
		_, err = x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: "xq_nonsense", IdempotencyKey: "k"})
		wantCode(t, "a malformed quote id", err, wallet.CodeExchangeQuoteNotFound)
		// The money went elsewhere between quote and confirmation.
		bob := en.mustUser("bob@example.com", "")
		en.mustOpen(bob)
		en.mustSend(wallet.SendRequest{UserID: mei, To: "bob@example.com", Amount: amt(5_00, usd)})
		_, err = x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: "k"})
		wantCode(t, "balance spent meanwhile", err, wallet.CodeInsufficientFunds)
	})
}

// TestExchangeResumes: a crash between recording the exchange and the
// ledger's answer leaves it pending, and the resume job books it once.
func TestExchangeResumes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		x, _ := en.newExchange()
		mei := en.mustUser("mei@example.com", "")
		en.mustFund(mei, amt(100_00, eur))
		for i, fail := range [][2]int{{1, 0}, {0, 1}} {
			q, err := x.Quote(ctx, wallet.ExchangeRequest{UserID: mei, Sell: amt(10_00, eur), Buy: "JPY"})
			if err != nil {
				t.Fatal(err)
			}
			en.ledger.failNext(fail[0], fail[1])
			m, err := x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: string(rune('a' + i))})
			wantCode(t, "lost ledger", err, wallet.CodeUnavailable)
			if m.Status != wallet.StatusPending {
				t.Fatalf("after a lost ledger answer: %+v", m)
			}
			en.clock.Add(2 * time.Minute)
			en.runJobs(func() bool {
				got, err := en.svc.Movement(ctx, mei, m.ID)
				return err == nil && got.Status == wallet.StatusCompleted
			})
		}
		if got := en.available(mei, currency("JPY")); got != 2*1600 {
			t.Errorf("JPY available %d, want 3200", got)
		}
		if got := en.available(mei, eur); got != 100_00-2*10_05 {
			t.Errorf("EUR available %d, want %d", got, 100_00-2*10_05)
		}
	})
}

func mustRate(t testing.TB, s string) money.Rate {
	t.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

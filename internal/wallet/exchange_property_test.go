package wallet_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
)

// The oracle: exact rationals (math/big), rounded by hand.

// ratOf reads a plain decimal string exactly.
func ratOf(t *rapid.T, s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a decimal: %q", s)
	}
	return r
}

// pow10 is 10^n as a rational (n may be negative).
func pow10(n int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n))), nil)
	if n < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// roundRat rounds a non-negative rational to an integer: half-even when
// even is set (ties to the even neighbour), else half-up (ties up).
func roundRat(r *big.Rat, even bool) int64 {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(m, big.NewInt(2))
	switch twice.Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if !even || q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// oracleBought is sell × rate in minor units of to, rounded half-even: the
// rule Exchange documents.
func oracleBought(t *rapid.T, sell money.Amount, rate string, to money.Currency) int64 {
	x := new(big.Rat).SetInt64(sell.Minor)
	x.Mul(x, ratOf(t, rate))
	x.Mul(x, pow10(int(to.Exponent)-int(sell.Currency.Exponent)))
	return roundRat(x, true)
}

// conversionPercent reads the conversion fee's percentage from the
// published schedule's table (data, not the charging code).
func conversionPercent(t *rapid.T) string {
	for _, r := range fees.Default().Table() {
		if r.Kind == fees.Conversion {
			if r.Tiers != 1 || r.Currency != fees.AnyCurrency || r.Rounding != money.RoundHalfUp {
				t.Fatalf("the oracle knows a single-tier, any-currency, half-up conversion fee, not %+v", r)
			}
			return r.Tier.Percent.String()
		}
	}
	t.Fatalf("no conversion fee in the schedule")
	return ""
}

// oracleFee is the conversion fee on sell: percent of it, rounded half-up.
func oracleFee(t *rapid.T, sell money.Amount, percent string) int64 {
	x := new(big.Rat).SetInt64(sell.Minor)
	x.Mul(x, ratOf(t, percent))
	x.Quo(x, big.NewRat(100, 1))
	return roundRat(x, false)
}

// rateGen draws an exchange rate of 1 to 12 significant digits between
// 10^-6 and 10^4, as decimal text.
func rateGen() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		digits := rapid.IntRange(1, 12).Draw(t, "digits")
		hi := int64(1)
		for range digits {
			hi *= 10
		}
		mant := rapid.Int64Range(1, hi-1).Draw(t, "mantissa")
		scale := rapid.IntRange(0, digits+6).Draw(t, "scale")
		r := new(big.Rat).SetFrac(big.NewInt(mant), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		if r.Cmp(big.NewRat(10000, 1)) > 0 {
			r = big.NewRat(9999, 1)
		}
		return strings.TrimRight(strings.TrimRight(r.FloatString(scale), "0"), ".")
	})
}

// TestExchangeAmountsMatchOracle: the amount bought is the exact product
// rounded half-even, for any amount and rate.
func TestExchangeAmountsMatchOracle(t *testing.T) {
	codes := []string{"USD", "EUR", "CNY", "JPY", "GBP", "RUB", "BHD", "KWD"}
	rapid.Check(t, func(t *rapid.T) {
		from := money.MustCurrency(rapid.SampledFrom(codes).Draw(t, "from"))
		to := money.MustCurrency(rapid.SampledFrom(codes).Draw(t, "to"))
		sell := money.Amount{Minor: rapid.Int64Range(1, 1_000_000_000_000).Draw(t, "sell"), Currency: from}
		rs := rateGen().Draw(t, "rate")
		rate, err := money.ParseRate(rs)
		if err != nil {
			t.Fatalf("rate %q: %v", rs, err)
		}
		got, err := wallet.ExchangeAmounts(sell, rate, to)
		if err != nil {
			t.Fatalf("ExchangeAmounts(%v, %s, %s): %v", sell, rs, to.Code, err)
		}
		if want := oracleBought(t, sell, rs, to); got.Minor != want || got.Currency != to {
			t.Fatalf("%v at %s to %s: got %v, want %d minor units", sell, rs, to.Code, got, want)
		}
	})
}

// TestExchangeConservesMoney drives real exchanges at random staff-set
// rates and amounts through the wallet and the ledger, and checks against
// the oracle: the amounts bought and the fees, the customer's debit equal
// to the liquidity account's credit plus the fee, every leg moving exactly
// its amount, and every currency's accounts summing to zero (no minor unit
// created or lost).
func TestExchangeConservesMoney(t *testing.T) {
	for _, e := range []sqlstore.Engine{sqlstore.SQLite} {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		x, rates := en.newExchange()
		mei := en.mustUser("mei@example.com", "")
		staff := en.mustUser("desk@example.com", "")
		curs := en.svc.Currencies()
		for _, c := range curs {
			en.mustFund(mei, money.Amount{Minor: 1_000_000_000, Currency: c})
		}
		account := func(t *rapid.T, p wallet.Platform, c money.Currency) int64 {
			if p == "" {
				b, err := en.svc.Balance(ctx, mei, c.Code)
				if err != nil {
					t.Fatal(err)
				}
				return b.Balance.Minor
			}
			id, err := en.svc.PlatformAccount(ctx, p, c.Code)
			if err != nil {
				t.Fatal(err)
			}
			a, err := en.db.Ledger().Account(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a.Balance()
		}
		n := 0
		rapid.Check(t, func(t *rapid.T) {
			n++
			percent := conversionPercent(t)
			from := rapid.SampledFrom(curs).Draw(t, "from")
			to := rapid.SampledFrom(curs).Filter(func(c money.Currency) bool { return c != from }).Draw(t, "to")
			rs := rateGen().Draw(t, "rate")
			sell := money.Amount{Minor: rapid.Int64Range(1, 5_000_000).Draw(t, "sell"), Currency: from}
			en.clock.Add(time.Second)
			if _, err := rates.SetManualRate(ctx, fx.ManualRate{Base: from.Code, Quote: to.Code, Rate: mustRate(en.t, rs),
				SetBy: staff, SetByRole: "supervisor"}); err != nil {
				t.Fatal(err)
			}
			before := map[string]int64{}
			for _, k := range []struct {
				name string
				p    wallet.Platform
				c    money.Currency
			}{{"user_from", "", from}, {"user_to", "", to}, {"liq_from", wallet.FXLiquidity, from},
				{"liq_to", wallet.FXLiquidity, to}, {"fee", wallet.FeeRevenue, from}} {
				before[k.name] = account(t, k.p, k.c)
			}
			wantBought, wantFee := oracleBought(t, sell, rs, to), oracleFee(t, sell, percent)
			q, err := x.Quote(ctx, wallet.ExchangeRequest{UserID: mei, Sell: sell, Buy: to.Code})
			if wantBought == 0 {
				if wallet.ErrorCode(err) != wallet.CodeExchangeTooSmall {
					t.Fatalf("%v at %s buys nothing, but the quote answered %+v, %v", sell, rs, q, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("quote %v → %s at %s: %v", sell, to.Code, rs, err)
			}
			if q.Bought.Minor != wantBought || q.Fee.Minor != wantFee || q.Debited.Minor != sell.Minor+wantFee || q.Rate.String() != mustRate(en.t, rs).String() {
				t.Fatalf("quote %v → %s at %s: %+v; oracle bought %d fee %d", sell, to.Code, rs, q, wantBought, wantFee)
			}
			m, err := x.Exchange(ctx, wallet.ExchangeConfirm{UserID: mei, QuoteID: q.ID, IdempotencyKey: fmt.Sprintf("p%d", n)})
			if err != nil || m.Status != wallet.StatusCompleted {
				t.Fatalf("exchange %s: %+v, %v", q, m, err)
			}
			d := func(name string, p wallet.Platform, c money.Currency) int64 { return account(t, p, c) - before[name] }
			userDebit := -d("user_from", "", from)
			liqCredit := d("liq_from", wallet.FXLiquidity, from)
			fee := d("fee", wallet.FeeRevenue, from)
			if userDebit != liqCredit+fee || liqCredit != sell.Minor || fee != wantFee {
				t.Fatalf("%s: user debited %d, liquidity credited %d, fee %d; want %d = %d + %d", q, userDebit, liqCredit, fee,
					sell.Minor+wantFee, sell.Minor, wantFee)
			}
			if got := d("user_to", "", to); got != wantBought {
				t.Fatalf("%s: user credited %d %s, want %d", q, got, to.Code, wantBought)
			}
			if got := -d("liq_to", wallet.FXLiquidity, to); got != wantBought {
				t.Fatalf("%s: liquidity debited %d %s, want %d", q, got, to.Code, wantBought)
			}
			mustBalanceEveryCurrency(t, en)
		})
	}
}

// mustBalanceEveryCurrency checks that the accounts of each currency sum
// to zero: every minor unit credited somewhere was debited elsewhere.
func mustBalanceEveryCurrency(t *rapid.T, en *env) {
	rows, err := en.db.Read().Query(context.Background(), `SELECT a.currency,
			CAST(SUM(b.credits_posted) AS BIGINT), CAST(SUM(b.debits_posted) AS BIGINT)
		FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id GROUP BY a.currency`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cur string
		var credits, debits int64
		if err := rows.Scan(&cur, &credits, &debits); err != nil {
			t.Fatal(err)
		}
		if credits != debits {
			t.Fatalf("%s: credits %d, debits %d", cur, credits, debits)
		}
	}
}

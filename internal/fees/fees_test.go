package fees_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/money"
)

func amt(minor int64, code string) money.Amount {
	return money.Amount{Minor: minor, Currency: money.MustCurrency(code)}
}

func mustQuote(tb testing.TB, s *fees.Schedule, k fees.Kind, a money.Amount, vol int64) fees.Quote {
	tb.Helper()
	q, err := s.Quote(k, a, vol)
	if err != nil {
		tb.Fatalf("Quote(%s, %v, %d): %v", k, a, vol, err)
	}
	return q
}

func TestDefaultScheduleHasEveryKind(t *testing.T) {
	s := fees.Default()
	want := []fees.Kind{fees.Transfer, fees.Conversion, fees.WithdrawalBank, fees.WithdrawalEWallet,
		fees.DepositCard, fees.DepositEWallet, fees.DepositBank, fees.DormantMonthly, fees.LatePayment, fees.MerchantPayment}
	if diff := cmp.Diff(want, s.Kinds()); diff != "" {
		t.Errorf("default kinds (-want +got):\n%s", diff)
	}
	if s.Effective() == "" {
		t.Error("the default schedule has no effective date for the fee page")
	}
	if fees.Default() != s {
		t.Error("Default() loads the schedule again on every call")
	}
	// The file on disk is the embedded one and loads on its own.
	b, err := os.ReadFile("default.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(fees.DefaultJSON()) {
		t.Error("DefaultJSON differs from default.json")
	}
	if _, err := fees.LoadFile("default.json"); err != nil {
		t.Errorf("LoadFile(default.json): %v", err)
	}
}

// TestTransferTiers walks the default transfer fee across its volume tier
// boundaries (3,000, 10,000 and 100,000 USD a month) on 100.00 USD:
// 1 %, 0.8 %, 0.5 %, 0.3 %, plus 0.30.
func TestTransferTiers(t *testing.T) {
	s := fees.Default()
	for _, tt := range []struct {
		vol     int64 // US cents
		tier    int
		percent string
		fee     int64
	}{
		{0, 0, "1", 130},
		{299_999, 0, "1", 130},
		{300_000, 1, "0.8", 110},
		{999_999, 1, "0.8", 110},
		{1_000_000, 2, "0.5", 80},
		{9_999_999, 2, "0.5", 80},
		{10_000_000, 3, "0.3", 60},
		{math.MaxInt64, 3, "0.3", 60},
	} {
		q := mustQuote(t, s, fees.Transfer, amt(10000, "USD"), tt.vol)
		if q.Tier.Index != tt.tier || q.Percent.String() != tt.percent || q.Fee != amt(tt.fee, "USD") {
			t.Errorf("volume %d: tier %d (%s %%), fee %v; want tier %d (%s %%), fee %d cents",
				tt.vol, q.Tier.Index, q.Percent, q.Fee, tt.tier, tt.percent, tt.fee)
		}
	}
}

func TestLimitsAndRounding(t *testing.T) {
	s := fees.Default()
	for _, tt := range []struct {
		name  string
		kind  fees.Kind
		a     money.Amount
		vol   int64
		fee   int64
		bound fees.Bound
	}{
		// Transfer USD, 1 % + 0.30, min 0.50, max 30.00.
		{"just below min", fees.Transfer, amt(1949, "USD"), 0, 50, fees.BoundMin},   // 19.49 → 19, + 30 = 49 < 50
		{"tie reaches min", fees.Transfer, amt(1950, "USD"), 0, 50, fees.BoundNone}, // 19.5 → 20 (half up), + 30 = 50
		{"tiny", fees.Transfer, amt(1, "USD"), 0, 50, fees.BoundMin},
		{"at the cap", fees.Transfer, amt(297_000, "USD"), 0, 3000, fees.BoundNone},
		{"over the cap", fees.Transfer, amt(297_050, "USD"), 0, 3000, fees.BoundMax}, // 2970.5 → 2971, + 30 > 3000
		{"huge", fees.Transfer, amt(math.MaxInt64, "USD"), 0, 3000, fees.BoundMax},
		{"yen", fees.Transfer, amt(12_345, "JPY"), 0, 163, fees.BoundNone}, // 123.45 → 123, + 40
		// Conversion 0.5 % of any currency, half up.
		{"conversion tie up", fees.Conversion, amt(100, "USD"), 0, 1, fees.BoundNone},    // 0.5 → 1
		{"conversion tie up 2", fees.Conversion, amt(300, "USD"), 0, 2, fees.BoundNone},  // 1.5 → 2
		{"conversion below half", fees.Conversion, amt(99, "USD"), 0, 0, fees.BoundNone}, // 0.495 → 0
		{"conversion KRW", fees.Conversion, amt(1_000_001, "KRW"), 0, 5000, fees.BoundNone},
		{"conversion BHD", fees.Conversion, amt(12_345, "BHD"), 0, 62, fees.BoundNone}, // 61.725 → 62
		// Dormant: fixed, never more than the balance.
		{"dormant", fees.DormantMonthly, amt(10_000, "USD"), 0, 200, fees.BoundNone},
		{"dormant small balance", fees.DormantMonthly, amt(150, "USD"), 0, 150, fees.BoundAmount},
		{"dormant empty", fees.DormantMonthly, amt(0, "CNY"), 0, 0, fees.BoundAmount},
		// Late: 1.5 %, min.
		{"late min", fees.LatePayment, amt(5_000, "USD"), 0, 100, fees.BoundMin},
		{"late", fees.LatePayment, amt(20_000, "USD"), 0, 300, fees.BoundNone},
		{"withdrawal bank", fees.WithdrawalBank, amt(123_456_789, "CNY"), 0, 200, fees.BoundNone},
		{"deposit card", fees.DepositCard, amt(123_456, "KRW"), 0, 0, fees.BoundNone},
	} {
		q, err := s.Quote(tt.kind, tt.a, tt.vol)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if q.Fee != (money.Amount{Minor: tt.fee, Currency: tt.a.Currency}) || q.Bound != tt.bound {
			t.Errorf("%s: %s fee on %v = %v (bound %q), want %d minor units (bound %q)", tt.name, tt.kind, tt.a, q.Fee, q.Bound, tt.fee, tt.bound)
		}
	}
}

func TestQuoteErrors(t *testing.T) {
	s := fees.Default()
	for _, tt := range []struct {
		kind fees.Kind
		a    money.Amount
		vol  int64
		want error
	}{
		{"tip", amt(100, "USD"), 0, fees.ErrUnknownKind},
		{fees.Transfer, amt(100, "KRW"), 0, fees.ErrNotOffered},
		{fees.Transfer, amt(-1, "USD"), 0, fees.ErrInvalidAmount},
		{fees.Transfer, amt(100, "USD"), -1, fees.ErrInvalidAmount},
		{fees.Transfer, money.Amount{Minor: 100}, 0, fees.ErrInvalidAmount},
		{fees.Transfer, money.Amount{Minor: 100, Currency: money.Currency{Code: "USD", Exponent: 3}}, 0, fees.ErrInvalidAmount},
	} {
		if _, err := s.Quote(tt.kind, tt.a, tt.vol); !errors.Is(err, tt.want) {
			t.Errorf("Quote(%s, %+v, %d) = %v, want %v", tt.kind, tt.a, tt.vol, err, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	s := fees.Default()
	q := mustQuote(t, s, fees.Transfer, amt(10_000, "USD"), 0) // fee 1.30
	for _, tt := range []struct {
		payer fees.Payer
		want  fees.Split
	}{
		{"", fees.Split{Payer: fees.Sender, Debit: 10_130, Credit: 10_000, Revenue: 130}},
		{fees.Sender, fees.Split{Payer: fees.Sender, Debit: 10_130, Credit: 10_000, Revenue: 130}},
		{fees.Receiver, fees.Split{Payer: fees.Receiver, Debit: 10_000, Credit: 9_870, Revenue: 130}},
	} {
		got, err := q.Split(tt.payer)
		if err != nil || got != tt.want {
			t.Errorf("Split(%q) = %+v, %v; want %+v", tt.payer, got, err, tt.want)
		}
	}

	// The receiver cannot pay a fee that eats the whole amount: 0.50
	// minimum on 0.50.
	small := mustQuote(t, s, fees.Transfer, amt(50, "USD"), 0)
	if got, err := small.Split(fees.Receiver); !errors.Is(err, fees.ErrFeeExceedsAmount) {
		t.Errorf("receiver pays 0.50 on 0.50: %+v, %v; want ErrFeeExceedsAmount", got, err)
	}
	if got, err := mustQuote(t, s, fees.Transfer, amt(51, "USD"), 0).Split(fees.Receiver); err != nil || got.Credit != 1 {
		t.Errorf("receiver pays 0.50 on 0.51: %+v, %v; want 0.01 credited", got, err)
	}
	// Only entries that allow it let the payer be chosen.
	w := mustQuote(t, s, fees.WithdrawalBank, amt(10_000, "USD"), 0)
	if _, err := w.Split(fees.Receiver); !errors.Is(err, fees.ErrPayerNotAllowed) {
		t.Errorf("withdrawal fee on the receiver = %v, want ErrPayerNotAllowed", err)
	}
	if _, err := q.Split("platform"); !errors.Is(err, fees.ErrPayerNotAllowed) {
		t.Errorf("Split(\"platform\") = %v, want ErrPayerNotAllowed", err)
	}
	// Amount plus fee beyond int64 is an error, not a wrapped debit.
	big := mustQuote(t, s, fees.Transfer, amt(math.MaxInt64-100, "USD"), 0)
	if _, err := big.Split(fees.Sender); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Split of MaxInt64-100 + 30.00 = %v, want money.ErrOverflow", err)
	}
}

func TestTable(t *testing.T) {
	rows := fees.Default().Table()
	var transferUSD []string
	kinds := map[fees.Kind]int{}
	for _, r := range rows {
		kinds[r.Kind]++
		if r.Kind == fees.Transfer && r.Currency == "USD" {
			line := r.Tier.Percent.String() + "% + " + r.Fixed.String() + " min " + r.Min.String() + " max " + r.Max.String()
			transferUSD = append(transferUSD, money.Amount{Minor: r.Tier.FromUSD, Currency: money.MustCurrency("USD")}.Decimal()+".."+
				money.Amount{Minor: r.Tier.ToUSD, Currency: money.MustCurrency("USD")}.Decimal()+": "+line)
			if !r.HasMax || r.Payer != fees.Sender || !r.PayerMayChoose || r.Tiers != 4 {
				t.Errorf("transfer USD row %+v", r)
			}
		}
		if r.Currency == fees.AnyCurrency && (r.Fixed.Minor != 0 || r.Min.Minor != 0 || r.HasMax) {
			t.Errorf("row for any currency carries amounts: %+v", r)
		}
	}
	want := []string{
		"0.00..3000.00: 1% + 0.30 USD min 0.50 USD max 30.00 USD",
		"3000.00..10000.00: 0.8% + 0.30 USD min 0.50 USD max 30.00 USD",
		"10000.00..100000.00: 0.5% + 0.30 USD min 0.50 USD max 30.00 USD",
		"100000.00..0.00: 0.3% + 0.30 USD min 0.50 USD max 30.00 USD",
	}
	if diff := cmp.Diff(want, transferUSD); diff != "" {
		t.Errorf("transfer USD rows (-want +got):\n%s", diff)
	}
	if kinds[fees.Transfer] != 7*4 || kinds[fees.Conversion] != 1 || kinds[fees.DormantMonthly] != 7 || kinds[fees.MerchantPayment] != 7 || len(kinds) != 10 {
		t.Errorf("rows per kind = %v", kinds)
	}
	// The page and the charge agree: every row's numbers are what Quote
	// applies at the row's lower volume.
	s := fees.Default()
	for _, r := range rows {
		code := r.Currency
		if code == fees.AnyCurrency {
			code = "KRW"
		}
		q := mustQuote(t, s, r.Kind, amt(1_000_000, code), r.Tier.FromUSD)
		if q.Tier != r.Tier || q.Rule.Currency != r.Currency || (r.Currency != fees.AnyCurrency && (q.Fixed != r.Fixed || q.Min != r.Min || q.Max != r.Max)) {
			t.Errorf("row %+v disagrees with the quote %+v", r, q)
		}
	}
}

func TestLoadRefusesBadSchedules(t *testing.T) {
	// base is a valid one-entry schedule; each case breaks one thing.
	base := `{"entries": [{"kind": "transfer", "payer": "sender",
		"tiers": [{"from_volume_usd": "0", "percent": "1"}, {"from_volume_usd": "1000.00", "percent": "0.5"}],
		"currencies": [{"currency": "USD", "fixed": "0.30", "min": "0.50", "max": "30.00"}]}]}`
	if _, err := fees.Load(strings.NewReader(base)); err != nil {
		t.Fatalf("the base schedule does not load: %v", err)
	}
	for _, tt := range []struct {
		name, old, new string
		want           []string
	}{
		{"float percent", `"percent": "1"`, `"percent": 1`, []string{"line 2", "percent", "string"}},
		{"unknown field", `"payer": "sender"`, `"payer": "sender", "discount": "5"`, []string{"discount"}},
		{"no kind", `"kind": "transfer"`, `"kind": ""`, []string{"entry 1", "snake_case"}},
		{"bad kind", `"kind": "transfer"`, `"kind": "Transfer Fee"`, []string{`entry 1 ("Transfer Fee")`, "snake_case"}},
		{"bad payer", `"payer": "sender"`, `"payer": "platform"`, []string{`entry 1 ("transfer")`, "payer"}},
		{"bad rounding", `"payer": "sender"`, `"payer": "sender", "rounding": "nearest"`, []string{"rounding \"nearest\""}},
		{"negative percent", `"percent": "0.5"`, `"percent": "-0.5"`, []string{"tiers[1]", "percent"}},
		{"percent over 100", `"percent": "0.5"`, `"percent": "100.01"`, []string{"tiers[1]", "more than 100"}},
		{"percent exponent", `"percent": "0.5"`, `"percent": "5e-1"`, []string{"tiers[1]", "plain decimal"}},
		{"first tier not 0", `"from_volume_usd": "0"`, `"from_volume_usd": "1.00"`, []string{"tiers[0]", "must start at"}},
		{"tiers descend", `"from_volume_usd": "1000.00"`, `"from_volume_usd": "0.00"`, []string{"tiers[1]", "does not ascend"}},
		{"volume too precise", `"from_volume_usd": "1000.00"`, `"from_volume_usd": "1000.001"`, []string{"tiers[1]", "fractional digits"}},
		{"no tiers", `"tiers": [{"from_volume_usd": "0", "percent": "1"}, {"from_volume_usd": "1000.00", "percent": "0.5"}]`, `"tiers": []`, []string{"no tiers"}},
		{"unknown currency", `"currency": "USD"`, `"currency": "XYZ"`, []string{`currencies[0] ("XYZ")`, "ISO 4217"}},
		{"lower-case currency", `"currency": "USD"`, `"currency": "usd"`, []string{`currencies[0] ("usd")`}},
		{"negative fixed", `"fixed": "0.30"`, `"fixed": "-0.30"`, []string{`currencies[0] ("USD")`, "fixed -0.30 is negative"}},
		{"too precise", `"fixed": "0.30"`, `"fixed": "0.305"`, []string{`currencies[0] ("USD")`, "fixed"}},
		{"cap below min", `"max": "30.00"`, `"max": "0.40"`, []string{`currencies[0] ("USD")`, "max 0.40 is below min 0.50"}},
		{"amounts on any", `"currency": "USD"`, `"currency": "*"`, []string{`currencies[0] ("*")`, "takes no fixed"}},
		{"currency twice", `"max": "30.00"}`, `"max": "30.00"}, {"currency": "USD"}`, []string{`currencies[1] ("USD")`, "twice"}},
		{"kind twice", `]}]}`, `]}, {"kind": "transfer", "tiers": [{"from_volume_usd": "0", "percent": "1"}], "currencies": [{"currency": "*"}]}]}`,
			[]string{`entry 2 ("transfer")`, "twice"}},
		{"trailing data", `]}]}`, `]}]} {}`, []string{"after the schedule"}},
		{"bad date", `{"entries"`, `{"effective": "2026-13-01", "entries"`, []string{"effective"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(base, tt.old, tt.new, 1)
			if in == base {
				t.Fatalf("the case changes nothing: %q not in the base", tt.old)
			}
			s, err := fees.Load(strings.NewReader(in))
			if !errors.Is(err, fees.ErrInvalidSchedule) {
				t.Fatalf("Load = %v, %v; want ErrInvalidSchedule", s, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := fees.Load(strings.NewReader(`{"entries": []}`)); !errors.Is(err, fees.ErrInvalidSchedule) {
		t.Errorf("Load(no entries) = %v", err)
	}
	path := filepath.Join(t.TempDir(), "fees.json")
	if err := os.WriteFile(path, []byte(strings.Replace(base, `"max": "30.00"`, `"max": "0.40"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fees.LoadFile(path); !errors.Is(err, fees.ErrInvalidSchedule) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadFile(bad) = %v, want ErrInvalidSchedule naming the file", err)
	}
	if _, err := fees.LoadFile(path + ".missing"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("LoadFile(missing) = %v", err)
	}
}

func TestOverrideSchedule(t *testing.T) {
	// An operator's file replaces the default entirely: kinds it omits are
	// not charged.
	s, err := fees.Load(strings.NewReader(`{"effective": "2027-01-01", "entries": [{"kind": "transfer", "payer": "receiver",
		"rounding": "up", "tiers": [{"from_volume_usd": "0", "percent": "2.9"}],
		"currencies": [{"currency": "USD", "fixed": "0.30"}, {"currency": "*"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuote(t, s, fees.Transfer, amt(1001, "USD"), 0) // 29.029 → 30 (up), + 30
	if q.Fee != amt(60, "USD") || q.Payer != fees.Receiver || q.Rounding != money.RoundUp {
		t.Errorf("quote = %+v, want 0.60 paid by the receiver", q)
	}
	if sp, err := q.Split(""); err != nil || sp != (fees.Split{Payer: fees.Receiver, Debit: 1001, Credit: 941, Revenue: 60}) {
		t.Errorf("Split = %+v, %v", sp, err)
	}
	if q := mustQuote(t, s, fees.Transfer, amt(1001, "JPY"), 0); q.Fee != amt(30, "JPY") || q.Rule.Currency != fees.AnyCurrency {
		t.Errorf("JPY through \"*\" = %+v, want 30 JPY (29.029 rounded up)", q)
	}
	if _, err := s.Quote(fees.Conversion, amt(1, "USD"), 0); !errors.Is(err, fees.ErrUnknownKind) {
		t.Errorf("a kind the file omits = %v, want ErrUnknownKind", err)
	}
	if got := s.Kinds(); !slices.Equal(got, []fees.Kind{fees.Transfer}) {
		t.Errorf("Kinds = %v", got)
	}
}

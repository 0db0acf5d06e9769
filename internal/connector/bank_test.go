package connector

import (
	"context"
	"testing"
	"time"
)

func TestParseIBAN(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"DE89370400440532013000", "DE89370400440532013000"},
		{"de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"GB82-WEST-1234-5698-7654-32", "GB82WEST12345698765432"},
		{"FR1420041010050500013M02606", "FR1420041010050500013M02606"},
		{"NO9386011117947", "NO9386011117947"},
		{"DE89370400440532013001", ""},  // check digits
		{"DE8937040044053201300", ""},   // DE is 22 long
		{"NL91ABNA0417164300X", ""},     // NL is 18 long
		{"XX00", ""},                    // too short
		{"DE89370400440532013000!", ""}, // stray character
		{"1E89370400440532013000", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParseIBAN(tt.in)
		if tt.want == "" {
			if CodeOf(err) != CodeInvalidAccount {
				t.Errorf("ParseIBAN(%q) = %q, %v; want invalid_account", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseIBAN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestWeekdays(t *testing.T) {
	fri := time.Date(2026, 3, 13, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{t0, 1, t0.AddDate(0, 0, 1)},
		{t0, 3, t0.AddDate(0, 0, 5)}, // Wednesday + 3 = Monday
		{fri, 1, fri.AddDate(0, 0, 3)},
		{fri.AddDate(0, 0, 1), 1, fri.AddDate(0, 0, 3)}, // Saturday + 1 = Monday
		{t0, 0, t0},
	}
	for _, tt := range tests {
		if got := Weekdays(tt.from, tt.n); !got.Equal(tt.want) {
			t.Errorf("Weekdays(%v, %d) = %v, want %v", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestBankSandboxPayouts(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock() // Wednesday 10:00
	s := NewBankSandbox(SandboxConfig{Now: clk.Now})
	amt := mustAmount(t, 100000, "EUR")

	type made struct {
		p    Payout
		want PayoutStatus
		code Code
	}
	var all []made
	for i, tt := range []struct {
		iban string
		days int
		want PayoutStatus
		code Code
	}{
		{"DE89 3704 0044 0532 0130 00", 1, PayoutPaid, ""},
		{"NL91ABNA0417164300", 2, PayoutPaid, ""},
		{"GB82WEST12345698765432", 3, PayoutPaid, ""},
		{"DE62370400440532013001", 2, PayoutFailed, CodeAccountClosed},
		{"FR1420041010050500013M02606", 2, PayoutPaid, ""},
	} {
		p, err := s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_" + tt.iban, Amount: amt,
			Destination: BankAccount{IBAN: tt.iban, Name: " Li Lei "}, Description: "OKPay withdrawal"})
		mustNoErr(t, err)
		if p.Status != PayoutPending || p.Rail != RailBankTransfer || p.Amount != amt {
			t.Errorf("%d: payout = %+v", i, p)
		}
		if want := Weekdays(t0, tt.days); !p.ExpectedAt.Equal(want) {
			t.Errorf("%s: expected at %v, want %v (%d business days)", tt.iban, p.ExpectedAt, want, tt.days)
		}
		if d := p.Destination.(BankAccount); d.Name != "Li Lei" || len(d.IBAN) < 15 || d.IBAN[2] == ' ' {
			t.Errorf("destination not normalised: %+v", d)
		}
		all = append(all, made{p, tt.want, tt.code})
	}
	// Monday, five days later: everything has settled.
	for day := 1; day <= 5; day++ {
		clk.Set(t0.AddDate(0, 0, day))
		for _, m := range all {
			got, err := s.PayoutStatus(ctx, m.p.ID)
			mustNoErr(t, err)
			settled := !clk.Now().Before(m.p.ExpectedAt)
			switch {
			case !settled && got.Status != PayoutPending:
				t.Errorf("day %d: %s is %s before %v", day, m.p.ID, got.Status, m.p.ExpectedAt)
			case settled && (got.Status != m.want || got.FailureCode != m.code || !got.SettledAt.Equal(m.p.ExpectedAt)):
				t.Errorf("day %d: %s is %s/%s settled %v, want %s/%s", day, m.p.ID, got.Status, got.FailureCode, got.SettledAt, m.want, m.code)
			}
		}
	}
}

func TestBankSandboxCalendar(t *testing.T) {
	// The caller's calendar decides: here every business day is a week.
	var calls int
	cal := func(t time.Time, n int) time.Time { calls++; return t.AddDate(0, 0, 7*n) }
	s := NewBankSandbox(SandboxConfig{Now: newTestClock().Now, AddBusinessDays: cal})
	p, err := s.Payout(context.Background(), PayoutRequest{IdempotencyKey: "wd", Amount: mustAmount(t, 1, "EUR"),
		Destination: BankAccount{IBAN: "GB82WEST12345698765432"}})
	mustNoErr(t, err)
	if want := t0.AddDate(0, 0, 21); !p.ExpectedAt.Equal(want) || calls != 1 {
		t.Errorf("expected at %v after %d calls, want %v", p.ExpectedAt, calls, want)
	}
}

func TestBankSandboxFailures(t *testing.T) {
	ctx := context.Background()
	s := NewBankSandbox(SandboxConfig{Now: newTestClock().Now})
	amt := mustAmount(t, 100000, "EUR")
	pay := func(key, iban string) (Payout, error) {
		return s.Payout(ctx, PayoutRequest{IdempotencyKey: key, Amount: amt, Destination: BankAccount{IBAN: iban}})
	}

	_, err := pay("a", "DE89370400440532013001")
	mustCode(t, err, CodeInvalidAccount)
	// An invalid IBAN binds nothing: the corrected one may use the key.
	_, err = pay("a", "DE89370400440532013000")
	mustNoErr(t, err)
	_, err = pay("a", "NL91ABNA0417164300")
	mustCode(t, err, CodeIdempotencyConflict)

	_, err = pay("b", "DE35370400440532013002")
	mustCode(t, err, CodeTimeout)
	p1, err := pay("b", "DE35370400440532013002")
	mustNoErr(t, err)
	p2, err := pay("b", "DE35370400440532013002")
	mustNoErr(t, err)
	if p1.ID != p2.ID {
		t.Errorf("two payouts for one key: %s, %s", p1.ID, p2.ID)
	}

	for range 3 {
		_, err = pay("c", "DE08370400440532013003")
		mustCode(t, err, CodeTimeout)
	}
	s.net.mu.Lock()
	n := len(s.net.payouts)
	s.net.mu.Unlock()
	if n != 2 {
		t.Errorf("%d payouts recorded, want 2", n)
	}

	_, err = s.Payout(ctx, PayoutRequest{IdempotencyKey: "d", Amount: amt, Destination: WalletAccount("alice@wallet.test")})
	mustCode(t, err, CodeInvalidRequest)
	_, err = s.Payout(ctx, PayoutRequest{Amount: amt, Destination: BankAccount{IBAN: "DE89370400440532013000"}})
	mustCode(t, err, CodeInvalidRequest)
}

package connector

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseWalletAccount(t *testing.T) {
	tests := []struct {
		in   string
		want WalletAccount
		ok   bool
	}{
		{"alice@wallet.test", "alice@wallet.test", true},
		{"  Alice@Wallet.TEST ", "alice@wallet.test", true},
		{"a.b+c_d-e@sub.example.com", "a.b+c_d-e@sub.example.com", true},
		{"alice", "", false},
		{"@wallet.test", "", false},
		{"alice@wallet", "", false},
		{"alice@@wallet.test", "", false},
		{"al ice@wallet.test", "", false},
		{".alice@wallet.test", "", false},
		{"alice@-wallet.test", "", false},
		{"alice@wallet..test", "", false},
		{"阿丽@wallet.test", "", false},
	}
	for _, tt := range tests {
		got, err := ParseWalletAccount(tt.in)
		if tt.ok {
			mustNoErr(t, err)
		} else if CodeOf(err) != CodeInvalidAccount {
			t.Errorf("ParseWalletAccount(%q) error = %v, want invalid_account", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("ParseWalletAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEWalletSandboxCharge(t *testing.T) {
	ctx := context.Background()
	amt := mustAmount(t, 5000, "USD")
	tests := []struct {
		account WalletAccount
		want    Code // "" for success
	}{
		{"alice@wallet.test", ""},
		{"BOB@wallet.test", ""},
		{"broke@wallet.test", CodeInsufficientFunds},
		{"closed@wallet.test", CodeAccountClosed},
		{"down@wallet.test", CodeTimeout},
		{"slow@wallet.test", CodeTimeout},
		{"carol@wallet.test", CodeAccountNotFound},
		{"not an id", CodeInvalidAccount},
	}
	for _, tt := range tests {
		t.Run(string(tt.account), func(t *testing.T) {
			s := NewEWalletSandbox(SandboxConfig{Now: newTestClock().Now})
			c, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "dep_1", Amount: amt, Source: tt.account})
			if tt.want == "" {
				mustNoErr(t, err)
				want := Charge{ID: c.ID, Rail: RailEWallet, Status: ChargeSucceeded, Amount: amt,
					Account: WalletAccount(lower(string(tt.account))), Created: t0}
				if diff := cmp.Diff(want, c); diff != "" {
					t.Errorf("charge (-want +got):\n%s", diff)
				}
				return
			}
			e := mustCode(t, err, tt.want)
			if declined := tt.want == CodeInsufficientFunds || tt.want == CodeAccountClosed; declined != (e.ChargeID != "") {
				t.Errorf("charge id %q on %s", e.ChargeID, tt.want)
			}
		})
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestEWalletSandboxRetries(t *testing.T) {
	ctx := context.Background()
	s := NewEWalletSandbox(SandboxConfig{Now: newTestClock().Now})
	amt := mustAmount(t, 5000, "USD")

	// slow: done on the first attempt, the answer lost; the retry with the
	// same key gets the charge.
	req := ChargeRequest{IdempotencyKey: "dep_slow", Amount: amt, Source: WalletAccount("slow@wallet.test")}
	_, err := s.Charge(ctx, req)
	if e := mustCode(t, err, CodeTimeout); !e.Retryable() {
		t.Error("a timeout must be retryable")
	}
	c, err := s.Charge(ctx, req)
	mustNoErr(t, err)
	if c.Status != ChargeSucceeded {
		t.Errorf("retry status %s", c.Status)
	}
	if n := chargesRecorded(s.net); n != 1 {
		t.Errorf("%d charges, want 1", n)
	}
	got, err := s.Confirm(ctx, c.ID, "")
	mustNoErr(t, err)
	if got.ID != c.ID || got.Status != ChargeSucceeded {
		t.Errorf("confirm = %+v", got)
	}

	// down: nothing happens, however often.
	down := ChargeRequest{IdempotencyKey: "dep_down", Amount: amt, Source: WalletAccount("down@wallet.test")}
	for range 3 {
		_, err := s.Charge(ctx, down)
		mustCode(t, err, CodeTimeout)
	}
	if n := chargesRecorded(s.net); n != 1 {
		t.Errorf("%d charges, want still 1", n)
	}

	// The same key for another account is a conflict.
	_, err = s.Charge(ctx, ChargeRequest{IdempotencyKey: "dep_slow", Amount: amt, Source: WalletAccount("alice@wallet.test")})
	mustCode(t, err, CodeIdempotencyConflict)

	// Card sources do not belong here.
	_, err = s.Charge(ctx, ChargeRequest{IdempotencyKey: "card", Amount: amt, Source: validCard("4242424242424242")})
	mustCode(t, err, CodeInvalidRequest)
}

func TestEWalletSandboxPayout(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock() // Wednesday
	s := NewEWalletSandbox(SandboxConfig{Now: clk.Now})
	amt := mustAmount(t, 12345, "EUR")

	p, err := s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_1", Amount: amt, Destination: WalletAccount("broke@wallet.test")})
	mustNoErr(t, err)
	want := Payout{ID: p.ID, Rail: RailEWallet, Status: PayoutPending, Amount: amt,
		Destination: WalletAccount("broke@wallet.test"), Created: t0, ExpectedAt: t0.AddDate(0, 0, 1)}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("payout (-want +got):\n%s", diff)
	}
	clk.Add(24*time.Hour - time.Second)
	if got, _ := s.PayoutStatus(ctx, p.ID); got.Status != PayoutPending {
		t.Errorf("status a second early = %s", got.Status)
	}
	clk.Add(time.Second)
	got, err := s.PayoutStatus(ctx, p.ID)
	mustNoErr(t, err)
	if got.Status != PayoutPaid || !got.SettledAt.Equal(want.ExpectedAt) {
		t.Errorf("status = %s settled %v", got.Status, got.SettledAt)
	}

	_, err = s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_2", Amount: amt, Destination: WalletAccount("closed@wallet.test")})
	mustCode(t, err, CodeAccountClosed)
	_, err = s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_3", Amount: amt, Destination: WalletAccount("nobody@wallet.test")})
	mustCode(t, err, CodeAccountNotFound)
	_, err = s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_4", Amount: amt, Destination: BankAccount{IBAN: "DE89370400440532013000"}})
	mustCode(t, err, CodeInvalidRequest)
	_, err = s.Payout(ctx, PayoutRequest{IdempotencyKey: "wd_5", Amount: amt, Destination: WalletAccount("down@wallet.test")})
	mustCode(t, err, CodeTimeout)

	slow := PayoutRequest{IdempotencyKey: "wd_6", Amount: amt, Destination: WalletAccount("slow@wallet.test")}
	_, err = s.Payout(ctx, slow)
	mustCode(t, err, CodeTimeout)
	p1, err := s.Payout(ctx, slow)
	mustNoErr(t, err)
	p2, err := s.Payout(ctx, slow)
	mustNoErr(t, err)
	if p1.ID != p2.ID {
		t.Errorf("two payouts for one key: %s, %s", p1.ID, p2.ID)
	}
	_, err = s.PayoutStatus(ctx, "po_nope")
	mustCode(t, err, CodeNotFound)
}

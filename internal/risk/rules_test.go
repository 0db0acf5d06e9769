package risk_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// TestEvaluate: each rule fires on what it should and not on what it
// should not, and only the documented combination holds.
func TestEvaluate(t *testing.T) {
	c := risk.DefaultConfig()
	old := 30 * 24 * time.Hour
	base := risk.Facts{Amount: 100_00, Floor: 500_00, PaidBefore: true, DeviceKnown: true, DeviceAge: old,
		Past: []int64{100_00, 120_00, 80_00}}
	tests := []struct {
		name    string
		change  func(*risk.Facts)
		reasons []string
		hold    bool
	}{
		{"usual payment", func(*risk.Facts) {}, nil, false},
		{"velocity below the count", func(f *risk.Facts) { f.Recent = c.VelocityCount - 1 }, nil, false},
		{"velocity at the count", func(f *risk.Facts) { f.Recent = c.VelocityCount }, []string{risk.RuleVelocity}, true},
		{"amount below the floor, no history", func(f *risk.Facts) { f.Amount, f.Past = 499_99, nil }, nil, false},
		{"amount at the floor, no history", func(f *risk.Facts) { f.Amount, f.Past = 500_00, nil }, []string{risk.RuleUnusualAmount}, false},
		{"amount at the floor, short history", func(f *risk.Facts) { f.Amount, f.Past = 500_00, []int64{400_00, 450_00} }, []string{risk.RuleUnusualAmount}, false},
		{"exactly the multiple of the median", func(f *risk.Facts) { f.Amount = 500_00 }, nil, false},
		{"above the multiple of the median", func(f *risk.Facts) { f.Amount = 500_01 }, []string{risk.RuleUnusualAmount}, false},
		{"large but usual for this user", func(f *risk.Facts) { f.Amount, f.Past = 2000_00, []int64{1000_00, 900_00, 1500_00} }, nil, false},
		{"one old large payment does not make it usual", func(f *risk.Facts) { f.Amount, f.Past = 2000_00, []int64{5000_00, 100_00, 100_00} }, []string{risk.RuleUnusualAmount}, false},
		{"new payee, small", func(f *risk.Facts) { f.PaidBefore = false }, []string{risk.RuleNewPayee}, false},
		{"new device, small", func(f *risk.Facts) { f.DeviceAge = time.Hour }, []string{risk.RuleNewDevice}, false},
		{"device just past the age", func(f *risk.Facts) { f.DeviceAge = c.NewDeviceAge }, nil, false},
		{"unknown device (no cookie) is not new", func(f *risk.Facts) { f.DeviceKnown, f.DeviceAge = false, 0 }, nil, false},
		{"new device and new payee, small", func(f *risk.Facts) { f.DeviceAge, f.PaidBefore = 0, false }, []string{risk.RuleNewDevice, risk.RuleNewPayee}, false},
		{"unusual to a new payee", func(f *risk.Facts) { f.Amount, f.PaidBefore = 600_00, false }, []string{risk.RuleUnusualAmount, risk.RuleNewPayee}, true},
		{"unusual from a new device", func(f *risk.Facts) { f.Amount, f.DeviceAge = 600_00, time.Minute }, []string{risk.RuleUnusualAmount, risk.RuleNewDevice}, true},
		{"velocity with everything else", func(f *risk.Facts) { f.Recent, f.Amount, f.PaidBefore, f.DeviceAge = 9, 600_00, false, 0 },
			[]string{risk.RuleVelocity, risk.RuleUnusualAmount, risk.RuleNewDevice, risk.RuleNewPayee}, true},
		{"huge median does not overflow", func(f *risk.Facts) { f.Amount, f.Past = 1<<62, []int64{1 << 61, 1 << 61, 1 << 61} }, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			f.Past = append([]int64(nil), base.Past...)
			tt.change(&f)
			v := risk.Evaluate(c, f)
			if diff := cmp.Diff(tt.reasons, v.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if v.Hold != tt.hold {
				t.Errorf("hold = %v, want %v", v.Hold, tt.hold)
			}
		})
	}
}

// TestRulesOnSends: the rules judge real sends from the facts stored in
// the database (history, payees, devices, the velocity window), and a
// send is held exactly when they say so, on both engines.
func TestRulesOnSends(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		type send struct {
			amount money.Amount
			toNew  bool // to the second payee instead of the usual one
		}
		tests := []struct {
			name    string
			history []int64 // completed USD sends to the usual payee, 11 minutes apart
			burst   int     // further 1.00 USD sends to the usual payee just now
			device  string  // "none", "new", "old"
			send    send
			reasons []string
			hold    bool
		}{
			{"small to a new payee from a new device", nil, 0, "new", send{amt(10_00, usd), true},
				[]string{risk.RuleNewDevice, risk.RuleNewPayee}, false},
			{"large to a new payee, no cookie", nil, 0, "none", send{amt(600_00, usd), true},
				[]string{risk.RuleUnusualAmount, risk.RuleNewPayee}, true},
			{"just below the floor to a new payee from a new device", nil, 0, "new", send{amt(499_99, usd), true},
				[]string{risk.RuleNewDevice, risk.RuleNewPayee}, false},
			{"large to the usual payee from an old device", []int64{100_00, 100_00, 100_00}, 0, "old", send{amt(600_00, usd), false},
				[]string{risk.RuleUnusualAmount}, false},
			{"large to the usual payee from a new device", []int64{100_00, 100_00, 100_00}, 0, "new", send{amt(600_00, usd), false},
				[]string{risk.RuleUnusualAmount, risk.RuleNewDevice}, true},
			{"within the usual multiple from a new device", []int64{200_00, 200_00, 200_00}, 0, "new", send{amt(900_00, usd), false},
				[]string{risk.RuleNewDevice}, false},
			{"within the usual multiple to a new payee", []int64{200_00, 200_00, 200_00}, 0, "old", send{amt(900_00, usd), true},
				[]string{risk.RuleNewPayee}, false},
			{"converted: CNY above the floor to a new payee", nil, 0, "old", send{amt(4000_00, cny), true},
				[]string{risk.RuleUnusualAmount, risk.RuleNewPayee}, true},
			{"converted: CNY below the floor to a new payee", nil, 0, "old", send{amt(3000_00, cny), true},
				[]string{risk.RuleNewPayee}, false},
			{"a burst of five, then one more", []int64{100_00}, 5, "old", send{amt(1_00, usd), false},
				[]string{risk.RuleVelocity}, true},
			{"a burst of four, then one more", []int64{100_00}, 4, "old", send{amt(1_00, usd), false},
				nil, false},
		}
		en := newEnv(t, e)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				en.t = t
				a, usual, other := en.user(auth.RoleCustomer), en.user(auth.RoleCustomer), en.user(auth.RoleCustomer)
				en.deposit(a, amt(5000_00, usd))
				en.deposit(a, amt(30000_00, cny))
				dev := ""
				if tt.device == "old" {
					dev = en.device(a)
					en.clock.Add(4 * 24 * time.Hour)
				}
				for _, h := range tt.history {
					if m := en.mustSend(a, en.walletID(usual), amt(h, usd), dev); m.Status != wallet.StatusCompleted {
						t.Fatalf("history send is %s", m.Status)
					}
					en.clock.Add(11 * time.Minute)
				}
				for range tt.burst {
					en.mustSend(a, en.walletID(usual), amt(1_00, usd), dev)
				}
				if tt.device == "new" {
					dev = en.device(a)
				}
				to := en.walletID(usual)
				if tt.send.toNew {
					to = en.walletID(other)
				}
				v, err := en.risk.Screen(ctx, wallet.Outgoing{UserID: a.ID, Type: wallet.TypeSend, Amount: tt.send.amount, Payee: string(to), Device: dev})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.reasons, v.Reasons); diff != "" {
					t.Errorf("reasons (-want +got):\n%s", diff)
				}
				m := en.mustSend(a, to, tt.send.amount, dev)
				want := wallet.StatusCompleted
				if tt.hold {
					want = wallet.StatusHeld
				}
				if m.Status != want {
					t.Errorf("the send is %s, want %s", m.Status, want)
				}
				en.clock.Add(time.Hour)
			})
		}
	})
}

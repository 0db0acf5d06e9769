package ledger_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

const wallet = ledger.DebitsMustNotExceedCredits

func TestTransferRules(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		e := newEnv(t, eng)
		bank := e.mustAccount(t, "bank:USD", "USD", 0)
		alice := e.mustAccount(t, "wallet:alice:USD", "USD", wallet)
		bob := e.mustAccount(t, "wallet:bob:USD", "USD", wallet)
		eur := e.mustAccount(t, "wallet:alice:EUR", "EUR", wallet)

		deposit := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 10000, Currency: "USD", Code: 1}
		overdraft := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: bob, Amount: 10001, Currency: "USD"}
		hold := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: bob, Amount: 3000, Currency: "USD", Flags: ledger.Pending}
		changed := deposit
		changed.Amount = 1

		steps := []struct {
			name string
			in   []ledger.Transfer
			want []ledger.Code
		}{
			{"deposit", []ledger.Transfer{deposit}, []ledger.Code{ledger.OK}},
			{"retry is exists", []ledger.Transfer{deposit}, []ledger.Code{ledger.Exists}},
			{"same id other fields", []ledger.Transfer{changed}, []ledger.Code{ledger.ExistsWithDifferentFields}},
			{"overdraft", []ledger.Transfer{overdraft}, []ledger.Code{ledger.InsufficientFunds}},
			{"refusal is kept", []ledger.Transfer{overdraft}, []ledger.Code{ledger.InsufficientFunds}},
			{"zero id", []ledger.Transfer{{DebitAccountID: bank, CreditAccountID: alice, Amount: 1, Currency: "USD"}}, []ledger.Code{ledger.IDMustNotBeZero}},
			{"same account", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: bank, Amount: 1, Currency: "USD"}}, []ledger.Code{ledger.AccountsMustBeDifferent}},
			{"zero amount", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Currency: "USD"}}, []ledger.Code{ledger.AmountMustBePositive}},
			{"negative amount", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: -5, Currency: "USD"}}, []ledger.Code{ledger.AmountMustBePositive}},
			{"unknown account", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: 999999, Amount: 1, Currency: "USD"}}, []ledger.Code{ledger.AccountNotFound}},
			{"currency mismatch", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: eur, Amount: 1, Currency: "USD"}}, []ledger.Code{ledger.CurrencyMismatch}},
			{"hold", []ledger.Transfer{hold}, []ledger.Code{ledger.OK}},
			{"hold counts against available", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: alice, CreditAccountID: bob, Amount: 7001, Currency: "USD"}}, []ledger.Code{ledger.InsufficientFunds}},
			{"post more than held", []ledger.Transfer{{ID: ledger.NewID(), PendingID: hold.ID, Flags: ledger.PostPending, Amount: 3001}}, []ledger.Code{ledger.PendingAmountExceeded}},
			{"post part", []ledger.Transfer{{ID: ledger.DeriveID(hold.ID, "post"), PendingID: hold.ID, Flags: ledger.PostPending, Amount: 2000}}, []ledger.Code{ledger.OK}},
			{"post retried", []ledger.Transfer{{ID: ledger.DeriveID(hold.ID, "post"), PendingID: hold.ID, Flags: ledger.PostPending, Amount: 2000}}, []ledger.Code{ledger.Exists}},
			{"void after post", []ledger.Transfer{{ID: ledger.DeriveID(hold.ID, "void"), PendingID: hold.ID, Flags: ledger.VoidPending}}, []ledger.Code{ledger.PendingAlreadyResolved}},
			{"post unknown hold", []ledger.Transfer{{ID: ledger.NewID(), PendingID: ledger.NewID(), Flags: ledger.PostPending}}, []ledger.Code{ledger.PendingNotFound}},
			{"post a plain transfer", []ledger.Transfer{{ID: ledger.NewID(), PendingID: deposit.ID, Flags: ledger.PostPending}}, []ledger.Code{ledger.PendingNotFound}},
			{"two kinds at once", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 1, Currency: "USD", Flags: ledger.Pending | ledger.PostPending}}, []ledger.Code{ledger.InvalidFlags}},
			{"timeout without pending", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 1, Currency: "USD", Timeout: time.Minute}}, []ledger.Code{ledger.TimeoutRequiresPending}},
			{"linked chain fails together", []ledger.Transfer{
				{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 100, Currency: "USD", Flags: ledger.Linked},
				{ID: ledger.NewID(), DebitAccountID: bob, CreditAccountID: alice, Amount: 1_000_000, Currency: "USD"},
				{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: bob, Amount: 5, Currency: "USD"},
			}, []ledger.Code{ledger.LinkedEventFailed, ledger.InsufficientFunds, ledger.OK}},
			{"metadata too long", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 1, Currency: "USD", Metadata: strings.Repeat("x", ledger.MaxMetadata+1)}}, []ledger.Code{ledger.MetadataTooLong}},
			{"balance overflow", []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: math.MaxInt64, Currency: "USD"}}, []ledger.Code{ledger.Overflow}},
			{"open chain", []ledger.Transfer{
				{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: alice, Amount: 100, Currency: "USD", Flags: ledger.Linked},
			}, []ledger.Code{ledger.LinkedEventChainOpen}},
		}
		for _, s := range steps {
			got := e.mustSubmit(t, s.in...)
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("%s: results (-want +got):\n%s", s.name, diff)
			}
		}
		// alice: +10000 deposit, -2000 posted from the hold; bob: +2000 posted, +5.
		if a := e.balance(t, alice); a.Balance() != 8000 || a.DebitsPending != 0 {
			t.Errorf("alice balance %d pending %d, want 8000 and 0", a.Balance(), a.DebitsPending)
		}
		if b := e.balance(t, bob); b.Balance() != 2005 {
			t.Errorf("bob balance %d, want 2005", b.Balance())
		}
	})
}

func TestPendingVoidAndExpiry(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		bank := e.mustAccount(t, "bank", "JPY", 0)
		w := e.mustAccount(t, "wallet", "JPY", wallet)
		e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: bank, CreditAccountID: w, Amount: 500, Currency: "JPY"})

		voided := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: w, CreditAccountID: bank, Amount: 200, Currency: "JPY", Flags: ledger.Pending}
		timed := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: w, CreditAccountID: bank, Amount: 300, Currency: "JPY", Flags: ledger.Pending, Timeout: time.Hour}
		if got := e.mustSubmit(t, voided, timed); !cmp.Equal(got, []ledger.Code{ledger.OK, ledger.OK}) {
			t.Fatalf("holds: %v", got)
		}
		if a := e.balance(t, w); a.Available() != 0 {
			t.Fatalf("available after holds = %d, want 0", a.Available())
		}
		if got := e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), PendingID: voided.ID, Flags: ledger.VoidPending}); got[0] != ledger.OK {
			t.Fatalf("void: %v", got)
		}
		if a := e.balance(t, w); a.Available() != 200 {
			t.Errorf("available after void = %d, want 200", a.Available())
		}

		// The timeout is a job enqueued with the hold; run it with the
		// clock past the timeout and the hold is voided.
		runner := jobs.New(e.db.Jobs(), jobs.Options{Now: e.clock.Now, PollInterval: 10 * time.Millisecond})
		runner.Register(ledger.ExpireJob, e.l.Expire)
		e.clock.Add(time.Hour + time.Second)
		if got := e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), PendingID: timed.ID, Flags: ledger.PostPending}); got[0] != ledger.PendingExpired {
			t.Errorf("post after timeout = %v, want pending_expired", got[0])
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- runner.Run(rctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for e.balance(t, w).Available() != 500 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("runner: %v", err)
		}
		if a := e.balance(t, w); a.Available() != 500 || a.DebitsPending != 0 {
			t.Errorf("after expiry: available %d pending %d, want 500 and 0", a.Available(), a.DebitsPending)
		}
		if got := e.mustSubmit(t, ledger.Transfer{ID: ledger.NewID(), PendingID: timed.ID, Flags: ledger.PostPending}); got[0] != ledger.PendingAlreadyResolved {
			t.Errorf("post after expiry = %v, want pending_already_resolved", got[0])
		}
	})
}

func TestCreateAccountIsIdempotentByRef(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		a1 := e.mustAccount(t, "wallet:x:USD", "USD", wallet)
		a2 := e.mustAccount(t, "wallet:x:USD", "USD", wallet)
		if a1 != a2 {
			t.Errorf("second create returned account %d, want %d", a2, a1)
		}
		if _, err := e.l.CreateAccount(ctx, ledger.Account{Ref: "wallet:x:USD", Currency: "EUR"}); !errors.Is(err, ledger.ErrAccountExists) {
			t.Errorf("create with other currency: %v, want ErrAccountExists", err)
		}
		if _, err := e.l.CreateAccount(ctx, ledger.Account{Ref: "", Currency: "USD"}); !errors.Is(err, ledger.ErrInvalidAccount) {
			t.Errorf("create without ref: %v, want ErrInvalidAccount", err)
		}
		if _, err := e.l.Account(ctx, 424242); !errors.Is(err, ledger.ErrAccountNotFound) {
			t.Errorf("missing account: %v, want ErrAccountNotFound", err)
		}
	})
}

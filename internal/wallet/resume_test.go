package wallet_test

import (
	"context"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// A movement is written, then the process dies before (or right after)
// submitting its transfers. The resume job finishes it, once.
func TestCrashResume(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 10)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(100_00, usd))

		cases := []struct {
			name       string
			drop, lose int
			// moved: the money moved before the resume (the answer was lost).
			moved bool
		}{
			{"died before submitting", 1, 0, false},
			{"died after the commit", 0, 1, true},
		}
		sent := int64(0)
		for i, c := range cases {
			en.ledger.failNext(c.drop, c.lose)
			m, err := en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(10_00, usd),
				IdempotencyKey: c.name})
			wantCode(t, c.name, err, wallet.CodeUnavailable)
			if !wallet.IsRetryable(err) || m.Status != wallet.StatusPending || m.ID == "" {
				t.Fatalf("%s: %+v, retryable %v; want a pending movement", c.name, m, wallet.IsRetryable(err))
			}
			if c.moved {
				sent += 10_10
			}
			if got := en.available(alice, usd); got != 100_00-sent {
				t.Fatalf("%s: alice %d before the resume, want %d", c.name, got, 100_00-sent)
			}
			if !c.moved {
				sent += 10_10
			}
			// The resume job runs after ResumeAfter and completes it.
			en.clock.Add(2 * time.Minute)
			en.runJobs(func() bool {
				cur, err := en.svc.Movement(ctx, alice, m.ID)
				return err == nil && cur.Status == wallet.StatusCompleted
			})
			if got := en.available(alice, usd); got != 100_00-sent {
				t.Errorf("%s: alice %d after the resume, want %d", c.name, got, 100_00-sent)
			}
			if got := en.available(bob, usd); got != int64(i+1)*10_00 {
				t.Errorf("%s: bob %d, want %d", c.name, got, (i+1)*10_00)
			}
			done, _ := en.svc.Movement(ctx, alice, m.ID)
			if r, err := en.svc.Movement(ctx, bob, done.PeerID); err != nil || r.Status != wallet.StatusCompleted {
				t.Errorf("%s: receiving side %+v, %v", c.name, r, err)
			}
			// Resuming again, and the user's retry, change nothing.
			again, err := en.svc.Resume(ctx, m.ID)
			if err != nil || again.Status != wallet.StatusCompleted || again.Version != done.Version {
				t.Errorf("%s: resume again: %+v, %v", c.name, again, err)
			}
			retry, err := en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(10_00, usd),
				IdempotencyKey: c.name})
			if err != nil || retry.ID != m.ID {
				t.Errorf("%s: the user's retry: %+v, %v", c.name, retry, err)
			}
			res, err := en.l.Submit(ctx, done.Plan)
			if err != nil || res[0].Code != ledger.Exists || !res[0].Timestamp.UTC().Equal(done.PostedAt) {
				t.Errorf("%s: transfers resubmitted: %+v, %v; want exists, committed at %s", c.name, res, err, done.PostedAt)
			}
		}
		if got := en.available(alice, usd); got != 100_00-2*10_10 {
			t.Errorf("alice %d, want %d", got, 100_00-2*10_10)
		}
	})
}

// A payment of a money request that died before submitting still holds the
// request; the resume pays it, and a crashed payment that the ledger
// refuses frees it.
func TestCrashResumeRequestPayment(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		carol := en.mustUser("carol@example.com", "")
		en.mustFund(bob, amt(20_00, usd))
		r, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(15_00, usd)})
		if err != nil {
			t.Fatal(err)
		}
		en.ledger.failNext(1, 0)
		m, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r.ID, IdempotencyKey: "p"})
		wantCode(t, "crashed payment", err, wallet.CodeUnavailable)
		// Meanwhile nobody else can pay it.
		en.mustFund(carol, amt(20_00, usd))
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: carol, RequestID: r.ID})
		wantCode(t, "pay while another payment is pending", err, wallet.CodeRequestInProgress)
		if _, err := en.svc.Resume(ctx, m.ID); err != nil {
			t.Fatalf("resume: %v", err)
		}
		r, _ = en.svc.Request(ctx, alice, r.ID)
		if r.Status != wallet.RequestPaid || r.PaymentID != m.ID {
			t.Errorf("request after the resume: %+v", r)
		}
		if got := en.available(alice, usd); got != 15_00 {
			t.Errorf("alice %d, want 1500", got)
		}

		// Bob spends his money elsewhere before the crashed payment resumes:
		// the ledger refuses it and the request opens again.
		r2, _ := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(5_00, usd)})
		en.ledger.failNext(1, 0)
		m2, _ := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r2.ID})
		en.mustSend(wallet.SendRequest{UserID: bob, To: "carol@example.com", Amount: amt(5_00, usd)})
		got, err := en.svc.Resume(ctx, m2.ID)
		if err != nil || got.Status != wallet.StatusFailed || got.FailureCode != wallet.CodeInsufficientFunds {
			t.Errorf("resume of an unaffordable payment: %+v, %v", got, err)
		}
		r2, _ = en.svc.Request(ctx, alice, r2.ID)
		if r2.Status != wallet.RequestOpen {
			t.Errorf("request after a failed payment: %+v, want open", r2)
		}
	})
}

// When a movement's resume job is lost, the periodic sweep finishes it.
func TestSweepResumesStaleMovements(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(10_00, usd))
		en.ledger.failNext(1, 0)
		m, _ := en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(4_00, usd)})
		if _, err := en.db.Write().Exec(ctx, "DELETE FROM jobs WHERE kind = $1", wallet.ResumeJob); err != nil {
			t.Fatal(err)
		}
		// Not stale yet: the sweep leaves it to its request.
		if err := en.svc.HandleSweep(ctx, jobs.Claimed{}); err != nil {
			t.Fatal(err)
		}
		if cur, _ := en.svc.Movement(ctx, alice, m.ID); cur.Status != wallet.StatusPending {
			t.Fatalf("swept too early: %+v", cur)
		}
		en.clock.Add(wallet.SweepEvery + time.Minute)
		if err := en.svc.HandleSweep(ctx, jobs.Claimed{}); err != nil {
			t.Fatal(err)
		}
		if cur, _ := en.svc.Movement(ctx, alice, m.ID); cur.Status != wallet.StatusCompleted {
			t.Errorf("after the sweep: %+v", cur)
		}
		if got := en.available(bob, usd); got != 4_00 {
			t.Errorf("bob %d, want 400", got)
		}
	})
}

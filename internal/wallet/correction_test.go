package wallet_test

import (
	"context"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func staff(en *env, email string, role auth.Role) auth.Actor {
	id := en.mustUser(email, "")
	return auth.Actor{UserID: id, Role: role}
}

func mustCorrections(t *testing.T, en *env) *wallet.Corrections {
	t.Helper()
	c, err := wallet.NewCorrections(en.svc, en.db.Wallet())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCorrectionFourEyes: one staff member alone can never post a
// correction: the proposer approving is refused, an agent cannot approve
// (nor propose); a second supervisor posts it, and both customers see it
// in their history.
func TestCorrectionFourEyes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		cs := mustCorrections(t, en)
		sup1 := staff(en, "sup1@okpay.test", auth.RoleSupervisor)
		sup2 := staff(en, "sup2@okpay.test", auth.RoleSupervisor)
		agent := staff(en, "agent@okpay.test", auth.RoleAgent)
		alice := en.mustUser(emailOf("alice"), "")
		bob := en.mustUser(emailOf("bob"), "")
		en.mustFund(alice, amt(100_00, usd))
		aw, bw := en.mustOpen(alice), en.mustOpen(bob)

		_, err := cs.Propose(ctx, agent, wallet.Proposal{Kind: wallet.CorrectionMove, FromWallet: string(aw.ID),
			ToWallet: string(bw.ID), Amount: amt(30_00, usd), Reason: "deposit meant for bob"})
		wantCode(t, "an agent proposes", err, wallet.CodeCorrectionForbidden)
		_, err = cs.Propose(ctx, sup1, wallet.Proposal{Kind: wallet.CorrectionMove, FromWallet: string(aw.ID),
			ToWallet: string(bw.ID), Amount: amt(30_00, usd), Reason: "  "})
		wantCode(t, "no reason", err, wallet.CodeReasonRequired)
		co, err := cs.Propose(ctx, sup1, wallet.Proposal{Kind: wallet.CorrectionMove, FromWallet: string(aw.ID),
			ToWallet: string(bw.ID), Amount: amt(30_00, usd), Reason: "bank deposit OKP-1 was meant for bob"})
		if err != nil {
			t.Fatal(err)
		}
		if got := en.available(bob, usd); got != 0 {
			t.Fatalf("a proposal moved money: bob has %d", got)
		}
		_, _, err = cs.Approve(ctx, sup1, co.ID, "")
		wantCode(t, "the proposer approves", err, wallet.CodeCorrectionOwn)
		_, _, err = cs.Approve(ctx, agent, co.ID, "")
		wantCode(t, "an agent approves", err, wallet.CodeCorrectionForbidden)
		if got := en.available(bob, usd); got != 0 {
			t.Fatalf("a refused approval moved money: bob has %d", got)
		}

		got, m, err := cs.Approve(ctx, sup2, co.ID, "checked the statement")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != wallet.CorrectionApproved || m.Status != wallet.StatusCompleted {
			t.Fatalf("approved: %s, movement %s", got.Status, m.Status)
		}
		if a, b := en.available(alice, usd), en.available(bob, usd); a != 70_00 || b != 30_00 {
			t.Errorf("after the move: alice %d, bob %d; want 7000 and 3000", a, b)
		}
		for _, u := range []struct {
			id   int64
			want wallet.Type
		}{{alice, wallet.TypeCorrectionDebit}, {bob, wallet.TypeCorrectionCredit}} {
			page, err := en.svc.History(ctx, wallet.History{UserID: u.id, Types: []wallet.Type{u.want}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Movements) != 1 || page.Movements[0].Status != wallet.StatusCompleted || page.Movements[0].Amount != amt(30_00, usd) {
				t.Errorf("user %d history of %s: %+v", u.id, u.want, page.Movements)
			}
		}
		_, _, err = cs.Approve(ctx, sup2, co.ID, "")
		wantCode(t, "approving again", err, wallet.CodeCorrectionDecided)

		// The database refuses a self-approval even past the service.
		n, err := en.db.Write().Exec(ctx, `UPDATE wallet_corrections SET decided_by = proposed_by, status = 'approved' WHERE id = $1`, co.ID)
		if err == nil {
			t.Errorf("the database let the proposer approve (%d rows)", n)
		}
	})
}

// TestCorrectionApprovedTwiceConcurrently: two supervisors approving the
// same goodwill credit at once post it once.
func TestCorrectionApprovedTwiceConcurrently(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		cs := mustCorrections(t, en)
		sup1 := staff(en, "sup1@okpay.test", auth.RoleSupervisor)
		approvers := []auth.Actor{staff(en, "sup2@okpay.test", auth.RoleSupervisor), staff(en, "admin@okpay.test", auth.RoleAdmin),
			staff(en, "sup3@okpay.test", auth.RoleSupervisor), staff(en, "sup4@okpay.test", auth.RoleSupervisor)}
		bob := en.mustUser(emailOf("bob"), "")
		bw := en.mustOpen(bob)
		co, err := cs.Propose(ctx, sup1, wallet.Proposal{Kind: wallet.CorrectionGoodwill, ToWallet: string(bw.ID),
			Amount: amt(15_00, eur), Reason: "goodwill for the late withdrawal, ticket 1042"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		posted, decided := 0, 0
		for _, a := range append(approvers, approvers...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := cs.Approve(ctx, a, co.ID, "")
				mu.Lock()
				defer mu.Unlock()
				switch wallet.ErrorCode(err) {
				case "":
					posted++
				case wallet.CodeCorrectionDecided:
					decided++
				default:
					t.Errorf("approve: %v", err)
				}
			}()
		}
		wg.Wait()
		if posted != 1 || decided != 7 {
			t.Fatalf("posted %d, refused as decided %d; want 1 and 7", posted, decided)
		}
		if got := en.available(bob, eur); got != 15_00 {
			t.Errorf("bob has %d EUR cents, want 1500", got)
		}
	})
}

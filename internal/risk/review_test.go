package risk_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// heldSend makes a 600.00 USD send from a fresh payer (1000.00 deposited)
// to a fresh payee: large and new, so it is held.
func (en *env) heldSend() (payer, payee auth.User, m wallet.Movement) {
	en.t.Helper()
	payer, payee = en.user(auth.RoleCustomer), en.user(auth.RoleCustomer)
	en.deposit(payer, amt(1000_00, usd))
	m = en.mustSend(payer, en.walletID(payee), amt(600_00, usd), "")
	if m.Status != wallet.StatusHeld {
		en.t.Fatalf("the send is %s, want held", m.Status)
	}
	return payer, payee, m
}

// TestHeldSendReleased: the held money leaves the payer's available
// balance at once and the payee sees nothing; a supervisor's release
// credits the payee once, however often it is retried.
func TestHeldSendReleased(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		payer, payee, m := en.heldSend()
		posted, avail := en.balance(payer, usd)
		debited := m.Amount.Minor + m.Fee.Minor
		if posted != 1000_00 || avail != 1000_00-debited {
			t.Errorf("payer: balance %d, available %d; want 100000 and %d", posted, avail, 1000_00-debited)
		}
		if p, a := en.balance(payee, usd); p != 0 || a != 0 {
			t.Errorf("payee sees %d (available %d) before review", p, a)
		}
		if n := len(en.movements(payee, wallet.TypeReceive)); n != 0 {
			t.Errorf("payee has %d receipts before review", n)
		}
		if en.mailsTo(payer.Email, "under review") != 1 {
			t.Error("the payer was not emailed about the hold")
		}
		hold := en.holdOf(m)
		open, err := en.risk.OpenCases(ctx, payer.ID)
		if err != nil || len(open.Holds) != 1 || open.Holds[0].ID != hold.ID {
			t.Fatalf("OpenCases = %+v, %v; want the hold", open, err)
		}

		sup := en.user(auth.RoleSupervisor)
		got, err := en.risk.Release(ctx, hold.ID, actorOf(sup), "checked with the customer")
		if err != nil || got.Status != risk.CaseReleased {
			t.Fatalf("Release = %s, %v", got.Status, err)
		}
		if _, err := en.risk.Release(ctx, hold.ID, actorOf(sup), ""); !errors.Is(err, risk.ErrDecided) {
			t.Errorf("second release: %v, want ErrDecided", err)
		}
		// The job runs too (as after a crash), and the wallet is asked again.
		if err := en.risk.HandleResolve(ctx, resolveClaim(hold.ID)); err != nil {
			t.Errorf("resolve job: %v", err)
		}
		if _, err := en.wallet.ResolveHold(ctx, m.ID, true); err != nil {
			t.Errorf("resolve again: %v", err)
		}
		if p, a := en.balance(payee, usd); p != 600_00 || a != 600_00 {
			t.Errorf("payee has %d (available %d), want 60000 once", p, a)
		}
		if p, a := en.balance(payer, usd); p != 1000_00-debited || a != p {
			t.Errorf("payer: balance %d, available %d; want %d", p, a, 1000_00-debited)
		}
		if rs := en.movements(payee, wallet.TypeReceive); len(rs) != 1 || rs[0].Status != wallet.StatusCompleted {
			t.Errorf("payee's receipts: %+v", rs)
		}
		if cur, _ := en.wallet.Movement(ctx, payer.ID, m.ID); cur.Status != wallet.StatusCompleted {
			t.Errorf("the send is %s after release", cur.Status)
		}
		if en.audited(risk.ActionHoldReleased, m.ID) != 1 || en.audited(risk.ActionHoldOpened, m.ID) != 1 {
			t.Error("the hold and its release are not audited once each")
		}
		if en.mailsTo(payer.Email, "approved") != 1 {
			t.Error("the payer was not told of the release")
		}
		if open, _ := en.risk.OpenCases(ctx, payer.ID); len(open.Holds) != 0 {
			t.Errorf("the released hold is still open: %+v", open.Holds)
		}
	})
}

func resolveClaim(caseID string) jobs.Claimed {
	return jobs.Claimed{ID: 1, Job: jobs.Job{Kind: risk.ResolveJob, Args: []byte(`{"case_id":"` + caseID + `"}`)}, Attempt: 1}
}

// TestHeldSendRefused: refusing voids the hold, so the payer is whole
// and the payee never sees the money; the payer is told why.
func TestHeldSendRefused(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		payer, payee, m := en.heldSend()
		sup := en.user(auth.RoleSupervisor)
		if _, err := en.risk.Refuse(ctx, en.holdOf(m).ID, actorOf(sup), "the payee is a known scam account"); err != nil {
			t.Fatal(err)
		}
		if err := en.risk.HandleResolve(ctx, resolveClaim(en.holdOf(m).ID)); err != nil {
			t.Errorf("resolve job: %v", err)
		}
		if p, a := en.balance(payer, usd); p != 1000_00 || a != 1000_00 {
			t.Errorf("payer: balance %d, available %d; want all 100000 back", p, a)
		}
		if p, a := en.balance(payee, usd); p != 0 || a != 0 {
			t.Errorf("payee got %d (available %d)", p, a)
		}
		cur, err := en.wallet.Movement(ctx, payer.ID, m.ID)
		if err != nil || cur.Status != wallet.StatusFailed || cur.FailureCode != wallet.CodeRefusedInReview {
			t.Errorf("the send is %s (%s), %v; want failed refused_in_review", cur.Status, cur.FailureCode, err)
		}
		if n := len(en.movements(payee, wallet.TypeReceive)); n != 0 {
			t.Errorf("payee has %d receipts", n)
		}
		if en.mailsTo(payer.Email, "did not pass review") != 1 || en.audited(risk.ActionHoldRefused, m.ID) != 1 {
			t.Error("the refusal is not mailed and audited once")
		}
	})
}

// TestConcurrentDecisions: supervisors releasing and refusing the same
// hold at once get exactly one outcome, and the money follows it.
func TestConcurrentDecisions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		for round := range 3 {
			payer, payee, m := en.heldSend()
			hold := en.holdOf(m)
			sups := []auth.User{en.user(auth.RoleSupervisor), en.user(auth.RoleAdmin)}
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				won     []risk.CaseStatus
				decided int
			)
			for i := range 8 {
				wg.Go(func() {
					decide := en.risk.Release
					if i%2 == 1 {
						decide = en.risk.Refuse
					}
					c, err := decide(ctx, hold.ID, actorOf(sups[i%2]), "")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won = append(won, c.Status)
					case errors.Is(err, risk.ErrDecided):
						decided++
					default:
						t.Errorf("round %d: decision %d: %v", round, i, err)
					}
				})
			}
			wg.Wait()
			if len(won) != 1 || decided != 7 {
				t.Fatalf("round %d: %d decisions won (%v), %d told it was decided; want exactly one", round, len(won), won, decided)
			}
			stored := en.holdOf(m)
			if stored.Status != won[0] {
				t.Errorf("round %d: stored %s, the winner decided %s", round, stored.Status, won[0])
			}
			pp, _ := en.balance(payee, usd)
			payerPosted, payerAvail := en.balance(payer, usd)
			switch won[0] {
			case risk.CaseReleased:
				if pp != 600_00 || payerPosted != payerAvail || payerPosted >= 1000_00-600_00+1 {
					t.Errorf("round %d released: payee %d, payer %d/%d", round, pp, payerPosted, payerAvail)
				}
			case risk.CaseRefused:
				if pp != 0 || payerPosted != 1000_00 || payerAvail != 1000_00 {
					t.Errorf("round %d refused: payee %d, payer %d/%d", round, pp, payerPosted, payerAvail)
				}
			}
			if n := en.audited(risk.ActionHoldReleased, m.ID) + en.audited(risk.ActionHoldRefused, m.ID); n != 1 {
				t.Errorf("round %d: %d decisions audited, want 1", round, n)
			}
		}
	})
}

// TestOnlySupervisorsDecide: a customer or an agent can neither release,
// refuse nor lift a freeze; an agent can see the queue, a customer not.
func TestOnlySupervisorsDecide(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		payer, _, m := en.heldSend()
		hold := en.holdOf(m)
		for _, u := range []auth.User{payer, en.user(auth.RoleCustomer), en.user(auth.RoleAgent)} {
			if _, err := en.risk.Release(ctx, hold.ID, actorOf(u), ""); !errors.Is(err, risk.ErrForbidden) {
				t.Errorf("%s release: %v, want ErrForbidden", u.Role, err)
			}
			if _, err := en.risk.Refuse(ctx, hold.ID, actorOf(u), ""); !errors.Is(err, risk.ErrForbidden) {
				t.Errorf("%s refuse: %v, want ErrForbidden", u.Role, err)
			}
			if err := en.risk.LiftFreeze(ctx, payer.ID, actorOf(u), ""); !errors.Is(err, risk.ErrForbidden) {
				t.Errorf("%s lift: %v, want ErrForbidden", u.Role, err)
			}
		}
		if _, err := en.risk.Queue(ctx, actorOf(payer), 0); !errors.Is(err, risk.ErrForbidden) {
			t.Errorf("customer queue: %v, want ErrForbidden", err)
		}
		q, err := en.risk.Queue(ctx, actorOf(en.user(auth.RoleAgent)), 0)
		if err != nil || len(q.Holds) != 1 {
			t.Errorf("agent queue: %+v, %v", q, err)
		}
		if c := en.holdOf(m); c.Status != risk.CaseOpen {
			t.Errorf("the hold is %s after refused attempts", c.Status)
		}
		// Leave the books tidy: a supervisor refuses it.
		if _, err := en.risk.Refuse(ctx, hold.ID, actorOf(en.user(auth.RoleSupervisor)), ""); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReportFreezes: "not my transaction" freezes outgoing payments at
// once (sends and their quotes are refused with outgoing_frozen), opens a
// report with the user's words, tells the user what happens next; a
// supervisor lifts the freeze (audited) and sending works again.
func TestReportFreezes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		a, b := en.user(auth.RoleCustomer), en.user(auth.RoleCustomer)
		en.deposit(a, amt(100_00, usd))
		m := en.mustSend(a, en.walletID(b), amt(10_00, usd), "")
		c, err := en.risk.Report(ctx, a.ID, m.ID, "  I never sent this.\nMy phone was stolen yesterday.  ")
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != risk.KindReport || c.Words != "I never sent this.\nMy phone was stolen yesterday." || c.OutgoingBefore != 1 {
			t.Errorf("report = %+v", c)
		}
		again, err := en.risk.Report(ctx, a.ID, m.ID, "again")
		if err != nil || again.ID != c.ID {
			t.Errorf("reporting twice: %v, %v; want the first report", again.ID, err)
		}
		if _, err := en.send(a, en.walletID(b), amt(1_00, usd), ""); !errors.Is(err, wallet.ErrOutgoingFrozen) {
			t.Errorf("send after the report: %v, want outgoing_frozen", err)
		}
		if _, err := en.wallet.QuoteSend(ctx, wallet.SendRequest{UserID: a.ID, To: string(en.walletID(b)), Amount: amt(1_00, usd)}); !errors.Is(err, wallet.ErrOutgoingFrozen) {
			t.Errorf("quote after the report: %v, want outgoing_frozen", err)
		}
		// Receiving still works.
		en.deposit(b, amt(5_00, usd))
		en.mustSend(b, en.walletID(a), amt(5_00, usd), "")
		if en.mailsTo(a.Email, "received your report") != 1 || en.audited(risk.ActionReported, m.ID) != 1 {
			t.Error("the report is not mailed and audited once")
		}
		open, err := en.risk.OpenCases(ctx, a.ID)
		if err != nil || len(open.Reports) != 1 || len(open.Freezes) != 1 || !open.Freezes[0].Frozen {
			t.Fatalf("OpenCases = %+v, %v", open, err)
		}
		// Someone else's movement cannot be reported.
		if _, err := en.risk.Report(ctx, b.ID, m.ID, ""); !errors.Is(err, wallet.ErrMovementNotFound) {
			t.Errorf("reporting another's movement: %v", err)
		}

		sup := en.user(auth.RoleSupervisor)
		if err := en.risk.LiftFreeze(ctx, a.ID, actorOf(sup), "confirmed with the customer by phone"); err != nil {
			t.Fatal(err)
		}
		if err := en.risk.LiftFreeze(ctx, a.ID, actorOf(sup), ""); !errors.Is(err, risk.ErrNotFrozen) {
			t.Errorf("lifting twice: %v", err)
		}
		if en.audited(risk.ActionFreezeLifted, itoa(a.ID)) != 1 || en.mailsTo(a.Email, "send and withdraw again") != 1 {
			t.Error("lifting is not audited and mailed once")
		}
		if m := en.mustSend(a, en.walletID(b), amt(1_00, usd), ""); m.Status != wallet.StatusCompleted {
			t.Errorf("send after lifting is %s", m.Status)
		}
		if open, _ := en.risk.OpenCases(ctx, a.ID); len(open.Reports) != 0 || len(open.Freezes) != 0 {
			t.Errorf("still open after lifting: %+v", open)
		}
	})
}

// TestSendRacingReport: a send racing a report either commits before the
// freeze (and the report counts it) or is refused; never does a send
// commit after a freeze it did not see.
func TestSendRacingReport(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		var sent, refused int
		for round := range 12 {
			a, b := en.user(auth.RoleCustomer), en.user(auth.RoleCustomer)
			en.deposit(a, amt(100_00, usd))
			first := en.mustSend(a, en.walletID(b), amt(1_00, usd), "")
			var (
				wg      sync.WaitGroup
				m       wallet.Movement
				sendErr error
				report  risk.Case
				repErr  error
			)
			wg.Go(func() { m, sendErr = en.send(a, en.walletID(b), amt(2_00, usd), "") })
			wg.Go(func() { report, repErr = en.risk.Report(ctx, a.ID, first.ID, "not me") })
			wg.Wait()
			if repErr != nil {
				t.Fatalf("round %d: report: %v", round, repErr)
			}
			switch {
			case sendErr == nil:
				sent++
				if report.OutgoingBefore != 2 {
					t.Errorf("round %d: send %s (%s) committed, but the report counted %d outgoing movements before its freeze",
						round, m.ID, m.Status, report.OutgoingBefore)
				}
			case errors.Is(sendErr, wallet.ErrOutgoingFrozen):
				refused++
				if report.OutgoingBefore != 1 {
					t.Errorf("round %d: send refused, report counted %d", round, report.OutgoingBefore)
				}
				if n := len(en.movements(a, wallet.TypeSend)); n != 1 {
					t.Errorf("round %d: the refused send left %d sends", round, n)
				}
			default:
				t.Fatalf("round %d: send: %v", round, sendErr)
			}
			if _, err := en.send(a, en.walletID(b), amt(1_00, usd), ""); !errors.Is(err, wallet.ErrOutgoingFrozen) {
				t.Errorf("round %d: a send after the report: %v", round, err)
			}
		}
		t.Logf("%d sends committed first, %d refused", sent, refused)
	})
}

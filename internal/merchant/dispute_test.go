package merchant_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// noticeLog records the dispute mail queued (in committed transactions).
type noticeLog struct {
	mu  sync.Mutex
	all []merchant.DisputeNotice
}

func (n *noticeLog) QueueDispute(_ context.Context, _ merchant.DisputeTx, dn merchant.DisputeNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.all = append(n.all, dn)
	return nil
}

// count is how many notices went to user about a dispute in status.
func (n *noticeLog) count(user int64, status merchant.DisputeStatus) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.all {
		if x.To == user && x.Dispute.Status == status {
			c++
		}
	}
	return c
}

func enableDisputes(t *testing.T, en *env) *noticeLog {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32), "dispute_evidence")
	if err != nil {
		t.Fatal(err)
	}
	log := &noticeLog{}
	if err := en.svc.EnableDisputes(merchant.DisputeOptions{Store: en.db.Disputes(), Sealer: box, Mailer: log}); err != nil {
		t.Fatal(err)
	}
	return log
}

func pngFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var supervisor = auth.Actor{UserID: 900, Role: auth.RoleSupervisor}

// eventCount counts recorded events of typ about the dispute id.
func (r *recordingEvents) disputeEvents(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.all {
		if v, ok := e.Object.(merchant.DisputeView); ok && v.ID == id {
			out = append(out, e.Type+":"+v.Status)
		}
	}
	return out
}

func TestDisputeWonMerchantKeeps(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		mails := enableDisputes(t, en)
		ctx := context.Background()
		m, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		p, payer := paid(t, en, a, 100_00)
		before, _ := en.merchantUSD(a)
		payerBefore := en.available(payer)

		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonNotReceived,
			Message: "Never arrived. My card 4111 1111 1111 1111 was charged."})
		mustOK(t, "dispute", err)
		if d.Status != merchant.DisputeNeedsResponse || d.Amount.Minor != 100_00 || d.Shortfall != 0 {
			t.Fatalf("dispute = %+v", d)
		}
		if bytes.Contains([]byte(d.Message), []byte("4111 1111 1111 1111")) {
			t.Errorf("the card number was kept in the dispute: %q", d.Message)
		}
		if got, _ := en.merchantUSD(a); got != before-100_00 {
			t.Errorf("merchant available after the hold = %d, want %d", got, before-100_00)
		}
		if got := en.account(merchant.DisputeHoldRef(merchant.Live, "USD")).CreditsPending; got != 100_00 {
			t.Errorf("dispute hold pending = %d, want 10000", got)
		}
		// The merchant can no longer refund what is disputed.
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(1_00)})
		mustErr(t, "refund of a disputed payment", err, merchant.ErrRefundExceeds)

		// Evidence: viewers read only; another merchant sees nothing.
		viewer := a
		viewer.Role = merchant.Viewer
		_, err = en.svc.SubmitEvidence(ctx, viewer, merchant.SubmitEvidence{DisputeID: d.ID, Text: "shipped"})
		mustErr(t, "viewer submits", err, merchant.ErrForbidden)
		if _, _, err := en.svc.MerchantDispute(ctx, viewer, d.ID); err != nil {
			t.Errorf("viewer reads: %v", err)
		}
		_, other := en.merchant(merchant.Live)
		_, _, err = en.svc.MerchantDispute(ctx, other, d.ID)
		mustErr(t, "another merchant reads", err, merchant.ErrNotFound)
		_, err = en.svc.SubmitEvidence(ctx, other, merchant.SubmitEvidence{DisputeID: d.ID, Text: "mine"})
		mustErr(t, "another merchant submits", err, merchant.ErrNotFound)
		test := a
		test.Mode = merchant.Test
		_, _, err = en.svc.MerchantDispute(ctx, test, d.ID)
		mustErr(t, "test mode reads a live dispute", err, merchant.ErrNotFound)

		pic := pngFile(t)
		d, err = en.svc.SubmitEvidence(ctx, a, merchant.SubmitEvidence{DisputeID: d.ID, Text: "Tracking SF123, signed for.",
			Files: []merchant.EvidenceFile{{Name: "../../receipt.png", Data: pic}}})
		mustOK(t, "evidence", err)
		if d.Status != merchant.DisputeUnderReview {
			t.Errorf("status after evidence = %s", d.Status)
		}
		_, ev, err := en.svc.MerchantDispute(ctx, viewer, d.ID)
		mustOK(t, "read evidence", err)
		if len(ev) != 2 || ev[0].Text != "Tracking SF123, signed for." || ev[1].FileName != "receipt.png" || ev[1].ContentType != "image/png" {
			t.Fatalf("evidence = %+v", ev)
		}
		_, data, err := en.svc.MerchantEvidence(ctx, viewer, ev[1].ID)
		if err != nil || !bytes.Equal(data, pic) {
			t.Errorf("open evidence: %v, same bytes %v", err, bytes.Equal(data, pic))
		}
		_, _, err = en.svc.MerchantEvidence(ctx, other, ev[1].ID)
		mustErr(t, "another merchant opens evidence", err, merchant.ErrNotFound)
		var stored []byte
		mustOK(t, "raw", en.db.Read().QueryRow(ctx, `SELECT sealed FROM merchant_dispute_evidence WHERE id = $1`, ev[1].ID).Scan(&stored))
		if bytes.Contains(stored, pic[8:20]) {
			t.Error("the evidence file is stored in the clear")
		}

		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: auth.Actor{UserID: 901, Role: auth.RoleAgent}, DisputeID: d.ID, Outcome: merchant.DisputeLost})
		mustErr(t, "agent decides", err, merchant.ErrForbidden)
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: "maybe"})
		mustErr(t, "bad outcome", err, merchant.ErrInvalidOutcome)
		d, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeWon, Note: "delivered"})
		mustOK(t, "decide won", err)
		if d.Status != merchant.DisputeWon {
			t.Errorf("status = %s", d.Status)
		}
		if got, _ := en.merchantUSD(a); got != before {
			t.Errorf("merchant available after winning = %d, want %d", got, before)
		}
		if got := en.available(payer); got != payerBefore {
			t.Errorf("payer available = %d, want %d (unchanged)", got, payerBefore)
		}
		if h := en.account(merchant.DisputeHoldRef(merchant.Live, "USD")); h.CreditsPending != 0 || h.Balance() != 0 {
			t.Errorf("dispute hold left %+v", h)
		}
		// Won: the merchant may refund again.
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(1_00)})
		mustOK(t, "refund after winning", err)
		_, err = en.svc.SubmitEvidence(ctx, a, merchant.SubmitEvidence{DisputeID: d.ID, Text: "more"})
		mustErr(t, "evidence after the decision", err, merchant.ErrDisputeClosed)
		if got := en.events.disputeEvents(d.ID); len(got) != 2 || got[0] != "dispute.created:needs_response" || got[1] != "dispute.closed:won" {
			t.Errorf("events = %v", got)
		}
		if mails.count(payer, merchant.DisputeNeedsResponse) != 1 || mails.count(payer, merchant.DisputeWon) != 1 {
			t.Errorf("payer mail: %+v", mails.all)
		}
		owners, _ := en.svc.Members(ctx, a)
		if mails.count(owners[0].UserID, merchant.DisputeNeedsResponse) != 1 {
			t.Errorf("merchant owner mail: %+v", mails.all)
		}
		_ = m
		var n int
		mustOK(t, "audit", en.db.Read().QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'dispute_decided' AND target_id = $1`, d.ID).Scan(&n))
		if n != 1 {
			t.Errorf("audit records = %d, want 1", n)
		}
	})
}

func TestDisputeLostPaysBackOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		p, payer := paid(t, en, a, 100_00)
		before, _ := en.merchantUSD(a)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonUnauthorized, Message: "not me"})
		mustOK(t, "dispute", err)
		// Ten supervisors click at once: one decision, one payback.
		const n = 10
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, merchant.ErrDisputeClosed):
			default:
				t.Errorf("decide: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d decisions took effect, want 1", won)
		}
		if got := en.available(payer); got != 100_00 {
			t.Errorf("payer got back %d, want 10000", got)
		}
		// The job retried: nothing moves twice.
		got, err := en.svc.ResumeDispute(ctx, d.ID)
		mustOK(t, "resume", err)
		if got.Status != merchant.DisputeLost {
			t.Errorf("status = %s", got.Status)
		}
		en.clock.Add(time.Hour)
		mustOK(t, "sweep", en.svc.HandleDisputeSweep(ctx, jobsClaimed()))
		if got := en.available(payer); got != 100_00 {
			t.Errorf("payer has %d after the retry, want 10000", got)
		}
		if got, _ := en.merchantUSD(a); got != before-100_00 {
			t.Errorf("merchant available = %d, want %d", got, before-100_00)
		}
		// The payer's history shows the payback once, as money in.
		back := en.history(wallet.History{UserID: payer, Types: []wallet.Type{wallet.TypeMerchantRefund}})
		if len(back) != 1 || back[0].Amount.Minor != 100_00 || back[0].Status != wallet.StatusCompleted || back[0].ChargeID != d.ID {
			t.Errorf("payer's paybacks in history: %+v, want one of 10000 for %s", back, d.ID)
		}
		blocked, _, err := en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Live)
		if err != nil || blocked {
			t.Errorf("payouts blocked = %v (%v) with the balance covering the dispute", blocked, err)
		}
		// Lost: nothing is left to refund.
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(1_00)})
		mustErr(t, "refund after losing", err, merchant.ErrRefundExceeds)
	})
}

// A settlement whose ledger answer is lost stays closing; the sweep
// finishes it with the same transfer ids.
func TestDisputeSettleLostAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		p, payer := paid(t, en, a, 50_00)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonDuplicate, Message: "twice"})
		mustOK(t, "dispute", err)
		en.lossy.lose.Store(true)
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
		en.lossy.lose.Store(false)
		mustErr(t, "decide with the answer lost", err, merchant.ErrUnavailable)
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeWon})
		mustErr(t, "decide again", err, merchant.ErrDisputeClosed)
		en.clock.Add(time.Hour)
		mustOK(t, "sweep", en.svc.HandleDisputeSweep(ctx, jobsClaimed()))
		got, _, err := en.svc.MerchantDispute(ctx, a, d.ID)
		mustOK(t, "read", err)
		if got.Status != merchant.DisputeLost {
			t.Errorf("status after the sweep = %s", got.Status)
		}
		if bal := en.available(payer); bal != 50_00 {
			t.Errorf("payer has %d, want 5000", bal)
		}
	})
}

func TestDisputeDeadline(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 20_00)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "wrong size"})
		mustOK(t, "dispute", err)
		if want := d.CreatedAt.AddDate(0, 0, 7); !d.DueBy.Equal(want) {
			t.Errorf("due by %v, want %v", d.DueBy, want)
		}
		en.clock.Add(7*24*time.Hour - time.Minute)
		_, err = en.svc.SubmitEvidence(ctx, a, merchant.SubmitEvidence{DisputeID: d.ID, Text: "in time"})
		mustOK(t, "a minute before the deadline", err)
		en.clock.Add(time.Minute)
		_, err = en.svc.SubmitEvidence(ctx, a, merchant.SubmitEvidence{DisputeID: d.ID, Text: "too late"})
		mustErr(t, "at the deadline", err, merchant.ErrDeadlinePassed)
		_, ev, _ := en.svc.MerchantDispute(ctx, a, d.ID)
		if len(ev) != 1 {
			t.Errorf("evidence = %d pieces, want 1", len(ev))
		}
		// Staff still decide after the deadline.
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeWon})
		mustOK(t, "decide", err)
	})
}

func TestDisputeOnlyPayerOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 20_00)
		stranger := en.user().ID
		open := func(user int64, reason merchant.DisputeReason, msg string) error {
			_, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: user, Reason: reason, Message: msg})
			return err
		}
		mustErr(t, "a stranger disputes", open(stranger, merchant.ReasonOther, "x"), merchant.ErrNotFound)
		_, _, _, err := en.svc.PayerPayment(ctx, stranger, p.ID)
		mustErr(t, "a stranger reads", err, merchant.ErrNotFound)
		mustErr(t, "no reason", open(payer, "", "x"), merchant.ErrInvalidReason)
		mustErr(t, "bad reason", open(payer, "angry", "x"), merchant.ErrInvalidReason)
		mustErr(t, "no words", open(payer, merchant.ReasonOther, "  "), merchant.ErrDisputeText)
		mustErr(t, "control characters", open(payer, merchant.ReasonOther, "a\x00b"), merchant.ErrDisputeText)
		if ds, _ := en.svc.PayerDisputes(ctx, payer); len(ds) != 0 {
			t.Fatalf("refused requests left disputes: %+v", ds)
		}
		// Two tabs at once: one dispute.
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = open(payer, merchant.ReasonNotReceived, "where is it") }()
		}
		wg.Wait()
		okN := 0
		for _, err := range errs {
			if err == nil {
				okN++
			} else if !errors.Is(err, merchant.ErrDisputeExists) {
				t.Errorf("second open: %v", err)
			}
		}
		if okN != 1 {
			t.Fatalf("%d disputes opened, want 1", okN)
		}
		mustErr(t, "again", open(payer, merchant.ReasonOther, "again"), merchant.ErrDisputeExists)
		// An unpaid payment cannot be disputed.
		up, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(5_00)})
		mustOK(t, "create", err)
		_, err = en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: up.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "x"})
		mustErr(t, "unpaid", err, merchant.ErrNotFound)
	})
}

func TestEvidenceChecks(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 20_00)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "x"})
		mustOK(t, "dispute", err)
		pic := pngFile(t)
		cases := []struct {
			name string
			in   merchant.SubmitEvidence
			want error
		}{
			{"empty", merchant.SubmitEvidence{Text: "  "}, merchant.ErrEvidenceEmpty},
			{"html as png", merchant.SubmitEvidence{Files: []merchant.EvidenceFile{{Name: "a.png", Data: []byte("<html><script>")}}}, merchant.ErrEvidenceType},
			{"truncated pdf", merchant.SubmitEvidence{Files: []merchant.EvidenceFile{{Name: "a.pdf", Data: []byte("%PDF-1.4 no end")}}}, merchant.ErrEvidenceType},
			{"too large", merchant.SubmitEvidence{Files: []merchant.EvidenceFile{{Name: "a.png", Data: append(pic, make([]byte, merchant.MaxEvidenceSize)...)}}}, merchant.ErrEvidenceTooLarge},
			{"too many", merchant.SubmitEvidence{Files: []merchant.EvidenceFile{{Data: pic}, {Data: pic}, {Data: pic}, {Data: pic}}}, merchant.ErrEvidenceTooMany},
			{"text too long", merchant.SubmitEvidence{Text: string(bytes.Repeat([]byte("a"), merchant.MaxDisputeText+1))}, merchant.ErrDisputeText},
		}
		for _, c := range cases {
			c.in.DisputeID = d.ID
			_, err := en.svc.SubmitEvidence(ctx, a, c.in)
			mustErr(t, c.name, err, c.want)
		}
		got, ev, _ := en.svc.MerchantDispute(ctx, a, d.ID)
		if len(ev) != 0 || got.Status != merchant.DisputeNeedsResponse {
			t.Errorf("refused evidence changed the dispute: %s, %d pieces", got.Status, len(ev))
		}
		pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
		_, err = en.svc.SubmitEvidence(ctx, a, merchant.SubmitEvidence{DisputeID: d.ID, Files: []merchant.EvidenceFile{{Name: "invoice.pdf", Data: pdf}}})
		mustOK(t, "a pdf", err)
	})
}

// A lost dispute larger than the merchant's balance leaves a receivable
// that blocks payouts until a later payment covers it.
func TestLostDisputeReceivableBlocksPayouts(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 100_00)
		net, _ := en.merchantUSD(a) // 100.00 less the fee
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonNotReceived, Message: "nothing came"})
		mustOK(t, "dispute", err)
		shortfall := 100_00 - net
		if d.HeldFromBalance != net || d.Shortfall != shortfall {
			t.Fatalf("held %d + shortfall %d, want %d + %d", d.HeldFromBalance, d.Shortfall, net, shortfall)
		}
		if got, _ := en.merchantUSD(a); got != 0 {
			t.Errorf("merchant available while disputed = %d, want 0", got)
		}
		// While it is open, the shortfall may become owed: payouts wait.
		blocked, owed, err := en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Live)
		if err != nil || !blocked || len(owed) != 1 || owed[0].Minor != shortfall {
			t.Errorf("while open: blocked %v owed %v (%v), want blocked owing %d", blocked, owed, err, shortfall)
		}
		if got, _ := en.svc.Receivable(ctx, a.MerchantID, merchant.Live); len(got) != 0 {
			t.Errorf("receivable posted while open: %v", got)
		}
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
		mustOK(t, "lost", err)
		if got := en.available(payer); got != 100_00 {
			t.Errorf("payer got back %d, want 10000", got)
		}
		blocked, owed, err = en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Live)
		mustOK(t, "payout check", err)
		if !blocked || len(owed) != 1 || owed[0].Minor != shortfall || owed[0].Currency.Code != "USD" {
			t.Fatalf("blocked %v owed %v, want blocked owing %d USD", blocked, owed, shortfall)
		}
		if blocked, _, _ := en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Test); blocked {
			t.Error("test mode blocked by a live receivable")
		}
		gate := en.svc.ReceivablesGate()
		if b, err := gate.PayoutBlocked(ctx, a.MerchantID, true); err != nil || !b {
			t.Errorf("the payouts' gate says blocked=%v (%v) for live", b, err)
		}
		if b, _ := gate.PayoutBlocked(ctx, a.MerchantID, false); b {
			t.Error("the payouts' gate blocks test mode")
		}
		// A later payment covers the debt first.
		paid(t, en, a, 10_00)
		got, _ := en.merchantUSD(a)
		fee10 := int64(10_00) - (got + shortfall)
		if fee10 <= 0 || fee10 > 1_00 {
			t.Fatalf("merchant available after the next payment = %d (fee %d): the receivable was not covered", got, fee10)
		}
		blocked, owed, err = en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Live)
		if err != nil || blocked || len(owed) != 0 {
			t.Errorf("after cover: blocked %v owed %v (%v)", blocked, owed, err)
		}
		if b, _ := gate.PayoutBlocked(ctx, a.MerchantID, true); b {
			t.Error("the payouts' gate still blocks after the cover")
		}
		r := en.account(merchant.ReceivableRef(a.MerchantID, merchant.Live, "USD"))
		if r.DebitsPosted != shortfall || r.CreditsPosted != shortfall {
			t.Errorf("receivable %+v, want %d owed and covered", r, shortfall)
		}
	})
}

// A refund and a dispute of the whole payment at once: exactly one wins,
// and the payer never gets back more than was captured.
func TestRefundAndDisputeNeverExceedCaptured(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		for i := range 4 {
			p, payer := paid(t, en, a, 40_00)
			var wg sync.WaitGroup
			var rerr, derr error
			var d merchant.Dispute
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, rerr = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(40_00)})
			}()
			go func() {
				defer wg.Done()
				d, derr = en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "x"})
			}()
			wg.Wait()
			if (rerr == nil) == (derr == nil) {
				t.Fatalf("round %d: refund %v, dispute %v: want exactly one", i, rerr, derr)
			}
			if rerr != nil && !errors.Is(rerr, merchant.ErrRefundExceeds) {
				t.Fatalf("refund: %v", rerr)
			}
			if derr != nil && !errors.Is(derr, merchant.ErrNothingToDispute) {
				t.Fatalf("dispute: %v", derr)
			}
			if derr == nil {
				_, err := en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
				mustOK(t, "lost", err)
			}
			if got := en.available(payer); got != 40_00 {
				t.Errorf("round %d: payer got back %d, want 4000", i, got)
			}
			if bal := en.account(merchant.RefundableRef(p.ID, "USD")).Balance(); bal != 0 {
				t.Errorf("round %d: refundable left %d", i, bal)
			}
		}
	})
}

func jobsClaimed() jobs.Claimed { return jobs.Claimed{} }

// A won dispute with a shortfall: both holds are voided, nothing is owed,
// payouts are free again.
func TestWonDisputeWithShortfallOwesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		p, payer := paid(t, en, a, 100_00)
		net, _ := en.merchantUSD(a)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "x"})
		mustOK(t, "dispute", err)
		if d.Shortfall == 0 {
			t.Fatal("expected a shortfall")
		}
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeWon})
		mustOK(t, "won", err)
		if got, _ := en.merchantUSD(a); got != net {
			t.Errorf("merchant available = %d, want %d", got, net)
		}
		blocked, owed, err := en.svc.PayoutBlocked(ctx, a.MerchantID, merchant.Live)
		if err != nil || blocked || len(owed) != 0 {
			t.Errorf("blocked %v owed %v (%v)", blocked, owed, err)
		}
		r := en.account(merchant.ReceivableRef(a.MerchantID, merchant.Live, "USD"))
		if r.DebitsPending != 0 || r.DebitsPosted != 0 || r.CreditsPosted != 0 {
			t.Errorf("receivable moved: %+v", r)
		}
		if got := en.available(payer); got != 0 {
			t.Errorf("payer got %d", got)
		}
	})
}

// A partly refunded payment: the dispute covers what is left, and losing
// it gives the payer exactly the captured amount back in all.
func TestDisputeAfterPartialRefund(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		p, payer := paid(t, en, a, 100_00)
		_, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(30_00)})
		mustOK(t, "refund", err)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonNotAsDescribed, Message: "broken"})
		mustOK(t, "dispute", err)
		if d.Amount.Minor != 70_00 {
			t.Fatalf("disputed %d, want 7000", d.Amount.Minor)
		}
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
		mustOK(t, "lost", err)
		if got := en.available(payer); got != 100_00 {
			t.Errorf("payer has %d back in all, want 10000", got)
		}
		_, err = en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: p.ID, Amount: amt(1)})
		mustErr(t, "refund beyond captured", err, merchant.ErrRefundExceeds)
	})
}

// A test-mode card payment by a signed-in shopper is disputed in test
// mode: only test accounts move, and the live merchant sees nothing.
func TestTestModeDispute(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Test)
		shopper := en.user()
		p, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(12_00)})
		mustOK(t, "create", err)
		p, err = en.svc.PayCard(ctx, merchant.CardPayment{PaymentID: p.ID, Card: testCard("4242424242424242"), PayerUserID: shopper.ID})
		mustOK(t, "pay", err)
		d, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: shopper.ID, Reason: merchant.ReasonDuplicate, Message: "twice"})
		mustOK(t, "dispute", err)
		if d.Livemode {
			t.Error("a test payment's dispute is live")
		}
		live := a
		live.Mode = merchant.Live
		if ds, _ := en.svc.MerchantDisputes(ctx, live); len(ds) != 0 {
			t.Errorf("live mode lists %d disputes", len(ds))
		}
		_, err = en.svc.Decide(ctx, merchant.Decision{Actor: supervisor, DisputeID: d.ID, Outcome: merchant.DisputeLost})
		mustOK(t, "lost", err)
		if cc := en.account("test:platform:card_clearing:USD"); cc.CreditsPosted != 12_00 {
			t.Errorf("test card clearing got back %d, want 1200", cc.CreditsPosted)
		}
		if h := en.account(merchant.DisputeHoldRef(merchant.Test, "USD")); h.Balance() != 0 {
			t.Errorf("test dispute hold left %d", h.Balance())
		}
	})
}

// An opening whose ledger answer is lost: nobody sees the dispute yet, a
// second request is told it exists, and the sweep opens it with the same
// transfer ids (the merchant is held once).
func TestDisputeOpeningLostAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		mails := enableDisputes(t, en)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		paid(t, en, a, 300_00)
		p, payer := paid(t, en, a, 60_00)
		before, _ := en.merchantUSD(a)
		en.lossy.lose.Store(true)
		_, err := en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "lost"})
		en.lossy.lose.Store(false)
		mustErr(t, "open with the answer lost", err, merchant.ErrUnavailable)
		if ds, _ := en.svc.MerchantDisputes(ctx, a); len(ds) != 0 {
			t.Errorf("the merchant sees %d disputes still opening", len(ds))
		}
		if mails.count(payer, merchant.DisputeNeedsResponse) != 0 {
			t.Error("mail went out for a dispute not yet open")
		}
		_, err = en.svc.Dispute(ctx, merchant.OpenDispute{PaymentID: p.ID, UserID: payer, Reason: merchant.ReasonOther, Message: "again"})
		mustErr(t, "again", err, merchant.ErrDisputeExists)
		en.clock.Add(time.Hour)
		mustOK(t, "sweep", en.svc.HandleDisputeSweep(ctx, jobsClaimed()))
		ds, _ := en.svc.MerchantDisputes(ctx, a)
		if len(ds) != 1 || ds[0].Status != merchant.DisputeNeedsResponse {
			t.Fatalf("after the sweep: %+v", ds)
		}
		if got, _ := en.merchantUSD(a); got != before-60_00 {
			t.Errorf("merchant available %d, want %d (held once)", got, before-60_00)
		}
		if mails.count(payer, merchant.DisputeNeedsResponse) != 1 {
			t.Error("the payer was not told once the dispute opened")
		}
	})
}

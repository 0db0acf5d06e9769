package support_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
)

// fakeAccounts records the account actions the desk asked for; the real
// ones (auth) are exercised by the web tests.
type fakeAccounts struct{ unlocked, resets []string }

func (f *fakeAccounts) Unlock(_ context.Context, userID int64, by auth.Actor, reason, _, _ string) error {
	f.unlocked = append(f.unlocked, reason)
	return nil
}
func (f *fakeAccounts) SendReset(_ context.Context, email, _, _ string) error {
	f.resets = append(f.resets, email)
	return nil
}

// TestAgentReplyThreaded: the reply goes to the requester as a person's
// mail (no Auto-Submitted), In-Reply-To the customer's last mail,
// References the whole thread, [#N] in the subject, Reply-To the
// support address; its Message-ID is recorded so the answer threads.
func TestAgentReplyThreaded(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		agent := staff(d.user("agent@okpay.localhost", auth.RoleAgent), auth.RoleAgent)
		r := d.receive(support.InboundMail{MessageID: "c1@mail.example", From: from("li@example.cn"), Subject: "Re: 账户被锁", Text: "登录不了", Verified: true})
		if err := d.s.Acknowledge(d.ctx, r.TicketID); err != nil {
			t.Fatal(err)
		}
		d.receive(support.InboundMail{MessageID: "c2@mail.example", From: from("li@example.cn"), Subject: "[#10001] 账户被锁", Text: "还有这个", Verified: true})
		msg, err := d.s.Reply(d.ctx, agent, r.Number, support.Reply{Body: "您好，已为您处理。"})
		if err != nil {
			t.Fatal(err)
		}
		sent := d.outbox()
		raw := sent[len(sent)-1]
		if got := header(t, raw, "In-Reply-To"); got != "<c2@mail.example>" {
			t.Errorf("In-Reply-To = %q", got)
		}
		refs := header(t, raw, "References")
		if !strings.Contains(refs, "<c1@mail.example>") || !strings.Contains(refs, "<c2@mail.example>") {
			t.Errorf("References = %q", refs)
		}
		if got := header(t, raw, "Subject"); got != "[#10001] 账户被锁" {
			t.Errorf("Subject = %q", got)
		}
		if got := header(t, raw, "Reply-To"); !strings.Contains(got, "support@okpay.example") {
			t.Errorf("Reply-To = %q", got)
		}
		if got := header(t, raw, "Auto-Submitted"); got != "" {
			t.Errorf("an agent's reply has Auto-Submitted %q", got)
		}
		if got := strings.Trim(header(t, raw, "Message-ID"), "<>"); got != msg.MailID || got == "" {
			t.Errorf("recorded Message-ID %q, mail has %q", msg.MailID, got)
		}
		// The customer's answer to it threads by that id, and restarts
		// the clock the reply stopped.
		tk, _, _ := d.s.View(d.ctx, agent, r.Number)
		if tk.Status != support.StatusWaiting || tk.PausedAt.IsZero() || tk.FirstResponseAt.IsZero() {
			t.Errorf("after the reply: %s paused=%v", tk.Status, tk.PausedAt)
		}
		r2 := d.receive(support.InboundMail{MessageID: "c3@mail.example", InReplyTo: []string{msg.MailID}, From: from("li@example.cn"), Subject: "thanks", Text: "好的"})
		if r2.TicketID != r.TicketID {
			t.Fatalf("answer to the reply: %+v", r2)
		}
		tk, _, _ = d.s.View(d.ctx, agent, r.Number)
		if tk.Status != support.StatusOpen || !tk.PausedAt.IsZero() {
			t.Errorf("after the customer's answer: %s paused=%v", tk.Status, tk.PausedAt)
		}
		// A bounce of the reply shows on the ticket, once.
		for i := 0; i < 2; i++ {
			if err := d.s.MarkBounced(d.ctx, msg.OutboxID, "550 mailbox unavailable"); err != nil {
				t.Fatal(err)
			}
		}
		_, msgs, _ := d.s.View(d.ctx, agent, r.Number)
		bounced := 0
		for _, m := range msgs {
			if m.Event == support.EventBounced {
				bounced++
			}
		}
		if bounced != 1 {
			t.Errorf("bounce events: %d", bounced)
		}
		if err := d.s.MarkBounced(d.ctx, 999999, "x"); err != nil {
			t.Errorf("bounce of a mail not the desk's: %v", err)
		}
	})
}

// TestUnverifiedSenderCannotUnlock: mail whose sender is not verified but
// names a registered customer opens an unverified ticket; a supervisor's
// unlock then only asks the customer, who confirms signed in.
func TestUnverifiedSenderCannotUnlock(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		acc := &fakeAccounts{}
		d.s = support.New(support.Options{Store: d.db.Support(), Outbox: d.s.Outbox(), Box: d.s.Box(), Now: d.clk.Now, Accounts: acc})
		cust := d.user("li@example.cn", auth.RoleCustomer)
		sup := staff(d.user("boss@okpay.localhost", auth.RoleSupervisor), auth.RoleSupervisor)
		agent := staff(d.user("agent@okpay.localhost", auth.RoleAgent), auth.RoleAgent)
		r := d.receive(support.InboundMail{MessageID: "f1@evil.example", From: from("li@example.cn"), Subject: "请解锁我的账户", Text: "unlock please", Verified: false})
		tk, _, err := d.s.View(d.ctx, sup, r.Number)
		if err != nil || !tk.Unverified || tk.RequesterID != cust {
			t.Fatalf("ticket: %+v %v", tk, err)
		}
		if _, err := d.s.Unlock(d.ctx, agent, r.Number, "", ""); err != support.ErrForbidden {
			t.Errorf("agent unlock: %v", err)
		}
		done, err := d.s.Unlock(d.ctx, sup, r.Number, "", "")
		if err != nil || done || len(acc.unlocked) != 0 {
			t.Fatalf("supervisor unlock on an unverified ticket: done=%v err=%v unlocked=%v", done, err, acc.unlocked)
		}
		// Someone else cannot confirm it; the customer can.
		other := staff(d.user("x@example.cn", auth.RoleCustomer), auth.RoleCustomer)
		if err := d.s.ConfirmAction(d.ctx, other, r.Number, "", ""); err != support.ErrNotFound {
			t.Errorf("another customer confirms: %v", err)
		}
		if err := d.s.ConfirmAction(d.ctx, staff(cust, auth.RoleCustomer), r.Number, "", ""); err != nil {
			t.Fatal(err)
		}
		if len(acc.unlocked) != 1 {
			t.Errorf("unlocked %v", acc.unlocked)
		}
		if err := d.s.ConfirmAction(d.ctx, staff(cust, auth.RoleCustomer), r.Number, "", ""); err != support.ErrState {
			t.Errorf("second confirmation: %v", err)
		}
		// A verified sender's ticket unlocks at once.
		r2 := d.receive(support.InboundMail{MessageID: "g1@mail.example", From: from("li@example.cn"), Subject: "locked", Text: "x", Verified: true})
		if done, err := d.s.Unlock(d.ctx, sup, r2.Number, "", ""); err != nil || !done {
			t.Errorf("verified unlock: %v %v", done, err)
		}
		if err := d.s.SendReset(d.ctx, agent, r.Number, "", ""); err != nil || len(acc.resets) != 1 || acc.resets[0] != "li@example.cn" {
			t.Errorf("reset: %v %v", err, acc.resets)
		}
	})
}

// TestSLA: targets in business hours, the clock stopped while waiting on
// the customer, breaches escalated once.
func TestSLA(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		d.user("boss@okpay.localhost", auth.RoleSupervisor)
		agent := staff(d.user("agent@okpay.localhost", auth.RoleAgent), auth.RoleAgent)
		// Friday 17:00 Shanghai: a normal ticket's 9 business hours run
		// to Monday 17:00.
		d.clk.Set(time.Date(2026, 11, 27, 17, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		r := d.receive(support.InboundMail{MessageID: "s1@mail.example", From: from("a@example.cn"), Subject: "问题", Text: "x", Verified: true})
		tk, _, _ := d.s.View(d.ctx, agent, r.Number)
		want := time.Date(2026, 11, 30, 17, 0, 0, 0, time.FixedZone("CST", 8*3600))
		if !tk.FirstDue.Equal(want) {
			t.Errorf("first response due %v, want %v", tk.FirstDue, want)
		}
		if c := d.s.Clock(tk, d.clk.Now()); !c.HasFirst || c.FirstLeft != 9*time.Hour {
			t.Errorf("clock %+v", c)
		}
		// Nothing is due over the weekend.
		d.clk.Set(time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC))
		if n, err := d.s.Escalate(d.ctx); err != nil || n != 0 {
			t.Errorf("weekend escalations %d %v", n, err)
		}
		// Monday 18:00: missed, escalated once, priority raised.
		d.clk.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
		for i, want := range []int{1, 0} {
			n, err := d.s.Escalate(d.ctx)
			if err != nil || n != want {
				t.Errorf("run %d: %d escalations (%v), want %d", i, n, err, want)
			}
		}
		tk, msgs, _ := d.s.View(d.ctx, agent, r.Number)
		if tk.Priority != support.PrioHigh {
			t.Errorf("priority after the breach: %s", tk.Priority)
		}
		breaches := 0
		for _, m := range msgs {
			if m.Event == support.EventBreach {
				breaches++
			}
		}
		if breaches != 1 {
			t.Errorf("breach events %d", breaches)
		}
		if ts, _ := d.s.Queue(d.ctx, agent, support.ViewBreaching, ""); len(ts) != 1 {
			t.Errorf("breaching queue has %d", len(ts))
		}
		// Waiting on the customer stops the clock; their answer restarts it
		// and moves the resolution target by the business time it waited.
		if _, err := d.s.Reply(d.ctx, agent, r.Number, support.Reply{Body: "请提供截图"}); err != nil {
			t.Fatal(err)
		}
		before := tk.ResolveDue
		d.clk.Add(24 * time.Hour) // Tuesday 18:00 CST: one business day waited
		d.receive(support.InboundMail{MessageID: "s2@mail.example", From: from("a@example.cn"), Subject: "Re: [#" + itoa(r.Number) + "] 问题", Text: "附上"})
		tk, _, _ = d.s.View(d.ctx, agent, r.Number)
		if got := calendar.Default().BusinessTime(before, tk.ResolveDue); got != 9*time.Hour {
			t.Errorf("resolution target moved by %v of business time, want the 9h it waited", got)
		}
	})
}

// TestComplaint: references are checked against the customer's
// movements; a supervisor records the outcome, which is mailed.
func TestComplaint(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		d.s = support.New(support.Options{Store: d.db.Support(), Outbox: d.s.Outbox(), Box: d.s.Box(), Now: d.clk.Now,
			Refs: func(_ context.Context, userID int64, ref string) (bool, error) { return ref == "mv_mine", nil }})
		cust := d.user("li@example.cn", auth.RoleCustomer)
		sup := staff(d.user("boss@okpay.localhost", auth.RoleSupervisor), auth.RoleSupervisor)
		agent := staff(d.user("agent@okpay.localhost", auth.RoleAgent), auth.RoleAgent)
		n := support.NewTicket{UserID: cust, Complaint: true, Subject: "扣费不合理", Body: "多扣了手续费", Refs: []string{"mv_other"}}
		if _, err := d.s.Open(d.ctx, n); err == nil {
			t.Fatal("a reference that is not the customer's was accepted")
		}
		n.Refs = []string{"mv_mine"}
		o, err := d.s.Open(d.ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if o.Ticket.Queue != support.QueueComplaints || o.Ticket.Category != support.CatComplaint {
			t.Errorf("complaint filed as %+v", o.Ticket)
		}
		mails := len(d.outbox()) // the acknowledgement and the supervisors' notice
		if err := d.s.Outcome(d.ctx, agent, o.Ticket.Number, "退还手续费"); err != support.ErrForbidden {
			t.Errorf("agent records an outcome: %v", err)
		}
		if err := d.s.Outcome(d.ctx, sup, o.Ticket.Number, "我们已退还多收的手续费。"); err != nil {
			t.Fatal(err)
		}
		sent := d.outbox()
		if len(sent) != mails+1 || !strings.Contains(header(t, sent[len(sent)-1], "Subject"), "[#"+itoa(o.Ticket.Number)+"]") {
			t.Errorf("outcome mail not sent: %d mails", len(sent))
		}
		tk, _, _ := d.s.View(d.ctx, sup, o.Ticket.Number)
		if tk.Status != support.StatusSolved || tk.Outcome == "" {
			t.Errorf("after the outcome: %+v", tk)
		}
	})
}

// TestNoSecretsStored: whatever the customer sends by mail or form, no
// table holds a Luhn-valid card number, the security code or the password.
func TestNoSecretsStored(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		cust := d.user("li@example.cn", auth.RoleCustomer)
		agent := staff(d.user("agent@okpay.localhost", auth.RoleAgent), auth.RoleAgent)
		r := d.receive(support.InboundMail{MessageID: "x1@mail.example", From: mailAddr("张三 6222 0212 3456 7894", "zs@example.cn"),
			Subject: "卡号 6222021234567894 付款失败", Text: "我的卡号是 4111-1111-1111-1111，CVV: 739，密码是 Tiger88pass，身份证 11010519491231002X", Verified: true})
		if err := d.s.Acknowledge(d.ctx, r.TicketID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.Open(d.ctx, support.NewTicket{UserID: cust, Category: support.CatOther, Subject: "password: Tiger88pass", Body: "卡 5555 5555 5555 4444 安全码 739"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.Reply(d.ctx, agent, r.Number, support.Reply{Body: "请勿发送卡号 4111111111111111"}); err != nil {
			t.Fatal(err)
		}
		if err := d.s.Note(d.ctx, agent, r.Number, "customer wrote pwd: Tiger88pass"); err != nil {
			t.Fatal(err)
		}
		// The acknowledgement told them, kindly.
		sent := d.outbox()
		if len(sent) == 0 || !strings.Contains(decodeBody(t, sent[0]), "已自动遮盖") {
			t.Errorf("acknowledgement does not tell about the masking")
		}
		scanSupport(t, d, "739", "Tiger88pass", "11010519491231002X")
	})
}

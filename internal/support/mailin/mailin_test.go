package mailin_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/mailin"
)

func TestListenerRefusesOtherAddresses(t *testing.T) {
	r := newRig(t, sqlstore.SQLite)

	// EHLO advertises the size limit.
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	br.ReadString('\n')
	fmt.Fprintf(conn, "EHLO client.example\r\n")
	var ehlo strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		ehlo.WriteString(l)
		if len(l) > 3 && l[3] == ' ' {
			break
		}
	}
	conn.Close()
	if !strings.Contains(ehlo.String(), fmt.Sprintf("SIZE %d", mailin.DefaultMaxSize)) {
		t.Errorf("EHLO does not advertise SIZE %d:\n%s", mailin.DefaultMaxSize, ehlo.String())
	}

	for _, to := range []string{"stranger@okpay.test", "support@elsewhere.example", "postmaster@okpay.test"} {
		err := r.send("someone@example.com", []string{to}, msg("someone@example.com", to, "hi", "hello"))
		rep, ok := err.(*smtpReply)
		if !ok || rep.Stage != "rcpt" || rep.Code != 550 || !strings.HasPrefix(rep.Msg, "5.1.1") || !strings.Contains(rep.Msg, "no such mailbox") {
			t.Errorf("RCPT %s: %v, want 550 5.1.1 no such mailbox", to, err)
		}
	}
	// A return path of ours is accepted; a made-up or altered one is not.
	if err := r.send("", []string{r.verp.Address(7)}, msg("MAILER-DAEMON@x.example", r.verp.Address(7), "x", "x")); err != nil {
		t.Errorf("our return path refused: %v", err)
	}
	forged := strings.Replace(r.verp.Address(7), "bounce+7-", "bounce+8-", 1)
	err = r.send("", []string{forged}, msg("MAILER-DAEMON@x.example", forged, "x", "x"))
	if rep, ok := err.(*smtpReply); !ok || rep.Code != 550 || !strings.Contains(rep.Msg, "bounce address") {
		t.Errorf("forged return path: %v, want 550 about the bounce address", err)
	}
	// Case does not matter.
	r.mustSend("someone@example.com", []string{"Support@OKPay.Test"}, msg("someone@example.com", "Support@OKPay.Test", "hi", "hello"))
	if n := len(r.tickets()); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
}

func TestThreadingByHeaders(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.mustSend("li.wei@example.com", []string{supportAddr}, msg("Li Wei <li.wei@example.com>", supportAddr,
			"Payment failed", "My payment to the shop failed twice today.", "Message-ID: <first@example.com>"))
		tk, _ := r.onlyTicket()
		acks := r.outboxTo("li.wei@example.com")
		if len(acks) != 1 {
			t.Fatalf("%d acknowledgements, want 1", len(acks))
		}
		// The customer answers the acknowledgement: In-Reply-To is our
		// Message-ID, the subject has lost its number.
		r.mustSend("li.wei@example.com", []string{supportAddr}, msg("li.wei@example.com", supportAddr,
			"Re: Payment failed", "It happened again just now.", "In-Reply-To: <"+acks[0].MessageID+">",
			"References: <first@example.com> <"+acks[0].MessageID+">"))
		// And a reply that only names the customer's own first message.
		r.mustSend("li.wei@example.com", []string{supportAddr}, msg("li.wei@example.com", supportAddr,
			"one more thing", "The shop is called Mingyue.", "References: <first@example.com>"))
		got, ms := r.onlyTicket()
		if got.Number != tk.Number {
			t.Fatalf("replies filed on #%d, want #%d", got.Number, tk.Number)
		}
		want := []string{"My payment to the shop failed twice today.", "It happened again just now.", "The shop is called Mingyue."}
		if texts := customerTexts(ms); !slices.Equal(texts, want) {
			t.Errorf("timeline %q, want %q", texts, want)
		}
		if n := len(r.outboxTo("li.wei@example.com")); n != 1 {
			t.Errorf("%d acknowledgements after the replies, want still 1", n)
		}
	})
}

func TestThreadingBySubjectNumber(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.mustSend("wang.fang@example.cn", []string{supportAddr}, msg("wang.fang@example.cn", supportAddr, "提现失败", "我的提现一直没有到账。"))
		tk, _ := r.onlyTicket()
		for i, subject := range []string{
			fmt.Sprintf("Re: [#%d] 提现失败", tk.Number),
			fmt.Sprintf("回复：[#%d] 提现失败", tk.Number),
			fmt.Sprintf("答复: 转发: RE: [#%d] 提现失败", tk.Number),
			fmt.Sprintf("回复：［＃%d］提现失败", tk.Number),
		} {
			r.mustSend("wang.fang@example.cn", []string{supportAddr}, msg("wang.fang@example.cn", supportAddr, subject, fmt.Sprintf("补充说明 %d", i+1)))
		}
		got, ms := r.onlyTicket()
		if got.Number != tk.Number || len(customerTexts(ms)) != 5 {
			t.Errorf("ticket #%d has %d customer messages %q, want #%d with 5", got.Number, len(customerTexts(ms)), customerTexts(ms), tk.Number)
		}
	})
}

func TestStrangerWithSomeoneElsesNumberOpensOwnTicket(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.mustSend("owner@example.com", []string{supportAddr}, msg("owner@example.com", supportAddr, "Refund", "Where is my refund?"))
		tk, _ := r.onlyTicket()
		r.mustSend("stranger@evil.example", []string{supportAddr}, msg("stranger@evil.example", supportAddr,
			fmt.Sprintf("Re: [#%d] Refund", tk.Number), "Please send the refund to my account instead."))
		ts := r.tickets()
		if len(ts) != 2 {
			t.Fatalf("%d tickets, want 2", len(ts))
		}
		_, ms := r.ticket(tk.Number)
		if texts := customerTexts(ms); len(texts) != 1 {
			t.Errorf("the owner's ticket got the stranger's mail: %q", texts)
		}
		if ts[1].RequesterEmail != "stranger@evil.example" {
			t.Errorf("second ticket's requester %q", ts[1].RequesterEmail)
		}
	})
}

// gbk encodes s in GBK.
func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGBKSubjectAndBody(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		subject, body := "账户被冻结了", "您好，我的账户今天突然被冻结，无法付款。请尽快处理。"
		raw := "From: =?GBK?B?" + base64.StdEncoding.EncodeToString(gbk(t, "张三")) + "?= <zhang.san@example.cn>\r\n" +
			"To: support@okpay.test\r\n" +
			"Subject: =?GBK?B?" + base64.StdEncoding.EncodeToString(gbk(t, subject)) + "?=\r\n" +
			"Message-ID: <gbk1@example.cn>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			string(gbk(t, body)) + "\r\n"
		r.mustSend("zhang.san@example.cn", []string{supportAddr}, raw)
		tk, ms := r.onlyTicket()
		if tk.Subject != subject {
			t.Errorf("subject %q, want %q", tk.Subject, subject)
		}
		if tk.RequesterName != "张三" {
			t.Errorf("requester name %q, want 张三", tk.RequesterName)
		}
		if texts := customerTexts(ms); len(texts) != 1 || texts[0] != body {
			t.Errorf("body %q, want %q", texts, body)
		}
	})
}

func TestDuplicateDelivery(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		m := msg("chen@example.com", supportAddr, "Card declined", "My card was declined.", "Message-ID: <dup@example.com>")
		r.mustSend("chen@example.com", []string{supportAddr}, m)
		r.mustSend("chen@example.com", []string{supportAddr}, m) // the sender's MTA retried
		r.mustSend("chen@example.com", []string{complaintsAddr}, m)
		_, ms := r.onlyTicket()
		if n := len(customerTexts(ms)); n != 1 {
			t.Errorf("%d copies on the ticket, want 1", n)
		}
		rs := r.raws()
		if len(rs) != 3 || rs[0].Status != mailin.StatusFiled || rs[1].Status != mailin.StatusDuplicate || rs[2].Status != mailin.StatusDuplicate {
			t.Fatalf("raw store %v, want filed, duplicate, duplicate", statuses(rs))
		}
		for _, d := range rs[1:] {
			full, _ := r.db.Mailin().Raw(r.ctx, d.ID)
			if len(full.Sealed) != 0 {
				t.Errorf("duplicate %d keeps its bytes; stored once means once", d.ID)
			}
		}
		if n := len(r.outboxTo("chen@example.com")); n != 1 {
			t.Errorf("%d acknowledgements, want 1", n)
		}

		// One transaction to both addresses: stored once, one complaint.
		r.mustSend("zhao@example.com", []string{supportAddr, complaintsAddr, supportAddr},
			msg("zhao@example.com", supportAddr+", "+complaintsAddr, "投诉：商户拒绝退款", "商户收款后拒绝退款。"))
		rs = r.raws()
		if len(rs) != 4 {
			t.Fatalf("%d rows after a transaction to both addresses, want 4", len(rs))
		}
		if !slices.Equal(rs[3].To, []string{supportAddr, complaintsAddr}) {
			t.Errorf("envelope recipients %q", rs[3].To)
		}
		ts := r.tickets()
		if len(ts) != 2 || ts[1].Mailbox != support.MailboxComplaints {
			t.Errorf("tickets %d, second in mailbox %q; want 2, complaints", len(ts), ts[len(ts)-1].Mailbox)
		}
	})
}

func statuses(rs []mailin.Raw) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Status)+" ("+r.Note+")")
	}
	return out
}

func TestAutoRepliesAreFiledNeverAcknowledged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		for i, h := range []string{"Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: bulk", "Precedence: junk", "Precedence: list"} {
			from := fmt.Sprintf("robot%d@example.com", i)
			r.mustSend(from, []string{supportAddr}, msg(from, supportAddr, "Out of office", "I am away until Monday.", h))
			if n := len(r.outboxTo(from)); n != 0 {
				t.Errorf("%s: %d acknowledgements, want none", h, n)
			}
			last := r.lastRaw()
			if last.Status != mailin.StatusFiled || !strings.Contains(last.Note, "automated") {
				t.Errorf("%s: stored as %s (%s), want filed as automated", h, last.Status, last.Note)
			}
		}
		if n := len(r.tickets()); n != 5 {
			t.Errorf("%d tickets, want 5 (auto-replies are kept)", n)
		}
		// A person's mail still gets its acknowledgement.
		r.mustSend("person@example.com", []string{supportAddr}, msg("person@example.com", supportAddr, "Question", "How do I add a card?"))
		if n := len(r.outboxTo("person@example.com")); n != 1 {
			t.Errorf("%d acknowledgements for a person, want 1", n)
		}
	})
}

// dsn is a delivery status report for the message with origID.
func dsn(to, origID, status string) string {
	action := "failed"
	if strings.HasPrefix(status, "4") {
		action = "delayed"
	}
	return "From: Mail Delivery System <MAILER-DAEMON@mx.remote.example>\r\n" +
		"To: " + to + "\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <" + randID() + "@mx.remote.example>\r\n" +
		"Auto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"BND\"\r\n\r\n" +
		"--BND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
		"This is the mail system at host mx.remote.example.\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n" +
		"--BND\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.remote.example\r\n\r\n" +
		"Final-Recipient: rfc822; gone@remote.example\r\nAction: " + action + "\r\nStatus: " + status + "\r\n" +
		"Diagnostic-Code: smtp; 550 " + status + " <gone@remote.example>: Recipient address rejected: User unknown\r\n\r\n" +
		"--BND\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
		"From: OKPay <no-reply@okpay.test>\r\nTo: gone@remote.example\r\nSubject: Re: [#10001] Help\r\n" +
		"Message-ID: <" + origID + ">\r\n\r\n" +
		"--BND--\r\n"
}

func TestBounceMarksOutgoingMailFailed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		s := startSink(t)
		agent := r.user("agent@okpay.test", auth.RoleAgent)
		r.mustSend("gone@remote.example", []string{supportAddr}, msg("gone@remote.example", supportAddr, "Help", "Please help me."))
		tk, _ := r.onlyTicket()
		reply, err := r.desk.Reply(r.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, tk.Number, support.Reply{Body: "We are looking into it."})
		if err != nil {
			t.Fatal(err)
		}
		r.relay(s, reply.OutboxID)
		got := s.messages()
		if len(got) != 1 || got[0].From != r.verp.Address(reply.OutboxID) {
			t.Fatalf("relay got %d messages, envelope sender %q; want the return path %q", len(got), got[0].From, r.verp.Address(reply.OutboxID))
		}
		before := len(r.tickets())

		// The remote server bounces it to the return path.
		r.mustSend("", []string{got[0].From}, dsn(got[0].From, reply.MailID, "5.1.1"))
		m, err := r.db.Mail().Mail(r.ctx, reply.OutboxID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != mail.StatusFailed || !strings.Contains(m.LastError, "5.1.1") {
			t.Errorf("outbox message %s (%q), want failed with the bounce's status", m.Status, m.LastError)
		}
		if n := len(r.tickets()); n != before {
			t.Errorf("the bounce opened a ticket (%d, was %d)", n, before)
		}
		_, ms := r.ticket(tk.Number)
		bounced := false
		for _, msg := range ms {
			if msg.OutboxID == reply.OutboxID && msg.Bounced != "" {
				bounced = true
			}
		}
		if !bounced {
			t.Error("the ticket does not show that the reply bounced")
		}
		if last := r.lastRaw(); last.Status != mailin.StatusBounce || last.OutboxID != reply.OutboxID {
			t.Errorf("raw store: %s outbox %d, want bounce of %d", last.Status, last.OutboxID, reply.OutboxID)
		}

		// A report sent to the support address instead (a server that
		// ignores the return path) is found by the Message-ID it quotes.
		ack := r.outboxTo("gone@remote.example")[0]
		r.mustSend("", []string{supportAddr}, dsn(supportAddr, ack.MessageID, "5.2.1"))
		if m, _ := r.db.Mail().Mail(r.ctx, ack.ID); m.Status != mail.StatusFailed {
			t.Errorf("acknowledgement %d is %s after its bounce, want failed", ack.ID, m.Status)
		}
		// A delay warning fails nothing.
		r.mustSend("", []string{supportAddr}, msg("x@example.com", supportAddr, "Thanks", "thanks"))
		other := r.outboxTo("x@example.com")[0]
		r.mustSend("", []string{r.verp.Address(other.ID)}, dsn(r.verp.Address(other.ID), other.MessageID, "4.4.1"))
		if m, _ := r.db.Mail().Mail(r.ctx, other.ID); m.Status == mail.StatusFailed {
			t.Error("a delay warning failed the message")
		}
		if n := len(r.tickets()); n != before+1 {
			t.Errorf("%d tickets, want %d: reports never open tickets", n, before+1)
		}
	})
}

func TestOwnMailAndLoopsAreDropped(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		// Our own acknowledgement, forwarded back to us as it was.
		own, err := r.outbox.Compose(mail.Message{To: []mail.Address{{Address: supportAddr}}, Subject: "[#10001] 我们已收到您的来信", Text: "您好"})
		if err != nil {
			t.Fatal(err)
		}
		r.mustSend("no-reply@okpay.test", []string{supportAddr}, string(own.Raw))
		// Our loop marker under a new Message-ID.
		r.mustSend("fwd@example.com", []string{supportAddr}, msg("fwd@example.com", supportAddr, "Fwd: ack", "forwarded",
			mail.LoopHeader+": "+r.outbox.Domain()))
		// Too many hops.
		var hops []string
		for i := 0; i < mailin.DefaultMaxReceived+1; i++ {
			hops = append(hops, fmt.Sprintf("Received: from hop%d.example by hop%d.example; Mon, 2 Mar 2026 10:00:00 +0800", i, i+1))
		}
		r.mustSend("loop@example.com", []string{supportAddr}, msg("loop@example.com", supportAddr, "loop", "round and round", hops...))
		// Someone using our sender address.
		r.mustSend("x@example.com", []string{supportAddr}, msg("OKPay <no-reply@okpay.test>", supportAddr, "hello", "spoofed"))

		if n := len(r.tickets()); n != 0 {
			t.Errorf("%d tickets, want none", n)
		}
		rows, err := r.db.Read().Query(r.ctx, "SELECT COUNT(*) FROM mail_outbox")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		rows.Next()
		rows.Scan(&n)
		rows.Close()
		if n != 0 {
			t.Errorf("%d messages answered our own mail or a loop, want none", n)
		}
		for _, raw := range r.raws() {
			if raw.Status != mailin.StatusDropped {
				t.Errorf("message %d: %s (%s), want dropped", raw.ID, raw.Status, raw.Note)
			}
		}
	})
}

func TestOversizeMailRefused(t *testing.T) {
	r := newRig(t, sqlstore.SQLite, func(o *mailin.Options) { o.MaxSize = 64 << 10 })
	big := msg("big@example.com", supportAddr, "Scan", strings.Repeat("0123456789abcdef\n", 6000))
	err := r.send("big@example.com", []string{supportAddr}, big)
	rep, ok := err.(*smtpReply)
	if !ok || rep.Code != 552 || !strings.HasPrefix(rep.Msg, "5.3.4") {
		t.Fatalf("oversize DATA: %v, want 552 5.3.4", err)
	}
	// Announced in MAIL FROM: refused before the data is sent.
	c, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("client.example")
	if ok, param := c.Extension("SIZE"); !ok || param != "65536" {
		t.Errorf("SIZE extension %v %q, want 65536", ok, param)
	}
	id, _ := c.Text.Cmd("MAIL FROM:<big@example.com> SIZE=200000")
	c.Text.StartResponse(id)
	code, text, err := c.Text.ReadResponse(250)
	c.Text.EndResponse(id)
	if code != 552 || !strings.HasPrefix(text, "5.3.4") {
		t.Errorf("MAIL with SIZE over the limit: %d %s (%v), want 552 5.3.4", code, text, err)
	}
	if n := len(r.raws()); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
	// The listener still takes normal mail.
	r.mustSend("small@example.com", []string{supportAddr}, msg("small@example.com", supportAddr, "Small", "short"))
}

func TestReplyToClosedTicket(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		agent := r.user("agent@okpay.test", auth.RoleAgent)
		staff := auth.Actor{UserID: agent, Role: auth.RoleAgent}
		r.mustSend("liu@example.com", []string{supportAddr}, msg("liu@example.com", supportAddr, "Limit", "What is my daily limit?"))
		tk, _ := r.onlyTicket()
		closeIt := func() {
			if err := r.desk.Update(r.ctx, staff, tk.Number, support.Update{Status: support.StatusClosed}); err != nil {
				t.Fatal(err)
			}
		}
		closeIt()
		r.clk.Add(3 * 24 * time.Hour)
		r.mustSend("liu@example.com", []string{supportAddr}, msg("liu@example.com", supportAddr,
			fmt.Sprintf("Re: [#%d] Limit", tk.Number), "Sorry, one more question."))
		got, ms := r.ticket(tk.Number)
		if len(r.tickets()) != 1 || got.Status == support.StatusClosed || !hasEvent(ms, support.EventReopened) {
			t.Fatalf("reply 3 days after closing: %d tickets, status %s; want the ticket reopened", len(r.tickets()), got.Status)
		}
		closeIt()
		r.clk.Add(20 * 24 * time.Hour)
		r.mustSend("liu@example.com", []string{supportAddr}, msg("liu@example.com", supportAddr,
			fmt.Sprintf("Re: [#%d] Limit", tk.Number), "It is me again, weeks later."))
		ts := r.tickets()
		if len(ts) != 2 {
			t.Fatalf("reply 20 days after closing: %d tickets, want a new one", len(ts))
		}
		if ts[1].LinkedTo != tk.Number {
			t.Errorf("new ticket follows #%d, want #%d", ts[1].LinkedTo, tk.Number)
		}
		if old, _ := r.ticket(tk.Number); old.Status != support.StatusClosed {
			t.Errorf("old ticket %s, want still closed", old.Status)
		}
		if last := r.lastRaw(); !strings.Contains(last.Note, fmt.Sprintf("following #%d", tk.Number)) {
			t.Errorf("raw note %q", last.Note)
		}
	})
}

// pngBytes is a 1x1 PNG.
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func TestAttachmentWithChineseName(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		raw := "From: sun@example.cn\r\nTo: support@okpay.test\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("付款截图")) + "?=\r\n" +
			"Message-ID: <att1@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n" +
			"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte("请看附件中的截图。")) + "\r\n" +
			"--XYZ\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n" +
			"Content-Disposition: attachment; filename*=UTF-8''%E4%BB%98%E6%AC%BE%E6%88%AA%E5%9B%BE.png\r\n\r\n" +
			base64.StdEncoding.EncodeToString(pngBytes) + "\r\n--XYZ--\r\n"
		r.mustSend("sun@example.cn", []string{supportAddr}, raw)
		_, ms := r.onlyTicket()
		var names []string
		for _, m := range ms {
			for _, a := range m.Attachments {
				names = append(names, a.Name)
				if a.Size != int64(len(pngBytes)) {
					t.Errorf("attachment size %d, want %d", a.Size, len(pngBytes))
				}
			}
		}
		if !slices.Equal(names, []string{"付款截图.png"}) {
			t.Errorf("attachments %q, want 付款截图.png", names)
		}
	})
}

func TestQuotedHistoryIsLeftOut(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		body := "The transfer arrived now, thank you!\n\nOn Mon, 2 Mar 2026 at 10:00, OKPay <support@okpay.test> wrote:\n> We are looking into it.\n> Ticket 10001\n"
		r.mustSend("he@example.com", []string{supportAddr}, msg("he@example.com", supportAddr, "Re: Transfer", body))
		zh := "收到了，谢谢！\n\n在 2026年3月2日 10:00，OKPay 客服 <support@okpay.test> 写道：\n> 我们正在处理。\n"
		r.mustSend("ma@example.cn", []string{supportAddr}, msg("ma@example.cn", supportAddr, "回复：转账", zh))
		ts := r.tickets()
		if len(ts) != 2 {
			t.Fatalf("%d tickets", len(ts))
		}
		for i, want := range []string{"The transfer arrived now, thank you!", "收到了，谢谢！"} {
			_, ms := r.ticket(ts[i].Number)
			if texts := customerTexts(ms); len(texts) != 1 || texts[0] != want {
				t.Errorf("ticket %d shows %q, want only %q", i, texts, want)
			}
		}
	})
}

func TestForgedFromIsUnverified(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.user("alice@example.com", auth.RoleCustomer)
		ask := "My account is locked, please unlock it now."
		// No Authentication-Results at all, one by someone else's
		// server, one by ours that is not the topmost, one saying fail.
		for i, hs := range [][]string{
			nil,
			{"Authentication-Results: mx.evil.example; dmarc=pass header.from=example.com"},
			{"Authentication-Results: mx.other.example; spf=none", "Authentication-Results: " + authServID + "; dmarc=pass header.from=example.com"},
			{"Authentication-Results: " + authServID + "; dmarc=fail header.from=example.com"},
			{"Authentication-Results: " + authServID + "; dmarc=pass header.from=evil.example"},
		} {
			r.mustSend("attacker@evil.example", []string{supportAddr}, msg("Alice <alice@example.com>", supportAddr, fmt.Sprintf("Unlock %d", i), ask, hs...))
		}
		for _, tk := range r.tickets() {
			_, ms := r.ticket(tk.Number)
			if !tk.Unverified || !hasEvent(ms, support.EventUnverified) {
				t.Errorf("ticket #%d %q: unverified %v, want an unverified ticket", tk.Number, tk.Subject, tk.Unverified)
			}
			if hasEvent(ms, support.EventUnlocked) || hasEvent(ms, support.EventResetSent) {
				t.Errorf("ticket #%d: forged mail caused an account action", tk.Number)
			}
			// Staff cannot act on the forged mail's word either.
			agent := r.user(fmt.Sprintf("agent%d@okpay.test", tk.Number), auth.RoleAgent)
			if done, err := r.desk.Unlock(r.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, tk.Number, "127.0.0.1", "test"); err == nil && done {
				t.Errorf("ticket #%d: an agent unlocked the account on unverified mail", tk.Number)
			}
		}
		// Our MTA's verdict, topmost: verified.
		r.mustSend("alice@example.com", []string{supportAddr}, msg("Alice <alice@example.com>", supportAddr, "Verified", ask,
			"Authentication-Results: "+authServID+"; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"))
		ts := r.tickets()
		if last := ts[len(ts)-1]; last.Unverified {
			t.Errorf("mail with our MTA's dmarc=pass is unverified")
		}
	})
}

func TestAcknowledgementRateLimits(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e, func(o *mailin.Options) { o.AckPerRecipient, o.AckPerIP = 2, 4 })
		// A forger writes as a victim again and again: two
		// acknowledgements reach the victim, then no more this hour.
		for i := 0; i < 5; i++ {
			r.mustSend("x@evil.example", []string{supportAddr}, msg("victim@example.org", supportAddr, fmt.Sprintf("Question %d", i), "spam"))
		}
		if n := len(r.outboxTo("victim@example.org")); n != 2 {
			t.Errorf("%d acknowledgements to one address in an hour, want 2", n)
		}
		if n := len(r.tickets()); n != 5 {
			t.Errorf("%d tickets, want all 5 filed", n)
		}
		// Different addresses from the same IP: the IP's limit (4, two
		// used) stops them after two more.
		for i := 0; i < 4; i++ {
			from := fmt.Sprintf("other%d@example.org", i)
			r.mustSend(from, []string{supportAddr}, msg(from, supportAddr, "Hello", "hi"))
		}
		acked := 0
		for i := 0; i < 4; i++ {
			acked += len(r.outboxTo(fmt.Sprintf("other%d@example.org", i)))
		}
		if acked != 2 {
			t.Errorf("%d acknowledgements from one IP past its limit, want 2", acked)
		}
		if !strings.Contains(r.logs.String(), "rate limit") {
			t.Error("the limit is not logged")
		}
		// The next hour, the victim's counter starts again.
		r.clk.Add(time.Hour)
		r.mustSend("x@evil.example", []string{supportAddr}, msg("victim@example.org", supportAddr, "Question again", "spam"))
		if n := len(r.outboxTo("victim@example.org")); n != 3 {
			t.Errorf("%d acknowledgements after the window, want 3", n)
		}
	})
}

func TestUnparsableMailIsKeptAndReprocessed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.mustSend("x@example.com", []string{supportAddr}, "just some words without any header\r\nand another line\r\n")
		r.mustSend("x@example.com", []string{supportAddr}, "Subject: no sender at all\r\n\r\nbody\r\n")
		un, err := r.svc.Unparsed(r.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 2 {
			t.Fatalf("%d kept for staff, want 2: %v", len(un), statuses(r.raws()))
		}
		full, _ := r.db.Mailin().Raw(r.ctx, un[0].ID)
		if len(full.Sealed) == 0 {
			t.Error("unparsed mail lost its bytes")
		}
		// Reprocessing runs it through the pipeline again.
		got, err := r.svc.Reprocess(r.ctx, un[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != mailin.StatusUnparsed || got.Attempts != 2 {
			t.Errorf("after reprocessing: %s, %d attempts; want unparsed again, 2", got.Status, got.Attempts)
		}
		// A filed message cannot be reprocessed.
		r.mustSend("y@example.com", []string{supportAddr}, msg("y@example.com", supportAddr, "ok", "fine"))
		if _, err := r.svc.Reprocess(r.ctx, r.lastRaw().ID); err == nil {
			t.Error("reprocessing a filed message succeeded")
		}
		// The retention purge leaves the unparsed ones alone.
		r.clk.Add(31 * 24 * time.Hour)
		if err := r.svc.HandlePurge(r.ctx, jobsClaimed()); err != nil {
			t.Fatal(err)
		}
		for _, raw := range r.raws() {
			full, _ := r.db.Mailin().Raw(r.ctx, raw.ID)
			if kept := len(full.Sealed) > 0; kept != (raw.Status == mailin.StatusUnparsed) {
				t.Errorf("message %d (%s) after the purge: bytes kept %v", raw.ID, raw.Status, kept)
			}
		}
	})
}

func TestRawStoreIsSealedAndPurged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		r.mustSend("qian@example.com", []string{supportAddr}, msg("qian@example.com", supportAddr, "Secret subject words", "a recognisable body"))
		raw := r.lastRaw()
		if strings.Contains(string(raw.Sealed), "recognisable") || strings.Contains(string(raw.Sealed), "Secret subject") {
			t.Fatal("the raw store holds the message in clear")
		}
		// Bound to its row: another row's AD does not open it.
		box := mustBox(t, r.key)
		if _, err := box.Open(raw.Sealed, fmt.Sprintf("mailin:raw:%d", raw.ID+1)); err == nil {
			t.Error("sealed bytes open under another row's name")
		}
		if pt, err := box.Open(raw.Sealed, fmt.Sprintf("mailin:raw:%d", raw.ID)); err != nil || !strings.Contains(string(pt), "recognisable") {
			t.Errorf("sealed bytes do not open for their row: %v", err)
		}
		r.clk.Add(29 * 24 * time.Hour)
		r.svc.HandlePurge(r.ctx, jobsClaimed())
		if got, _ := r.db.Mailin().Raw(r.ctx, raw.ID); len(got.Sealed) == 0 {
			t.Error("purged before the retention period")
		}
		r.clk.Add(2 * 24 * time.Hour)
		r.svc.HandlePurge(r.ctx, jobsClaimed())
		got, _ := r.db.Mailin().Raw(r.ctx, raw.ID)
		if len(got.Sealed) != 0 || got.PurgedAt.IsZero() || got.Status != mailin.StatusFiled {
			t.Errorf("after 31 days: %d bytes, purged at %v, status %s; want emptied, the record kept", len(got.Sealed), got.PurgedAt, got.Status)
		}
	})
}

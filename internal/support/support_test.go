package support_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/connector"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
)

// desk is a support service on a real database with a settable clock.
type desk struct {
	t   *testing.T
	db  *sqlstore.DB
	clk *clock.Settable
	s   *support.Service
	ctx context.Context
}

// monday10 is a working Monday morning in Shanghai.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newDesk(t *testing.T, e sqlstore.Engine) *desk {
	t.Helper()
	clk := clock.NewSettable(monday10)
	db := sqltest.NewDB(t, e, "support", clk.Now)
	ob, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.localhost"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32), "support.attachment")
	if err != nil {
		t.Fatal(err)
	}
	s := support.New(support.Options{Store: db.Support(), Outbox: ob, Box: box, Now: clk.Now,
		Config: support.Config{BaseURL: "https://okpay.localhost"}})
	return &desk{t: t, db: db, clk: clk, s: s, ctx: context.Background()}
}

// user inserts a registered user.
func (d *desk) user(email string, role auth.Role) int64 {
	d.t.Helper()
	var id int64
	err := d.db.Write().QueryRow(d.ctx, `INSERT INTO users (email, role, locale, created_at) VALUES ($1, $2, 'zh-CN', $3) RETURNING id`,
		email, string(role), d.clk.Now().UnixNano()).Scan(&id)
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

func (d *desk) receive(m support.InboundMail) support.Received {
	d.t.Helper()
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = d.clk.Now()
	}
	if m.Mailbox == "" {
		m.Mailbox = support.MailboxSupport
	}
	r, err := d.s.ReceiveMail(d.ctx, m)
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

// outbox returns the raw mails queued so far, oldest first.
func (d *desk) outbox() []string {
	d.t.Helper()
	rows, err := d.db.Read().Query(d.ctx, "SELECT raw FROM mail_outbox ORDER BY id")
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

func header(t *testing.T, raw, name string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	v := m.Header.Get(name)
	if name == "Subject" {
		dec := new(mime.WordDecoder)
		if s, err := dec.DecodeHeader(v); err == nil {
			return s
		}
	}
	return v
}

func from(addr string) mail.Address { return mail.Address{Address: addr} }

var staff = func(id int64, r auth.Role) auth.Actor { return auth.Actor{UserID: id, Role: r} }

func TestThreading(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		agentID := d.user("agent@okpay.localhost", auth.RoleAgent)
		agent := staff(agentID, auth.RoleAgent)

		// A new mail opens a ticket; the same Message-ID again changes nothing.
		first := support.InboundMail{MessageID: "a1@mail.example", From: from("li@example.cn"), Subject: "提现没有到账", Text: "我昨天提现，今天还没到。", Verified: true, Cc: []string{"wang@example.cn"}}
		r1 := d.receive(first)
		if !r1.New || r1.Number != 10001 {
			t.Fatalf("first mail: %+v", r1)
		}
		if r := d.receive(first); !r.Duplicate || r.TicketID != r1.TicketID {
			t.Fatalf("same Message-ID again: %+v", r)
		}
		if err := d.s.Acknowledge(d.ctx, r1.TicketID); err != nil {
			t.Fatal(err)
		}
		if err := d.s.Acknowledge(d.ctx, r1.TicketID); err != nil {
			t.Fatal(err)
		}
		sent := d.outbox()
		if len(sent) != 1 {
			t.Fatalf("acknowledgements queued: %d, want 1", len(sent))
		}
		ack := sent[0]
		if got := header(t, ack, "In-Reply-To"); got != "<a1@mail.example>" {
			t.Errorf("ack In-Reply-To = %q", got)
		}
		if got := header(t, ack, "Auto-Submitted"); got == "" || got == "no" {
			t.Errorf("ack Auto-Submitted = %q", got)
		}
		if got := header(t, ack, "Subject"); !strings.Contains(got, "[#10001]") {
			t.Errorf("ack subject = %q", got)
		}
		ackID := strings.Trim(header(t, ack, "Message-ID"), "<>")

		// 1. A reply to our own Message-ID threads, whatever the subject.
		if r := d.receive(support.InboundMail{MessageID: "a2@mail.example", InReplyTo: []string{ackID}, From: from("li@example.cn"), Subject: "something else", Text: "补充一下"}); r.New || r.TicketID != r1.TicketID {
			t.Fatalf("reply to our Message-ID: %+v", r)
		}
		// 2. [#N] behind reply/forward prefixes, from the requester or someone copied.
		for i, subj := range []string{"回复：[#10001] 提现没有到账", "Re: [#10001] 提现没有到账", "Fwd: [#10001] x", "转发: Re: [#10001]"} {
			sender := "li@example.cn"
			if i%2 == 1 {
				sender = "wang@example.cn" // copied on the first mail
			}
			if r := d.receive(support.InboundMail{MessageID: "p" + string(rune('a'+i)) + "@mail.example", From: from(sender), Subject: subj, Text: "还在等"}); r.New || r.TicketID != r1.TicketID {
				t.Fatalf("%q from %s: %+v", subj, sender, r)
			}
		}
		// A stranger's [#N] opens a ticket of its own.
		rs := d.receive(support.InboundMail{MessageID: "s1@evil.example", From: from("stranger@evil.example"), Subject: "Re: [#10001] 提现没有到账", Text: "hi"})
		if !rs.New || rs.TicketID == r1.TicketID {
			t.Fatalf("stranger's [#N]: %+v", rs)
		}
		// The stranger cannot see the requester's messages through it.
		_, msgs, err := d.s.View(d.ctx, agent, rs.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Body, "提现") {
				t.Fatalf("stranger's ticket holds the other's text: %q", m.Body)
			}
		}

		// Closed less than 14 days ago: a reply reopens it.
		if err := d.s.Update(d.ctx, agent, r1.Number, support.Update{Status: support.StatusClosed}); err != nil {
			t.Fatal(err)
		}
		d.clk.Add(13 * 24 * time.Hour)
		r := d.receive(support.InboundMail{MessageID: "a3@mail.example", From: from("li@example.cn"), Subject: "Re: [#10001] 提现没有到账", Text: "又出现了"})
		if !r.Reopened || r.TicketID != r1.TicketID {
			t.Fatalf("within 14 days: %+v", r)
		}
		tk, _, err := d.s.View(d.ctx, agent, r1.Number)
		if err != nil || tk.Status != support.StatusOpen {
			t.Fatalf("reopened ticket: %v %v", tk.Status, err)
		}
		// Closed more than 14 days ago: a new ticket linked to the old.
		if err := d.s.Update(d.ctx, agent, r1.Number, support.Update{Status: support.StatusClosed}); err != nil {
			t.Fatal(err)
		}
		d.clk.Add(15 * 24 * time.Hour)
		r = d.receive(support.InboundMail{MessageID: "a4@mail.example", InReplyTo: []string{ackID}, From: from("li@example.cn"), Subject: "Re: [#10001] 提现没有到账", Text: "还是不行"})
		if !r.New || r.LinkedTo != r1.Number || r.TicketID == r1.TicketID {
			t.Fatalf("after 14 days: %+v", r)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mailAddr(name, addr string) mail.Address { return mail.Address{Name: name, Address: addr} }

// decodeBody returns the text part of a composed mail, decoded.
func decodeBody(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	ct, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	var out strings.Builder
	mr := multipart.NewReader(m.Body, params["boundary"])
	for strings.HasPrefix(ct, "multipart/") {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			b, _ = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
		}
		out.Write(b)
	}
	if out.Len() == 0 {
		b, _ := io.ReadAll(m.Body)
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "base64") {
			b, _ = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
		}
		out.Write(b)
	}
	return out.String()
}

// scanSupport fails when a support table or the outbox holds a Luhn-valid
// 13–19 digit run or one of the secrets (attachments are sealed).
func scanSupport(t *testing.T, d *desk, secrets ...string) {
	t.Helper()
	run := regexp.MustCompile(`\d(?:[ -]?\d)*`)
	check := func(where, s string) {
		for _, r := range run.FindAllString(s, -1) {
			digits := strings.NewReplacer(" ", "", "-", "").Replace(r)
			if len(digits) >= 13 && len(digits) <= 19 && connector.LuhnValid(digits) {
				t.Errorf("%s holds a card-like number %s", where, digits)
			}
		}
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s holds %q", where, sec)
			}
		}
	}
	n := 0
	for _, q := range []string{
		"SELECT subject || ' ' || requester_email || ' ' || requester_name || ' ' || rating_comment || ' ' || outcome FROM support_tickets",
		"SELECT body || ' ' || author_email || ' ' || detail FROM support_messages",
		"SELECT raw FROM mail_outbox", "SELECT args FROM jobs",
	} {
		rows, err := d.db.Read().Query(d.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v []byte
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			s := string(v)
			if strings.HasPrefix(q, "SELECT raw") {
				s += decodeBody(t, s)
			}
			check(q, s)
			n++
		}
		rows.Close()
	}
	if n < 4 {
		t.Fatalf("scanned only %d rows", n)
	}
}

// TestTicketNumbersUnderConcurrency: tickets opened at the same moment
// each get their own number, with none skipped by a refusal.
func TestTicketNumbersUnderConcurrency(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		const n = 20
		var wg sync.WaitGroup
		nums := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := d.s.ReceiveMail(d.ctx, support.InboundMail{MessageID: "c" + itoa(int64(i)) + "@mail.example",
					From: from("p" + itoa(int64(i)) + "@example.cn"), Subject: "同时来信", Text: "你好", Mailbox: support.MailboxSupport, ReceivedAt: d.clk.Now()})
				nums[i], errs[i] = r.Number, err
			}()
		}
		wg.Wait()
		seen := map[int64]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("mail %d: %v", i, errs[i])
			}
			seen[nums[i]] = true
		}
		for want := int64(10001); want <= 10000+n; want++ {
			if !seen[want] {
				t.Errorf("numbers %v: %d missing", nums, want)
			}
		}
	})
}

package chat_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/redact/redacttest"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/chat"
)

// monday10 is a working Monday morning in Shanghai: chat is open.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sunday22 is outside the business calendar's hours.
var sunday22 = time.Date(2026, 11, 22, 22, 0, 0, 0, time.FixedZone("CST", 8*3600))

type fixture struct {
	t    *testing.T
	ctx  context.Context
	db   *sqlstore.DB
	clk  *clock.Settable
	desk *support.Service
	chat *chat.Service
}

func newFixture(t *testing.T, e sqlstore.Engine) *fixture {
	t.Helper()
	clk := clock.NewSettable(monday10)
	db := sqltest.NewDB(t, e, "chat", clk.Now)
	f := &fixture{t: t, ctx: context.Background(), db: db, clk: clk}
	f.desk = newDesk(t, db, clk.Now)
	f.chat = f.service(db.Chat())
	return f
}

func newDesk(t testing.TB, db *sqlstore.DB, now func() time.Time) *support.Service {
	t.Helper()
	ob, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.localhost"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32), "support.attachment")
	if err != nil {
		t.Fatal(err)
	}
	return support.New(support.Options{Store: db.Support(), Outbox: ob, Box: box, Now: now,
		Config: support.Config{BaseURL: "https://okpay.localhost"}})
}

// service is another chat service on the same database, as another node
// would run.
func (f *fixture) service(st chat.Store) *chat.Service {
	return chat.New(chat.Options{Store: st, Desk: f.desk, Now: f.clk.Now})
}

func (f *fixture) user(email string, role auth.Role) auth.Actor {
	f.t.Helper()
	var id int64
	err := f.db.Write().QueryRow(f.ctx, `INSERT INTO users (email, role, locale, created_at) VALUES ($1, $2, 'zh-CN', $3) RETURNING id`,
		email, string(role), f.clk.Now().UnixNano()).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	return auth.Actor{UserID: id, Role: role}
}

// started starts a chat that an agent takes.
func (f *fixture) started(customer, agent auth.Actor, first string) chat.Chat {
	f.t.Helper()
	if err := f.chat.Online(f.ctx, agent); err != nil {
		f.t.Fatal(err)
	}
	st, err := f.chat.Start(f.ctx, customer, first, "first")
	if err != nil {
		f.t.Fatal(err)
	}
	if st.Queued {
		f.t.Fatalf("chat queued (%s) with an agent online in hours", st.Reason)
	}
	if _, err := f.chat.Take(f.ctx, agent, st.Chat.ID); err != nil {
		f.t.Fatal(err)
	}
	return st.Chat
}

func (f *fixture) all(a auth.Actor, id int64) []chat.Message {
	f.t.Helper()
	v, err := f.chat.Since(f.ctx, a, id, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.Messages
}

func texts(ms []chat.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Kind == chat.KindSystem {
			out = append(out, "["+m.Event+"]")
			continue
		}
		out = append(out, string(m.Kind)+": "+m.Body)
	}
	return out
}

// TestChatConversation: a customer starts a chat in hours with an agent
// online; the agent takes it; both write; each sees the whole
// conversation in order, and the ticket holds it too.
func TestChatConversation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "我的提现还没到账")
		if _, err := f.chat.Post(f.ctx, agent, c.ID, "您好，我来查一下", "a1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.chat.Post(f.ctx, cust, c.ID, "谢谢", "c2"); err != nil {
			t.Fatal(err)
		}
		want := []string{"customer: 我的提现还没到账", "[waiting]", "[joined]", "agent: 您好，我来查一下", "customer: 谢谢"}
		for _, who := range []auth.Actor{cust, agent} {
			ms := f.all(who, c.ID)
			if got := texts(ms); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("seen by %d: %q, want %q", who.UserID, got, want)
			}
			for i, m := range ms {
				if m.Seq != int64(i+1) {
					t.Errorf("message %d has seq %d", i, m.Seq)
				}
			}
		}
		// The ticket keeps the chat: channel chat, assigned, answered.
		tk, msgs, err := f.desk.View(f.ctx, agent, c.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Channel != support.ChannelChat || tk.AssigneeID != agent.UserID || tk.Status != support.StatusOpen || tk.FirstResponseAt.IsZero() {
			t.Errorf("ticket = channel %s assignee %d status %s first response %v", tk.Channel, tk.AssigneeID, tk.Status, tk.FirstResponseAt)
		}
		var lines []string
		for _, m := range msgs {
			if m.Kind == support.KindCustomer || m.Kind == support.KindAgent {
				lines = append(lines, string(m.Kind)+": "+m.Body)
			}
		}
		if want := []string{"customer: 我的提现还没到账", "agent: 您好，我来查一下", "customer: 谢谢"}; strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Errorf("ticket timeline = %q, want %q", lines, want)
		}
		// Both end it at once: it ends once; the ticket is solved and
		// nobody can write any more.
		ended := make(chan error, 2)
		for _, a := range []auth.Actor{agent, cust} {
			go func() { ended <- f.chat.End(f.ctx, a, c.ID) }()
		}
		for range 2 {
			if err := <-ended; err != nil {
				t.Fatal(err)
			}
		}
		if got := strings.Count(strings.Join(texts(f.all(cust, c.ID)), "|"), "[ended]"); got != 1 {
			t.Errorf("%d end notices, want 1: %q", got, texts(f.all(cust, c.ID)))
		}
		if _, err := f.chat.Post(f.ctx, cust, c.ID, "还在吗", "c3"); !errors.Is(err, chat.ErrState) {
			t.Errorf("post after the end: %v, want ErrState", err)
		}
		tk, _, _ = f.desk.View(f.ctx, agent, c.TicketNumber)
		if tk.Status != support.StatusSolved {
			t.Errorf("ticket status after the chat ended = %s, want solved", tk.Status)
		}
	})
}

// TestChatSeqOrder: messages written at once from both sides get
// consecutive seqs, and a client asking "after N" gets exactly the rest,
// in order, from another node.
func TestChatSeqOrder(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "hello")
		const each = 12
		var wg sync.WaitGroup
		errs := make(chan error, 2*each)
		for i := range each {
			for _, a := range []auth.Actor{cust, agent} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.chat.Post(f.ctx, a, c.ID, fmt.Sprintf("%d-%d", a.UserID, i), fmt.Sprintf("m%d", i))
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ms := f.all(cust, c.ID)
		if len(ms) != 3+2*each {
			t.Fatalf("%d messages, want %d", len(ms), 3+2*each)
		}
		// Each author's own messages keep the order they were sent in
		// per goroutine is not defined; what must hold is seq 1..N
		// without a gap or a repeat.
		for i, m := range ms {
			if m.Seq != int64(i+1) {
				t.Fatalf("message %d has seq %d: %q", i, m.Seq, texts(ms))
			}
		}
		other := f.service(f.db.Chat())
		v, err := other.Since(f.ctx, agent, c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Messages) != len(ms)-10 || v.Messages[0].Seq != 11 || v.Messages[len(v.Messages)-1].Seq != int64(len(ms)) {
			t.Errorf("after 10: %d messages from seq %d", len(v.Messages), v.Messages[0].Seq)
		}
		// A resend with the same client id is stored once.
		m1, err := f.chat.Post(f.ctx, cust, c.ID, "resent", "same-id")
		if err != nil {
			t.Fatal(err)
		}
		m2, err := f.chat.Post(f.ctx, cust, c.ID, "resent", "same-id")
		if err != nil {
			t.Fatal(err)
		}
		if m1.Seq != m2.Seq || len(f.all(cust, c.ID)) != len(ms)+1 {
			t.Errorf("resend stored twice: seqs %d and %d", m1.Seq, m2.Seq)
		}
		// A resend racing the original: both answered, one stored.
		got := make(chan chat.Message, 2)
		for range 2 {
			go func() {
				m, err := f.chat.Post(f.ctx, cust, c.ID, "raced", "race-id")
				if err != nil {
					t.Error(err)
				}
				got <- m
			}()
		}
		r1, r2 := <-got, <-got
		if r1.Seq != r2.Seq || len(f.all(cust, c.ID)) != len(ms)+2 {
			t.Errorf("raced resend: seqs %d and %d, %d messages", r1.Seq, r2.Seq, len(f.all(cust, c.ID)))
		}
	})
}

// failingDesk makes the ticket line of a chat message fail, so the
// message's transaction rolls back.
type failingStore struct{ chat.Store }

func (s failingStore) InTx(ctx context.Context, fn func(chat.Tx) error) error {
	return s.Store.InTx(ctx, func(tx chat.Tx) error { return fn(failingTx{tx}) })
}

type failingTx struct{ chat.Tx }

var errBroken = errors.New("test: ticket timeline unavailable")

func (failingTx) InsertMessage(context.Context, support.Message) (int64, error) { return 0, errBroken }

// TestChatStoredBeforeDelivered: a socket is woken only after the
// message is in the database (what it reads then is there, from any
// node), and a message whose transaction failed is never delivered.
func TestChatStoredBeforeDelivered(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "hello")
		wake, stop := f.chat.Subscribe(c.ID)
		defer stop()
		drain := func() {
			for {
				select {
				case <-wake:
				default:
					return
				}
			}
		}
		drain()
		after := int64(len(f.all(cust, c.ID)))
		seen := make(chan []chat.Message, 1)
		go func() {
			<-wake
			// What a socket does when woken: read from the database, here
			// through another node's service.
			v, err := f.service(f.db.Chat()).Since(f.ctx, agent, c.ID, after)
			if err != nil {
				t.Error(err)
			}
			seen <- v.Messages
		}()
		if _, err := f.chat.Post(f.ctx, cust, c.ID, "card question", "x1"); err != nil {
			t.Fatal(err)
		}
		select {
		case ms := <-seen:
			if len(ms) != 1 || ms[0].Body != "card question" {
				t.Fatalf("woken socket read %q, want the new message", texts(ms))
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no wake after a stored message")
		}

		broken := chat.New(chat.Options{Store: failingStore{f.db.Chat()}, Desk: f.desk, Now: f.clk.Now})
		bw, bstop := broken.Subscribe(c.ID)
		defer bstop()
		drain()
		before := len(f.all(cust, c.ID))
		if _, err := broken.Post(f.ctx, cust, c.ID, "lost?", "x2"); !errors.Is(err, errBroken) {
			t.Fatalf("post through a failing ticket line: %v", err)
		}
		select {
		case <-bw:
			t.Error("a socket was woken for a message that was not stored")
		case <-wake:
			t.Error("a socket was woken for a message that was not stored")
		default:
		}
		if got := len(f.all(cust, c.ID)); got != before {
			t.Errorf("%d messages after a failed post, want %d (nothing half-written)", got, before)
		}
	})
}

// TestChatRedaction: card numbers, security codes and passwords are
// masked in what is stored, delivered, kept on the ticket and mailed, and
// the sender is told.
func TestChatRedaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		if err := f.chat.Online(f.ctx, agent); err != nil {
			t.Fatal(err)
		}
		st, err := f.chat.Start(f.ctx, cust, "我的卡 4242 4242 4242 4242 付款失败", "")
		if err != nil {
			t.Fatal(err)
		}
		if st.Findings == 0 {
			t.Error("Start did not report the masked card number")
		}
		if _, err := f.chat.Take(f.ctx, agent, st.Chat.ID); err != nil {
			t.Fatal(err)
		}
		m, err := f.chat.Post(f.ctx, cust, st.Chat.ID, "安全码 CVV 739，密码是 Hunter2secret", "p1")
		if err != nil {
			t.Fatal(err)
		}
		if m.Findings == 0 || strings.Contains(m.Body, "739") || strings.Contains(m.Body, "Hunter2secret") {
			t.Errorf("posted message came back as %q (findings %v)", m.Body, m.Findings)
		}
		if _, err := f.chat.Post(f.ctx, agent, st.Chat.ID, "请不要发送卡号 5555 5555 5555 4444", "a1"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []auth.Actor{cust, agent} {
			for _, m := range f.all(who, st.Chat.ID) {
				if len(redacttest.CardLike(m.Body)) > 0 || redacttest.CVCLike(m.Body, "739") || strings.Contains(m.Body, "Hunter2secret") {
					t.Errorf("delivered to %d: %q", who.UserID, m.Body)
				}
			}
		}
		if got := f.all(cust, st.Chat.ID)[0].Body; !strings.Contains(got, "424242******4242") {
			t.Errorf("first message = %q, want the card masked to 424242******4242", got)
		}
		if err := f.chat.Transcript(f.ctx, cust, st.Chat.ID); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, q := range []string{
			"SELECT body FROM chat_messages", "SELECT subject FROM support_tickets",
			"SELECT body || ' ' || detail FROM support_messages", "SELECT raw FROM mail_outbox",
		} {
			rows, err := f.db.Read().Query(f.ctx, q)
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
					s += mailText(t, s)
				}
				if len(redacttest.CardLike(s)) > 0 || redacttest.CVCLike(s, "739") || strings.Contains(s, "Hunter2secret") {
					t.Errorf("%s holds sensitive data: %q", q, s)
				}
				n++
			}
			rows.Close()
		}
		if n < 8 {
			t.Fatalf("scanned only %d rows", n)
		}
	})
}

// mailText decodes a stored mail's subject and text parts.
func mailText(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	out := subject + "\n"
	decode := func(h interface{ Get(string) string }, r io.Reader) string {
		b, _ := io.ReadAll(r)
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "base64":
			b, _ = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
		case "quoted-printable":
			b, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		}
		return string(b)
	}
	ct, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "multipart/") {
		return out + decode(m.Header, m.Body)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return out
		}
		out += decode(p.Header, p)
	}
}

// TestChatPrivacy: one customer can neither read nor write another's
// chat; it does not exist for them. A customer cannot take chats.
func TestChatPrivacy(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		mei := f.user("mei@example.com", auth.RoleCustomer)
		bo := f.user("bo@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		other := f.user("agent2@okpay.test", auth.RoleAgent)
		c := f.started(mei, agent, "private matter")
		if _, err := f.chat.Since(f.ctx, bo, c.ID, 0); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("another customer reads: %v, want ErrNotFound", err)
		}
		if _, err := f.chat.Post(f.ctx, bo, c.ID, "hi", ""); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("another customer writes: %v, want ErrNotFound", err)
		}
		if err := f.chat.Typing(f.ctx, bo, c.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("another customer types: %v", err)
		}
		if err := f.chat.End(f.ctx, bo, c.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("another customer ends: %v", err)
		}
		if err := f.chat.Transcript(f.ctx, bo, c.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("another customer asks for the transcript: %v", err)
		}
		if _, err := f.chat.Take(f.ctx, bo, c.ID); !errors.Is(err, chat.ErrForbidden) {
			t.Errorf("a customer takes a chat: %v", err)
		}
		if _, err := f.chat.Waiting(f.ctx, bo); !errors.Is(err, chat.ErrForbidden) {
			t.Errorf("a customer lists the queue: %v", err)
		}
		// Another agent may read (staff) but not write in a chat taken by
		// someone else, nor take it again.
		if _, err := f.chat.Since(f.ctx, other, c.ID, 0); err != nil {
			t.Errorf("another agent reads: %v", err)
		}
		if _, err := f.chat.Post(f.ctx, other, c.ID, "hi", ""); !errors.Is(err, chat.ErrState) {
			t.Errorf("another agent writes: %v, want ErrState", err)
		}
		if _, err := f.chat.Take(f.ctx, other, c.ID); !errors.Is(err, chat.ErrState) {
			t.Errorf("taking a taken chat: %v, want ErrState", err)
		}
		if got := texts(f.all(mei, c.ID)); len(got) != 3 {
			t.Errorf("the refused calls changed the chat: %q", got)
		}
	})
}

// TestChatQueuedOutsideHours: outside service hours, or with no agent
// online, a chat becomes a ticket at once, the customer is told in the
// chat and by mail, and no agent sees it waiting.
func TestChatQueuedOutsideHours(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		if err := f.chat.Online(f.ctx, agent); err != nil {
			t.Fatal(err)
		}
		f.clk.Set(sunday22)
		if err := f.chat.Online(f.ctx, agent); err != nil {
			t.Fatal(err)
		}
		st, err := f.chat.Start(f.ctx, cust, "周日晚上能提现吗", "")
		if err != nil {
			t.Fatal(err)
		}
		if !st.Queued || st.Reason != chat.ReasonHours || st.Chat.Status != chat.StatusTicket {
			t.Fatalf("outside hours: queued %v reason %q status %s", st.Queued, st.Reason, st.Chat.Status)
		}
		ms := f.all(cust, st.Chat.ID)
		last := ms[len(ms)-1]
		if last.Event != chat.EventQueued || last.Detail != chat.ReasonHours {
			t.Errorf("last message = %+v, want the queued notice", last)
		}
		if w, _ := f.chat.Waiting(f.ctx, agent); len(w) != 0 {
			t.Errorf("agents see %d waiting chats, want 0", len(w))
		}
		tk, _, err := f.desk.View(f.ctx, agent, st.Chat.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Channel != support.ChannelChat || tk.Status != support.StatusNew || !tk.Acknowledged {
			t.Errorf("ticket = %s %s acknowledged %v", tk.Channel, tk.Status, tk.Acknowledged)
		}
		if got := outbox(t, f); len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("[#%d]", tk.Number)) {
			t.Errorf("acknowledgement mail: %q", got)
		}
		if _, err := f.chat.Post(f.ctx, cust, st.Chat.ID, "还在吗", ""); !errors.Is(err, chat.ErrState) {
			t.Errorf("writing in a queued chat: %v, want ErrState", err)
		}

		// In hours but with every agent's presence expired: queued too.
		f.clk.Set(monday10.Add(24 * time.Hour))
		st, err = f.chat.Start(f.ctx, cust, "有人吗", "")
		if err != nil {
			t.Fatal(err)
		}
		if !st.Queued || st.Reason != chat.ReasonAgents {
			t.Errorf("no agent online: queued %v reason %q", st.Queued, st.Reason)
		}

		// A chat left waiting when the last agent goes is requeued.
		if err := f.chat.Online(f.ctx, agent); err != nil {
			t.Fatal(err)
		}
		st, err = f.chat.Start(f.ctx, cust, "再问一次", "")
		if err != nil || st.Queued {
			t.Fatalf("start with an agent online: %v queued %v", err, st.Queued)
		}
		if done, err := f.chat.Requeue(f.ctx, st.Chat.ID); err != nil || done {
			t.Errorf("requeue with an agent online = %v, %v", done, err)
		}
		f.clk.Add(time.Minute)
		if done, err := f.chat.Requeue(f.ctx, st.Chat.ID); err != nil || !done {
			t.Errorf("requeue after the agent's presence expired = %v, %v", done, err)
		}
		if c, _ := f.chat.Current(f.ctx, cust); c.Status != chat.StatusTicket {
			t.Errorf("status after requeue = %s", c.Status)
		}
		if done, err := f.chat.Requeue(f.ctx, st.Chat.ID); err != nil || done {
			t.Errorf("requeue twice = %v, %v", done, err)
		}
		for i, m := range f.all(cust, st.Chat.ID) {
			if m.Seq != int64(i+1) {
				t.Errorf("requeued chat: message %d has seq %d", i, m.Seq)
			}
		}
	})
}

func outbox(t *testing.T, f *fixture) []string {
	t.Helper()
	rows, err := f.db.Read().Query(f.ctx, "SELECT raw FROM mail_outbox ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, mailText(t, string(raw)))
	}
	return out
}

// TestChatTranscript: the transcript is queued as mail to the customer's
// registered address, threaded on the chat's ticket, with the whole
// conversation; it is limited per hour.
func TestChatTranscript(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "怎么修改手机号")
		if _, err := f.chat.Post(f.ctx, agent, c.ID, "在账户设置里修改", ""); err != nil {
			t.Fatal(err)
		}
		if err := f.chat.Transcript(f.ctx, cust, c.ID); err != nil {
			t.Fatal(err)
		}
		rows, err := f.db.Read().Query(f.ctx, "SELECT raw, status FROM mail_outbox ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		var raws []string
		for rows.Next() {
			var raw []byte
			var status string
			if err := rows.Scan(&raw, &status); err != nil {
				t.Fatal(err)
			}
			if status != string(okmail.StatusQueued) {
				t.Errorf("mail status %s, want queued", status)
			}
			raws = append(raws, string(raw))
		}
		rows.Close()
		if len(raws) != 1 {
			t.Fatalf("%d mails queued, want 1", len(raws))
		}
		m, err := mail.ReadMessage(strings.NewReader(raws[0]))
		if err != nil {
			t.Fatal(err)
		}
		if to := m.Header.Get("To"); !strings.Contains(to, "mei@example.com") {
			t.Errorf("To = %q", to)
		}
		text := mailText(t, raws[0])
		for _, want := range []string{fmt.Sprintf("[#%d]", c.TicketNumber), "怎么修改手机号", "在账户设置里修改", "客服加入"} {
			if want == "客服加入" {
				want = "客服已加入对话"
			}
			if !strings.Contains(text, want) {
				t.Errorf("transcript lacks %q:\n%s", want, text)
			}
		}
		if got := f.all(cust, c.ID); got[len(got)-1].Event != chat.EventTranscript {
			t.Errorf("the chat does not say the transcript was sent: %q", texts(got))
		}
		for range 3 {
			_ = f.chat.Transcript(f.ctx, cust, c.ID)
		}
		if err := f.chat.Transcript(f.ctx, cust, c.ID); !errors.Is(err, chat.ErrRateLimited) {
			t.Errorf("fifth transcript in an hour: %v, want ErrRateLimited", err)
		}
	})
}

// TestChatTyping: typing shows to the other side for a few seconds and
// ends with the message.
func TestChatTyping(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newFixture(t, e)
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "hi")
		if err := f.chat.Typing(f.ctx, agent, c.ID); err != nil {
			t.Fatal(err)
		}
		typing := func(a auth.Actor) bool {
			v, err := f.chat.Since(f.ctx, a, c.ID, 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			return v.OtherTyping
		}
		if !typing(cust) || typing(agent) {
			t.Errorf("agent typing: customer sees %v, agent sees %v", typing(cust), typing(agent))
		}
		if _, err := f.chat.Post(f.ctx, agent, c.ID, "done", ""); err != nil {
			t.Fatal(err)
		}
		if typing(cust) {
			t.Error("still typing after the message")
		}
		if err := f.chat.Typing(f.ctx, cust, c.ID); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(10 * time.Second)
		if typing(agent) {
			t.Error("typing did not expire")
		}
	})
}

// TestChatSignalsAcrossNodes: on PostgreSQL a message stored through one
// node wakes the sockets of another node (its own database pool and
// listener) by NOTIFY, without waiting for the poll. On SQLite (one node)
// the store says it has no such signal and Run just waits.
func TestChatSignalsAcrossNodes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := clock.NewSettable(monday10)
		tg := sqltest.New(t, e, "chat")
		dbA := sqltest.Open(t, tg, clk.Now)
		f := &fixture{t: t, ctx: context.Background(), db: dbA, clk: clk}
		f.desk = newDesk(t, dbA, clk.Now)
		f.chat = f.service(dbA.Chat())
		cust := f.user("mei@example.com", auth.RoleCustomer)
		agent := f.user("agent@okpay.test", auth.RoleAgent)
		c := f.started(cust, agent, "hello")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if e == sqlstore.SQLite {
			done := make(chan error, 1)
			go func() { done <- f.chat.Run(ctx) }()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run on SQLite: %v", err)
			}
			return
		}
		dbB := sqltest.Open(t, tg, clk.Now)
		nodeB := chat.New(chat.Options{Store: dbB.Chat(), Desk: newDesk(t, dbB, clk.Now), Now: clk.Now})
		listening := make(chan struct{})
		go func() {
			_ = dbB.Chat().Listen(ctx, func() { close(listening) }, func(string) {})
		}()
		<-listening // the store's listener works on its own
		done := make(chan error, 1)
		go func() { done <- nodeB.Run(ctx) }()
		wake, stop := nodeB.Subscribe(c.ID)
		defer stop()
		// Keep posting on node A until node B's socket is woken: B's
		// listener may still be starting for the first post.
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; ; i++ {
			if _, err := f.chat.Post(f.ctx, cust, c.ID, fmt.Sprintf("from node A %d", i), ""); err != nil {
				t.Fatal(err)
			}
			select {
			case <-wake:
			case <-time.After(200 * time.Millisecond):
				if time.Now().After(deadline) {
					t.Fatal("node B was never woken by node A's messages")
				}
				continue
			}
			break
		}
		v, err := nodeB.Since(f.ctx, agent, c.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Messages) == 0 || !strings.HasPrefix(v.Messages[0].Body, "from node A") {
			t.Errorf("node B reads %q", texts(v.Messages))
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestChatShutdownWaitsForSockets: when the node stops, open sockets are
// told to close, Run returns only once they have (so the database can
// close after it), and no new socket is taken.
func TestChatShutdownWaitsForSockets(t *testing.T) {
	f := newFixture(t, sqlstore.SQLite)
	release, ok := f.chat.Hold()
	if !ok {
		t.Fatal("a running service refused a socket")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.chat.Run(ctx) }()
	cancel()
	select {
	case <-f.chat.Stopping():
	case <-time.After(30 * time.Second):
		t.Fatal("sockets were not told to close")
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a socket was open", err)
	default:
	}
	if _, ok := f.chat.Hold(); ok {
		t.Error("a stopping service took a new socket")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

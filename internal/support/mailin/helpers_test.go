package mailin_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/mailin"
)

const (
	supportAddr    = "support@okpay.test"
	complaintsAddr = "complaints@okpay.test"
	authServID     = "mx.okpay.test"
)

var t0 = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) // a Monday, 10:00 in Shanghai

// logBuffer collects the logs of a test, safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// rig is a desk with its SMTP listener on a free loopback port, on one
// engine, with a controllable clock.
type rig struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlstore.DB
	clk    *clock.Settable
	desk   *support.Service
	svc    *mailin.Service
	addr   string
	outbox *mail.Outbox
	dkim   *mail.DKIM
	verp   *mail.VERP
	logs   *logBuffer
	key    []byte
}

func newRig(t *testing.T, e sqlstore.Engine, tune ...func(*mailin.Options)) *rig {
	t.Helper()
	clk := clock.NewSettable(t0)
	db := sqltest.NewDB(t, e, "mailin", clk.Now)
	r := &rig{t: t, ctx: context.Background(), db: db, clk: clk, logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	r.key = make([]byte, 32)
	rand.Read(r.key)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	var err error
	if r.dkim, err = mail.NewDKIM("okpay.test", "okpay", priv); err != nil {
		t.Fatal(err)
	}
	if r.outbox, err = mail.NewOutbox(mail.Options{From: mail.Address{Name: "OKPay", Address: "no-reply@okpay.test"}, DKIM: r.dkim, Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	if r.verp, err = mail.NewVERP("okpay.test", r.key); err != nil {
		t.Fatal(err)
	}
	attach, _ := secretbox.New(r.key, "support.attachment")
	r.desk = support.New(support.Options{
		Store: db.Support(), Outbox: r.outbox, Box: attach, Now: clk.Now,
		Config: support.Config{
			SupportAddress:    mail.Address{Name: "OKPay 客服", Address: supportAddr},
			ComplaintsAddress: mail.Address{Name: "OKPay 投诉", Address: complaintsAddr},
			BaseURL:           "http://127.0.0.1:8080",
		},
	})
	box, _ := secretbox.New(r.key, mailin.SealPurpose)
	o := mailin.Options{
		Mailboxes: map[string]support.Mailbox{supportAddr: support.MailboxSupport, complaintsAddr: support.MailboxComplaints},
		VERP:      r.verp, OwnDomain: r.outbox.Domain(), OwnFrom: r.outbox.From().Address, DKIM: r.dkim,
		AuthServID: authServID,
		Store:      db.Mailin(), Bounces: db.Mail(), Desk: r.desk, Box: box, Now: clk.Now, Logger: log,
		AckPerRecipient: 50, AckPerIP: 500,
	}
	for _, f := range tune {
		f(&o)
	}
	if r.svc, err = mailin.New(o); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	l := mailin.NewListener(r.svc, mailin.ListenerOptions{Domain: "mx.okpay.test", Logger: log})
	go func() { done <- l.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	return r
}

// smtpReply is an SMTP client's view of one transaction: nil, or the
// server's reply to the command that failed.
type smtpReply struct {
	Stage string // "mail", "rcpt", "data"
	Code  int
	Msg   string
}

func (e *smtpReply) Error() string { return fmt.Sprintf("%s: %d %s", e.Stage, e.Code, e.Msg) }

func asReply(stage string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &smtpReply{Stage: stage, Code: te.Code, Msg: te.Msg}
	}
	return fmt.Errorf("%s: %w", stage, err)
}

// send speaks SMTP to the listener (net/smtp, as any client would) and
// returns nil when the message was accepted, an *smtpReply when refused.
func (r *rig) send(from string, to []string, raw string) error {
	r.t.Helper()
	c, err := smtp.Dial(r.addr)
	if err != nil {
		r.t.Fatalf("dial the listener: %v", err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		r.t.Fatalf("EHLO: %v", err)
	}
	if err := c.Mail(from); err != nil {
		return asReply("mail", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return asReply("rcpt", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return asReply("data", err)
	}
	if _, err := io.WriteString(w, raw); err != nil {
		return asReply("data", err)
	}
	if err := w.Close(); err != nil {
		return asReply("data", err)
	}
	_ = c.Quit()
	return nil
}

// mustSend sends and fails the test unless the listener accepted it.
func (r *rig) mustSend(from string, to []string, raw string) {
	r.t.Helper()
	if err := r.send(from, to, raw); err != nil {
		r.t.Fatalf("mail refused: %v", err)
	}
}

// msg builds a simple message; headers in extra are "Name: value" lines.
func msg(from, to, subject, body string, extra ...string) string {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + to + "\r\n")
	b.WriteString("Subject: " + subject + "\r\n")
	b.WriteString("Date: Mon, 02 Mar 2026 10:00:00 +0800\r\n")
	hasID := false
	for _, h := range extra {
		if strings.HasPrefix(strings.ToLower(h), "message-id:") {
			hasID = true
		}
		b.WriteString(h + "\r\n")
	}
	if !hasID {
		b.WriteString("Message-ID: <" + randID() + "@mail.example.com>\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\r\n")
	}
	return b.String()
}

func randID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// tickets lists every ticket, oldest first.
func (r *rig) tickets() []support.Ticket {
	r.t.Helper()
	var ts []support.Ticket
	err := r.db.Support().View(r.ctx, func(tx support.Tx) error {
		var err error
		ts, err = tx.Tickets(r.ctx, support.Filter{Limit: 1000})
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	for i, j := 0, len(ts)-1; i < j; i, j = i+1, j-1 {
		ts[i], ts[j] = ts[j], ts[i]
	}
	// Most recently updated first from the store: order by id instead.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].ID < ts[j-1].ID; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts
}

func (r *rig) ticket(number int64) (support.Ticket, []support.Message) {
	r.t.Helper()
	var (
		tk support.Ticket
		ms []support.Message
	)
	err := r.db.Support().View(r.ctx, func(tx support.Tx) error {
		var err error
		if tk, err = tx.TicketByNumber(r.ctx, number); err != nil {
			return err
		}
		ms, err = tx.Messages(r.ctx, tk.ID)
		return err
	})
	if err != nil {
		r.t.Fatalf("ticket #%d: %v", number, err)
	}
	return tk, ms
}

// onlyTicket returns the one ticket there is.
func (r *rig) onlyTicket() (support.Ticket, []support.Message) {
	r.t.Helper()
	ts := r.tickets()
	if len(ts) != 1 {
		r.t.Fatalf("%d tickets, want 1", len(ts))
	}
	return r.ticket(ts[0].Number)
}

func customerTexts(ms []support.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Kind == support.KindCustomer {
			out = append(out, m.Body)
		}
	}
	return out
}

func hasEvent(ms []support.Message, ev string) bool {
	for _, m := range ms {
		if m.Kind == support.KindEvent && m.Event == ev {
			return true
		}
	}
	return false
}

// outboxTo lists the outbox messages to addr, oldest first.
func (r *rig) outboxTo(addr string) []mail.Stored {
	r.t.Helper()
	rows, err := r.db.Read().Query(r.ctx, "SELECT id FROM mail_outbox ORDER BY id")
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var out []mail.Stored
	for _, id := range ids {
		m, err := r.db.Mail().Mail(r.ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// raws lists the raw store's rows, oldest first.
func (r *rig) raws() []mailin.Raw {
	r.t.Helper()
	var out []mailin.Raw
	for _, st := range []mailin.Status{mailin.StatusReceived, mailin.StatusProcessing, mailin.StatusFiled, mailin.StatusDuplicate,
		mailin.StatusBounce, mailin.StatusDropped, mailin.StatusUnparsed} {
		rs, err := r.db.Mailin().ListRaw(r.ctx, st, 10000)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, rs...)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (r *rig) lastRaw() mailin.Raw {
	r.t.Helper()
	rs := r.raws()
	if len(rs) == 0 {
		r.t.Fatal("nothing stored")
	}
	raw, err := r.db.Mailin().Raw(r.ctx, rs[len(rs)-1].ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return raw
}

// user registers a customer (or staff member) and returns its id.
func (r *rig) user(email string, role auth.Role) int64 {
	r.t.Helper()
	var id int64
	err := r.db.Auth().InTx(r.ctx, func(tx auth.Tx) error {
		var err error
		id, err = tx.CreateUser(r.ctx, auth.User{Email: email, Status: auth.StatusActive, Role: role, Locale: "zh-CN",
			EmailVerifiedAt: t0, CreatedAt: t0})
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// sink is a real SMTP server standing in for the relay outgoing mail goes
// to.
type sink struct {
	mu   sync.Mutex
	got  []sunk
	addr string
}

type sunk struct {
	From string
	To   []string
	Data []byte
}

func startSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "relay.example"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) messages() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.got...)
}

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *gosmtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, sunk{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	return nil
}

// relay sends the outbox message id through the sender worker, which
// hands it to the sink with its VERP return path, as the mail.send job
// would.
func (r *rig) relay(s *sink, id int64) {
	r.t.Helper()
	sender := mail.NewSender(mail.SenderOptions{Store: r.db.Mail(), Transport: &mail.Relay{Addr: s.addr, HelloName: "okpay.test", Timeout: 10 * time.Second},
		Now: r.clk.Now, VERP: r.verp, Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	args, _ := json.Marshal(map[string]int64{"id": id})
	if err := sender.Handle(r.ctx, jobs.Claimed{ID: 1, Job: jobs.Job{Kind: mail.SendJob, Args: args, MaxAttempts: 3}, Attempt: 1}); err != nil {
		r.t.Fatalf("send outbox message %d: %v", id, err)
	}
}

func mustBox(t *testing.T, key []byte) *secretbox.Box {
	b, err := secretbox.New(key, mailin.SealPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jobsClaimed() jobs.Claimed {
	return jobs.Claimed{ID: 1, Job: jobs.Job{Kind: mailin.PurgeJob}, Attempt: 1}
}

package mail_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newClock() *clock.Settable { return clock.NewSettable(t0) }

// fixedRand is a deterministic source for Message-IDs and boundaries.
func fixedRand() io.Reader { return mrand.NewChaCha8([32]byte{'o', 'k', 'p', 'a', 'y'}) }

// testKey is one RSA-2048 key for the whole test binary: generating one
// takes a while under the race detector.
var testKey = sync.OnceValue(func() crypto.Signer {
	pemBytes, err := mail.GenerateKey()
	if err != nil {
		panic(err)
	}
	k, err := mail.ParseKey(pemBytes)
	if err != nil {
		panic(err)
	}
	return k
})

func mustDKIM(tb testing.TB, key crypto.Signer) *mail.DKIM {
	tb.Helper()
	d, err := mail.NewDKIM("okpay.example", "s2030", key)
	if err != nil {
		tb.Fatalf("NewDKIM: %v", err)
	}
	return d
}

func mustOutbox(tb testing.TB, o mail.Options) *mail.Outbox {
	tb.Helper()
	if o.From == (mail.Address{}) {
		o.From = mail.Address{Name: "OKPay 支付", Address: "no-reply@okpay.example"}
	}
	ob, err := mail.NewOutbox(o)
	if err != nil {
		tb.Fatalf("NewOutbox: %v", err)
	}
	return ob
}

// verifyMessage is the message the tests queue: Chinese subject and text,
// a verification link in both parts.
func verifyMessage() mail.Message {
	return mail.Message{
		To:       []mail.Address{{Name: "王小明", Address: "xiaoming@example.com"}},
		ReplyTo:  []mail.Address{{Name: "OKPay Support", Address: "support@okpay.example"}},
		Subject:  "请验证您的邮箱地址 · Verify your email",
		Language: "zh-CN",
		Text: "您好，王小明：\n\n请点击下面的链接验证您的邮箱地址：\n" +
			"https://okpay.example/verify?token=abc123&lang=zh-CN\n\n链接 24 小时内有效。\n\n— OKPay\n",
		HTML: `<!doctype html><html><head><meta charset="utf-8"></head><body>` +
			`<p>您好，王小明：</p><p>请点击下面的链接验证您的邮箱地址：</p>` +
			`<p><a href="https://okpay.example/verify?token=abc123&amp;lang=zh-CN">验证邮箱</a></p>` +
			`<p>链接 24 小时内有效。</p><p>— OKPay</p></body></html>`,
	}
}

// lookupTXT answers DKIM key queries for d's record, as DNS would once it
// is published.
func lookupTXT(d *mail.DKIM) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		if name == d.RecordName() {
			return []string{d.RecordValue()}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
}

// mustVerifyDKIM checks that raw carries exactly one valid signature by d.
func mustVerifyDKIM(tb testing.TB, raw []byte, d *mail.DKIM) {
	tb.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookupTXT(d)})
	if err != nil {
		tb.Fatalf("dkim.Verify: %v", err)
	}
	if len(vs) != 1 {
		tb.Fatalf("%d DKIM signatures, want 1", len(vs))
	}
	if vs[0].Err != nil {
		tb.Fatalf("DKIM signature does not verify: %v", vs[0].Err)
	}
	if vs[0].Domain != d.Domain() {
		tb.Errorf("DKIM d=%s, want %s", vs[0].Domain, d.Domain())
	}
}

// parsed is a message as a receiving mail client sees it.
type parsed struct {
	header  gomail.Header
	subject string
	from    []*gomail.Address
	to      []*gomail.Address
	date    time.Time
	msgID   string
	// parts maps media type to decoded body and the part's charset.
	parts    map[string]string
	charsets map[string]string
	topType  string
}

func mustParse(tb testing.TB, raw []byte) parsed {
	tb.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("parse message: %v", err)
	}
	defer r.Close()
	p := parsed{header: r.Header, parts: map[string]string{}, charsets: map[string]string{}}
	if p.subject, err = r.Header.Subject(); err != nil {
		tb.Errorf("Subject: %v", err)
	}
	if p.from, err = r.Header.AddressList("From"); err != nil {
		tb.Errorf("From: %v", err)
	}
	if p.to, err = r.Header.AddressList("To"); err != nil {
		tb.Errorf("To: %v", err)
	}
	if p.date, err = r.Header.Date(); err != nil {
		tb.Errorf("Date: %v", err)
	}
	if p.msgID, err = r.Header.MessageID(); err != nil {
		tb.Errorf("Message-ID: %v", err)
	}
	p.topType, _, _ = r.Header.ContentType()
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("next part: %v", err)
		}
		h, ok := part.Header.(*gomail.InlineHeader)
		if !ok {
			tb.Fatalf("part with header %T, want inline text", part.Header)
		}
		t, params, _ := h.ContentType()
		b, err := io.ReadAll(part.Body)
		if err != nil {
			tb.Fatalf("read %s part: %v", t, err)
		}
		p.parts[t] = strings.ReplaceAll(string(b), "\r\n", "\n")
		p.charsets[t] = params["charset"]
	}
	return p
}

// rawHeader returns the first field named name as written (unfolded, not
// decoded).
func rawHeader(tb testing.TB, raw []byte, name string) string {
	tb.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("read message: %v", err)
	}
	return e.Header.Get(name)
}

// received is one message a test SMTP server accepted.
type received struct {
	From    string
	To      []string
	Data    []byte
	TLS     bool
	User    string
	Session int
}

// smtpServer is a real SMTP server (emersion/go-smtp, as the inbound half
// will use) on 127.0.0.1:0, recording what it accepts.
type smtpServer struct {
	Addr string

	mu       sync.Mutex
	got      []received
	sessions int
	// refuse, when it returns an error for a stage (mail, rcpt, data),
	// makes the server answer with it.
	refuse func(stage string) error
	// user and pass, when set, are required (AUTH PLAIN).
	user, pass string
}

type smtpServerOptions struct {
	TLS        *tls.Config // offer STARTTLS
	User, Pass string
}

func startSMTP(tb testing.TB, o smtpServerOptions) *smtpServer {
	tb.Helper()
	s := &smtpServer{user: o.User, pass: o.Pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		n := s.sessions
		s.mu.Unlock()
		return &smtpSession{srv: s, conn: c, n: n}, nil
	}))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true // credentials over loopback, as the client allows
	srv.TLSConfig = o.TLS
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = slogLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return s
}

type slogLogger struct{}

func (slogLogger) Printf(format string, v ...any) {}
func (slogLogger) Println(v ...any)               {}

func (s *smtpServer) setRefuse(f func(stage string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = f
}

func (s *smtpServer) refusal(stage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse == nil {
		return nil
	}
	return s.refuse(stage)
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	n    int
	user string
	from string
	to   []string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.srv.user || password != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	if err := ss.srv.refusal("mail"); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.srv.refusal("rcpt"); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.srv.refusal("data"); err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.got = append(ss.srv.got, received{From: ss.from, To: ss.to, Data: b, TLS: isTLS, User: ss.user, Session: ss.n})
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// selfSignedTLS returns a server config for 127.0.0.1 and a client config
// that trusts it.
func selfSignedTLS(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}

// mustQueue queues m in a transaction of its own and returns its outbox id.
func mustQueue(tb testing.TB, db *sqlstore.DB, ob *mail.Outbox, m mail.Message) int64 {
	tb.Helper()
	var id int64
	err := db.InTx(context.Background(), func(tx sqlstore.Tx) error {
		if _, err := ob.Queue(context.Background(), db.OutboxTx(tx), m); err != nil {
			return err
		}
		return tx.QueryRow(context.Background(), "SELECT max(id) FROM mail_outbox").Scan(&id)
	})
	if err != nil {
		tb.Fatalf("queue: %v", err)
	}
	return id
}

func mustDelivered(tb testing.TB, db *sqlstore.DB) []mail.Stored {
	tb.Helper()
	ms, err := db.Mail().Delivered(context.Background(), 100)
	if err != nil {
		tb.Fatalf("Delivered: %v", err)
	}
	return ms
}

func mustMail(tb testing.TB, db *sqlstore.DB, id int64) mail.Stored {
	tb.Helper()
	m, err := db.Mail().Mail(context.Background(), id)
	if err != nil {
		tb.Fatalf("Mail(%d): %v", id, err)
	}
	return m
}

// startRunner runs a job runner with the sender registered until the test
// ends. Retries wait a fixed minute of the test clock.
func startRunner(tb testing.TB, db *sqlstore.DB, clk *clock.Settable, transport mail.Transport) *jobs.Runner {
	tb.Helper()
	log := slog.New(slog.DiscardHandler)
	r := jobs.New(db.Jobs(), jobs.Options{
		Now:          clk.Now,
		Logger:       log,
		PollInterval: 10 * time.Millisecond,
		Backoff:      func(int) time.Duration { return time.Minute },
	})
	s := mail.NewSender(mail.SenderOptions{Store: db.Mail(), Transport: transport, Now: clk.Now, Logger: log})
	r.Register(mail.SendJob, s.Handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("runner: %v", err)
		}
	})
	return r
}

// waitJob waits until the only mail.send job satisfies ok.
func waitJob(tb testing.TB, db *sqlstore.DB, what string, ok func(jobs.Record) bool) jobs.Record {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rs, err := db.Jobs().List(context.Background(), mail.SendJob)
		if err != nil {
			tb.Fatalf("list jobs: %v", err)
		}
		if len(rs) == 1 && ok(rs[0]) {
			return rs[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for the send job to be %s; jobs: %+v", what, rs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

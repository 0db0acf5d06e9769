package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/okpay/okpay/internal/support"
)

// ListenerOptions configure a Listener.
type ListenerOptions struct {
	// Domain is the name the listener greets with (EHLO, 220 banner).
	Domain string
	// MaxRecipients caps RCPT per transaction (default 50).
	MaxRecipients int
	// Timeout bounds reading a command or writing an answer (default 2
	// minutes).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Listener is the SMTP server of the support mailbox. It takes mail for
// the support addresses and for our return paths, and nothing else: it
// is not a relay, it has no authentication and no STARTTLS (put it
// behind the MTA that faces the internet, which adds the
// Authentication-Results the pipeline trusts).
type Listener struct {
	svc *Service
	srv *smtp.Server
	log *slog.Logger
}

// NewListener returns a listener delivering to svc.
func NewListener(svc *Service, o ListenerOptions) *Listener {
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = svc.log
	}
	l := &Listener{svc: svc, log: o.Logger.With("component", "smtp")}
	srv := smtp.NewServer(l)
	srv.Domain = o.Domain
	srv.MaxMessageBytes = svc.MaxSize()
	srv.MaxRecipients = o.MaxRecipients
	// RFC 5322 allows 998; real mail is sometimes longer.
	srv.MaxLineLength = 16 << 10
	srv.ReadTimeout = o.Timeout
	srv.WriteTimeout = o.Timeout
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = errorLog{l.log}
	l.srv = srv
	return l
}

// Serve answers SMTP on ln until ctx is cancelled, then stops accepting,
// lets transactions in flight finish (up to 30 seconds) and returns nil.
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- l.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(sctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		l.srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// NewSession implements smtp.Backend.
func (l *Listener) NewSession(c *smtp.Conn) (smtp.Session, error) {
	ip := ""
	if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		ip = a.IP.String()
	} else if h, _, err := net.SplitHostPort(c.Conn().RemoteAddr().String()); err == nil {
		ip = h
	}
	return &session{l: l, c: c, ip: ip}, nil
}

type session struct {
	l    *Listener
	c    *smtp.Conn
	ip   string
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.to = from, nil
	return nil
}

// The SMTP answers of the listener.
var (
	errNoMailbox = func(addr string, l *Listener) *smtp.SMTPError {
		hint := ""
		for a, mb := range l.svc.o.Mailboxes {
			if mb == support.MailboxSupport && (hint == "" || a < hint) {
				hint = a
			}
		}
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: fmt.Sprintf("<%s>: no such mailbox here; this server only takes mail for the support desk (%s)", clean(addr), hint)}
	}
	errBadReturnPath = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "This bounce address was not issued by us or has expired"}
	errTempStore = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Message not stored because of a local problem; please try again later"}
	errTooLarge = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
		Message: "Message too large for the support mailbox"}
)

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	addr := strings.ToLower(strings.TrimSpace(to))
	accept := func() error {
		if !slices.Contains(s.to, addr) {
			s.to = append(s.to, addr)
		}
		return nil
	}
	if _, ok := s.l.svc.Mailbox(addr); ok {
		return accept()
	}
	if v := s.l.svc.o.VERP; v != nil {
		if _, ok := v.Parse(addr); ok {
			return accept()
		}
		if v.IsReturnPath(addr) {
			return errBadReturnPath
		}
	}
	return errNoMailbox(addr, s.l)
}

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			s.l.log.Info("oversize mail refused", "remote_ip", s.ip, "limit", s.l.svc.MaxSize())
			return errTooLarge
		}
		return err
	}
	env := Envelope{RemoteIP: s.ip, Helo: clean(s.c.Hostname()), From: clean(s.from), To: slices.Clone(s.to)}
	id, err := s.l.svc.Deliver(context.Background(), env, buf.Bytes())
	if err != nil {
		s.l.log.Error("inbound mail not stored", "remote_ip", s.ip, "err", err)
		return errTempStore
	}
	s.l.log.Info("inbound mail accepted", "raw_id", id, "remote_ip", s.ip, "size", buf.Len(), "recipients", len(env.To))
	return nil
}

// clean keeps an envelope value printable and short.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 320 {
		s = s[:320]
	}
	return strings.ToValidUTF8(s, "")
}

// errorLog sends go-smtp's own messages to the logger.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.log.Warn("smtp", "msg", safeNote(fmt.Sprintf(format, v...)))
}
func (e errorLog) Println(v ...any) { e.log.Warn("smtp", "msg", safeNote(fmt.Sprintln(v...))) }

package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// DefaultRelayTimeout bounds one delivery to the relay, connection to QUIT.
const DefaultRelayTimeout = 2 * time.Minute

// Relay is the SMTP server outgoing mail is handed to. It is sent with
// go-mail's smtp client (the maintained fork of net/smtp, which adds AUTH
// LOGIN for relays that offer nothing else) on the exact bytes the outbox
// holds: a higher-level library would rebuild the message and break its
// DKIM signature.
type Relay struct {
	// Addr is the relay's host:port.
	Addr string
	// ImplicitTLS speaks TLS from the first byte (smtps://, port 465);
	// otherwise STARTTLS is used whenever the relay offers it.
	ImplicitTLS bool
	// Username and Password, when set, authenticate with AUTH PLAIN or
	// LOGIN, which are only ever sent over TLS (or to a loopback relay).
	Username string
	Password string
	// TLSConfig replaces the default (system roots, the relay's host name).
	TLSConfig *tls.Config
	// HelloName is this host's name in EHLO; "localhost" when empty.
	HelloName string
	// Timeout bounds one delivery; DefaultRelayTimeout when zero.
	Timeout time.Duration
}

// ParseRelay reads the relay setting: host:port, or
// smtp://[user:pass@]host[:port] (STARTTLS when offered, port 587 by
// default), or smtps://[user:pass@]host[:port] (implicit TLS, port 465).
// Errors: ErrInvalidConfig, never repeating the password.
func ParseRelay(s string) (*Relay, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil || strings.HasPrefix(s, ":") {
			return nil, fmt.Errorf("%w: SMTP relay %q: want host:port or smtp[s]://user:pass@host:port", ErrInvalidConfig, s)
		}
		return &Relay{Addr: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: SMTP relay must be host:port or smtp[s]://user:pass@host:port", ErrInvalidConfig)
	}
	r := &Relay{ImplicitTLS: u.Scheme == "smtps"}
	port := u.Port()
	if port == "" {
		port = "587"
		if r.ImplicitTLS {
			port = "465"
		}
	}
	r.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		r.Username = u.User.Username()
		r.Password, _ = u.User.Password()
	}
	return r, nil
}

// String describes the relay without its password.
func (r *Relay) String() string {
	scheme := "smtp"
	if r.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: r.Addr}
	if r.Username != "" {
		u.User = url.UserPassword(r.Username, "xxxxx")
	}
	return u.String()
}

// SMTPError is a relay's negative answer.
type SMTPError struct {
	// Stage is the step answered: connect, hello, starttls, auth, mail,
	// rcpt or data.
	Stage string
	Code  int
	Msg   string
}

func (e *SMTPError) Error() string {
	return fmt.Sprintf("mail: relay refused %s: %d %s", e.Stage, e.Code, e.Msg)
}

// Permanent reports a 5xx answer to the message itself (its sender, a
// recipient, its content). 5xx answers to the session (greeting, EHLO,
// STARTTLS, AUTH) say our configuration is wrong, not the message: those
// are retried, so that mail waits for the fix instead of being lost.
func (e *SMTPError) Permanent() bool {
	switch e.Stage {
	case "mail", "rcpt", "data":
		return e.Code >= 500 && e.Code < 600
	}
	return false
}

// IsPermanent reports whether err is a relay's permanent refusal of the
// message.
func IsPermanent(err error) bool {
	var se *SMTPError
	return errors.As(err, &se) && se.Permanent()
}

// Send hands raw to the relay for the envelope from and to. A 5xx answer to
// any recipient refuses the whole message. Errors: *SMTPError for the
// relay's refusals, network and TLS errors otherwise.
func (r *Relay) Send(ctx context.Context, from string, to []string, raw []byte) error {
	host, _, err := net.SplitHostPort(r.Addr)
	if err != nil {
		return fmt.Errorf("%w: relay address %q", ErrInvalidConfig, r.Addr)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultRelayTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("mail: relay %s: %w", r.Addr, err)
	}
	defer conn.Close()
	// The smtp client knows no context: a deadline bounds the session and
	// cancelling ctx cuts the connection.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	tlsConfig := r.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if r.ImplicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("mail: relay %s: tls: %w", r.Addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return r.fail("connect", err)
	}
	helo := r.HelloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return r.fail("hello", err)
	}
	if !r.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return r.fail("starttls", err)
			}
		}
	}
	if r.Username != "" {
		_, mechs := c.Extension("AUTH")
		var auth smtp.Auth
		switch offered := strings.Fields(strings.ToUpper(mechs)); {
		case slices.Contains(offered, "PLAIN"):
			auth = smtp.PlainAuth("", r.Username, r.Password, host, false)
		case slices.Contains(offered, "LOGIN"):
			auth = smtp.LoginAuth(r.Username, r.Password, host, false)
		default:
			return fmt.Errorf("mail: relay %s offers no AUTH PLAIN or LOGIN (offered %q)", r.Addr, mechs)
		}
		if err := c.Auth(auth); err != nil {
			return r.fail("auth", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return r.fail("mail", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return r.fail("rcpt", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return r.fail("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		return r.fail("data", err)
	}
	if err := w.Close(); err != nil {
		return r.fail("data", err)
	}
	// The relay has the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// fail turns the relay's answer into an *SMTPError and wraps anything else.
func (r *Relay) fail(stage string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SMTPError{Stage: stage, Code: te.Code, Msg: te.Msg}
	}
	return fmt.Errorf("mail: relay %s %s: %w", r.Addr, stage, err)
}

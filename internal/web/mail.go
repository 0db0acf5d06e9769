package web

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/web/i18n"
)

// Mailer is auth.Mailer over the mail outbox: each email in the
// recipient's language, its texts from the message catalogues, as plain
// text and HTML, with links that start with the site's base URL.
type Mailer struct {
	outbox *okmail.Outbox
	base   string
	tz     *time.Location
	msgs   *i18n.Catalogue
}

// MailerOptions configure a Mailer.
type MailerOptions struct {
	// Outbox queues the mail (required).
	Outbox *okmail.Outbox
	// BaseURL is the public address links start with
	// ("https://pay.example.com"; required).
	BaseURL string
	// TimeZone is the platform time zone expiry times are written in
	// (default Asia/Shanghai).
	TimeZone *time.Location
}

// NewMailer returns the auth mailer.
func NewMailer(o MailerOptions) (*Mailer, error) {
	if o.Outbox == nil || o.BaseURL == "" {
		return nil, fmt.Errorf("%w: a mailer needs an outbox and a base URL", ErrOptions)
	}
	m := &Mailer{outbox: o.Outbox, base: strings.TrimRight(o.BaseURL, "/"), tz: o.TimeZone}
	if m.tz == nil {
		tz, err := time.LoadLocation(DefaultTimeZone)
		if err != nil {
			return nil, fmt.Errorf("web: time zone: %w", err)
		}
		m.tz = tz
	}
	var err error
	if m.msgs, err = i18n.Load(); err != nil {
		return nil, err
	}
	return m, nil
}

// mailHTML is the HTML part: the same paragraphs as the text, the link as a
// link.
var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;line-height:1.65;color:#1f2933;max-width:36em">
{{range .Before}}<p>{{.}}</p>
{{end}}{{with .Link}}<p><a href="{{.}}">{{.}}</a></p>
{{end}}{{range .After}}<p>{{.}}</p>
{{end}}<p style="color:#616e7c;font-size:0.9em">{{.Footer}}</p>
</body></html>
`))

type mailParts struct {
	Lang, Subject string
	Before, After []string
	Link          string
	Footer        string
}

// Send implements auth.Mailer.
func (m *Mailer) Send(ctx context.Context, tx auth.Tx, x auth.Mail) error {
	loc, ok := m.msgs.Lookup(x.Locale)
	if !ok {
		loc = m.msgs.Default()
	}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer")}
	expires := loc.DateTime(x.Expires.In(m.tz))
	switch x.Kind {
	case auth.MailVerifyEmail:
		p.Subject = loc.T("mail.verify.subject")
		p.Link = m.base + "/verify-email?token=" + x.Token
		p.Before = []string{loc.T("mail.verify.intro")}
		p.After = []string{loc.T("mail.verify.expires", "time", expires), loc.T("mail.verify.ignore")}
	case auth.MailResetPassword:
		p.Subject = loc.T("mail.reset.subject")
		p.Link = m.base + "/password/reset?token=" + x.Token
		p.Before = []string{loc.T("mail.reset.intro")}
		p.After = []string{loc.T("mail.reset.expires", "time", expires), loc.T("mail.reset.ignore")}
	case auth.MailPasswordChanged:
		p.Subject = loc.T("mail.changed.subject")
		p.Before = []string{loc.T("mail.changed.body", "time", loc.DateTime(x.At.In(m.tz))), loc.T("mail.changed.notyou")}
	case auth.MailNewDevice:
		p.Subject = loc.T("mail.newdevice.subject")
		p.Before = []string{loc.T("mail.newdevice.body", "time", loc.DateTime(x.At.In(m.tz)), "device", x.Agent, "ip", x.IP), loc.T("mail.newdevice.notyou")}
	default:
		return fmt.Errorf("web: no mail text for %q", x.Kind)
	}
	return m.queue(ctx, tx.Outbox(), x.To, p)
}

// QueueCode implements twofactor.Mailer: the one-time code for a
// second-factor check, in the user's language.
func (m *Mailer) QueueCode(ctx context.Context, tx twofactor.Tx, userID int64, code string, validFor time.Duration) error {
	to, locale, err := tx.UserContact(ctx, userID)
	if err != nil {
		return err
	}
	loc, ok := m.msgs.Lookup(locale)
	if !ok {
		loc = m.msgs.Default()
	}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer"), Subject: loc.T("mail.code.subject"),
		Before: []string{loc.T("mail.code.intro"), code},
		After:  []string{loc.T("mail.code.expires", "minutes", int(validFor/time.Minute)), loc.T("mail.code.never_share")}}
	return m.queue(ctx, tx.Outbox(), to, p)
}

// queue writes p as a plain-text and HTML message to the outbox.
func (m *Mailer) queue(ctx context.Context, tx okmail.OutboxTx, to string, p mailParts) error {
	var text strings.Builder
	for _, s := range p.Before {
		text.WriteString(s + "\n\n")
	}
	if p.Link != "" {
		text.WriteString(p.Link + "\n\n")
	}
	for _, s := range p.After {
		text.WriteString(s + "\n\n")
	}
	text.WriteString("-- \n" + p.Footer + "\n")
	var html strings.Builder
	if err := mailHTML.Execute(&html, p); err != nil {
		return fmt.Errorf("web: mail %q: %w", p.Subject, err)
	}
	_, err := m.outbox.Queue(ctx, tx, okmail.Message{
		To:       []okmail.Address{{Address: to}},
		Subject:  p.Subject,
		Text:     text.String(),
		HTML:     html.String(),
		Language: p.Lang,
	})
	return err
}

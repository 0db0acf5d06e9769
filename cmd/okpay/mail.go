package main

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/config"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
)

// Outgoing mail settings read from the environment here until
// internal/config carries them.
const (
	// envMailFrom is the sender of every mail, e.g.
	// "OKPay <no-reply@okpay.example>"; its domain signs (DKIM d=) and
	// names Message-IDs. Required in production.
	envMailFrom = "OKPAY_MAIL_FROM"
	// envDKIMKeyFile is a PEM private key (Ed25519, or RSA of 2048 bits or
	// more) readable by its owner only. Required in production;
	// development generates DataDir/dkim.key.
	envDKIMKeyFile = "OKPAY_DKIM_KEY_FILE"
	// envDKIMSelector is the DKIM selector (default "okpay").
	envDKIMSelector = "OKPAY_DKIM_SELECTOR"
)

// devMailFrom is development's sender: .localhost names are reserved for
// this machine.
const devMailFrom = "OKPay <no-reply@okpay.localhost>"

// mailSetup is outgoing mail wired for one node.
type mailSetup struct {
	// outbox composes and queues mail; domain services take it.
	outbox *okmail.Outbox
	// sender is the okmail.SendJob handler.
	sender *okmail.Sender
	// mailbox is the /dev/mailbox handler; nil outside development.
	mailbox http.Handler
	dkim    *okmail.DKIM
	// verp makes the per-message return paths (smtp.go); nil with the
	// support mailbox off.
	verp *okmail.VERP
}

// setupMail builds the outbox, the sender worker and, in development, the
// dev mailbox. With no SMTP relay (development only: config.Load refuses
// production without one) mail goes to the dev mailbox.
func (a *app) setupMail(cfg config.Config, db *sqlstore.DB, log *slog.Logger) (*mailSetup, error) {
	from, err := a.mailFrom(cfg)
	if err != nil {
		return nil, err
	}
	dkim, err := a.mailDKIM(cfg, from, log)
	if err != nil {
		return nil, err
	}
	outbox, err := okmail.NewOutbox(okmail.Options{From: from, DKIM: dkim, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	var transport okmail.Transport // nil: the dev mailbox
	if cfg.SMTPRelay != "" {
		relay, err := okmail.ParseRelay(cfg.SMTPRelay)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.EnvSMTPRelay, err)
		}
		relay.HelloName = dkim.Domain()
		transport = relay
		log.Info("outgoing mail goes to the SMTP relay", "relay", relay.String(), "from", from.String())
	} else {
		log.Info("no SMTP relay: outgoing mail is kept in the dev mailbox", "path", okmail.DevMailboxPath)
	}
	verp, err := mailVERP(cfg)
	if err != nil {
		return nil, err
	}
	ms := &mailSetup{
		outbox: outbox,
		sender: okmail.NewSender(okmail.SenderOptions{Store: db.Mail(), Transport: transport, Now: cfg.Now, Logger: log, VERP: verp}),
		dkim:   dkim,
		verp:   verp,
	}
	if cfg.Env == config.Development {
		ms.mailbox = okmail.DevMailbox(db.Mail(), okmail.DevMailboxOptions{Logger: log})
	}
	return ms, nil
}

func (a *app) mailFrom(cfg config.Config) (okmail.Address, error) {
	v := strings.TrimSpace(a.getenv(envMailFrom))
	if v == "" {
		if cfg.Env != config.Development {
			return okmail.Address{}, fmt.Errorf("%s is required in %s: the sender of outgoing mail, e.g. \"OKPay <no-reply@okpay.example>\"", envMailFrom, cfg.Env)
		}
		v = devMailFrom
	}
	addr, err := mail.ParseAddress(v)
	if err != nil {
		return okmail.Address{}, fmt.Errorf("%s: %q is not an email address such as \"OKPay <no-reply@okpay.example>\"", envMailFrom, v)
	}
	return *addr, nil
}

// mailDKIM loads the signing key: OKPAY_DKIM_KEY_FILE, or in development
// DataDir/dkim.key, generated on first use.
func (a *app) mailDKIM(cfg config.Config, from okmail.Address, log *slog.Logger) (*okmail.DKIM, error) {
	selector := strings.TrimSpace(a.getenv(envDKIMSelector))
	if selector == "" {
		selector = "okpay"
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	path := strings.TrimSpace(a.getenv(envDKIMKeyFile))
	var (
		key     crypto.Signer
		created bool
		err     error
	)
	switch {
	case path != "":
		key, err = okmail.LoadKeyFile(path)
	case cfg.Env == config.Development:
		path = filepath.Join(cfg.DataDir, "dkim.key")
		key, created, err = okmail.LoadOrCreateKeyFile(path)
	default:
		return nil, fmt.Errorf("%s is required in %s: a PEM DKIM private key (RSA 2048 or Ed25519), mode 0600", envDKIMKeyFile, cfg.Env)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envDKIMKeyFile, err)
	}
	d, err := okmail.NewDKIM(domain, selector, key)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated the development DKIM key; publish its record to sign for a real domain",
			"path", path, "record", d.RecordName(), "value", d.RecordValue())
	}
	return d, nil
}

// mailCommand is `okpay mail dkim-record`.
func (a *app) mailCommand() *cli.Command {
	return &cli.Command{
		Name:  "mail",
		Usage: "outgoing and inbound mail",
		Commands: []*cli.Command{a.mailReprocessCommand(), {
			Name:  "dkim-record",
			Usage: "print the DNS TXT record to publish for the DKIM key, as a zone file line",
			Action: func(ctx context.Context, cmd *cli.Command) error {
				cfg, log, err := a.load(cmd)
				if err != nil {
					return err
				}
				from, err := a.mailFrom(cfg)
				if err != nil {
					return err
				}
				d, err := a.mailDKIM(cfg, from, log)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, d.ZoneLine())
				return err
			},
		}},
	}
}

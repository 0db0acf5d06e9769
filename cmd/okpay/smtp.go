package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/jobs"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/mailin"
)

// mailVERP returns the return paths of outgoing mail (bounce+<id>-<tag>@
// the bounce domain), tagged under a key derived from the master key so
// every node makes and recognises the same ones; nil when the support
// mailbox is off (no bounce domain).
func mailVERP(cfg config.Config) (*okmail.VERP, error) {
	if cfg.Inbound.BounceDomain == "" || cfg.MasterKey == nil {
		return nil, nil
	}
	key, err := hkdf.Key(sha256.New, cfg.MasterKey, nil, "okpay verp v1", 32)
	if err != nil {
		return nil, fmt.Errorf("bounce address key: %w", err)
	}
	v, err := okmail.NewVERP(cfg.Inbound.BounceDomain, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvBounceDomain, err)
	}
	return v, nil
}

// mailinDesk is the desk inbound mail is filed with. The support desk's
// own wiring may hand in its service instead; this one is built from the
// same configuration (addresses, base URL) and shares the database.
func mailinDesk(cfg config.Config, db *sqlstore.DB, ms *mailSetup) (*support.Service, error) {
	box, err := secretbox.New(cfg.MasterKey, "support.attachment")
	if err != nil {
		return nil, err
	}
	return support.New(support.Options{
		Store: db.Support(), Outbox: ms.outbox, Box: box, Calendar: cfg.Calendar, Now: cfg.Now,
		Config: support.Config{
			SupportAddress:    okmail.Address{Name: "OKPay 客服", Address: cfg.Inbound.Support},
			ComplaintsAddress: okmail.Address{Name: "OKPay 投诉", Address: cfg.Inbound.Complaints},
			BaseURL:           cfg.BaseURL,
		},
	}), nil
}

// newMailin builds the inbound pipeline; nil when the support mailbox is
// off (no support address configured).
func newMailin(cfg config.Config, log *slog.Logger, db *sqlstore.DB, ms *mailSetup, desk mailin.Desk) (*mailin.Service, error) {
	in := cfg.Inbound
	if in.Support == "" {
		return nil, nil
	}
	box, err := secretbox.New(cfg.MasterKey, mailin.SealPurpose)
	if err != nil {
		return nil, err
	}
	mailboxes := map[string]support.Mailbox{in.Support: support.MailboxSupport}
	if in.Complaints != "" {
		mailboxes[in.Complaints] = support.MailboxComplaints
	}
	return mailin.New(mailin.Options{
		Mailboxes: mailboxes, VERP: ms.verp,
		OwnDomain: ms.outbox.Domain(), OwnFrom: ms.outbox.From().Address, DKIM: ms.dkim,
		AuthServID: in.AuthServID, MaxSize: in.MaxSize, Retention: in.Retention,
		AckPerRecipient: in.AckPerRecipient, AckPerIP: in.AckPerIP,
		Store: db.Mailin(), Bounces: db.Mail(), Desk: desk, Box: box, Now: cfg.Now, Logger: log,
	})
}

// startSMTP registers the inbound jobs on runner and starts the SMTP
// listener filing mail with desk (nil: one built by mailinDesk); the
// returned wait blocks until it has stopped after ctx is cancelled. With
// the mailbox off it does nothing.
func startSMTP(ctx context.Context, cfg config.Config, log *slog.Logger, db *sqlstore.DB, runner *jobs.Runner, ms *mailSetup, desk *support.Service) (wait func() error, err error) {
	none := func() error { return nil }
	if cfg.Inbound.Addr == "" || cfg.Inbound.Support == "" {
		log.Info("the support mailbox's SMTP listener is off", "support_address", cfg.Inbound.Support)
		return none, nil
	}
	if desk == nil {
		if desk, err = mailinDesk(cfg, db, ms); err != nil {
			return nil, err
		}
	}
	svc, err := newMailin(cfg, log, db, ms, desk)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Inbound.Addr)
	if err != nil && cfg.Env == config.Development && cfg.Inbound.Addr == config.DefaultSMTPAddr {
		// Another node on this machine has the default port: development
		// goes on without a listener of its own (it still processes
		// stored mail) rather than refusing to start.
		log.Warn("the support mailbox's default SMTP port is taken; no SMTP listener on this node (set --smtp)", "addr", cfg.Inbound.Addr, "err", err)
		svc.Register(runner)
		return none, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP (%s, --smtp): %w", config.EnvSMTPAddr, err)
	}
	svc.Register(runner)
	domain := ms.outbox.Domain()
	l := mailin.NewListener(svc, mailin.ListenerOptions{Domain: domain, Logger: log})
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	// Tests and scripts read the real address (port 0 picks one) here.
	log.Info("smtp listening", "addr", ln.Addr().String(), "support", cfg.Inbound.Support,
		"complaints", cfg.Inbound.Complaints, "max_size", svc.MaxSize())
	return func() error { return <-done }, nil
}

// mailReprocessCommand is `okpay mail reprocess`: list the inbound mail
// kept because it could not be processed, or run some of it again.
func (a *app) mailReprocessCommand() *cli.Command {
	return &cli.Command{
		Name:      "reprocess",
		Usage:     "list inbound mail kept unparsed, or run the given messages through the pipeline again",
		ArgsUsage: "[ID...]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			cfg, log, err := a.load(cmd)
			if err != nil {
				return err
			}
			if cfg.MasterKey, err = config.LoadMasterKey(cfg); err != nil {
				return err
			}
			db, err := openStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			ms, err := a.setupMail(cfg, db, log)
			if err != nil {
				return err
			}
			if cfg.Inbound.Support == "" {
				return fmt.Errorf("no support address is configured (%s)", config.EnvSupportAddress)
			}
			desk, err := mailinDesk(cfg, db, ms)
			if err != nil {
				return err
			}
			svc, err := newMailin(cfg, log, db, ms, desk)
			if err != nil {
				return err
			}
			if !cmd.Args().Present() {
				kept, err := svc.Unparsed(ctx, 1000)
				if err != nil {
					return err
				}
				if len(kept) == 0 {
					fmt.Fprintln(a.stdout, "No inbound mail is waiting to be reprocessed.")
					return nil
				}
				fmt.Fprintf(a.stdout, "%-8s  %-20s  %-8s  %s\n", "ID", "RECEIVED", "SIZE", "WHY")
				for _, r := range kept {
					fmt.Fprintf(a.stdout, "%-8d  %-20s  %-8d  %s\n", r.ID, r.ReceivedAt.UTC().Format("2006-01-02 15:04:05"), r.Size, r.Note)
				}
				fmt.Fprintln(a.stdout, "Run `okpay mail reprocess ID...` to process them again.")
				return nil
			}
			failed := 0
			for _, arg := range cmd.Args().Slice() {
				id, err := strconv.ParseInt(arg, 10, 64)
				if err != nil || id <= 0 {
					return cli.Exit(fmt.Sprintf("%q is not a message id (see okpay mail reprocess for the list)", arg), 2)
				}
				r, err := svc.Reprocess(ctx, id)
				switch {
				case errors.Is(err, mailin.ErrNotFound):
					fmt.Fprintf(a.stdout, "%d: no such message\n", id)
					failed++
				case errors.Is(err, mailin.ErrState):
					fmt.Fprintf(a.stdout, "%d: already processed, nothing to do\n", id)
				case err != nil:
					return err
				default:
					fmt.Fprintf(a.stdout, "%d: %s (%s)\n", id, r.Status, r.Note)
					if r.Status == mailin.StatusUnparsed {
						failed++
					}
				}
			}
			if failed > 0 {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}

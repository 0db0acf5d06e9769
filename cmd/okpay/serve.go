package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/server"
)

func (a *app) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the web UI, API and background work until interrupted",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "http", Usage: "listen `ADDR` host:port; port 0 picks a free one (env OKPAY_HTTP_ADDR, default 127.0.0.1:8080)"},
			&cli.StringFlag{Name: "smtp", Usage: "support mailbox SMTP `ADDR` host:port, or off (env OKPAY_SMTP_ADDR, default 127.0.0.1:2525)"},
		},
		Action: a.serve,
	}
}

// serve runs one node until ctx is cancelled (SIGINT, SIGTERM), then drains
// in-flight requests and exits 0.
func (a *app) serve(ctx context.Context, cmd *cli.Command) error {
	cfg, log, err := a.load(cmd)
	if err != nil {
		return err
	}
	devClock := useDevClock(&cfg) // web.go: before anything takes cfg.Now
	generated := cfg.MasterKey == nil
	if cfg.MasterKey, err = config.LoadMasterKey(cfg); err != nil {
		return err
	}
	log.Info("starting okpay", "version", versionString(), "env", cfg.Env)
	if generated {
		log.Info("using the development master key", "path", cfg.MasterKeyFile())
	}
	if cfg.Env == config.Development && !loopback(cfg.HTTPAddr) {
		log.Warn("development mode is reachable beyond this machine; set OKPAY_ENV=production for a real deployment", "addr", cfg.HTTPAddr)
	}

	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	srv, err := server.New(server.Options{
		Logger:   log,
		Registry: reg,
		Checks:   []server.Check{{Name: "database", Func: db.Ping}},
	})
	if err != nil {
		return err
	}

	l := ledger.New(db.Ledger(), ledger.Options{Now: cfg.Now, Logger: log, Observe: ledgerMetrics(reg)})
	defer l.Close() // after the server and the workers have stopped
	runner := jobs.New(db.Jobs(), jobs.Options{Now: cfg.Now, Logger: log})
	runner.Register(ledger.ExpireJob, l.Expire)
	mailer, err := a.setupMail(cfg, db, log)
	if err != nil {
		return err
	}
	runner.Register(okmail.SendJob, mailer.sender.Handle)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg.BaseURL = listenBaseURL(cfg, ln.Addr())
	svc, err := newServices(ctx, cfg, log, db, l, mailer.outbox)
	if err != nil {
		ln.Close()
		return err
	}
	svc.wallet.Register(runner)
	svc.bank.Register(runner)
	svc.risk.Register(runner)
	svc.support.Register(runner)
	svc.withdraw.Register(runner)
	svc.dormancy.Register(runner)
	svc.merchant.RegisterDisputes(runner)
	svc.merchant.Register(runner)
	// Payments, sessions and refunds announce themselves as webhook events
	// written in the merchant's own transaction.
	svc.merchant.SetEvents(db.MerchantEvents(cfg.BaseURL))
	svc.payouts.Register(runner)
	hooks, err := newWebhooks(cfg, a.getenv, log, db) // webhooks.go
	if err != nil {
		ln.Close()
		return err
	}
	hooks.Register(runner)
	svc.webhooks = hooks
	// Web pages, the /v1 API and the SMTP listener mount here.
	site, err := mountWeb(srv, cfg, log, devClock, db, svc)
	if err != nil {
		ln.Close()
		return err
	}
	if err := mountAPI(srv, runner, cfg, log, db, svc, site); err != nil { // api.go
		ln.Close()
		return err
	}
	waitSMTP, err := startSMTP(ctx, cfg, log, db, runner, mailer, svc.support) // smtp.go
	if err != nil {
		ln.Close()
		return err
	}
	workers := make(chan error, 1)
	go func() { workers <- runner.Run(ctx) }()
	chatSignals := make(chan error, 1)
	// Live chat's signals between nodes (LISTEN on PostgreSQL).
	go func() { chatSignals <- svc.chat.Run(ctx) }()
	if mailer.mailbox != nil { // development only; it answers loopback clients only
		srv.Handle("GET "+okmail.DevMailboxPath, mailer.mailbox)
		srv.Handle("GET "+okmail.DevMailboxPath+"/", mailer.mailbox)
	}

	// Tests and scripts read the real address (port 0 picks one) from
	// this line.
	log.Info("listening", "addr", ln.Addr().String())
	err = srv.Serve(ctx, ln)
	if serr := waitSMTP(); serr != nil {
		log.Error("the SMTP listener stopped with an error", "err", serr)
	}
	if werr := <-workers; werr != nil {
		log.Error("background jobs stopped with an error", "err", werr)
	}
	if cerr := <-chatSignals; cerr != nil {
		log.Error("live chat signals stopped with an error", "err", cerr)
	}
	log.Info("stopped")
	return err
}

// ledgerMetrics exports the batch committer's work to Prometheus.
func ledgerMetrics(reg prometheus.Registerer) func(int, time.Duration, error) {
	transfers := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "okpay_ledger_transfers_total", Help: "Transfers submitted through committed ledger batches.",
	})
	failures := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "okpay_ledger_batch_failures_total", Help: "Ledger batches whose callers got ErrUnavailable.",
	})
	size := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "okpay_ledger_batch_transfers", Help: "Transfers per ledger batch.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 8),
	})
	took := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "okpay_ledger_batch_seconds", Help: "Time to commit one ledger batch, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	reg.MustRegister(transfers, failures, size, took)
	return func(n int, d time.Duration, err error) {
		if err != nil {
			failures.Inc()
			return
		}
		transfers.Add(float64(n))
		size.Observe(float64(n))
		took.Observe(d.Seconds())
	}
}

// loopback reports whether addr only accepts connections from this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

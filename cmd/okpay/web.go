package main

import (
	"context"
	"log/slog"
	"net"
	"time"
	_ "time/tzdata" // the platform time zone works on hosts without zoneinfo

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/ledger"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/server"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/chat"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/webhook"
)

// Until internal/config carries them, the web pages use the package's
// defaults for these: the platform time zone (web.DefaultTimeZone), the
// official domain and the support address shown on every page.

// useDevClock makes, in development, the application clock real time plus
// an offset that /dev/clock moves, so end-to-end tests can reach a
// lockout's expiry or a settlement day. It must run before anything takes
// cfg.Now. In production it returns nil and leaves cfg.Now alone.
func useDevClock(cfg *config.Config) *clock.Offset {
	if cfg.Env != config.Development {
		return nil
	}
	real := cfg.Now
	if real == nil {
		real = time.Now
	}
	c := clock.NewOffset(real)
	cfg.Now = c.Now
	return c
}

// services are the domain services a node runs, built once and shared by
// the web pages and the background jobs.
type services struct {
	accounts *auth.Service
	second   *twofactor.Service
	wallet   *wallet.Service
	bank     *wallet.BankDeposits
	risk     *risk.Service
	support  *support.Service // register its SLA job: support.Register(runner)
	kyc      *kyc.Service
	fixes    *wallet.Corrections
	withdraw *wallet.Withdrawals
	exchange *wallet.Exchange
	dormancy *wallet.Dormancy
	rates    *fx.Service
	help     *helpcenter.Service
	channels *channels.Directory
	announce *announce.Service
	chat     *chat.Service // run its signal listener: chat.Run(ctx)
	reports  *merchant.Reports
	payouts  *merchant.Payouts // register its settlement: payouts.Register(runner)
	apikeys  *apikey.Service
	merchant *merchant.Service // connect webhooks with merchant.SetEvents
	webhooks *webhook.Service  // built by serve (newWebhooks), with its jobs
}

// newServices builds the accounts, the second factor and the wallet. Account
// mail goes through outbox, its links starting with cfg.BaseURL.
func newServices(ctx context.Context, cfg config.Config, log *slog.Logger, db *sqlstore.DB, l *ledger.Ledger, outbox *okmail.Outbox) (services, error) {
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: cfg.BaseURL})
	if err != nil {
		return services{}, err
	}
	second, err := twofactor.New(twofactor.Config{MasterKey: cfg.MasterKey, Store: db.TwoFactor(), Mailer: mailer, Now: cfg.Now})
	if err != nil {
		return services{}, err
	}
	// auth.Config's zero value takes the documented defaults (5 failures
	// lock for 30 minutes; sessions idle 30 minutes, absolute 12 hours).
	accounts := auth.New(auth.Options{
		Store:        db.Auth(),
		Hasher:       auth.NewArgon2(auth.ProductionArgon2, 0),
		Mailer:       mailer,
		SecondFactor: second.AuthHook(db.TwoFactorTx),
		Now:          cfg.Now,
	})
	// Limits (ACC-7) count against the platform's calendar months.
	verify, err := kyc.New(kyc.Options{Store: db.KYC(), Ledger: l, Location: cfg.Calendar.Location(),
		MasterKey: cfg.MasterKey, Now: cfg.Now, Logger: log})
	if err != nil {
		return services{}, err
	}
	w, err := newWallet(ctx, cfg, log, db, l, second, verify)
	if err != nil {
		return services{}, err
	}
	if err := w.PreparePlatformAccounts(ctx); err != nil {
		return services{}, err
	}
	// The receiving bank account is the sandbox's until the configuration
	// names a real one.
	bank, err := wallet.NewBankDeposits(w, wallet.BankOptions{Store: db.Wallet(), Ledger: l})
	if err != nil {
		return services{}, err
	}
	rk, err := newRisk(cfg, log, db, w, accounts, mailer)
	if err != nil {
		return services{}, err
	}
	desk, err := newSupport(cfg, db, outbox, accounts, second, w, rk, verify)
	if err != nil {
		return services{}, err
	}
	fixes, err := wallet.NewCorrections(w, db.Wallet())
	if err != nil {
		return services{}, err
	}
	withdraw, err := newWithdrawals(cfg, db, w, mailer)
	if err != nil {
		return services{}, err
	}
	x, err := newExchange(cfg, db, w, mailer)
	if err != nil {
		return services{}, err
	}
	help, err := newHelp(ctx, log, db, cfg.Now)
	if err != nil {
		return services{}, err
	}
	svc := services{accounts: accounts, second: second, wallet: w, bank: bank, risk: rk, support: desk, kyc: verify, fixes: fixes, withdraw: withdraw,
		exchange: x.exchange, dormancy: x.dormancy, rates: x.rates, help: help}
	svc.channels, svc.announce = newChannels(cfg, db) // channels.go
	// Live chat is staffed in the chat channel's published hours, the
	// same that /contact shows.
	chatHours := chat.Hours(chat.CalendarHours{Calendar: cfg.Calendar})
	if c, ok := svc.channels.Channel("chat"); ok {
		chatHours = chat.HoursFunc(svc.channels.Hours(c).IsOpen)
	}
	svc.chat = chat.New(chat.Options{Store: db.Chat(), Desk: desk, Hours: chatHours, Now: cfg.Now, Logger: log})
	svc.apikeys = newAPIKeys(cfg, db, second)
	if svc.merchant, err = newMerchant(cfg, db, l, w, second); err != nil { // merchant.go
		return services{}, err
	}
	if svc.reports, svc.payouts, err = newMerchantExtras(cfg, db, svc.merchant, w); err != nil { // merchant_reports.go
		return services{}, err
	}
	if err := enableDisputes(cfg, db, svc.merchant, mailer); err != nil { // disputes.go
		return services{}, err
	}
	// A merchant that owes a lost dispute's shortfall is paid out nothing
	// until it is covered.
	svc.payouts.SetGate(svc.merchant.ReceivablesGate())
	return svc, nil
}

// newSupport builds the support desk with the customer context (accounts,
// two-factor, wallet, verification level, open risk cases), the account actions and complaint
// references.
func newSupport(cfg config.Config, db *sqlstore.DB, outbox *okmail.Outbox, a *auth.Service, second *twofactor.Service, w *wallet.Service, rk *risk.Service, verify *kyc.Service) (*support.Service, error) {
	box, err := secretbox.New(cfg.MasterKey, "support.attachment")
	if err != nil {
		return nil, err
	}
	sc := support.Config{BaseURL: cfg.BaseURL}
	if cfg.Inbound.Support != "" {
		sc.SupportAddress = okmail.Address{Name: "OKPay 客服", Address: cfg.Inbound.Support}
	}
	if cfg.Inbound.Complaints != "" {
		sc.ComplaintsAddress = okmail.Address{Name: "OKPay 投诉", Address: cfg.Inbound.Complaints}
	}
	return support.New(support.Options{
		Store: db.Support(), Outbox: outbox, Box: box, Calendar: cfg.Calendar, Now: cfg.Now, Config: sc,
		Context:  support.Providers{web.SupportContext{Auth: a, TwoFactor: second, Wallet: w, Risk: rk, KYC: verify}},
		Accounts: web.SupportAccounts{Auth: a},
		Refs:     web.SupportRefs(w),
	}), nil
}

// mountWeb mounts the web pages on srv: the home page, the language
// switcher, the account, security and wallet pages, the fee schedule, the
// error pages for everything no other handler serves, and in development
// the /dev/clock helper (loopback clients only).
func mountWeb(srv *server.Server, cfg config.Config, log *slog.Logger, dev *clock.Offset, db *sqlstore.DB, svc services) (*web.Site, error) {
	o := web.Options{
		Logger:           log,
		Now:              cfg.Now,
		Development:      cfg.Env == config.Development,
		Auth:             svc.accounts,
		TwoFactor:        svc.second,
		Audit:            db.Audit(),
		Wallet:           svc.wallet,
		Bank:             svc.bank,
		Risk:             svc.risk,
		Support:          svc.support,
		KYC:              svc.kyc,
		Corrections:      svc.fixes,
		Withdrawals:      svc.withdraw,
		Exchange:         svc.exchange,
		FX:               svc.rates,
		Help:             svc.help,
		Channels:         svc.channels,
		Announcements:    svc.announce,
		Forum:            forum.New(forum.Options{Store: db.Forum(), Now: cfg.Now}),
		Chat:             svc.chat,
		APIKeys:          svc.apikeys,
		Merchant:         svc.merchant,
		Webhooks:         svc.webhooks,
		WebhookMerchants: webhookMembers{svc.merchant},
	}
	if dev != nil {
		o.DevClock = dev
	}
	// Merchant reports, payouts and the key page's audit records.
	o.MerchantReports, o.MerchantPayouts, o.MerchantAudit = svc.reports, svc.payouts, db.MerchantReports()
	site, err := web.New(o)
	if err != nil {
		return nil, err
	}
	site.Mount(srv)
	return site, nil
}

// listenBaseURL returns cfg.BaseURL, except that development's default
// (http://<HTTPAddr>) with port 0 becomes the address actually listened
// on, so links in mail work.
func listenBaseURL(cfg config.Config, addr net.Addr) string {
	if cfg.Env == config.Development && cfg.BaseURL == "http://"+cfg.HTTPAddr {
		if _, port, err := net.SplitHostPort(cfg.HTTPAddr); err == nil && port == "0" {
			return "http://" + addr.String()
		}
	}
	return cfg.BaseURL
}

package main

import (
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// newWithdrawals builds the withdrawal side of the wallet: payouts through
// the connectors' bank and e-wallet sandboxes (no bank or wallet provider
// can be reached from here; see internal/connector), settled on the
// platform's business calendar, destination accounts sealed under the
// master key, and the customer's mail through the site's mailer.
func newWithdrawals(cfg config.Config, db *sqlstore.DB, w *wallet.Service, mailer *web.Mailer) (*wallet.Withdrawals, error) {
	cal := platformCalendar(cfg)
	sandbox := connector.SandboxConfig{Now: cfg.Now, AddBusinessDays: cal.AddBusinessDays}
	return wallet.NewWithdrawals(w, wallet.WithdrawOptions{
		Store: db.Wallet(),
		Payers: map[wallet.Method]wallet.PayoutRail{
			wallet.MethodBank:    adapt.Payer(connector.NewBankSandbox(sandbox)),
			wallet.MethodEWallet: adapt.Payer(connector.NewEWalletSandbox(sandbox)),
		},
		MasterKey:       cfg.MasterKey,
		Mailer:          mailer,
		AddBusinessDays: cal.AddBusinessDays,
	})
}

// platformCalendar is the configured business calendar, or the built-in
// one for a Config made without it.
func platformCalendar(cfg config.Config) *calendar.Calendar {
	if cfg.Calendar != nil {
		return cfg.Calendar
	}
	return calendar.Default()
}

package main

import (
	"log/slog"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// newRisk builds suspicious-activity control with the default rules
// (risk.DefaultConfig: the one place the thresholds live) and makes it
// screen every outgoing payment of w.
func newRisk(cfg config.Config, log *slog.Logger, db *sqlstore.DB, w *wallet.Service, accounts *auth.Service, mailer *web.Mailer) (*risk.Service, error) {
	rk, err := risk.New(risk.Options{
		Config:   risk.DefaultConfig(),
		Store:    db.Risk(),
		Wallet:   w,
		Rates:    adapt.Rates(fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})),
		Devices:  accounts,
		Notifier: mailer,
		Now:      cfg.Now,
		Logger:   log,
	})
	if err != nil {
		return nil, err
	}
	w.SetScreener(rk)
	return rk, nil
}

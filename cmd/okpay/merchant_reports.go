package main

import (
	"context"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// newMerchantExtras builds the merchant reports (days of the platform's
// time zone) and payouts of merchant balances: live payouts through the
// connector's bank sandbox into the platform's bank account, test-mode
// payouts through a sandbox of their own, settled on the platform's
// business calendar, destinations sealed under the master key. The
// receivables gate is connected with Payouts.SetGate once disputes exist.
func newMerchantExtras(cfg config.Config, db *sqlstore.DB, m *merchant.Service, w *wallet.Service) (*merchant.Reports, *merchant.Payouts, error) {
	cal := platformCalendar(cfg)
	reps, err := merchant.NewReports(m, db.MerchantReports(), cal.Location())
	if err != nil {
		return nil, nil, err
	}
	sandbox := connector.SandboxConfig{Now: cfg.Now, AddBusinessDays: cal.AddBusinessDays}
	pay, err := merchant.NewPayouts(m, merchant.PayoutOptions{
		Store: db.MerchantReports(),
		Live:  adapt.Payer(connector.NewBankSandbox(sandbox)),
		Test:  adapt.Payer(connector.NewBankSandbox(sandbox)),
		LiveBank: func(ctx context.Context, cur string) (int64, error) {
			return w.PlatformAccount(ctx, wallet.Bank, cur)
		},
		MasterKey:       cfg.MasterKey,
		AddBusinessDays: cal.AddBusinessDays,
	})
	if err != nil {
		return nil, nil, err
	}
	return reps, pay, nil
}

package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// devRates seeds a development node with made-up exchange rates dated
// 2000-01-03 (a real import is always newer), so amounts convert before
// `okpay import rates` has run. Production imports real rates only.
//
//go:embed devrates.xml
var devRates []byte

// newWallet builds the wallet service: the store and the ledger, the fee
// schedule, exchange rates from the database, and the connectors'
// sandboxes as deposit rails (a card network and an external e-wallet
// cannot exist here; see internal/connector).
func newWallet(ctx context.Context, cfg config.Config, log *slog.Logger, db *sqlstore.DB, l *ledger.Ledger, stepUp wallet.StepUp, limiter wallet.Limiter) (*wallet.Service, error) {
	sandbox := connector.SandboxConfig{Now: cfg.Now, AddBusinessDays: platformCalendar(cfg).AddBusinessDays}
	rates := fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})
	if cfg.Env == config.Development {
		if _, err := rates.ImportECB(ctx, bytes.NewReader(devRates)); err != nil {
			return nil, fmt.Errorf("development exchange rates: %w", err)
		}
	}
	return wallet.New(wallet.Options{
		Store:     db.Wallet(),
		Ledger:    l,
		Fees:      adapt.Fees(fees.Default()),
		Rates:     adapt.Rates(rates),
		Directory: db.WalletDirectory(),
		StepUp:    stepUp,
		Limiter:   limiter,
		Rails: map[wallet.Method]wallet.Rail{
			wallet.MethodCard:    adapt.Rail(connector.NewCardSandbox(sandbox)),
			wallet.MethodEWallet: adapt.Rail(connector.NewEWalletSandbox(sandbox)),
		},
		Now:    cfg.Now,
		Logger: log,
	})
}

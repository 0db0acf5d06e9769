package main

import (
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// exchangeServices are the wallet's currency exchange, its dormant-account
// fees and the rates staff read and set.
type exchangeServices struct {
	exchange *wallet.Exchange
	dormancy *wallet.Dormancy
	rates    *fx.Service
}

// newExchange builds the exchange over the stored rates (quotes honoured
// wallet.DefaultQuoteTTL), and the dormant-account fees whose notices
// mailer writes.
func newExchange(cfg config.Config, db *sqlstore.DB, w *wallet.Service, mailer *web.Mailer) (exchangeServices, error) {
	rates := fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})
	x, err := wallet.NewExchange(w, wallet.ExchangeOptions{Store: db.Wallet(), Rates: adapt.ExchangeRates(rates)})
	if err != nil {
		return exchangeServices{}, err
	}
	d, err := wallet.NewDormancy(w, wallet.DormancyOptions{Store: db.Wallet(), Mailer: mailer})
	if err != nil {
		return exchangeServices{}, err
	}
	return exchangeServices{exchange: x, dormancy: d, rates: rates}, nil
}

package web_test

import (
	"testing"
	"time"

	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// newTestExchange is the exchange as okpay serve builds it, over the rates
// newTestWallet imported, and the rates service behind /staff/rates.
func newTestExchange(t *testing.T, db *sqlstore.DB, w *wallet.Service, now func() time.Time) (*wallet.Exchange, *fx.Service) {
	t.Helper()
	rates := fx.New(fx.Options{Store: db.FX(), Now: now})
	x, err := wallet.NewExchange(w, wallet.ExchangeOptions{Store: db.Wallet(), Rates: adapt.ExchangeRates(rates)})
	if err != nil {
		t.Fatal(err)
	}
	return x, rates
}

package main

import (
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/web"
)

// enableDisputes turns on payment disputes: evidence files sealed under
// the master key (purpose dispute_evidence), mail through the web mailer
// in each reader's language, merchants answering within the default 7
// calendar days. Register the sweep with RegisterDisputes.
func enableDisputes(cfg config.Config, db *sqlstore.DB, m *merchant.Service, mailer *web.Mailer) error {
	box, err := secretbox.New(cfg.MasterKey, "dispute_evidence")
	if err != nil {
		return err
	}
	return m.EnableDisputes(merchant.DisputeOptions{Store: db.Disputes(), Sealer: box, Mailer: mailer})
}

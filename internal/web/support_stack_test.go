package web_test

import (
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/kyc"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// newTestSupport is the support desk as okpay serve builds it.
func newTestSupport(t *testing.T, db *sqlstore.DB, outbox *okmail.Outbox, now func() time.Time, baseURL string, a *auth.Service, second *twofactor.Service, w *wallet.Service, rk *risk.Service, k *kyc.Service) *support.Service {
	t.Helper()
	box, err := secretbox.New(testMasterKey, "support.attachment")
	if err != nil {
		t.Fatal(err)
	}
	return support.New(support.Options{Store: db.Support(), Outbox: outbox, Box: box, Now: now,
		Config:   support.Config{BaseURL: baseURL},
		Context:  support.Providers{web.SupportContext{Auth: a, TwoFactor: second, Wallet: w, Risk: rk, KYC: k}},
		Accounts: web.SupportAccounts{Auth: a},
		Refs:     web.SupportRefs(w),
	})
}

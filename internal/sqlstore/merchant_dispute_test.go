package sqlstore_test

import (
	"context"
	"testing"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// TestDisputeTxEventsTx: dispute events are recorded through the merchant
// store's own transaction type, which the merchant events sink requires.
func TestDisputeTxEventsTx(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "dispute_tx", nil)
		err := db.Disputes().InDisputeTx(context.Background(), func(tx merchant.DisputeTx) error {
			if _, ok := tx.EventsTx().(sqlstore.MerchantTx); !ok {
				t.Errorf("EventsTx is %T, want sqlstore.MerchantTx", tx.EventsTx())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

package web

import (
	"errors"
	"maps"
	"net/http"

	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Balance payments to shops in the payer's wallet (internal/wallet
// merchantpay.go): the names of their movement types, and the checkout's
// words for the payer's send limit and freeze. The entries are added here
// rather than in the shared tables so the feature stays in one file.
var payhistTypeKeys = map[wallet.Type]string{
	wallet.TypeMerchantPayment: "wallet.type.merchant_payment",
	wallet.TypeMerchantRefund:  "wallet.type.merchant_refund",
}

var payhistErrorKeys = map[string]string{
	"send_limit_exceeded": "payhist.error.send_limit",
	"outgoing_frozen":     "payhist.error.outgoing_frozen",
}

func init() {
	maps.Copy(walletTypeKeys, payhistTypeKeys)
	maps.Copy(merchantErrorKeys, payhistErrorKeys)
}

// payhistRefusal completes the checkout's refusal of a payment over the
// send limit with the limit and what is left of it this month, as the
// send form says it.
func (s *Site) payhistRefusal(r *http.Request, err error) func(*checkoutData) {
	return func(d *checkoutData) {
		si := currentUser(r)
		if !errors.Is(err, merchant.ErrSendLimit) || d.Error == nil || s.kyc == nil || si == nil {
			return
		}
		u, lerr := s.kyc.Left(r.Context(), si.user.ID, kyc.KindSend)
		if lerr != nil {
			s.log.Error("web: limit left", "err", lerr)
			return
		}
		loc := s.Locale(r)
		d.Error.Message = loc.T("payhist.error.send_limit", "limit", money.Format(u.Limit, loc.Code()),
			"left", money.Format(u.Left, loc.Code()))
	}
}

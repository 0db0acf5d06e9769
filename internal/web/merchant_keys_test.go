package web

import (
	"testing"

	"github.com/okpay/okpay/internal/merchant"
)

// TestMerchantErrorsHaveWords: every error the merchant service returns
// has a code and a message in the catalogues, so no refusal reaches a
// page as a 500.
func TestMerchantErrorsHaveWords(t *testing.T) {
	for _, err := range merchant.Errors() {
		code := merchant.ErrorCode(err)
		if code == "" {
			t.Errorf("%v has no code", err)
			continue
		}
		if _, ok := merchantErrorKeys[code]; !ok {
			t.Errorf("%v (%s) has no message key", err, code)
		}
	}
	if len(merchantErrorKeys) != len(merchant.Errors()) {
		t.Errorf("%d message keys for %d errors", len(merchantErrorKeys), len(merchant.Errors()))
	}
}

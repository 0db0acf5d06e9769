package twofactor_test

import (
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
)

// RFC 6238 appendix B.
func TestTOTPRFC6238Vectors(t *testing.T) {
	seeds := map[twofactor.Algorithm]string{
		twofactor.SHA1:   "12345678901234567890",
		twofactor.SHA256: "12345678901234567890123456789012",
		twofactor.SHA512: "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		unix int64
		alg  twofactor.Algorithm
		want string
	}{
		{59, twofactor.SHA1, "94287082"},
		{59, twofactor.SHA256, "46119246"},
		{59, twofactor.SHA512, "90693936"},
		{1111111109, twofactor.SHA1, "07081804"},
		{1111111109, twofactor.SHA256, "68084774"},
		{1111111109, twofactor.SHA512, "25091201"},
		{1111111111, twofactor.SHA1, "14050471"},
		{1111111111, twofactor.SHA256, "67062674"},
		{1111111111, twofactor.SHA512, "99943326"},
		{1234567890, twofactor.SHA1, "89005924"},
		{1234567890, twofactor.SHA256, "91819424"},
		{1234567890, twofactor.SHA512, "93441116"},
		{2000000000, twofactor.SHA1, "69279037"},
		{2000000000, twofactor.SHA256, "90698825"},
		{2000000000, twofactor.SHA512, "38618901"},
		{20000000000, twofactor.SHA1, "65353130"},
		{20000000000, twofactor.SHA256, "77737706"},
		{20000000000, twofactor.SHA512, "47863826"},
	}
	for _, v := range vectors {
		got := twofactor.TOTPCode([]byte(seeds[v.alg]), time.Unix(v.unix, 0), v.alg, 8, 30*time.Second)
		if got != v.want {
			t.Errorf("TOTP %s at %d = %s, want %s", v.alg, v.unix, got, v.want)
		}
	}
}

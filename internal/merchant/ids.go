package merchant

import (
	"github.com/okpay/okpay/internal/ledger"
)

// Merchants, payments, checkout sessions and refunds have prefixed ids in
// the style of TypeID ("pi_" and 26 lower-case Crockford base32
// characters encoding a 128-bit, time-ordered id), as the /v1 API shows
// them. A payment's 128 bits are the parent its ledger transfer ids are
// derived from (ledger.DeriveID), and so are a refund's: a retried step can
// never get a second transfer id, so it can never move money twice.
const (
	PrefixMerchant = "mer_"
	PrefixPayment  = "pi_"
	PrefixSession  = "cs_"
	PrefixRefund   = "re_"
)

func encodeID(id ledger.ID) string { return id.Base32() }

func decodeID(s string) (ledger.ID, bool) { return ledger.ParseBase32(s) }

func newPrefixedID(prefix string) (string, ledger.ID) { return ledger.NewPrefixedID(prefix) }

func parsePrefixed(prefix, s string) (ledger.ID, bool) { return ledger.ParsePrefixed(prefix, s) }

// validID reports whether s is an id with prefix.
func validID(prefix, s string) bool {
	_, ok := parsePrefixed(prefix, s)
	return ok
}

// ValidID reports whether s has the form of an id with one of the
// package's prefixes (for routing: a malformed id is a 404 at once).
func ValidID(prefix, s string) bool { return validID(prefix, s) }

package merchant

import (
	"strings"

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

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var crockfordIndex = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(crockford); i++ {
		t[crockford[i]] = byte(i)
	}
	return t
}()

// encodeID writes 128 bits as 26 base32 characters, the first carrying the
// top 2 bits (so it is 0-7).
func encodeID(id ledger.ID) string {
	var b [26]byte
	// Read the 130-bit number (two leading zero bits) five bits at a time,
	// from the least significant end.
	var acc uint32
	bits := 0
	pos := 25
	for i := 15; i >= 0; i-- {
		acc |= uint32(id[i]) << bits
		bits += 8
		for bits >= 5 {
			b[pos] = crockford[acc&31]
			pos--
			acc >>= 5
			bits -= 5
		}
	}
	b[0] = crockford[acc&31]
	return string(b[:])
}

// decodeID reads what encodeID wrote.
func decodeID(s string) (ledger.ID, bool) {
	var id ledger.ID
	if len(s) != 26 || crockfordIndex[s[0]] > 7 {
		return id, false
	}
	var acc uint32
	bits := 0
	pos := 15
	for i := 25; i >= 0; i-- {
		v := crockfordIndex[s[i]]
		if v == 0xff {
			return id, false
		}
		acc |= uint32(v) << bits
		bits += 5
		if bits >= 8 && pos >= 0 {
			id[pos] = byte(acc)
			pos--
			acc >>= 8
			bits -= 8
		}
	}
	return id, true
}

func newPrefixedID(prefix string) (string, ledger.ID) {
	id := ledger.NewID()
	return prefix + encodeID(id), id
}

// parsePrefixed returns the 128 bits of a prefixed id.
func parsePrefixed(prefix, s string) (ledger.ID, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return ledger.ID{}, false
	}
	return decodeID(rest)
}

// validID reports whether s is an id with prefix.
func validID(prefix, s string) bool {
	_, ok := parsePrefixed(prefix, s)
	return ok
}

// ValidID reports whether s has the form of an id with one of the
// package's prefixes (for routing: a malformed id is a 404 at once).
func ValidID(prefix, s string) bool { return validID(prefix, s) }

package wallet

import (
	"github.com/okpay/okpay/internal/ledger"
)

// Movements and money requests have prefixed ids in the style of TypeID:
// "mv_" or "rq_" and 26 lower-case Crockford base32 characters encoding a
// 128-bit, time-ordered id (UUIDv7 layout). The 128 bits are the parent
// from which the movement's ledger transfer ids are derived
// (ledger.DeriveID), so a movement can never get a second set of transfers.
const (
	movementPrefix = "mv_"
	requestPrefix  = "rq_"
)

func encodeID(id ledger.ID) string { return id.Base32() }

func newPrefixedID(prefix string) (string, ledger.ID) { return ledger.NewPrefixedID(prefix) }

func parsePrefixed(prefix, s string) (ledger.ID, bool) { return ledger.ParsePrefixed(prefix, s) }

// derivedMovementID is the id of a movement that belongs to another one
// (the receiving side of a send), fixed by the parent's id.
func derivedMovementID(parent ledger.ID, step string) string {
	return movementPrefix + encodeID(ledger.DeriveID(parent, step))
}

// ValidMovementID reports whether s has the form of a movement id.
func ValidMovementID(s string) bool {
	_, ok := parsePrefixed(movementPrefix, s)
	return ok
}

// ValidRequestID reports whether s has the form of a money request id.
func ValidRequestID(s string) bool {
	_, ok := parsePrefixed(requestPrefix, s)
	return ok
}

package ledger

import "strings"

// The domain packages show ids in the style of TypeID: a prefix ("mv_",
// "pi_" ...) and the 128 bits as 26 lower-case Crockford base32
// characters. The encoding keeps the byte order, so time-ordered ids
// sort by time as text too.

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

// Base32 writes id as 26 base32 characters, the first carrying the top 2
// bits (so it is 0-7).
func (id ID) Base32() string {
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

// ParseBase32 reads what Base32 wrote; false for anything else.
func ParseBase32(s string) (ID, bool) {
	var id ID
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

// NewPrefixedID returns a new time-ordered id, as prefix and Base32, and
// its bits.
func NewPrefixedID(prefix string) (string, ID) {
	id := NewID()
	return prefix + id.Base32(), id
}

// ParsePrefixed returns the bits of an id written prefix + Base32.
func ParsePrefixed(prefix, s string) (ID, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return ID{}, false
	}
	return ParseBase32(rest)
}

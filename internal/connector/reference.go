package connector

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Reference is a deposit reference code: the text a customer puts in the
// remittance field of a bank transfer so that the transfer can be matched to
// their deposit when it shows up in OKPay's bank statement.
//
// Its canonical form is "OKP", eight random characters of Crockford's base32
// alphabet (digits and upper-case letters without I, L, O and U), and a check
// character from the same alphabet: "OKP7M2K9QX4T". The check is a
// checksum over GF(32) (each step r = 2·r + c with the polynomial
// x⁵+x²+1), so that every single mistyped character and every swap of two
// adjacent characters is detected; a mistyped reference is never matched to
// another customer's deposit.
//
// References are random, 40 bits each: the store that keeps them must hold
// them under a unique constraint and draw again on a collision.
type Reference string

// ErrInvalidReference reports text that is not a well-formed reference or
// whose check character does not match.
var ErrInvalidReference = errors.New("connector: invalid deposit reference")

const (
	referencePrefix = "OKP"
	// referenceBody is the number of random characters.
	referenceBody = 8
	// referenceLen is the length of the canonical form.
	referenceLen = len(referencePrefix) + referenceBody + 1
	crockford    = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// NewReference returns a new random reference.
func NewReference() Reference {
	var b [5]byte // 40 bits, eight base32 characters
	rand.Read(b[:])
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	vals := make([]byte, referenceBody)
	for i := referenceBody - 1; i >= 0; i-- {
		vals[i] = byte(v & 31)
		v >>= 5
	}
	return referenceFrom(vals)
}

// referenceFrom builds the canonical reference of body values (0..31).
func referenceFrom(vals []byte) Reference {
	var sb strings.Builder
	sb.WriteString(referencePrefix)
	for _, v := range vals {
		sb.WriteByte(crockford[v])
	}
	sb.WriteByte(crockford[checkValue(vals)])
	return Reference(sb.String())
}

// gfDouble multiplies v by x in GF(32) = GF(2)[x]/(x⁵+x²+1).
func gfDouble(v byte) byte {
	v <<= 1
	if v&0x20 != 0 {
		v ^= 0x25
	}
	return v
}

// checkValue returns the check value of body values: the c for which
// folding r = 2·r + v over the values and then c ends at zero. Because
// r → 2·r + v is a bijection in both r and v, a single changed value is
// always noticed; because 2·(a+b) = a+b only when a = b, so is a swap of
// two adjacent different values.
func checkValue(vals []byte) byte {
	var r byte
	for _, v := range vals {
		r = gfDouble(r) ^ v
	}
	return gfDouble(r)
}

// String returns the canonical form.
func (r Reference) String() string { return string(r) }

// Display returns the reference in groups of three for people to read and
// copy: "OKP 7M2 K9Q X4T". ParseReference and FindReference accept it.
func (r Reference) Display() string {
	s := string(r)
	var sb strings.Builder
	for i := 0; i < len(s); i += 3 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[i:min(i+3, len(s))])
	}
	return sb.String()
}

// crockfordValue decodes one character of the body, with Crockford's
// aliases: lower case, I and L for 1, O for 0. U and anything else is -1.
func crockfordValue(ch rune) int {
	if ch >= 'a' && ch <= 'z' {
		ch -= 'a' - 'A'
	}
	switch ch {
	case 'I', 'L':
		return 1
	case 'O':
		return 0
	}
	if ch > unicode.MaxASCII {
		return -1
	}
	return strings.IndexByte(crockford, byte(ch))
}

// fold maps the full-width forms that Chinese input methods produce to
// ASCII, and the ideographic space to a space.
func fold(r rune) rune {
	switch {
	case r >= '\uff01' && r <= '\uff5e':
		return r - 0xfee0
	case r == '\u3000':
		return ' '
	}
	return r
}

// isSeparator reports whether r may appear between the characters of a
// reference: white space and dashes.
func isSeparator(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return unicode.IsSpace(r)
}

func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// maxSeparatorRun bounds the separators between two characters, so that a
// reference is never assembled from words far apart.
const maxSeparatorRun = 3

// scanReference reads a reference from rs starting at its prefix. It
// returns the reference, the index after it, and whether it is well formed
// with a matching check; a reference followed directly by another letter or
// digit is not one.
func scanReference(rs []rune) (ref Reference, end int, err error) {
	if len(rs) < 3 || (rs[0] != 'O' && rs[0] != 'o' && rs[0] != '0') ||
		(rs[1] != 'K' && rs[1] != 'k') || (rs[2] != 'P' && rs[2] != 'p') {
		return "", 0, fmt.Errorf("%w: it starts with %s", ErrInvalidReference, referencePrefix)
	}
	vals := make([]byte, 0, referenceBody+1)
	i, run := 3, 0
	for i < len(rs) && len(vals) < referenceBody+1 {
		r := rs[i]
		if isSeparator(r) {
			if run++; run > maxSeparatorRun {
				break
			}
			i++
			continue
		}
		run = 0
		v := crockfordValue(r)
		if v < 0 {
			if !isASCIIAlnum(r) {
				break
			}
			return "", 0, fmt.Errorf("%w: %q is not a reference character", ErrInvalidReference, r)
		}
		vals = append(vals, byte(v))
		i++
	}
	if len(vals) != referenceBody+1 {
		return "", 0, fmt.Errorf("%w: it has %d characters after %s, want %d",
			ErrInvalidReference, len(vals), referencePrefix, referenceBody+1)
	}
	if i < len(rs) && isASCIIAlnum(rs[i]) {
		return "", 0, fmt.Errorf("%w: too long", ErrInvalidReference)
	}
	if checkValue(vals[:referenceBody]) != vals[referenceBody] {
		return "", 0, fmt.Errorf("%w: the check character does not match", ErrInvalidReference)
	}
	return referenceFrom(vals[:referenceBody]), i, nil
}

// ParseReference reads a reference typed by a person: case, spaces, dashes,
// full-width characters and Crockford's look-alikes (O for 0, I and L for 1)
// are forgiven; a wrong check character is not. Errors: ErrInvalidReference.
func ParseReference(s string) (Reference, error) {
	rs := []rune(strings.Map(fold, strings.TrimSpace(s)))
	if len(rs) > 4*referenceLen {
		return "", fmt.Errorf("%w: too long", ErrInvalidReference)
	}
	ref, end, err := scanReference(rs)
	if err != nil {
		return "", err
	}
	if end != len(rs) {
		return "", fmt.Errorf("%w: unexpected text after the reference", ErrInvalidReference)
	}
	return ref, nil
}

// FindReference finds the deposit reference in the free text of a bank
// transfer's remittance information ("Payment okp 7m2k-9qx4t thanks"). It
// reports false when there is none with a valid check character, or when
// the text holds two different valid references: which deposit such a
// transfer belongs to is for a person to decide.
func FindReference(text string) (Reference, bool) {
	rs := []rune(strings.Map(fold, text))
	var found Reference
	for i := 0; i+3 <= len(rs); i++ {
		if rs[i+1] != 'K' && rs[i+1] != 'k' {
			continue
		}
		ref, end, err := scanReference(rs[i:])
		if err != nil {
			continue
		}
		if found != "" && found != ref {
			return "", false
		}
		found = ref
		i += end - 1
	}
	return found, found != ""
}

package wallet

import (
	"crypto/rand"
	"math/big"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// WalletID is a wallet's public id: "OK" and nine digits, the last of which
// is a check digit over the eight before it (WAL-1), e.g. "OK123456786".
//
// The check digit uses the Damm algorithm: the digits are fed through a
// totally anti-symmetric quasigroup of order 10 (dammTable), starting from
// interim 0, and the check digit is the interim after the body, so a whole
// valid id reduces to 0. Because every row and every column of the table is
// a permutation, changing any single digit changes the result; because the
// quasigroup is weakly totally anti-symmetric ((c∗x)∗y = (c∗y)∗x only when
// x = y), swapping any two adjacent, different digits changes it too. Unlike
// Luhn, Damm catches every adjacent transposition (Luhn misses 09 ↔ 90) and
// needs no weights. The tests check both properties on the table itself.
type WalletID string

const (
	walletIDPrefix = "OK"
	walletIDDigits = 9
)

// dammTable is the order-10 quasigroup of H. M. Damm's thesis (2004).
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammCheck returns the Damm interim digit of an ASCII digit string: the
// check digit to append to a body, or 0 for a body with a valid check digit.
func dammCheck(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = dammTable[interim][digits[i]-'0']
	}
	return interim
}

// NewWalletID returns a random wallet id with its check digit. Ids are not
// guaranteed unique; the store refuses a taken one and Open draws again.
func NewWalletID() WalletID {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		panic("wallet: random wallet id: " + err.Error()) // crypto/rand does not fail
	}
	body := n.String()
	body = strings.Repeat("0", 8-len(body)) + body
	return WalletID(walletIDPrefix + body + string('0'+dammCheck(body)))
}

// ParseWalletID reads a wallet id as people type or paste it: it ignores
// spaces (including full-width and no-break spaces) and dashes, accepts the
// prefix in any case, and full-width letters and digits. It checks the
// check digit before anything is looked up, so a mistyped id is rejected,
// never paid. Errors: ErrInvalidWalletID (not OK + 9 digits),
// ErrWalletIDCheckDigit (the check digit does not match).
func ParseWalletID(s string) (WalletID, error) {
	if len(s) > 64 {
		return "", refuse(CodeInvalidWalletID, "too long")
	}
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != len(walletIDPrefix)+walletIDDigits || !strings.EqualFold(s[:2], walletIDPrefix) {
		return "", refuse(CodeInvalidWalletID, "want OK and %d digits", walletIDDigits)
	}
	digits := s[2:]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", refuse(CodeInvalidWalletID, "want OK and %d digits", walletIDDigits)
		}
	}
	if dammCheck(digits) != 0 {
		return "", ErrWalletIDCheckDigit
	}
	return WalletID(walletIDPrefix + digits), nil
}

// Valid reports whether id is in canonical form with a right check digit.
func (id WalletID) Valid() bool {
	p, err := ParseWalletID(string(id))
	return err == nil && p == id
}

func (id WalletID) String() string { return string(id) }

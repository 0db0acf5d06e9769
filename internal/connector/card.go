package connector

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Brand is a card network.
type Brand string

// The brands OKPay takes.
const (
	BrandVisa       Brand = "visa"
	BrandMastercard Brand = "mastercard"
	BrandAmex       Brand = "amex"
	BrandUnionPay   Brand = "unionpay"
	BrandJCB        Brand = "jcb"
)

// brands lists every Brand, for validating configuration.
var brands = []Brand{BrandVisa, BrandMastercard, BrandAmex, BrandUnionPay, BrandJCB}

// Card is what a customer types to pay by card. It is the only type in
// OKPay holding a full card number and security code; it exists only for the
// length of one request and is never stored. Printing it with fmt, logging
// it with log/slog or encoding it as JSON shows only the brand and the last
// four digits.
type Card struct {
	// Number as typed; spaces and hyphens are ignored.
	Number string
	// ExpMonth is 1 to 12.
	ExpMonth int
	// ExpYear is the four-digit year (two digits are read as 20xx).
	ExpYear int
	// CVC is the security code: three digits, four for American Express.
	CVC string
}

func (*Card) rail() Rail { return RailCard }

// CardDetails is what may be kept and shown about a card.
type CardDetails struct {
	Brand    Brand
	Last4    string
	ExpMonth int
	ExpYear  int
}

// redacted describes c without its secrets: "visa ****4242".
func (c Card) redacted() string {
	digits, ok := cardDigits(c.Number)
	if !ok || len(digits) < 4 {
		return "card ****"
	}
	b := DetectBrand(digits)
	if b == "" {
		b = "card"
	}
	return string(b) + " ****" + digits[len(digits)-4:]
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s)
// prints the number or the security code.
func (c Card) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.redacted()) }

// LogValue implements slog.LogValuer with the redacted form.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.redacted()) }

// MarshalJSON encodes the redacted form, never the number.
func (c Card) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

// cardDigits strips the spaces and hyphens people type in card numbers and
// reports whether what is left is 12 to 19 ASCII digits.
func cardDigits(number string) (string, bool) {
	b := make([]byte, 0, 19)
	for i := range len(number) {
		switch ch := number[i]; {
		case ch == ' ' || ch == '-':
		case ch >= '0' && ch <= '9':
			if len(b) == 19 {
				return "", false
			}
			b = append(b, ch)
		default:
			return "", false
		}
	}
	return string(b), len(b) >= 12
}

// LuhnValid reports whether digits, a string of ASCII digits, passes the
// Luhn (mod 10) check that every card number carries in its last digit.
func LuhnValid(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		ch := digits[i]
		if ch < '0' || ch > '9' {
			return false
		}
		d := int(ch - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// DetectBrand returns the brand of a card number (ASCII digits) from its
// issuer identification prefix and length, or "" if it is none OKPay takes.
func DetectBrand(digits string) Brand {
	n := len(digits)
	prefix := func(k int) int {
		if n < k {
			return -1
		}
		v := 0
		for i := range k {
			ch := digits[i]
			if ch < '0' || ch > '9' {
				return -1
			}
			v = v*10 + int(ch-'0')
		}
		return v
	}
	switch p2, p4 := prefix(2), prefix(4); {
	case prefix(1) == 4 && (n == 13 || n == 16 || n == 19):
		return BrandVisa
	case (p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720) && n == 16:
		return BrandMastercard
	case (p2 == 34 || p2 == 37) && n == 15:
		return BrandAmex
	case p2 == 62 && n >= 16 && n <= 19:
		return BrandUnionPay
	case p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19:
		return BrandJCB
	}
	return ""
}

// maxExpiryYears bounds how far in the future an expiry date may lie; issuers
// print at most a few years ahead, so more is a typing mistake.
const maxExpiryYears = 20

// checkCard validates a card the way a network does before asking the
// issuer: number format, Luhn check digit, brand, expiry (cards are valid
// through the last day of their expiry month, in UTC) and security-code
// length. It returns the digits, the brand and the normalised expiry year.
func checkCard(c *Card, now time.Time) (digits string, brand Brand, year int, err *Error) {
	if c == nil {
		return "", "", 0, newError(CodeInvalidRequest, "no card")
	}
	digits, ok := cardDigits(c.Number)
	if !ok || !LuhnValid(digits) {
		return "", "", 0, newError(CodeIncorrectNumber, "the card number is not valid")
	}
	brand = DetectBrand(digits)
	if brand == "" {
		return "", "", 0, newError(CodeCardNotSupported, "the card brand is not supported")
	}
	year = c.ExpYear
	if year >= 0 && year < 100 {
		year += 2000
	}
	now = now.UTC()
	if c.ExpMonth < 1 || c.ExpMonth > 12 || year < 2000 || year > now.Year()+maxExpiryYears {
		return "", "", 0, newError(CodeInvalidExpiry, "the expiry date is not valid")
	}
	if firstAfter := time.Date(year, time.Month(c.ExpMonth)+1, 1, 0, 0, 0, 0, time.UTC); !now.Before(firstAfter) {
		return "", "", 0, newError(CodeExpiredCard, "the card has expired")
	}
	want := 3
	if brand == BrandAmex {
		want = 4
	}
	if len(c.CVC) != want || !allDigits(c.CVC) {
		return "", "", 0, newError(CodeIncorrectCVC, fmt.Sprintf("the security code must be %d digits", want))
	}
	return digits, brand, year, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

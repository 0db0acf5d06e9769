// Package redacttest finds what the sensitive-data guard must never let
// through, for the tests that scan stored data and logs after a run.
package redacttest

import (
	"regexp"
	"strings"

	"github.com/okpay/okpay/internal/connector"
)

// digitRun is a run of digits, possibly grouped by single spaces or
// hyphens as people type card numbers.
var digitRun = regexp.MustCompile(`\d(?:[ -]?\d)*`)

// CardLike returns the Luhn-valid runs of 13 to 19 digits in s.
func CardLike(s string) []string {
	var found []string
	for _, run := range digitRun.FindAllString(s, -1) {
		d := strings.NewReplacer(" ", "", "-", "").Replace(run)
		if len(d) >= 13 && len(d) <= 19 && connector.LuhnValid(d) {
			found = append(found, d)
		}
	}
	return found
}

// CVCLike reports whether s holds cvc as a number of its own, not inside
// a longer run of letters or digits (as in a random token).
func CVCLike(s, cvc string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], cvc)
		if j < 0 {
			return false
		}
		j += i
		if !alnum(s, j-1) && !alnum(s, j+len(cvc)) {
			return true
		}
		i = j + 1
	}
}

func alnum(s string, k int) bool {
	if k < 0 || k >= len(s) {
		return false
	}
	c := s[k]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

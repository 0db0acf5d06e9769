// Package redact is the sensitive-data guard (SUP-8): it masks full card
// numbers, card security codes, passwords and Chinese resident identity
// numbers in free text, so that support messages, chat lines, forum posts
// and logs never store or show them, and it says what it found so the
// customer can be told, once, not to send such things.
//
// What is masked, and how:
//
//   - Card numbers: 13 to 19 digits that pass the Luhn check, written in
//     one run or in up to six groups separated by single spaces or hyphens
//     (ASCII, full-width or no-break), in ASCII or full-width digits. They
//     become the first six digits (the BIN, which names the bank), one "*"
//     per hidden digit and the last four, in ASCII without separators:
//     "4242 4242 4242 4242" is "424242******4242". Not masked, because they
//     are not card numbers or are something else more often: runs starting
//     with 0; runs glued to an ASCII letter ("SF1234567890123", an order or
//     parcel id) or after "+" (a phone number); runs of more than 19
//     digits; a single run shaped like a timestamp (13 digits starting with
//     1: milliseconds since 1970, up to 2033; 14 or 17 digits reading as
//     yyyyMMddHHmmss[SSS] in 1900..2099). No card number has those shapes.
//   - Security codes: 3 or 4 digits right after CVC, CVV, CVV2, CVC2, CID,
//     CSC, "security code", "card verification code/value", 安全码, or
//     验证码/校验码 when a card word (卡, card, visa, master) is just before
//     it. The digits become "*" each: "CVV: ***".
//   - Passwords: the word after 密码, 口令 (optionally followed by 是, 为, ":"
//     or "="), or after password, passwd, passcode, pwd or PIN followed by
//     ":", "=", "is" or "was". The secret runs to the next white space,
//     Chinese character or Chinese punctuation, without trailing sentence
//     punctuation, and becomes "******" (six stars whatever its length).
//     Common words ("my password is not working") are not secrets.
//   - Chinese resident identity numbers: 18 characters (province code,
//     valid birth date, ISO 7064 MOD 11-2 check character, last may be X)
//     or the old 15-digit form (province code, valid birth date). They keep
//     the first six and last four characters, in ASCII with an upper-case
//     X: "110105********002X".
//
// Invariants it keeps: Text is idempotent (masking masked text changes
// nothing), never lengthens a digit run, and never leaves a Luhn-valid run
// of 13 to 19 digits in its output other than the shapes listed above as
// not card numbers.
package redact

import (
	"strings"
)

// Findings is the set of kinds of sensitive data Text found.
type Findings uint8

// The kinds of sensitive data.
const (
	Card Findings = 1 << iota
	CVC
	Password
	IDNumber
)

// Has reports whether f includes every kind in k.
func (f Findings) Has(k Findings) bool { return k != 0 && f&k == k }

// String lists the kinds, such as "card,cvc"; "" when none.
func (f Findings) String() string {
	var names []string
	for _, k := range []struct {
		f    Findings
		name string
	}{{Card, "card"}, {CVC, "cvc"}, {Password, "password"}, {IDNumber, "id_number"}} {
		if f&k.f != 0 {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, ",")
}

// maxPasses bounds the passes to a fixed point; every pass that changes
// the text hides digits or secrets for good, so the bound is never
// reached in practice.
const maxPasses = 100

// Text returns s with card numbers, security codes, passwords and identity
// numbers masked, and which kinds it found. Masking is repeated until
// nothing changes, so that Text(Text(s)) == Text(s) even where masking one
// number brings two others next to each other. Text without findings is
// returned as it is; in text with findings, bytes that are not UTF-8
// become U+FFFD.
func Text(s string) (string, Findings) {
	var all Findings
	for range maxPasses {
		next, f := pass(s)
		all |= f
		if next == s {
			break
		}
		s = next
	}
	return s, all
}

func pass(s string) (string, Findings) {
	var f Findings
	rs := []rune(s)
	var found bool
	if rs, found = maskIDs(rs); found {
		f |= IDNumber
	}
	if rs, found = maskCards(rs); found {
		f |= Card
	}
	if rs, found = maskCVCs(rs); found {
		f |= CVC
	}
	if rs, found = maskPasswords(rs); found {
		f |= Password
	}
	if f == 0 {
		return s, 0
	}
	return string(rs), f
}

// digit returns the value of an ASCII or full-width digit.
func digit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r >= '０' && r <= '９':
		return byte(r - '０'), true
	}
	return 0, false
}

func isDigit(r rune) bool { _, ok := digit(r); return ok }

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// edit replaces rs[at.start:at.end] by with.
type edit struct {
	at   span
	with string
}

// apply makes the edits, which are in order and do not overlap, in one
// copy.
func apply(rs []rune, edits []edit) []rune {
	if len(edits) == 0 {
		return rs
	}
	out := make([]rune, 0, len(rs))
	last := 0
	for _, e := range edits {
		out = append(out, rs[last:e.at.start]...)
		out = append(out, []rune(e.with)...)
		last = e.at.end
	}
	return append(out, rs[last:]...)
}

// digitsOf returns the ASCII digits of rs[i:j], skipping anything else.
func digitsOf(rs []rune, i, j int) []byte {
	var d []byte
	for _, r := range rs[i:j] {
		if v, ok := digit(r); ok {
			d = append(d, '0'+v)
		}
	}
	return d
}

// keepEnds masks all but the first six and last four characters.
func keepEnds(s []byte) string {
	n := len(s)
	return string(s[:6]) + strings.Repeat("*", n-10) + string(s[n-4:])
}

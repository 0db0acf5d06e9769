package auth

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Role is a global role. Staff roles are ordered: customer < agent <
// supervisor < admin. A merchant's team is a per-merchant membership, not
// a role.
type Role string

// Roles.
const (
	RoleCustomer   Role = "customer"
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleCustomer:
		return 1
	case RoleAgent:
		return 2
	case RoleSupervisor:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is min or above it; an invalid role is below
// everything.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// ParseRole parses a role name. Errors: *ValidationError.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", invalid("role", CodeInvalid)
	}
	return r, nil
}

// Status is an account's state.
type Status string

// Statuses.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// User is an account.
type User struct {
	ID              int64
	Email           string // normalised
	Phone           string // E.164 or empty
	PasswordHash    string // empty: no password set (cannot sign in)
	Status          Status
	Role            Role
	Locale          string // "zh-CN" or "en"
	EmailVerifiedAt time.Time
	CreatedAt       time.Time
}

// EmailVerified reports whether the user proved they own the email.
func (u User) EmailVerified() bool { return !u.EmailVerifiedAt.IsZero() }

// Input limits.
const (
	MaxEmailLen    = 254 // RFC 5321 path limit
	maxLocalLen    = 64
	MinPasswordLen = 8   // runes, after NFC
	MaxPasswordLen = 128 // runes, after NFC
	maxInputBytes  = 4096
	maxMetaLen     = 512 // IP, user agent, device label
)

// NormalizeEmail trims s, applies NFC and lower-cases it, and checks it is
// a plausible address: one @, a local part of at most 64 bytes without
// spaces or control characters, and a domain of dot-separated labels.
// Lower-casing the local part is a deliberate choice: no mainstream
// provider distinguishes case there, and two accounts differing only in
// case would invite confusion and lockout evasion.
// Errors: *ValidationError (field "email").
func NormalizeEmail(s string) (string, error) {
	if len(s) > maxInputBytes {
		return "", invalid("email", CodeTooLong)
	}
	if !utf8.ValidString(s) {
		return "", invalid("email", CodeInvalidUTF8)
	}
	s = strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
	if s == "" {
		return "", invalid("email", CodeRequired)
	}
	if len(s) > MaxEmailLen {
		return "", invalid("email", CodeTooLong)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return "", invalid("email", CodeInvalid)
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > maxLocalLen || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", invalid("email", CodeInvalid)
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return "", invalid("email", CodeInvalid)
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", invalid("email", CodeInvalid)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", invalid("email", CodeInvalid)
		}
		for _, r := range l {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x80) {
				return "", invalid("email", CodeInvalid)
			}
		}
	}
	return s, nil
}

// NormalizePhone accepts an E.164 number ("+8613800138000"), ignoring
// spaces, dashes and parentheses; empty stays empty.
// Errors: *ValidationError (field "phone").
func NormalizePhone(s string) (string, error) {
	if len(s) > 64 {
		return "", invalid("phone", CodeTooLong)
	}
	if !utf8.ValidString(s) {
		return "", invalid("phone", CodeInvalidUTF8)
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if s[0] != '+' || len(s) < 8 || len(s) > 16 || s[1] == '0' {
		return "", invalid("phone", CodeInvalid)
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return "", invalid("phone", CodeInvalid)
		}
	}
	return s, nil
}

// NormalizeLocale maps a language tag to a supported locale: "en..." is
// English, everything else Simplified Chinese (the default).
func NormalizeLocale(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") {
		return "en"
	}
	return "zh-CN"
}

// clampMeta makes request metadata (IP, user agent) safe to store: valid
// UTF-8, bounded. It is never refused: a hostile user agent must not keep
// a failure out of the counters.
func clampMeta(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxMetaLen {
		return s
	}
	cut := maxMetaLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

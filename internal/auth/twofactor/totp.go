package twofactor

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"time"
)

// Algorithm is the HMAC hash of a one-time password.
type Algorithm string

// The algorithms of RFC 6238. Enrolment uses SHA1: it is what every
// authenticator app implements.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// TOTP parameters used for enrolment.
const (
	Period = 30 * time.Second
	Digits = 6
	// Skew is how many steps either side of now a code is accepted for.
	Skew = 1
)

func (a Algorithm) hash() func() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	default:
		return sha1.New
	}
}

// HOTP returns the RFC 4226 one-time password of secret for counter, with
// digits decimal digits (6 to 10), computed with alg.
func HOTP(secret []byte, counter uint64, alg Algorithm, digits int) string {
	m := hmac.New(alg.hash(), secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint64(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, uint64(v)%mod)
}

// Step returns the RFC 6238 time step of t for a period.
func Step(t time.Time, period time.Duration) int64 {
	return t.Unix() / int64(period/time.Second)
}

// TOTPCode returns the RFC 6238 code of secret at time t.
func TOTPCode(secret []byte, t time.Time, alg Algorithm, digits int, period time.Duration) string {
	return HOTP(secret, uint64(Step(t, period)), alg, digits)
}

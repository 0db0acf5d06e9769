package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 4096)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
})

// IsCommonPassword reports whether p (case-insensitively) is on the
// embedded list of most common passwords.
func IsCommonPassword(p string) bool {
	_, ok := commonPasswords()[strings.ToLower(norm.NFC.String(p))]
	return ok
}

// ValidatePassword applies OWASP ASVS 2.1: at least 8 and at most 128
// characters (runes, after NFC; so 64 is always allowed), any characters
// including spaces and emoji, no composition rules, and not one of the
// most common passwords. It returns the NFC form to hash, so the same
// password typed on two keyboards hashes the same.
// Errors: *ValidationError (field "password").
func ValidatePassword(p string) (string, error) {
	if p == "" {
		return "", invalid("password", CodeRequired)
	}
	if len(p) > maxInputBytes {
		return "", invalid("password", CodeTooLong)
	}
	if !utf8.ValidString(p) {
		return "", invalid("password", CodeInvalidUTF8)
	}
	p = norm.NFC.String(p)
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen {
		return "", invalid("password", CodeTooShort)
	}
	if n > MaxPasswordLen {
		return "", invalid("password", CodeTooLong)
	}
	if IsCommonPassword(p) {
		return "", invalid("password", CodeCommon)
	}
	return p, nil
}

// Hasher hashes and checks passwords. Service calls Verify exactly once per
// login attempt that reaches the password check, known email or not.
type Hasher interface {
	// Hash returns an encoded hash of password (with its parameters and
	// salt). Errors: the context's, when it waited too long for a slot.
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches encoded. Errors:
	// ErrBadHash for an encoding it cannot read; the context's.
	Verify(ctx context.Context, encoded, password string) (bool, error)
}

// ErrBadHash: a stored hash in a format the hasher cannot read.
var ErrBadHash = errors.New("auth: unreadable password hash")

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// ProductionArgon2 are the production parameters: 64 MiB, 3 passes, 2
// lanes. This is above OWASP's argon2id minimums (19 MiB/t=2 or 12 MiB/t=3)
// and costs about 50-100 ms of one core on current server hardware, which
// bounds an offline attacker while keeping a login cheap. Memory is the
// dominant defence against GPUs, which is why it, not passes, is high; and
// why concurrent hashes are capped (NewArgon2 MaxConcurrent): 64 MiB × a
// burst of 1,000 logins would otherwise be 64 GiB.
var ProductionArgon2 = Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// TestArgon2 are cheap parameters for tests only.
var TestArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Argon2 is the argon2id Hasher. Hashes are PHC strings
// ($argon2id$v=19$m=..,t=..,p=..$salt$key), so parameters can be raised
// later and old hashes still verify with their own.
type Argon2 struct {
	p   Argon2Params
	sem chan struct{}
}

// NewArgon2 returns an argon2id hasher with params p that runs at most
// maxConcurrent hashes at once (<= 0: runtime.NumCPU()); further callers
// wait for a slot or their context.
func NewArgon2(p Argon2Params, maxConcurrent int) *Argon2 {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	if p.SaltLen <= 0 {
		p.SaltLen = 16
	}
	if p.KeyLen == 0 {
		p.KeyLen = 32
	}
	return &Argon2{p: p, sem: make(chan struct{}, maxConcurrent)}
}

func (a *Argon2) acquire(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: waiting to hash: %w", ctx.Err())
	}
}

func (a *Argon2) release() { <-a.sem }

// Hash implements Hasher.
func (a *Argon2) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, a.p.SaltLen)
	rand.Read(salt)
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, a.p.Time, a.p.Memory, a.p.Threads, a.p.KeyLen)
	a.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.p.Memory, a.p.Time, a.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify implements Hasher.
func (a *Argon2) Verify(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, key, err := decodeArgon2(encoded)
	if err != nil {
		return false, err
	}
	if err := a.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	a.release()
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func decodeArgon2(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrBadHash
	}
	// Refuse absurd parameters from a corrupt row rather than allocate them.
	if p.Memory == 0 || p.Memory > 4*1024*1024 || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return p, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}

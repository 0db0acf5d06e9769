// Package secretbox seals secrets kept at rest (TOTP seeds, webhook secrets,
// bank account numbers, ...) with AES-256-GCM under a key derived from the
// platform master key.
//
// Invariants it keeps:
//   - Each purpose ("totp", "webhook", ...) has its own subkey, derived from
//     the master key with HKDF-SHA256, so a ciphertext of one purpose never
//     opens as another's and a leaked subkey exposes one kind of secret only.
//   - Every ciphertext starts with a key version byte, so the master key can
//     be rotated later: Open picks the key by version, Seal uses the newest.
//   - Nonces are 96 random bits, fresh for every Seal.
//   - The associated data binds a ciphertext to the row it belongs to
//     ("totp:user:42"): copied into another row it fails to open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Errors returned by the package.
var (
	// ErrInvalidKey: the master key is not 32 bytes, or the purpose is empty.
	ErrInvalidKey = errors.New("secretbox: invalid key")
	// ErrOpen: the ciphertext was altered, belongs to another row or
	// purpose, was sealed under another key, or has an unknown version.
	ErrOpen = errors.New("secretbox: cannot open")
)

// Version is the key version Seal writes today.
const Version byte = 1

const nonceSize = 12

// Box seals and opens the secrets of one purpose. It is safe for
// concurrent use.
type Box struct {
	purpose string
	keys    map[byte]cipher.AEAD
	current byte
}

// New returns the box for purpose under masterKey (32 bytes).
// Errors: ErrInvalidKey.
func New(masterKey []byte, purpose string) (*Box, error) {
	return NewVersions(map[byte][]byte{Version: masterKey}, Version, purpose)
}

// NewVersions returns a box that seals under masterKeys[current] and opens
// ciphertexts of any version in masterKeys: the shape of a key rotation.
// Errors: ErrInvalidKey.
func NewVersions(masterKeys map[byte][]byte, current byte, purpose string) (*Box, error) {
	if purpose == "" {
		return nil, fmt.Errorf("%w: empty purpose", ErrInvalidKey)
	}
	if _, ok := masterKeys[current]; !ok {
		return nil, fmt.Errorf("%w: no key of version %d", ErrInvalidKey, current)
	}
	b := &Box{purpose: purpose, keys: make(map[byte]cipher.AEAD, len(masterKeys)), current: current}
	for v, mk := range masterKeys {
		if len(mk) != 32 {
			return nil, fmt.Errorf("%w: master key of version %d is %d bytes, want 32", ErrInvalidKey, v, len(mk))
		}
		sub, err := hkdf.Key(sha256.New, mk, nil, "okpay secretbox v1 "+purpose, 32)
		if err != nil {
			return nil, fmt.Errorf("secretbox: derive key: %w", err)
		}
		block, err := aes.NewCipher(sub)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		b.keys[v] = aead
	}
	return b, nil
}

// Seal encrypts plaintext bound to ad, the name of the row it belongs to.
// The result is version || nonce || ciphertext || tag.
func (b *Box) Seal(plaintext []byte, ad string) ([]byte, error) {
	aead := b.keys[b.current]
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+aead.Overhead())
	out[0] = b.current
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	return aead.Seal(out, out[1:1+nonceSize], plaintext, b.additional(b.current, ad)), nil
}

// Open decrypts what Seal returned for the same ad.
// Errors: ErrOpen.
func (b *Box) Open(sealed []byte, ad string) ([]byte, error) {
	if len(sealed) < 1+nonceSize {
		return nil, ErrOpen
	}
	aead, ok := b.keys[sealed[0]]
	if !ok || len(sealed) < 1+nonceSize+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], b.additional(sealed[0], ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// additional authenticates the version byte and the purpose as well as the
// row: a version byte flipped to another key's fails too.
func (b *Box) additional(v byte, ad string) []byte {
	out := make([]byte, 0, 2+len(b.purpose)+1+len(ad))
	out = append(out, v)
	out = append(out, b.purpose...)
	out = append(out, 0)
	return append(out, ad...)
}

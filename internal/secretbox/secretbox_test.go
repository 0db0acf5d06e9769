package secretbox_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/secretbox"
)

func mustBox(tb testing.TB, key byte, purpose string) *secretbox.Box {
	tb.Helper()
	b, err := secretbox.New(bytes.Repeat([]byte{key}, 32), purpose)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := mustBox(t, 1, "totp")
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		ct, err := b.Seal(pt, "totp:user:42")
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 3 && bytes.Contains(ct, pt[:4]) {
			t.Errorf("ciphertext contains the plaintext")
		}
		got, err := b.Open(ct, "totp:user:42")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open = %q, want %q", got, pt)
		}
	}
	c1, _ := b.Seal([]byte("same"), "a")
	c2, _ := b.Seal([]byte("same"), "a")
	if bytes.Equal(c1, c2) {
		t.Errorf("two seals of the same plaintext are equal: nonce reused")
	}
	if c1[0] != secretbox.Version {
		t.Errorf("version byte = %d, want %d", c1[0], secretbox.Version)
	}
}

func TestOpenRefuses(t *testing.T) {
	b := mustBox(t, 1, "totp")
	ct, err := b.Seal([]byte("JBSWY3DPEHPK3PXP"), "totp:user:42")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	cases := []struct {
		name string
		box  *secretbox.Box
		ct   []byte
		ad   string
	}{
		{"tampered body", b, flip(len(ct) / 2), "totp:user:42"},
		{"tampered tag", b, flip(len(ct) - 1), "totp:user:42"},
		{"tampered nonce", b, flip(1), "totp:user:42"},
		{"tampered version", b, flip(0), "totp:user:42"},
		{"truncated", b, ct[:10], "totp:user:42"},
		{"empty", b, nil, "totp:user:42"},
		{"other row", b, ct, "totp:user:43"},
		{"wrong master key", mustBox(t, 2, "totp"), ct, "totp:user:42"},
		{"other purpose", mustBox(t, 1, "webhook"), ct, "totp:user:42"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.box.Open(tc.ct, tc.ad); !errors.Is(err, secretbox.ErrOpen) {
				t.Errorf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := secretbox.New(k1, "totp")
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := old.Seal([]byte("s"), "r")
	rotated, err := secretbox.NewVersions(map[byte][]byte{1: k1, 2: k2}, 2, "totp")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(ct, "r"); err != nil || string(got) != "s" {
		t.Errorf("Open old version = %q, %v; want s", got, err)
	}
	nct, _ := rotated.Seal([]byte("s"), "r")
	if nct[0] != 2 {
		t.Errorf("rotated Seal version = %d, want 2", nct[0])
	}
	if _, err := old.Open(nct, "r"); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("old box opened a version-2 ciphertext: %v", err)
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	if _, err := secretbox.New(make([]byte, 16), "totp"); !errors.Is(err, secretbox.ErrInvalidKey) {
		t.Errorf("16-byte key: %v, want ErrInvalidKey", err)
	}
	if _, err := secretbox.New(make([]byte, 32), ""); !errors.Is(err, secretbox.ErrInvalidKey) {
		t.Errorf("empty purpose: %v, want ErrInvalidKey", err)
	}
}

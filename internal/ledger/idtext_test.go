package ledger_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/ledger"
)

func TestBase32RoundTrip(t *testing.T) {
	ids := []ledger.ID{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	for range 1000 {
		ids = append(ids, ledger.NewID())
	}
	for i, id := range ids {
		s := id.Base32()
		if len(s) != 26 {
			t.Fatalf("Base32(%x) = %q, want 26 characters", id, s)
		}
		got, ok := ledger.ParseBase32(s)
		if !ok || got != id {
			t.Fatalf("ParseBase32(Base32(%x)) = %x, %v", id, got, ok)
		}
		// The encoding keeps the byte order, so time-ordered ids sort by time.
		if i > 0 {
			prev := ids[i-1]
			if bytes.Compare(prev[:], id[:]) != strings.Compare(prev.Base32(), s) {
				t.Errorf("encodings of %x and %x do not sort as the ids", prev, id)
			}
		}
	}
	for _, bad := range []string{"", "8zzzzzzzzzzzzzzzzzzzzzzzzz", "0000000000000000000000000u", "000000000000000000000000000"} {
		if _, ok := ledger.ParseBase32(bad); ok {
			t.Errorf("ParseBase32(%q) accepted", bad)
		}
	}
	s, id := ledger.NewPrefixedID("pi_")
	if got, ok := ledger.ParsePrefixed("pi_", s); !ok || got != id {
		t.Errorf("ParsePrefixed(%q) = %x, %v; want %x", s, got, ok, id)
	}
	if _, ok := ledger.ParsePrefixed("re_", s); ok {
		t.Errorf("a pi_ id parsed as re_")
	}
}

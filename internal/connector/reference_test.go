package connector

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// knownRef is a reference built from fixed values, so tests can spell it.
var knownRef = referenceFrom([]byte{7, 20, 2, 19, 9, 23, 29, 4})

func TestNewReference(t *testing.T) {
	form := regexp.MustCompile(`^OKP[0-9A-HJKMNP-TV-Z]{9}$`)
	seen := make(map[Reference]bool)
	for range 2000 {
		r := NewReference()
		if !form.MatchString(r.String()) {
			t.Fatalf("NewReference() = %q, want OKP and nine Crockford characters", r)
		}
		if got, err := ParseReference(r.String()); err != nil || got != r {
			t.Fatalf("ParseReference(%q) = %q, %v", r, got, err)
		}
		if got, err := ParseReference(r.Display()); err != nil || got != r {
			t.Fatalf("ParseReference(%q) = %q, %v", r.Display(), got, err)
		}
		if seen[r] {
			t.Fatalf("NewReference repeated %q", r)
		}
		seen[r] = true
	}
	if got, want := knownRef.String(), "OKP7M2K9QX4"; !strings.HasPrefix(got, want) {
		t.Fatalf("knownRef = %q, want prefix %q", got, want)
	}
	if got := knownRef.Display(); got != knownRef.String()[:3]+" "+knownRef.String()[3:6]+" "+knownRef.String()[6:9]+" "+knownRef.String()[9:] {
		t.Errorf("Display() = %q", got)
	}
}

// TestReferenceCheckCatchesTypos proves the check character's promise on
// many references: every single substituted character and every swap of
// two adjacent different characters (check character included) is refused.
func TestReferenceCheckCatchesTypos(t *testing.T) {
	refs := []Reference{knownRef}
	for range 200 {
		refs = append(refs, NewReference())
	}
	for _, r := range refs {
		body := []byte(r.String()[len(referencePrefix):])
		for i := range body {
			orig := body[i]
			for _, c := range []byte(crockford) {
				if c == orig {
					continue
				}
				body[i] = c
				if _, err := ParseReference(referencePrefix + string(body)); !errors.Is(err, ErrInvalidReference) {
					t.Fatalf("%s with %q at %d accepted", r, c, i)
				}
			}
			body[i] = orig
		}
		for i := 0; i+1 < len(body); i++ {
			if body[i] == body[i+1] {
				continue
			}
			body[i], body[i+1] = body[i+1], body[i]
			if _, err := ParseReference(referencePrefix + string(body)); !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("%s with positions %d and %d swapped accepted", r, i, i+1)
			}
			body[i], body[i+1] = body[i+1], body[i]
		}
	}
}

func TestParseReference(t *testing.T) {
	k := knownRef.String()
	lowerDashed := strings.ToLower(k[:3] + "-" + k[3:7] + "-" + k[7:])
	tests := []struct {
		in string
		ok bool
	}{
		{k, true},
		{" " + knownRef.Display() + " ", true},
		{lowerDashed, true},
		{"0" + k[1:], true}, // O typed as zero
		{toFullWidth(k), true},
		{k[:len(k)-1], false},        // check character missing
		{k + "Z", false},             // one too many
		{"OKQ" + k[3:], false},       // wrong prefix
		{k[:5] + "U" + k[6:], false}, // U is not in the alphabet
		{k + " extra", false},        // trailing text
		{"", false},
		{strings.Repeat("OKP", 100), false},
	}
	for _, tt := range tests {
		got, err := ParseReference(tt.in)
		if tt.ok && (err != nil || got != knownRef) {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", tt.in, got, err, knownRef)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidReference) {
			t.Errorf("ParseReference(%q) = %q, %v; want ErrInvalidReference", tt.in, got, err)
		}
	}
	// Crockford's look-alikes: I and L read as 1, O as 0.
	r := referenceFrom([]byte{1, 0, 1, 0, 1, 0, 1, 0})
	alias := "okp" + "iOlOIoLo" + strings.ToLower(r.String()[11:])
	if got, err := ParseReference(alias); err != nil || got != r {
		t.Errorf("ParseReference(%q) = %q, %v; want %q", alias, got, err, r)
	}
}

func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r <= '~' {
			return r + 0xfee0
		}
		return r
	}, s)
}

func TestFindReference(t *testing.T) {
	k := knownRef.String()
	other := referenceFrom([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	broken := k[:len(k)-1] + string(crockford[(strings.IndexByte(crockford, k[len(k)-1])+1)%32])
	tests := []struct {
		name, text string
		want       Reference
	}{
		{"alone", k, knownRef},
		{"in a sentence", "Deposit " + k + " thank you", knownRef},
		{"grouped", "Payment ref " + knownRef.Display() + ".", knownRef},
		{"lower case with dashes", "payment " + strings.ToLower(k[:3]+"-"+k[3:7]+"-"+k[7:11]+"-"+k[11:]), knownRef},
		{"split over remittance lines", "REF " + k[:7] + " " + k[7:] + " INV 2026/17", knownRef},
		{"glued after text", "/RFB/" + k + "/", knownRef},
		{"chinese text", "充值" + k + "谢谢", knownRef},
		{"full width", "充值：" + toFullWidth(k), knownRef},
		{"repeated", k + " " + knownRef.Display(), knownRef},
		{"check fails", "Deposit " + broken, ""},
		{"two different", k + " and " + other.String(), ""},
		{"broken and valid", broken + " " + other.String(), other},
		{"followed by letters", k + "INVOICE", ""},
		{"none", "Salary March 2026", ""},
		{"prefix only", "OKP", ""},
		{"far apart", "OKP    7M2K 9QX4", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FindReference(tt.text)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("FindReference(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
			}
		})
	}
}

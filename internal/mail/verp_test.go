package mail_test

import (
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/mail"
)

func TestVERPRoundTrip(t *testing.T) {
	v, err := mail.NewVERP("okpay.example", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	addr := v.Address(42)
	if !strings.HasPrefix(addr, "bounce+42-") || !strings.HasSuffix(addr, "@okpay.example") {
		t.Fatalf("return path %q", addr)
	}
	for _, a := range []string{addr, strings.ToUpper(addr), "<" + addr + ">"} {
		if id, ok := v.Parse(a); !ok || id != 42 {
			t.Errorf("Parse(%q) = %d, %v; want 42, true", a, id, ok)
		}
	}
	other, _ := mail.NewVERP("okpay.example", []byte("another key of thirty-two bytes!"))
	tag := addr[len("bounce+42-"):strings.IndexByte(addr, '@')]
	for _, a := range []string{
		other.Address(42),                     // another key
		"bounce+43-" + tag + "@okpay.example", // another id, this tag
		strings.Replace(addr, "okpay.example", "evil.example", 1),
		"bounce+42@okpay.example",
		"bounce+042-" + tag + "@okpay.example",
		"support@okpay.example",
		"",
	} {
		if id, ok := v.Parse(a); ok {
			t.Errorf("Parse(%q) = %d, true; want refused", a, id)
		}
	}
	if !v.IsReturnPath("bounce+1-x@okpay.example") || v.IsReturnPath("support@okpay.example") {
		t.Error("IsReturnPath")
	}
	if _, err := mail.NewVERP("okpay.example", []byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

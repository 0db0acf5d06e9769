package connector

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMethods(t *testing.T) {
	cfg := DefaultAvailability()
	everywhere := []Method{{Rail: RailCard}, {Rail: RailBankTransfer}, {Rail: RailEWallet}}
	china := []Method{{Rail: RailCard, Brands: []Brand{BrandUnionPay}}, {Rail: RailBankTransfer}, {Rail: RailEWallet}}
	tests := []struct {
		country string
		want    []Method
	}{
		{"CN", china},
		{"cn", china},
		{" CN ", china},
		{"DE", everywhere},
		{"US", everywhere},
		{"", everywhere},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Methods(tt.country, cfg)); diff != "" {
			t.Errorf("Methods(%q) (-want +got):\n%s", tt.country, diff)
		}
	}

	// The result is the caller's to change.
	ms := Methods("CN", cfg)
	ms[0].Brands[0] = BrandVisa
	ms[1].Rail = RailEWallet
	if diff := cmp.Diff(china, Methods("CN", cfg)); diff != "" {
		t.Errorf("changing a result changed the configuration:\n%s", diff)
	}
}

func TestCheckMethod(t *testing.T) {
	cfg := DefaultAvailability()
	tests := []struct {
		country string
		rail    Rail
		brand   Brand
		ok      bool
	}{
		{"CN", RailCard, BrandUnionPay, true},
		{"CN", RailCard, "", true},
		{"CN", RailCard, BrandVisa, false},
		{"CN", RailBankTransfer, "", true},
		{"FR", RailCard, BrandVisa, true},
		{"FR", RailCard, BrandJCB, true},
		{"FR", RailEWallet, "", true},
	}
	for _, tt := range tests {
		err := CheckMethod(tt.country, cfg, tt.rail, tt.brand)
		if tt.ok && err != nil {
			t.Errorf("CheckMethod(%s, %s, %s) = %v", tt.country, tt.rail, tt.brand, err)
		}
		if !tt.ok && CodeOf(err) != CodeMethodNotAvailable {
			t.Errorf("CheckMethod(%s, %s, %s) = %v, want method_not_available", tt.country, tt.rail, tt.brand, err)
		}
	}
	onlyBank := Availability{Default: []Method{{Rail: RailBankTransfer}}}
	if err := CheckMethod("DE", onlyBank, RailEWallet, ""); CodeOf(err) != CodeMethodNotAvailable {
		t.Errorf("e-wallet where only bank transfer is offered: %v", err)
	}
}

func TestParseAvailability(t *testing.T) {
	good := `{"default":[{"rail":"card"}],"countries":{"JP":[{"rail":"card","brands":["jcb","visa"]},{"rail":"bank_transfer"}]}}`
	a, err := ParseAvailability([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if got := Methods("jp", a); len(got) != 2 || len(got[0].Brands) != 2 {
		t.Errorf("Methods(jp) = %+v", got)
	}
	tests := []struct{ name, json, want string }{
		{"unknown field", `{"default":[],"extra":1}`, "unknown field"},
		{"unknown rail", `{"default":[{"rail":"cash"}]}`, `unknown rail "cash"`},
		{"unknown brand", `{"default":[{"rail":"card","brands":["diners"]}]}`, `unknown card brand "diners"`},
		{"brand on bank", `{"default":[{"rail":"bank_transfer","brands":["visa"]}]}`, "brands on the bank_transfer rail"},
		{"twice", `{"default":[{"rail":"card"},{"rail":"card"}]}`, `rail "card" listed twice`},
		{"bad country", `{"default":[],"countries":{"China":[]}}`, `country "China" is not`},
		{"lower-case country", `{"default":[],"countries":{"cn":[]}}`, `country "cn" is not`},
		{"trailing", `{"default":[]} {}`, "text after"},
		{"not json", `default: card`, "invalid character"},
	}
	for _, tt := range tests {
		_, err := ParseAvailability([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want ...%s...", tt.name, err, tt.want)
		}
	}
}

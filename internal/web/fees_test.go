package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/web"
)

// TestFeesPageFromTheSchedule: the page shows what the schedule charges,
// in the reader's language: a changed schedule changes the page.
func TestFeesPageFromTheSchedule(t *testing.T) {
	sched, err := fees.Load(strings.NewReader(`{"effective": "2027-01-01", "entries": [
	  {"kind": "transfer", "payer": "sender", "payer_may_choose": true, "rounding": "half_up",
	   "tiers": [{"from_volume_usd": "0", "percent": "1.5"}, {"from_volume_usd": "5000.00", "percent": "0.75"}],
	   "currencies": [{"currency": "CNY", "fixed": "1.00", "min": "2.00", "max": "99.00"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	h := mustSite(t, web.Options{Fees: sched}).Handler()
	zh := do(t, h, request{target: "/fees"})
	body := bodyOf(t, zh)
	if zh.StatusCode != http.StatusOK {
		t.Fatalf("GET /fees = %d", zh.StatusCode)
	}
	for _, want := range []string{"收费标准", "2027-01-01", "转账", "1.5%", "0.75%", "¥1.00", "¥2.00", "¥99.00", "US$5,000.00 及以上", "转账时可选择由谁支付"} {
		if !strings.Contains(body, want) {
			t.Errorf("fee page lacks %q", want)
		}
	}
	if strings.Contains(body, "fee-conversion") {
		t.Error("the page shows a kind the schedule does not have")
	}
	en := bodyOf(t, do(t, h, request{target: "/fees", headers: map[string]string{"Accept-Language": "en"}}))
	for _, want := range []string{"Sending money", "CN¥99.00", "$5,000.00 and above"} {
		if !strings.Contains(en, want) {
			t.Errorf("English fee page lacks %q", want)
		}
	}
	// The default schedule has every kind.
	def := bodyOf(t, do(t, mustSite(t, web.Options{}).Handler(), request{target: "/fees"}))
	for _, k := range fees.Default().Kinds() {
		if !strings.Contains(def, `id="fee-`+string(k)+`"`) {
			t.Errorf("default fee page lacks kind %s", k)
		}
	}
}

package web_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserMerchantReportsAndPayout: a merchant's owner, reading
// Chinese, opens the reports from the dashboard's tabs and sees the chart
// drawn, downloads the CSV (the day's volume in it), requests a payout of
// part of the balance to a bank account, sees it on its way, and once
// the platform's clock has passed its business day sees it paid. With
// OKPAY_SCREENSHOTS=1 it refreshes docs/screenshots/merchant-reports-zh.png and
// merchant-payouts-zh.png.
func TestBrowserMerchantReportsAndPayout(t *testing.T) {
	st, base, clk := serveWithdrawals(t)
	owner := st.mustSignUp(t, "owner@shop.example", "a long quiet river", "zh-CN")
	acc := st.mustMerchant(t, owner.ID, "Tea House")
	st.mustPaid(t, acc, "buyer@example.com", 120_00)

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, b, base, owner.Email, "a long quiet river")
	b.Navigate(base + "/merchant/" + acc.MerchantID + "?mode=live")
	b.ClickAndWait("#tab-reports")
	if !strings.Contains(b.Text("h2"), "报表") {
		t.Fatalf("the reports page reads %q", b.Text("main"))
	}
	drawn := browsertest.Eval[bool](b, `(function(){var s=document.querySelector("#report-USD svg.chart");
		if(!s)return false;var r=s.getBoundingClientRect();return r.width>200&&r.height>80&&s.querySelectorAll("rect.bar").length>0})()`)
	if !drawn {
		t.Error("the chart is not drawn")
	}
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "merchant-reports-zh.png"))
	}
	// On a phone the page does not scroll sideways (tables scroll in
	// their frame; the chart scales).
	b.SetViewport(375, 740)
	b.Navigate(b.Location())
	if scroll := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); scroll > 375 {
		t.Errorf("the reports page is %dpx wide on a 375px screen", scroll)
	}
	if w := browsertest.Eval[float64](b, `document.querySelector("#report-USD svg.chart").getBoundingClientRect().width`); w > 375 || w < 200 {
		t.Errorf("the chart is %.0fpx wide on a 375px screen", w)
	}
	b.SetViewport(1280, 900)
	title := browsertest.Eval[string](b, `document.querySelector("#chart-usd-title").textContent`)
	if !strings.Contains(title, "USD") || !strings.Contains(title, "每日") {
		t.Errorf("chart title %q", title)
	}
	href, ok := b.Attr("#report-csv", "href")
	if !ok || !strings.Contains(href, "reports.csv") {
		t.Fatalf("CSV link %q", href)
	}
	body := browsertest.Eval[string](b, `(function(){var x=new XMLHttpRequest();x.open("GET",`+jsString(href)+`,false);x.send();return x.responseText})()`)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	day := withdrawStart.In(shanghaiZone(t)).Format(time.DateOnly)
	found := false
	for _, r := range recs {
		if len(r) == 9 && r[0] == day && r[1] == "USD" && r[2] == "total" && r[5] == "120.00" {
			found = true
		}
	}
	if !found {
		t.Errorf("the CSV has no total of 120.00 on %s:\n%s", day, body)
	}

	b.ClickAndWait("#tab-payouts")
	if os.Getenv("OKPAY_SCREENSHOTS") == "1" {
		b.Screenshot(filepath.Join(screenshotsDir, "merchant-payouts-zh.png"))
	}
	b.Fill("#payout-amount", "50.00")
	b.Fill("#payout-iban", "DE89 3704 0044 0532 0130 00")
	b.Fill("#payout-holder", "茶馆有限公司")
	b.ClickAndWait("#payout-submit")
	if got := b.Text("#status"); got != "转账中" {
		t.Fatalf("the payout reads %q:\n%s", got, b.Text("main"))
	}
	page := b.Location()
	clk.Add(7 * 24 * time.Hour)
	waitForStatus(t, b, base, owner.Email, page, "已到账")
}

func shanghaiZone(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

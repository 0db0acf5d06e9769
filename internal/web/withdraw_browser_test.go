package web_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// withdrawStart is a Wednesday, 10:00 in Shanghai.
var withdrawStart = time.Date(2026, 11, 4, 2, 0, 0, 0, time.UTC)

// serveWithdrawals serves the stack with its job runner on a platform
// clock standing at withdrawStart (and ticking), which the test moves on.
func serveWithdrawals(t *testing.T) (*stack, string, *clock.Offset) {
	t.Helper()
	clk := clock.NewOffset(time.Now)
	clk.Set(withdrawStart)
	st, srv := serveWithMailbox(t, web.Options{Development: true, Now: clk.Now, DevClock: clk})
	return st, srv.URL, clk
}

// withdrawInBrowser fills the withdrawal form, checks the confirmation
// page's fee and total, and confirms.
func withdrawInBrowser(t *testing.T, b *browsertest.Browser, base, method, account, holder, amount, wantFee, wantTotal string) {
	t.Helper()
	b.Navigate(base + "/wallet/withdraw")
	b.Click("#method-" + method)
	b.Fill("#account", account)
	if holder != "" {
		b.Fill("#holder", holder)
	}
	b.Fill("#amount", amount)
	browsertest.Eval[bool](b, `(document.querySelector("#currency").value = "CNY", true)`)
	b.ClickAndWait("#withdraw-continue")
	if got := b.Text("#quote-fee"); got != wantFee {
		t.Fatalf("confirmation shows fee %q, want %q:\n%s", got, wantFee, b.Text("main"))
	}
	if got := b.Text("#quote-total"); got != wantTotal {
		t.Errorf("confirmation shows total %q, want %q", got, wantTotal)
	}
	if got := b.Text("#quote-expected"); got == "" {
		t.Error("confirmation shows no expected date")
	}
	b.ClickAndWait("#withdraw-confirm")
}

// waitForStatus signs in again (a week later the session has ended) and
// reloads the page until #status reads want.
func waitForStatus(t *testing.T, b *browsertest.Browser, base, email, url, want string) {
	t.Helper()
	browserLogin(t, b, base, email, "a long quiet river")
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.Navigate(url)
		if got := b.Text("#status"); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed status %q:\n%s", url, want, b.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserWithdrawSettleCancel: a bank withdrawal is held at once and
// shows its expected date; a second one (e-wallet) is canceled and its
// hold released; the settlement job pays the first once the platform's
// clock reaches its business day; the history page and the CSV export
// agree on it.
func TestBrowserWithdrawSettleCancel(t *testing.T) {
	st, base, clk := serveWithdrawals(t)
	u := st.mustSignUp(t, "lei@example.com", "a long quiet river", "zh-CN")
	st.mustDeposit(t, u.ID, money.Amount{Minor: 500_00, Currency: money.MustCurrency("CNY")})

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, b, base, "lei@example.com", "a long quiet river")
	withdrawInBrowser(t, b, base, "bank", "DE89 3704 0044 0532 0130 00", "李雷", "100", "¥2.00", "¥102.00")
	if got := b.Text("#done"); !strings.Contains(got, "款项已冻结") {
		t.Fatalf("after withdrawing the page says %q:\n%s", got, b.Text("main"))
	}
	if got := b.Text("#status"); got != "处理中" {
		t.Errorf("status %q, want 处理中", got)
	}
	if got := b.Text("#to"); !strings.Contains(got, "DE89 •••• 3000") || strings.Contains(got, "0532") {
		t.Errorf("destination shown as %q, want the IBAN masked", got)
	}
	if got := b.Text("#expected"); !strings.Contains(got, "2026") {
		t.Errorf("expected date %q", got)
	}
	bankURL, _, _ := strings.Cut(b.Location(), "?")

	withdrawInBrowser(t, b, base, "ewallet", "alice@wallet.test", "", "50", "¥1.00", "¥51.00")
	b.Navigate(base + "/wallet")
	if got := b.Text(`#balances tr[data-currency="CNY"] .available`); got != "¥347.00" {
		t.Errorf("available %q, want ¥347.00 (500 - 102 - 51 held)", got)
	}
	b.Navigate(base + "/wallet/withdraw")
	b.ClickAndWait("#withdrawals tbody tr:first-child a")
	b.ClickAndWait("#withdrawal-cancel")
	if got := b.Text("#status"); got != "已取消" {
		t.Fatalf("after canceling the status is %q:\n%s", got, b.Text("main"))
	}
	if browsertest.Eval[bool](b, `!!document.querySelector("#withdrawal-cancel")`) {
		t.Error("a canceled withdrawal still offers to cancel")
	}
	b.Navigate(base + "/wallet")
	if got := b.Text(`#balances tr[data-currency="CNY"] .available`); got != "¥398.00" {
		t.Errorf("available after cancel %q, want ¥398.00", got)
	}

	// A week later the bank has paid; the job notices.
	clk.Add(7 * 24 * time.Hour)
	waitForStatus(t, b, base, "lei@example.com", bankURL, "已到账")
	b.Navigate(base + "/wallet")
	if got := b.Text(`#balances tr[data-currency="CNY"] .available`); got != "¥398.00" {
		t.Errorf("available after payout %q, want ¥398.00", got)
	}

	b.Navigate(base + "/wallet/history")
	id := bankURL[strings.LastIndex(bankURL, "/")+1:]
	row := b.Text(`table.movements tr:has(a[href="/wallet/movements/` + id + `"])`)
	for _, want := range []string{"提现", "-¥100.00", "¥2.00", "已完成", "DE89 •••• 3000"} {
		if !strings.Contains(row, want) {
			t.Errorf("history row lacks %q: %q", want, row)
		}
	}
	canceledRow := b.Text(`table.movements tr:has(.badge.status-canceled)`)
	if !strings.Contains(canceledRow, "已取消") || !strings.Contains(canceledRow, "¥50.00") {
		t.Errorf("history shows the canceled withdrawal as %q", canceledRow)
	}
	body := browsertest.Eval[string](b, `(function(){var x=new XMLHttpRequest();x.open("GET","/wallet/history.csv",false);x.send();return x.responseText})()`)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	found := false
	for _, r := range recs[1:] {
		if r[1] != id {
			continue
		}
		found = true
		if r[2] != "withdrawal" || r[3] != "completed" || r[4] != "CNY" || r[5] != "-100.00" || r[6] != "2.00" || r[7] != "-102.00" || r[13] == "" {
			t.Errorf("CSV row %v disagrees with the history page", r)
		}
	}
	if !found {
		t.Errorf("the CSV has no row %s:\n%s", id, body)
	}
	b.Navigate(base + "/wallet/statement?month=2026-11")
	if got := b.Text("main"); !strings.Contains(got, "¥398.00") {
		t.Errorf("the November statement does not close at ¥398.00:\n%s", got)
	}
}

// TestBrowserWithdrawFailedTellsUser: a payout the bank fails releases the
// money; the withdrawal page says why, and so does the email in the dev
// mailbox, whose link leads back to the page.
func TestBrowserWithdrawFailedTellsUser(t *testing.T) {
	st, base, clk := serveWithdrawals(t)
	u := st.mustSignUp(t, "han@example.com", "a long quiet river", "zh-CN")
	st.mustDeposit(t, u.ID, money.Amount{Minor: 300_00, Currency: money.MustCurrency("CNY")})

	b := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, b, base, "han@example.com", "a long quiet river")
	withdrawInBrowser(t, b, base, "bank", "DE62370400440532013001", "韩梅梅", "200", "¥2.00", "¥202.00")
	pageURL, _, _ := strings.Cut(b.Location(), "?")
	if got, _ := st.wallet.Balance(context.Background(), u.ID, "CNY"); got.Available.Minor != 98_00 || got.Pending.Minor != 202_00 {
		t.Errorf("after withdrawing: available %d held %d", got.Available.Minor, got.Pending.Minor)
	}

	clk.Add(7 * 24 * time.Hour)
	waitForStatus(t, b, base, "han@example.com", pageURL, "失败")
	if got := b.Text("#failure"); !strings.Contains(got, "收款账户已关闭") || !strings.Contains(got, "已全部退回") {
		t.Errorf("the failed withdrawal says %q", got)
	}
	b.Navigate(base + "/wallet")
	if got := b.Text(`#balances tr[data-currency="CNY"] .available`); got != "¥300.00" {
		t.Errorf("available after the failure %q, want ¥300.00", got)
	}

	openNewestMail(t, b, base, "提现未能完成")
	if b.Location() != pageURL {
		t.Errorf("the mail's link leads to %s, want %s", b.Location(), pageURL)
	}
	if got := b.Text("#status"); got != "失败" {
		t.Errorf("the page from the mail shows %q", got)
	}
	b.Navigate(base + "/dev/mailbox")
	b.ClickAndWait("table.list tbody tr a")
	if got := b.Text("main"); !strings.Contains(got, "收款账户已关闭") || !strings.Contains(got, "¥202.00") {
		t.Errorf("the mail does not say why or what came back:\n%s", got)
	}
}

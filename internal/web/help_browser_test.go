package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserHelpCentre: a visitor searches the help centre in Chinese,
// opens the article found first and says it helped; a staff member sees
// the vote, edits the article and publishes it, and the visitor sees the
// change; on the support form, articles are suggested as the customer
// types.
func TestBrowserHelpCentre(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	ctx := context.Background()
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "zh-CN", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}

	v := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	v.Navigate(srv.URL + "/")
	v.ClickAndWait(".site-nav a[href='/help']")
	if got := v.Text("h1"); got != "帮助中心" {
		t.Fatalf("help page heading %q", got)
	}
	v.Type("#help-q", "退款")
	v.ClickAndWait("#help-search-submit")
	if got := v.Text("#help-results li:first-child .help-result-title"); !strings.Contains(got, "支付失败") {
		t.Fatalf("first result for 退款: %q (all: %q)", got, v.Text("#help-results"))
	}
	if got := v.Text("#help-results li:first-child mark"); got != "退款" {
		t.Errorf("marked match %q, want 退款", got)
	}
	v.ClickAndWait("#help-results li:first-child .help-result-title")
	if got := v.Text("#help-title"); got != "支付失败、重复扣款与退款" {
		t.Fatalf("article title %q", got)
	}
	if got := v.Text("#help-body"); !strings.Contains(got, "申请退款") {
		t.Errorf("article body: %q", got)
	}
	v.ClickAndWait("#help-yes")
	if got := v.Text("#help-voted"); !strings.Contains(got, "谢谢您的反馈") {
		t.Fatalf("after voting: %q", got)
	}

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "agent@okpay.test", "staff pass phrase")
	a.Navigate(srv.URL + "/staff/help")
	if got := a.Text("tr[data-slug='payment-failed'] .helpful"); got != "1" {
		t.Errorf("helpful count for staff %q, want 1", got)
	}
	a.ClickAndWait("tr[data-slug='payment-failed'] a")
	a.Fill("#title_zh-CN", "支付失败、扣了两次钱怎么办")
	a.ClickAndWait("#help-save")
	if got := a.Text("#staff-notice"); !strings.Contains(got, "草稿已保存") {
		t.Fatalf("after saving a draft: %q", got)
	}
	v.Navigate(srv.URL + "/help/payment-failed")
	if got := v.Text("#help-title"); got != "支付失败、重复扣款与退款" {
		t.Errorf("the public sees the draft: %q", got)
	}
	a.ClickAndWait("#help-publish")
	if got := a.Text("#staff-notice"); !strings.Contains(got, "已发布") {
		t.Fatalf("after publishing: %q", got)
	}
	v.Navigate(srv.URL + "/help/payment-failed")
	if got := v.Text("#help-title"); got != "支付失败、扣了两次钱怎么办" {
		t.Errorf("the public does not see the published change: %q", got)
	}
	v.Navigate(srv.URL + "/help/search?q=" + "扣了两次")
	if got := v.Text("#help-results li:first-child .help-result-title"); got != "支付失败、扣了两次钱怎么办" {
		t.Errorf("search after publishing: %q", got)
	}

	// Suggestions while writing a ticket: the page's own script asks as
	// the subject is typed.
	v.Navigate(srv.URL + "/support")
	if got := v.Text("#help-suggest-list"); got != "" {
		t.Errorf("suggestions before typing: %q", got)
	}
	v.Type("#subject", "提现一直没有到账")
	if got := v.Text("#help-suggest-list a[href='/help/withdrawal-process']"); !strings.Contains(got, "提现") {
		t.Errorf("suggested article: %q", got)
	}
	if got := v.Text("#help-suggest-status"); !strings.Contains(got, "可能有帮助") {
		t.Errorf("suggestion status: %q", got)
	}
}

// TestBrowserHelpOnPhone: the help pages fit a 375px phone in both
// languages (no sideways scrolling), search box and results included.
func TestBrowserHelpOnPhone(t *testing.T) {
	_, srv := serveWithMailbox(t, web.Options{Development: true})
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := browsertest.New(t, browsertest.Options{Width: 375, Height: 667, AcceptLanguage: lang})
			for _, path := range []string{"/help", "/help/search?q=%E9%80%80%E6%AC%BE+refund", "/help/official-site-and-emails", "/support?help_q=2FA"} {
				b.Navigate(srv.URL + path)
				if scroll := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); scroll > 375 {
					t.Errorf("%s: page is %dpx wide on a 375px phone", path, scroll)
				}
			}
		})
	}
}

package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// uploadIn chooses a file in the page's file input and submits the form.
func uploadIn(t *testing.T, b *browsertest.Browser, level, path string) int {
	t.Helper()
	if err := chromedp.Do(b.Context(), chromedp.SetUploadFiles(chromedp.CSS("#doc-file"), []string{path})); err != nil {
		t.Fatalf("choose file: %v", err)
	}
	browsertest.Eval[bool](b, `(document.querySelector("#doc-level").value = "`+level+`", true)`)
	return b.ClickAndWait("#doc-submit")
}

// TestBrowserVerification: a customer uploads a passport; an agent
// approves it in the review queue; the customer's limits page shows the
// higher level and limits. A business document is rejected, and the
// customer reads the reason on the same page.
func TestBrowserVerification(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	st.mustSignUp(t, "wen@example.com", "a long quiet river", "zh-CN")
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: "agent@okpay.test",
		Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "en", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	passport := filepath.Join(dir, "passport.png")
	if err := os.WriteFile(passport, pngBytes(t), 0o600); err != nil {
		t.Fatal(err)
	}

	c := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, c, srv.URL, "wen@example.com", "a long quiet river")
	c.Navigate(srv.URL + "/account/limits")
	if got := c.Text("#kyc-level"); !strings.Contains(got, "未认证") {
		t.Fatalf("a new customer's level reads %q", got)
	}
	uploadIn(t, c, "verified", passport)
	if got := c.Text("#kyc-uploaded"); !strings.Contains(got, "已收到您的证件") {
		t.Fatalf("after the upload the page says %q:\n%s", got, c.Text("main"))
	}
	if got := c.Text("#documents"); !strings.Contains(got, "审核中") || !strings.Contains(got, "护照") && !strings.Contains(got, "居民身份证") {
		t.Errorf("the document list reads %q", got)
	}

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "en"})
	browserLogin(t, a, srv.URL, "agent@okpay.test", "staff pass phrase")
	a.Navigate(srv.URL + "/staff/kyc")
	id := browsertest.Eval[string](a, `document.querySelector("#kyc-queue tbody tr").id.replace("review-", "")`)
	if !strings.HasPrefix(id, "doc_") {
		t.Fatalf("the queue shows no document:\n%s", a.Text("main"))
	}
	a.ClickAndWait("#approve-" + id)
	if got := a.Text("#staff-notice"); !strings.Contains(got, "level has been raised") {
		t.Fatalf("after approving the page says %q", got)
	}

	c.Navigate(srv.URL + "/account/limits")
	if got := c.Text("#kyc-level"); !strings.Contains(got, "已认证") {
		t.Errorf("after approval the level reads %q", got)
	}
	if got := c.Text("#limits"); !strings.Contains(got, "US$20,000.00") {
		t.Errorf("after approval the limits read %q", got)
	}

	// A business licence, rejected with a reason the customer reads.
	uploadIn(t, c, "business", passport)
	a.Navigate(srv.URL + "/staff/kyc")
	id = browsertest.Eval[string](a, `document.querySelector("#kyc-queue tbody tr").id.replace("review-", "")`)
	a.Fill("#reason-"+id, "营业执照照片不清晰，请重新拍摄后上传。")
	a.ClickAndWait("#reject-" + id)
	c.Navigate(srv.URL + "/account/limits")
	if got := c.Text("#doc-" + id); !strings.Contains(got, "未通过") || !strings.Contains(got, "营业执照照片不清晰，请重新拍摄后上传。") {
		t.Errorf("the rejected document reads %q", got)
	}
	if got := c.Text("#kyc-level"); !strings.Contains(got, "已认证") {
		t.Errorf("after the rejection the level reads %q", got)
	}
}

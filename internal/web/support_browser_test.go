package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// screenshotPNG is a small real PNG, as a customer's screenshot.
func screenshotPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for x := 0; x < 24; x++ {
		img.Set(x, 8, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// attachFile puts a file into a file input, as choosing it would.
func attachFile(t *testing.T, b *browsertest.Browser, selector, name, ctype string, data []byte) {
	t.Helper()
	js := `(() => { const d = atob("` + base64.StdEncoding.EncodeToString(data) + `");
		const u = new Uint8Array(d.length); for (let i = 0; i < d.length; i++) u[i] = d.charCodeAt(i);
		const dt = new DataTransfer(); dt.items.add(new File([u], "` + name + `", {type: "` + ctype + `"}));
		document.querySelector("` + selector + `").files = dt.files; return true; })()`
	if !browsertest.Eval[bool](b, js) {
		t.Fatal("could not attach the file")
	}
}

// TestBrowserSupportTicket: a customer opens a ticket with a screenshot
// (and, carelessly, their card number and password); an agent sees it,
// masked, with the customer's context beside it, and replies; the
// customer sees the reply and rates the help once it is solved.
func TestBrowserSupportTicket(t *testing.T) {
	st, srv := serveWithMailbox(t, web.Options{Development: true})
	ctx := context.Background()
	st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	if _, err := st.auth.CreateUser(ctx, auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "zh-CN", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}

	c := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, c, srv.URL, "mei@example.com", "a long quiet river")
	c.Navigate(srv.URL + "/support")
	browsertest.Eval[bool](c, `(document.querySelector("#category").value = "payment_failure", true)`)
	c.Fill("#subject", "充值失败")
	c.Fill("#body", "我用卡 4242 4242 4242 4242 充值失败了，密码是 Hunter2secret 安全码 CVV 739，请帮我看看。")
	attachFile(t, c, "#files", "截图.png", "image/png", screenshotPNG(t))
	c.ClickAndWait("#support-submit")
	number := strings.TrimPrefix(c.Text("#ticket-number"), "#")
	if number == "" {
		t.Fatalf("no ticket page after submitting:\n%s", c.Text("main"))
	}
	if got := c.Text("#masked-notice"); !strings.Contains(got, "已自动遮盖") {
		t.Errorf("masked notice: %q", got)
	}
	if got := c.Text("#timeline"); strings.Contains(got, "4242 4242 4242 4242") || !strings.Contains(got, "424242******4242") || strings.Contains(got, "Hunter2secret") {
		t.Errorf("customer's own message is not masked: %q", got)
	}

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "agent@okpay.test", "staff pass phrase")
	a.Navigate(srv.URL + "/agent?view=unassigned")
	if got := a.Text("#queue"); !strings.Contains(got, "#"+number) || !strings.Contains(got, "mei@example.com") {
		t.Fatalf("unassigned queue: %q", got)
	}
	a.ClickAndWait("#queue a[href='/agent/tickets/" + number + "']")
	if got := a.Text("#customer-context"); !strings.Contains(got, "mei@example.com") || !strings.Contains(got, "未锁定") || !strings.Contains(got, "未开启") || !strings.Contains(got, "未认证") || !strings.Contains(got, "风控冻结与报告\n无") {
		t.Errorf("customer context: %q", got)
	}
	if got := a.Text("#timeline"); !strings.Contains(got, "424242******4242") || strings.Contains(got, "Hunter2secret") || !strings.Contains(got, "截图.png") {
		t.Errorf("agent's timeline: %q", got)
	}
	if got := a.Text("#sla"); !strings.Contains(got, "首次答复") {
		t.Errorf("SLA: %q", got)
	}
	a.Fill("#reply-body", "您好，卡片被发卡行拒绝了，请换一张卡再试。")
	browsertest.Eval[bool](a, `(document.querySelector("#then").value = "solved", true)`)
	a.ClickAndWait("#reply-send")
	if got := a.Text("#agent-notice"); !strings.Contains(got, "回复已发送") {
		t.Fatalf("after reply: %q", got)
	}

	c.Navigate(srv.URL + "/support/tickets/" + number)
	if got := c.Text("#timeline"); !strings.Contains(got, "请换一张卡再试") {
		t.Fatalf("customer does not see the reply: %q", got)
	}
	if got := c.Text("#ticket-status"); got != "已解决" {
		t.Errorf("status shown to the customer: %q", got)
	}
	c.Click("#rating-5")
	c.Fill("#comment", "很快，谢谢")
	c.ClickAndWait("#rate-submit")
	if got := c.Text("#rated"); !strings.Contains(got, "5") {
		t.Errorf("after rating: %q", got)
	}
	a.Navigate(srv.URL + "/agent/tickets/" + number)
	if got := a.Text("#ticket-rating"); !strings.Contains(got, "5/5") {
		t.Errorf("agent sees rating %q", got)
	}
	// The mail the customer got is threaded on the ticket.
	a.Navigate(srv.URL + "/dev/mailbox")
	if got := a.Text("main"); !strings.Contains(got, "[#"+number+"]") {
		t.Errorf("dev mailbox has no mail about #%s: %q", number, got)
	}
	assertNoCardData(t, st.db, st.logs.String(), "739")
	for _, secret := range []string{"Hunter2secret"} {
		assertNoSecret(t, st, secret)
	}
}

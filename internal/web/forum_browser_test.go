package web_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// TestBrowserForum: a customer asks in the community (carelessly with
// her card number), another answers, she accepts the answer; an agent
// answers too and sees the official badge on his reply; a spam reply is
// reported, lands in the moderation queue, and the agent hides it, after
// which readers no longer see it.
func TestBrowserForum(t *testing.T) {
	st := newForumStack(t, web.Options{Development: true})
	st.user(t, "mei@example.com", auth.RoleCustomer)
	st.user(t, "tom@example.com", auth.RoleCustomer)
	st.user(t, "spam@example.com", auth.RoleCustomer)
	st.user(t, "agent@okpay.test", auth.RoleAgent)
	st.begin()
	srv := httptest.NewServer(st.handler)
	t.Cleanup(srv.Close)
	zh := browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"}
	const password = "a long quiet river"

	mei := browsertest.New(t, zh)
	browserLogin(t, mei, srv.URL, "mei@example.com", password)
	mei.Navigate(srv.URL + "/community")
	mei.ClickAndWait("#new-topic")
	browsertest.Eval[bool](mei, `(document.querySelector("#category").value = "payments", true)`)
	mei.Fill("#title", "商家退款多久到账？")
	mei.Fill("#body", "我用卡 4242 4242 4242 4242 付的款，商家说昨天已经退款了。\n\n请问一般多久到账？")
	mei.ClickAndWait("#topic-submit")
	if got := mei.Text("#topic-title"); got != "商家退款多久到账？" {
		t.Fatalf("after posting: title %q\n%s", got, mei.Text("main"))
	}
	if got := mei.Text("#masked-notice"); !strings.Contains(got, "已自动遮盖") {
		t.Errorf("masked notice: %q", got)
	}
	if got := mei.Text("#posts"); strings.Contains(got, "4242 4242 4242 4242") || !strings.Contains(got, "424242******4242") {
		t.Errorf("the card number is not masked: %q", got)
	}
	topicURL := strings.SplitN(mei.Location(), "?", 2)[0]

	tom := browsertest.New(t, zh)
	browserLogin(t, tom, srv.URL, "tom@example.com", password)
	tom.Navigate(srv.URL + "/community?q=" + "%E9%80%80%E6%AC%BE") // 退款
	tom.ClickAndWait("#topics a")
	tom.Fill("#body", "原路退回一般 1 到 3 个工作日，信用卡可能更久。")
	tom.ClickAndWait("#reply-submit")
	if got := tom.Text("#notice"); !strings.Contains(got, "回复已发表") {
		t.Errorf("after replying: %q", got)
	}
	if n := strings.Count(tom.Text("#posts"), "采纳为答案"); n != 0 {
		t.Errorf("another member is offered to accept (%d buttons)", n)
	}

	spam := browsertest.New(t, zh)
	browserLogin(t, spam, srv.URL, "spam@example.com", password)
	spam.Navigate(topicURL)
	spam.Fill("#body", "加微信代办退款，当天到账！")
	spam.ClickAndWait("#reply-submit")

	var tomReply, spamReply int64
	ctx := context.Background()
	st.db.Read().QueryRow(ctx, "SELECT p.id FROM forum_posts p JOIN users u ON u.id = p.author_id WHERE u.email = 'tom@example.com'").Scan(&tomReply)
	st.db.Read().QueryRow(ctx, "SELECT p.id FROM forum_posts p JOIN users u ON u.id = p.author_id WHERE u.email = 'spam@example.com'").Scan(&spamReply)
	if tomReply == 0 || spamReply == 0 {
		t.Fatalf("replies not stored: %d %d", tomReply, spamReply)
	}
	tid, sid := strconv.FormatInt(tomReply, 10), strconv.FormatInt(spamReply, 10)

	// Mei accepts Tom's answer.
	mei.Navigate(topicURL)
	mei.ClickAndWait("#accept-" + tid)
	if got := mei.Text("#accepted"); !strings.Contains(got, "原路退回一般 1 到 3 个工作日") {
		t.Errorf("accepted answer box: %q", got)
	}
	if got := mei.Text("#p" + tid + " .accepted-badge"); got != "已采纳" {
		t.Errorf("accepted badge: %q", got)
	}

	// Tom reports the spam.
	tom.Navigate(topicURL)
	tom.Click("#report-" + sid)
	tom.Fill("#reason-"+sid, "广告，疑似诈骗")
	tom.ClickAndWait("#report-submit-" + sid)
	if got := tom.Text("#notice"); !strings.Contains(got, "感谢举报") {
		t.Errorf("after reporting: %q", got)
	}

	// The agent answers and sees his badge; the report is in the queue;
	// he hides the spam.
	agent := browsertest.New(t, zh)
	browserLogin(t, agent, srv.URL, "agent@okpay.test", password)
	agent.Navigate(topicURL)
	agent.Fill("#body", "您好，退款到账时间以发卡行为准。超过 7 个工作日未到账，请联系客服。")
	agent.ClickAndWait("#reply-submit")
	var agentReply int64
	st.db.Read().QueryRow(ctx, "SELECT p.id FROM forum_posts p JOIN users u ON u.id = p.author_id WHERE u.email = 'agent@okpay.test'").Scan(&agentReply)
	own := "#p" + strconv.FormatInt(agentReply, 10)
	if got := agent.Text(own + " .badge-staff"); got != "OKPay 官方" {
		t.Errorf("staff badge on the agent's own reply: %q", got)
	}
	if got := agent.Text(own + " .author"); got != "OKPay 客服" {
		t.Errorf("agent's name: %q", got)
	}
	if got := agent.Text("#p" + tid + " .post-meta"); strings.Contains(got, "OKPay 官方") {
		t.Errorf("a customer's reply carries the staff badge: %q", got)
	}
	agent.Navigate(srv.URL + "/community")
	agent.ClickAndWait("#moderation-link")
	queue := agent.Text("#queue")
	if !strings.Contains(queue, "加微信代办退款") || !strings.Contains(queue, "广告，疑似诈骗") || !strings.Contains(queue, "1 条举报") {
		t.Fatalf("moderation queue: %q", queue)
	}
	agent.Fill("#reason-"+sid, "广告")
	agent.ClickAndWait("#hide-" + sid)
	if got := agent.Text("#notice"); !strings.Contains(got, "已隐藏") {
		t.Errorf("after hiding: %q", got)
	}
	if got := agent.Text("#queue-empty"); got == "" {
		t.Error("the queue still lists the report")
	}
	agent.Navigate(topicURL)
	if got := agent.Text("#p" + sid); !strings.Contains(got, "只有工作人员能看到") {
		t.Errorf("staff view of the hidden post: %q", got)
	}

	tom.Navigate(topicURL)
	if got := tom.Text("#posts"); strings.Contains(got, "加微信") || !strings.Contains(got, "原路退回") || !strings.Contains(got, "以发卡行为准") {
		t.Errorf("reader's view after hiding: %q", got)
	}
	if n := st.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'forum_post_hidden'"); n != 1 {
		t.Errorf("hiding audited %d times", n)
	}
}

package web_test

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/web/browsertest"
)

// dropProxy stands between a browser and the server, as a load balancer
// would, and can cut every connection through it and refuse new ones
// (Down) until Up: a customer's network dropping.
type dropProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Down()
	})
	return p
}

func (p *dropProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *dropProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(c, s)
		go pipe(s, c)
	}
}

// Down cuts every connection and refuses new ones.
func (p *dropProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Up lets connections through again.
func (p *dropProxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// waitFor waits (bounded) until the JavaScript condition holds in b's
// page; the bound is a safety net, not a timing assertion.
func waitFor(t *testing.T, b *browsertest.Browser, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if browsertest.Eval[bool](b, "(() => { try { return !!("+cond+"); } catch (e) { return false; } })()") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; the page shows:\n%s", what, browsertest.Eval[string](b, "document.querySelector('main') ? document.querySelector('main').innerText : document.body.innerText"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func logHas(text string) string {
	return `document.querySelector("#chat-log").innerText.includes(` + jsString(text) + `)`
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// chatLog returns the texts of the chat's messages, in the order shown.
func chatLog(b *browsertest.Browser) []string {
	return browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll("#chat-log .chat-msg:not(.pending) .chat-text")).map(e => e.innerText)`)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if strings.Contains(x, s) {
			return i
		}
	}
	return -1
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// serveChat serves the stack (clock at clk) with a customer and an agent.
func serveChat(t *testing.T, clk *clock.Offset) (*stack, *httptest.Server) {
	t.Helper()
	st, srv := serveWithMailbox(t, web.Options{Development: true, Now: clk.Now})
	st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "zh-CN", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	return st, srv
}

// TestBrowserChat: a customer chats with an agent, each in their own
// browser; both see each other's messages in order, typing shows, card
// data is masked. The customer's connection drops: what the agent writes
// meanwhile, and what the customer wrote while cut off, arrives once
// they are back, once each and in order. The agent ends the chat and
// the customer has the transcript mailed.
func TestBrowserChat(t *testing.T) {
	clk := clock.NewOffset(time.Now)
	clk.Set(chatMonday10)
	st, srv := serveChat(t, clk)
	proxy := newDropProxy(t, srv.Listener.Addr().String())

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "agent@okpay.test", "staff pass phrase")
	a.Navigate(srv.URL + "/agent/chats")
	waitFor(t, a, "the agent's console to connect", `document.querySelector("#chat-queue").dataset.connected === "true"`)
	if got := a.Text("#chat-queue-empty"); !strings.Contains(got, "没有等待中的聊天") {
		t.Errorf("empty queue says %q", got)
	}

	c := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, c, proxy.URL(), "mei@example.com", "a long quiet river")
	c.Navigate(proxy.URL() + "/support")
	c.ClickAndWait("#chat-link a")
	if got := c.Text("#chat-availability"); !strings.Contains(got, "客服在线") {
		t.Errorf("availability before starting: %q", got)
	}
	c.Fill("#chat-body", "你好，我的提现还没到账")
	c.ClickAndWait("#chat-start-submit")
	waitFor(t, c, "the customer's socket", `document.querySelector("#chat").dataset.connected === "true"`)
	if got := c.Text("#chat-status"); !strings.Contains(got, "正在为您接入客服") {
		t.Errorf("status while waiting: %q", got)
	}

	// The waiting chat appears on the agent's console without a reload.
	waitFor(t, a, "the waiting chat in the queue", `document.querySelector("#chat-queue-rows").innerText.includes("mei@example.com")`)
	if got := a.Title(); !strings.HasPrefix(got, "(1) ") {
		t.Errorf("the console's title does not count the waiting chat: %q", got)
	}
	a.ClickAndWait("#chat-queue-rows tr[data-chat] button")
	waitFor(t, a, "the agent's chat socket", `document.querySelector("#chat").dataset.connected === "true"`)
	waitFor(t, a, "the customer's first message", logHas("你好，我的提现还没到账"))
	if got := a.Text("#chat-status"); !strings.Contains(got, "对话进行中") {
		t.Errorf("the agent's status: %q", got)
	}
	if got := a.Text("#chat-log"); !strings.Contains(got, "客户发起了聊天") || strings.Contains(got, "正在为您接入") {
		t.Errorf("the agent is shown the customer's words: %q", got)
	}
	waitFor(t, c, "the agent joining", logHas("客服已加入对话"))
	if got := c.Text("#chat-status"); !strings.Contains(got, "客服正在与您对话") {
		t.Errorf("status after the agent joined: %q", got)
	}

	a.Type("#chat-input", "Hello, let me check")
	waitFor(t, c, "the typing indicator", `!document.querySelector("#chat-typing").hidden`)
	if got := c.Text("#chat-typing"); !strings.Contains(got, "客服正在输入") {
		t.Errorf("typing indicator: %q", got)
	}
	a.Click("#chat-send")
	waitFor(t, c, "the agent's answer", logHas("Hello, let me check"))
	waitFor(t, c, "typing to stop", `document.querySelector("#chat-typing").hidden`)
	a.Type("#chat-input", "One moment please")
	waitFor(t, c, "the typing indicator again after a message", `!document.querySelector("#chat-typing").hidden`)
	a.Click("#chat-send")
	waitFor(t, c, "the agent's second answer", logHas("One moment please"))

	c.Type("#chat-input", "My card is 4242 4242 4242 4242")
	c.Click("#chat-send")
	waitFor(t, c, "the customer's own masked message", logHas("424242******4242"))
	waitFor(t, a, "the customer's masked message", logHas("424242******4242"))
	if got := c.Text("#chat-log .chat-msg.mine:last-child .chat-flag"); !strings.Contains(got, "已自动遮盖") {
		t.Errorf("the customer is not told their card number was masked: %q", got)
	}
	for _, b := range []*browsertest.Browser{a, c} {
		log := chatLog(b)
		if strings.Contains(strings.Join(log, "|"), "4242 4242 4242 4242") {
			t.Errorf("a browser shows the full card number: %q", log)
		}
		first, answer, card := indexOf(log, "提现还没到账"), indexOf(log, "Hello, let me check"), indexOf(log, "424242******4242")
		if !(first >= 0 && first < answer && answer < card) {
			t.Errorf("order seen: %q", log)
		}
	}

	// The customer's network drops.
	proxy.Down()
	waitFor(t, c, "the customer to notice the drop", `document.querySelector("#chat").dataset.connected === "false"`)
	if got := c.Text("#chat-status"); !strings.Contains(got, "正在重新连接") {
		t.Errorf("status while cut off: %q", got)
	}
	a.Type("#chat-input", "First, while you were away")
	a.Click("#chat-send")
	waitFor(t, a, "the agent's first message stored", logHas("First, while you were away"))
	a.Type("#chat-input", "Second, also while away")
	a.Click("#chat-send")
	waitFor(t, a, "the agent's second message stored", logHas("Second, also while away"))
	c.Type("#chat-input", "Are you still there?")
	c.Click("#chat-send")
	if got := chatLog(c); indexOf(got, "First, while") >= 0 {
		t.Fatalf("the customer saw a message while cut off: %q", got)
	}

	proxy.Up()
	waitFor(t, c, "the customer's socket back", `document.querySelector("#chat").dataset.connected === "true"`)
	waitFor(t, c, "the messages missed while away", logHas("Second, also while away"))
	waitFor(t, a, "the message written while cut off", logHas("Are you still there?"))
	waitFor(t, c, "the customer's own resent message", `document.querySelectorAll("#chat-log .pending").length === 0 && `+logHas("Are you still there?"))
	for name, b := range map[string]*browsertest.Browser{"agent": a, "customer": c} {
		log := chatLog(b)
		for _, m := range []string{"First, while you were away", "Second, also while away", "Are you still there?"} {
			if n := countOf(log, m); n != 1 {
				t.Errorf("%s sees %q %d times: %q", name, m, n, log)
			}
		}
		if indexOf(log, "First, while") > indexOf(log, "Second, also") {
			t.Errorf("%s sees the missed messages out of order: %q", name, log)
		}
	}
	seqs := browsertest.Eval[[]int](c, `Array.from(document.querySelectorAll("#chat-log .chat-msg[data-seq]")).map(e => +e.dataset.seq)`)
	for i := range seqs {
		if seqs[i] != i+1 {
			t.Fatalf("customer's messages by seq: %v", seqs)
		}
	}

	// The agent ends the chat; the customer's page follows.
	a.ClickAndWait("#chat-end")
	waitFor(t, c, "the end of the chat", `document.querySelector("#chat-status").innerText.includes("聊天已结束") && document.querySelector("#chat-start")`)
	if got := c.Text("#chat-log"); !strings.Contains(got, "客服结束了聊天") {
		t.Errorf("the customer is not told the agent ended the chat: %q", got)
	}
	c.ClickAndWait("#chat-transcript")
	if got := c.Text("#chat-notice"); !strings.Contains(got, "聊天记录已发送") {
		t.Errorf("after asking for the transcript: %q", got)
	}
	number := strings.TrimPrefix(strings.Fields(a.Text("#chat-ticket"))[1], "#")
	deadline := time.Now().Add(30 * time.Second)
	for {
		a.Navigate(srv.URL + "/dev/mailbox")
		if got := a.Text("main"); strings.Contains(got, "[#"+number+"]") && strings.Contains(got, "mei@example.com") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no transcript mail for #%s in the dev mailbox:\n%s", number, a.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The ticket keeps the conversation.
	a.Navigate(srv.URL + "/agent/tickets/" + number)
	if got := a.Text("#timeline"); !strings.Contains(got, "你好，我的提现还没到账") || !strings.Contains(got, "Second, also while away") || strings.Contains(got, "4242 4242 4242 4242") {
		t.Errorf("ticket timeline: %q", got)
	}
	assertNoCardData(t, st.db, st.logs.String())
}

// TestBrowserChatOffHours: outside service hours the chat becomes a
// ticket at once; the customer is told so, with the ticket's number, and
// no agent sees a chat waiting.
func TestBrowserChatOffHours(t *testing.T) {
	clk := clock.NewOffset(time.Now)
	clk.Set(time.Date(2026, 11, 22, 22, 0, 0, 0, time.FixedZone("CST", 8*3600))) // a Sunday night
	_, srv := serveChat(t, clk)

	a := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, a, srv.URL, "agent@okpay.test", "staff pass phrase")
	a.Navigate(srv.URL + "/agent/chats") // an agent is even online

	c := browsertest.New(t, browsertest.Options{AcceptLanguage: "zh-CN,zh;q=0.9"})
	browserLogin(t, c, srv.URL, "mei@example.com", "a long quiet river")
	c.Navigate(srv.URL + "/support/chat")
	if got := c.Text("#chat-availability"); !strings.Contains(got, "不在在线客服的服务时间") {
		t.Errorf("availability outside hours: %q", got)
	}
	c.Fill("#chat-body", "周日晚上还能提现吗？")
	c.ClickAndWait("#chat-start-submit")
	got := c.Text("#chat-queued")
	if !strings.Contains(got, "不在在线客服的服务时间") || !strings.Contains(got, "已转为工单 #") || !strings.Contains(got, "邮件") {
		t.Fatalf("the customer is not told the chat became a ticket: %q", got)
	}
	if browsertest.Eval[bool](c, `document.querySelector("#chat-compose") !== null`) {
		t.Error("a message box is offered in a chat that became a ticket")
	}
	c.ClickAndWait("#chat-queued a")
	if got := c.Text("#timeline"); !strings.Contains(got, "周日晚上还能提现吗") {
		t.Errorf("the ticket page does not hold the message: %q", got)
	}
	a.Navigate(srv.URL + "/agent/chats")
	if got := a.Text("#chat-queue-empty"); !strings.Contains(got, "没有等待中的聊天") {
		t.Errorf("agents see a waiting chat outside hours: %q", got)
	}
}

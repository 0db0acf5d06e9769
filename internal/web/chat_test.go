package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/redact/redacttest"
	"github.com/okpay/okpay/internal/web"
)

// chatMonday10 is a working Monday morning in Shanghai: chat is open.
var chatMonday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

var chatSocketAttr = regexp.MustCompile(`data-socket="/chat/ws\?chat=(\d+)"`)

// chatStack is the stack served on a loopback port, with a customer, an
// agent whose console is open, and the customer's chat started.
type chatStack struct {
	clk            *clock.Settable
	st             *stack
	srv            *httptest.Server
	mei, tom, agen *supportClient
	chatID         string
}

func form(vals url.Values) *strings.Reader { return strings.NewReader(vals.Encode()) }

const formType = "application/x-www-form-urlencoded"

func newChatStack(t *testing.T, first string) *chatStack {
	t.Helper()
	clk := clock.NewSettable(chatMonday10)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	srv := httptest.NewServer(st.handler)
	t.Cleanup(srv.Close)
	st.mustSignUp(t, "mei@example.com", "a long quiet river", "zh-CN")
	st.mustSignUp(t, "tom@example.com", "another long phrase", "en")
	if _, err := st.auth.CreateUser(context.Background(), auth.CreateUserRequest{Email: "agent@okpay.test", Password: "staff pass phrase", Role: auth.RoleAgent, Locale: "zh-CN", ActorRole: "cli"}); err != nil {
		t.Fatal(err)
	}
	cs := &chatStack{clk: clk, st: st, srv: srv,
		mei:  signIn(t, st, "mei@example.com", "a long quiet river"),
		tom:  signIn(t, st, "tom@example.com", "another long phrase"),
		agen: signIn(t, st, "agent@okpay.test", "staff pass phrase")}
	if w := cs.agen.do("GET", "/agent/chats", nil, ""); w.Code != http.StatusOK {
		t.Fatalf("agent console: %d", w.Code)
	}
	if w := cs.mei.do("POST", "/support/chat", form(url.Values{"body": {first}}), formType); w.Code != http.StatusSeeOther {
		t.Fatalf("start chat: %d\n%s", w.Code, w.Body)
	}
	page := cs.mei.do("GET", "/support/chat", nil, "").Body.String()
	m := chatSocketAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no chat panel on the customer's page:\n%s", page)
	}
	cs.chatID = m[1]
	return cs
}

// dial opens a chat socket as c (nil: no session) with origin ("" for none).
func (cs *chatStack) dial(t *testing.T, c *supportClient, path, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if c != nil {
		for _, ck := range c.cookie {
			h.Add("Cookie", ck.String())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(cs.srv.URL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if conn != nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, resp, err
}

type frame struct {
	T      string `json:"t"`
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Mine   bool   `json:"mine"`
	Text   string `json:"text"`
	Masked bool   `json:"masked"`
	CID    string `json:"cid"`
	Status string `json:"status"`
	Open   bool   `json:"open"`
	Typing bool   `json:"typing"`
}

// readUntil reads frames until ok says stop, and returns them all.
func readUntil(t *testing.T, conn *websocket.Conn, ok func(frame) bool) []frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []frame
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read after %d frames %+v: %v", len(got), got, err)
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
		if ok(f) {
			return got
		}
	}
}

func send(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// TestChatSocketHandshake: the socket opens only for this site's origin
// and a signed-in session, and only on a chat the reader may see.
func TestChatSocketHandshake(t *testing.T) {
	cs := newChatStack(t, "hello")
	path := "/chat/ws?chat=" + cs.chatID
	for _, tc := range []struct {
		name   string
		c      *supportClient
		origin string
		want   int
	}{
		{"foreign origin", cs.mei, "https://evil.example", http.StatusForbidden},
		{"look-alike origin", cs.mei, cs.srv.URL + ".evil.example", http.StatusForbidden},
		{"no origin", cs.mei, "", http.StatusForbidden},
		{"no session", nil, cs.srv.URL, http.StatusUnauthorized},
		{"another customer", cs.tom, cs.srv.URL, http.StatusNotFound},
		{"queue, as a customer", cs.mei, cs.srv.URL, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := path
			if strings.HasPrefix(tc.name, "queue") {
				p = "/agent/chats/ws"
			}
			conn, resp, err := cs.dial(t, tc.c, p, tc.origin)
			if err == nil {
				conn.CloseNow()
				t.Fatal("the socket opened")
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("refusal = %v (%v), want %d", resp, err, tc.want)
			}
		})
	}
	conn, _, err := cs.dial(t, cs.mei, path, cs.srv.URL)
	if err != nil {
		t.Fatalf("the customer's own socket: %v", err)
	}
	got := readUntil(t, conn, func(f frame) bool { return f.T == "state" })
	if len(got) != 3 || got[0].Text != "hello" || !got[0].Mine || got[2].Status != "waiting" {
		t.Errorf("first frames = %+v", got)
	}
	if !strings.Contains(cs.st.logs.String(), "chat socket from another origin refused") {
		t.Error("the refused origin was not logged")
	}
}

// TestChatSocketConversation: customer and agent talk over their
// sockets; each sees every message once, in seq order; card data is
// masked in what is delivered and the sender is flagged; a reconnect with
// the last seq gets exactly what was missed.
func TestChatSocketConversation(t *testing.T) {
	cs := newChatStack(t, "我的充值失败了")
	if w := cs.agen.do("POST", "/agent/chats/"+cs.chatID+"/take", nil, formType); w.Code != http.StatusSeeOther {
		t.Fatalf("take: %d\n%s", w.Code, w.Body)
	}
	if w := cs.agen.do("POST", "/agent/chats/"+cs.chatID+"/take", nil, formType); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "已被其他客服接入") {
		t.Errorf("taking twice: %d", w.Code)
	}
	path := "/chat/ws?chat=" + cs.chatID
	cust, _, err := cs.dial(t, cs.mei, path, cs.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	agent, _, err := cs.dial(t, cs.agen, path, cs.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, cust, func(f frame) bool { return f.T == "state" && f.Status == "active" })
	readUntil(t, agent, func(f frame) bool { return f.T == "state" })

	send(t, cust, map[string]string{"t": "send", "text": "卡号 4242 4242 4242 4242，CVV 739", "cid": "c1"})
	got := readUntil(t, cust, func(f frame) bool { return f.T == "msg" && f.CID == "c1" })
	last := got[len(got)-1]
	if !last.Masked || !last.Mine || len(redacttest.CardLike(last.Text)) > 0 || redacttest.CVCLike(last.Text, "739") {
		t.Errorf("customer's own message delivered as %+v", last)
	}
	send(t, agent, map[string]string{"t": "typing"})
	readUntil(t, cust, func(f frame) bool { return f.T == "state" && f.Typing })
	send(t, agent, map[string]string{"t": "send", "text": "请不要发送卡号。我来查一下", "cid": "a1"})
	send(t, agent, map[string]string{"t": "send", "text": "已经处理好了", "cid": "a2"})
	got = readUntil(t, cust, func(f frame) bool { return f.T == "msg" && f.Text == "已经处理好了" })
	var texts []string
	for _, f := range got {
		if f.T == "msg" {
			texts = append(texts, f.Text)
		}
	}
	if strings.Join(texts, "|") != "请不要发送卡号。我来查一下|已经处理好了" {
		t.Errorf("customer got %q", texts)
	}
	// The agent saw the customer's message masked, then their own.
	got = readUntil(t, agent, func(f frame) bool { return f.T == "msg" && f.Text == "已经处理好了" })
	var seqs []int64
	for _, f := range got {
		if f.T == "msg" {
			seqs = append(seqs, f.Seq)
			if len(redacttest.CardLike(f.Text)) > 0 {
				t.Errorf("agent got %q", f.Text)
			}
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("agent's seqs out of order: %v", seqs)
		}
	}
	// A customer's socket that dropped after seq 4 comes back with
	// after=4 and gets 5 onward, once each.
	cust.CloseNow()
	again, _, err := cs.dial(t, cs.mei, path+"&after=4", cs.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got = readUntil(t, again, func(f frame) bool { return f.T == "state" })
	seqs = nil
	for _, f := range got {
		if f.T == "msg" {
			seqs = append(seqs, f.Seq)
		}
	}
	if len(seqs) == 0 || seqs[0] != 5 || seqs[len(seqs)-1] != int64(len(seqs)+4) {
		t.Errorf("after reconnect got seqs %v, want 5 onward", seqs)
	}
	// Too long a message is refused in the reader's language.
	send(t, again, map[string]string{"t": "send", "text": strings.Repeat("长", 2001), "cid": "c9"})
	got = readUntil(t, again, func(f frame) bool { return f.T == "error" })
	if e := got[len(got)-1]; e.CID != "c9" || !strings.Contains(e.Text, "2000") {
		t.Errorf("too long: %+v", e)
	}
	// Signed out elsewhere: the open socket writes nothing more and is
	// closed as signed out.
	if w := cs.mei.do("POST", "/logout", nil, formType); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	send(t, again, map[string]string{"t": "send", "text": "after signing out", "cid": "c10"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, b, err := again.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != 4001 {
				t.Errorf("socket after sign-out ended with %v, want close 4001", err)
			}
			break
		}
		if strings.Contains(string(b), "after signing out") {
			t.Fatal("a signed-out socket wrote a message")
		}
	}
	cs.mei = signIn(t, cs.st, "mei@example.com", "a long quiet river")
	// The customer ends the chat; the agent's panel sees it closed.
	if w := cs.mei.do("POST", "/support/chat/"+cs.chatID+"/end", nil, formType); w.Code != http.StatusSeeOther {
		t.Fatalf("end: %d", w.Code)
	}
	readUntil(t, agent, func(f frame) bool { return f.T == "state" && f.Status == "ended" && !f.Open })
	// Another customer cannot end or mail it.
	for _, p := range []string{"/support/chat/" + cs.chatID + "/end", "/support/chat/" + cs.chatID + "/transcript"} {
		if w := cs.tom.do("POST", p, nil, formType); w.Code != http.StatusNotFound {
			t.Errorf("another customer POST %s: %d", p, w.Code)
		}
	}
	if w := cs.mei.do("POST", "/support/chat/"+cs.chatID+"/transcript", nil, formType); w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "done=transcript") {
		t.Errorf("transcript: %d %s", w.Code, w.Header().Get("Location"))
	}
	if page := cs.mei.do("GET", "/support/chat?done=transcript", nil, "").Body.String(); !strings.Contains(page, "聊天记录已发送到您的注册邮箱") || !strings.Contains(page, "开始新的聊天") {
		t.Errorf("after the transcript the page says:\n%s", page)
	}
}

// TestChatPagesNeedStaff: the agents' console and its socket are for
// staff only; the customer's page needs a session.
func TestChatPagesNeedStaff(t *testing.T) {
	cs := newChatStack(t, "hi")
	for _, p := range []string{"/agent/chats", "/agent/chats/" + cs.chatID} {
		if w := cs.mei.do("GET", p, nil, ""); w.Code != http.StatusForbidden {
			t.Errorf("customer GET %s: %d", p, w.Code)
		}
	}
	visitor := &supportClient{t: t, h: cs.st.handler}
	if w := visitor.do("GET", "/support/chat", nil, ""); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("visitor GET /support/chat: %d %s", w.Code, w.Header().Get("Location"))
	}
	if page := cs.agen.do("GET", "/agent/chats", nil, "").Body.String(); !strings.Contains(page, "mei@example.com") || !strings.Contains(page, "/agent/chats/"+cs.chatID+"/take") {
		t.Errorf("agent console does not list the waiting chat:\n%s", page)
	}
	// The start form sent twice (a double click) stores its message once.
	tomPage := cs.tom.do("GET", "/support/chat", nil, "").Body.String()
	cid := regexp.MustCompile(`name="cid" value="([^"]+)"`).FindStringSubmatch(tomPage)
	if cid == nil {
		t.Fatalf("no message id in the start form:\n%s", tomPage)
	}
	for range 2 {
		if w := cs.tom.do("POST", "/support/chat", form(url.Values{"body": {"double click"}, "cid": {cid[1]}}), formType); w.Code != http.StatusSeeOther {
			t.Fatalf("start: %d", w.Code)
		}
	}
	if got := strings.Count(cs.tom.do("GET", "/support/chat", nil, "").Body.String(), "double click"); got != 1 {
		t.Errorf("the doubly sent first message shows %d times", got)
	}
	page := cs.mei.do("GET", "/support/chat", nil, "").Body.String()
	if !strings.Contains(page, "<noscript>") || !strings.Contains(page, "在线聊天需要启用浏览器的 JavaScript") || !strings.Contains(page, `href="/support"`) {
		t.Errorf("no fallback for browsers without JavaScript:\n%s", page)
	}
	if w := cs.mei.do("POST", "/support/chat", form(url.Values{"body": {"  "}}), formType); w.Code != http.StatusSeeOther {
		// A chat is going: an empty message to it is refused on the page.
		if !strings.Contains(w.Body.String(), "请输入消息") {
			t.Errorf("empty message: %d", w.Code)
		}
	}
}

// TestChatLeftWaiting: a chat still waiting when the last agent's
// presence has expired becomes a ticket when the customer looks, and
// they are told; the agents' queue no longer lists it.
func TestChatLeftWaiting(t *testing.T) {
	cs := newChatStack(t, "有人在吗")
	if page := cs.mei.do("GET", "/support/chat", nil, "").Body.String(); !strings.Contains(page, "正在为您接入客服") {
		t.Fatalf("the chat is not waiting:\n%s", page)
	}
	cs.clk.Add(time.Minute) // the agent's console closed: no heartbeat since
	page := cs.mei.do("GET", "/support/chat", nil, "").Body.String()
	if !strings.Contains(page, `id="chat-queued"`) || !strings.Contains(page, "现在没有客服在线。您的留言已转为工单 #") {
		t.Fatalf("the customer is not told the chat became a ticket:\n%s", page)
	}
	if page := cs.agen.do("GET", "/agent/chats", nil, "").Body.String(); strings.Contains(page, "/agent/chats/"+cs.chatID+"/take") {
		t.Error("the agents' queue still lists the chat")
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// createUser runs `okpay user create` with a password on stdin.
func createUser(t *testing.T, env []string, data, email, role, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, okpayBin, "user", "create", "--data", data, "--email", email, "--role", role, "--password-stdin")
	cmd.Env = childEnv(env...)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("okpay user create %s: %v\n%s", email, err, out)
	}
}

// browserish is an HTTP client of one node that keeps cookies and sends
// what a browser sends with a form (Sec-Fetch-Site), without following
// redirects.
type browserish struct {
	t       *testing.T
	n       *node
	cookies []*http.Cookie
}

func (b *browserish) do(method, path string, form url.Values) *http.Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.n.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v\noutput:\n%s", method, path, err, b.n.output)
	}
	b.cookies = append(b.cookies, resp.Cookies()...)
	return resp
}

func (b *browserish) body(resp *http.Response) string {
	b.t.Helper()
	defer resp.Body.Close()
	s, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return string(s)
}

// login signs in on b's node and keeps the session cookie.
func (b *browserish) login(email, password string) {
	b.t.Helper()
	resp := b.do("POST", "/login", url.Values{"email": {email}, "password": {password}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s on %s = %d", email, b.n.url, resp.StatusCode)
	}
}

// socket opens the chat's WebSocket on node n with b's session, as the
// page served by n would.
func (b *browserish) socket(n *node, chatID string, after int64) *websocket.Conn {
	b.t.Helper()
	h := http.Header{"Origin": {n.url}}
	for _, c := range b.cookies {
		h.Add("Cookie", c.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := fmt.Sprintf("/chat/ws?chat=%s&after=%d", chatID, after)
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		b.t.Fatalf("socket on %s: %v (%v)\noutput:\n%s", n.url, err, resp, n.output)
	}
	b.t.Cleanup(func() { conn.CloseNow() })
	return conn
}

type chatFrame struct {
	T      string `json:"t"`
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Status string `json:"status"`
}

// collect reads frames until it has had a message with each of the texts
// wants, and returns the messages (in the order received).
func collect(t *testing.T, conn *websocket.Conn, wants ...string) []chatFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	missing := map[string]bool{}
	for _, w := range wants {
		missing[w] = true
	}
	var msgs []chatFrame
	for len(missing) > 0 {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read (after %d messages %v, still waiting for %v): %v", len(msgs), msgs, missing, err)
		}
		var f chatFrame
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if f.T != "msg" {
			continue
		}
		msgs = append(msgs, f)
		delete(missing, f.Text)
	}
	return msgs
}

func say(t *testing.T, conn *websocket.Conn, text, cid string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"t": "send", "text": text, "cid": cid})
	if err := conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

var socketAttr = regexp.MustCompile(`data-socket="/chat/ws\?chat=(\d+)"`)

// TestServeChatAcrossNodes: two `okpay serve` nodes on one PostgreSQL
// database. The customer chats on node A, the agent on node B; messages
// cross both ways, each side sees all of them once in one seq order.
// The customer's socket then moves to node B (a load balancer's choice)
// and gets what was said while it moved.
func TestServeChatAcrossNodes(t *testing.T) {
	env := []string{"OKPAY_DATABASE_URL=" + freshPostgres(t), "OKPAY_MASTER_KEY=" + testKey}
	data := t.TempDir()
	a := startServe(t, env, "--data", data, "--smtp", "off")
	b := startServe(t, env, "--data", data, "--smtp", "off")
	createUser(t, env, data, "mei@example.com", "customer", "a long quiet river")
	createUser(t, env, data, "agent@okpay.test", "agent", "staff pass phrase")
	// Both nodes' clocks at a working Monday morning in Shanghai, when
	// chat is staffed.
	for _, n := range []*node{a, b} {
		c := &browserish{t: t, n: n}
		resp := c.do("POST", "/dev/clock", url.Values{"action": {"set"}, "at": {"2026-11-23T10:00"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set the clock on %s: %d", n.url, resp.StatusCode)
		}
	}
	cust := &browserish{t: t, n: a}
	cust.login("mei@example.com", "a long quiet river")
	agent := &browserish{t: t, n: b}
	agent.login("agent@okpay.test", "staff pass phrase")
	if resp := agent.do("GET", "/agent/chats", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("agent console on B: %d", resp.StatusCode)
	}

	resp := cust.do("POST", "/support/chat", url.Values{"body": {"我的付款一直显示处理中"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start chat on A: %d", resp.StatusCode)
	}
	page := cust.body(cust.do("GET", "/support/chat", nil))
	m := socketAttr.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "正在为您接入客服") {
		t.Fatalf("the customer's chat on A is not waiting for an agent:\n%s", page)
	}
	id := m[1]
	if queue := agent.body(agent.do("GET", "/agent/chats", nil)); !strings.Contains(queue, "/agent/chats/"+id+"/take") {
		t.Fatalf("node B's console does not list the chat started on A:\n%s", queue)
	}
	resp = agent.do("POST", "/agent/chats/"+id+"/take", url.Values{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take on B: %d", resp.StatusCode)
	}

	// On PostgreSQL too, the handshake wants this site's origin and a
	// session, and another node's socket is no way around either.
	for _, tc := range []struct {
		name    string
		origin  string
		cookies []*http.Cookie
		want    int
	}{
		{"foreign origin", "https://evil.example", cust.cookies, http.StatusForbidden},
		{"the other node's origin", a.url, cust.cookies, http.StatusForbidden},
		{"no session", b.url, nil, http.StatusUnauthorized},
	} {
		h := http.Header{"Origin": {tc.origin}}
		for _, c := range tc.cookies {
			h.Add("Cookie", c.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.url, "http")+"/chat/ws?chat="+id, &websocket.DialOptions{HTTPHeader: h})
		cancel()
		if err == nil {
			conn.CloseNow()
			t.Errorf("%s: the socket opened on node B", tc.name)
		} else if resp == nil || resp.StatusCode != tc.want {
			t.Errorf("%s: %v (%v), want %d", tc.name, resp, err, tc.want)
		}
	}

	cs := cust.socket(a, id, 0)
	as := agent.socket(b, id, 0)
	collect(t, cs, "我的付款一直显示处理中")
	collect(t, as, "我的付款一直显示处理中")
	const rounds = 5
	for i := range rounds {
		say(t, cs, fmt.Sprintf("customer %d", i), fmt.Sprintf("c%d", i))
		say(t, as, fmt.Sprintf("agent %d", i), fmt.Sprintf("a%d", i))
	}
	say(t, as, "agent done", "a-done")
	// Each side reads until it has both senders' last messages; each
	// sender's messages must arrive in the order sent.
	gotC := collect(t, cs, fmt.Sprintf("customer %d", rounds-1), "agent done")
	gotA := collect(t, as, fmt.Sprintf("customer %d", rounds-1), "agent done")
	check := func(who string, got []chatFrame) {
		t.Helper()
		seen := map[string]int{}
		for i, f := range got {
			seen[f.Text]++
			if i > 0 && f.Seq != got[i-1].Seq+1 {
				t.Errorf("%s: seq %d after %d: %+v", who, f.Seq, got[i-1].Seq, got)
			}
		}
		for i := range rounds {
			for _, s := range []string{fmt.Sprintf("customer %d", i), fmt.Sprintf("agent %d", i)} {
				if seen[s] != 1 {
					t.Errorf("%s saw %q %d times", who, s, seen[s])
				}
			}
		}
		last := map[string]int64{}
		for _, f := range got {
			kind := strings.Fields(f.Text)[0]
			if f.Seq < last[kind] {
				t.Errorf("%s: %q out of the order sent", who, f.Text)
			}
			last[kind] = f.Seq
		}
	}
	check("customer on A", gotC)
	check("agent on B", gotA)

	// The customer's socket drops and comes back on node B, with the
	// last seq it had; the agent wrote meanwhile.
	lastSeq := gotC[len(gotC)-1].Seq
	cs.CloseNow()
	say(t, as, "while you moved", "a-moved")
	collect(t, as, "while you moved")
	cust.n = b // the session is in the database: any node knows it
	moved := cust.socket(b, id, lastSeq)
	got := collect(t, moved, "while you moved")
	if len(got) != 1 || got[0].Seq != lastSeq+1 {
		t.Errorf("after moving to node B the customer got %+v, want only seq %d", got, lastSeq+1)
	}
	say(t, moved, "thanks from node B", "c-moved")
	collect(t, as, "thanks from node B")

	for _, n := range []*node{a, b} {
		if code := n.stop(); code != 0 {
			t.Errorf("node %s exited %d", n.url, code)
		}
		if out := n.output.String(); strings.Contains(out, "signal listener failed") || strings.Contains(out, "level=ERROR") {
			t.Errorf("node %s logged a failure:\n%s", n.url, out)
		}
	}
}

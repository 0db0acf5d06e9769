package mailin_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/inbound"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
)

// TestAgentReplyIsThreadedAndSigned follows a customer's mail in over
// SMTP and the agent's answer out through the sender worker to a real
// SMTP server: the reply carries the threading headers and a DKIM
// signature that verifies against our published record, and goes out
// with its own return path.
func TestAgentReplyIsThreadedAndSigned(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		r := newRig(t, e)
		s := startSink(t)
		agent := r.user("agent@okpay.test", auth.RoleAgent)
		r.mustSend("zhou@example.cn", []string{supportAddr}, msg("周 <zhou@example.cn>", supportAddr, "无法登录", "我无法登录我的账户。",
			"Message-ID: <q1@example.cn>"))
		tk, _ := r.onlyTicket()
		reply, err := r.desk.Reply(r.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, tk.Number, support.Reply{Body: "您好，请尝试重置密码。"})
		if err != nil {
			t.Fatal(err)
		}
		r.relay(s, reply.OutboxID)
		got := s.messages()
		if len(got) != 1 {
			t.Fatalf("the relay got %d messages, want 1", len(got))
		}
		if len(got[0].To) != 1 || got[0].To[0] != "zhou@example.cn" {
			t.Errorf("envelope recipients %q", got[0].To)
		}
		if got[0].From != r.verp.Address(reply.OutboxID) {
			t.Errorf("envelope sender %q, want the return path %q", got[0].From, r.verp.Address(reply.OutboxID))
		}

		lookup := func(name string) ([]string, error) {
			if name == r.dkim.RecordName() {
				return []string{r.dkim.RecordValue()}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(got[0].Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "okpay.test" {
			t.Fatalf("DKIM: %v, %+v; want one valid signature by okpay.test", err, vs)
		}

		m, err := inbound.Parse(got[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		if m.MessageID != reply.MailID {
			t.Errorf("Message-ID %q, want the one on the ticket %q", m.MessageID, reply.MailID)
		}
		if len(m.InReplyTo) != 1 || !strings.Contains(strings.Join(m.References, " "), "q1@example.cn") {
			t.Errorf("In-Reply-To %q, References %q; want the thread, the customer's q1@example.cn included", m.InReplyTo, m.References)
		}
		if n, ok := inbound.TicketNumber(m.Subject); !ok || n != tk.Number {
			t.Errorf("subject %q does not carry [#%d]", m.Subject, tk.Number)
		}
		if m.Header.Get("Auto-Submitted") != "" {
			t.Errorf("an agent's reply says Auto-Submitted: %s", m.Header.Get("Auto-Submitted"))
		}
		if !strings.Contains(m.Text, "请尝试重置密码") {
			t.Errorf("body %q", m.Text)
		}

		// The customer's answer to it threads by its headers.
		r.mustSend("zhou@example.cn", []string{supportAddr}, msg("zhou@example.cn", supportAddr, "回复："+m.Subject, "好的，已经可以登录了。",
			"In-Reply-To: <"+m.MessageID+">"))
		if got, ms := r.onlyTicket(); got.Number != tk.Number || len(customerTexts(ms)) != 2 {
			t.Errorf("the answer to the reply went to #%d", got.Number)
		}
	})
}

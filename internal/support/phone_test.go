package support_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/support"
)

func TestCallbackBecomesPhoneTicket(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		agent := d.user("agent@okpay.test", auth.RoleAgent)
		ny, _ := time.LoadLocation("America/New_York")
		sh, _ := time.LoadLocation("Asia/Shanghai")
		at := monday10.Add(26 * time.Hour) // Tuesday 12:00 in Shanghai
		o, err := d.s.RequestCallback(d.ctx, support.CallbackRequest{Email: "Ann@Example.com", Name: "Ann", Language: "en",
			Phone: "+1 (212) 555-0142", At: at, Zone: ny, Line: "phone-en", LineZone: sh, Note: "About my withdrawal", IP: "198.51.100.4"})
		if err != nil {
			t.Fatal(err)
		}
		tk := o.Ticket
		if tk.Channel != support.ChannelPhone || len(tk.Tags) != 1 || tk.Tags[0] != support.TagCallback || tk.RequesterEmail != "ann@example.com" {
			t.Errorf("ticket = %+v", tk)
		}
		if want := "Callback request +12125550142 · 2026-11-23 23:00 EST"; tk.Subject != want {
			t.Errorf("subject = %q, want %q", tk.Subject, want)
		}
		// The agents find it in their queue and read both times.
		queue, err := d.s.Queue(d.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, support.ViewUnassigned, "")
		if err != nil || len(queue) != 1 || queue[0].Number != tk.Number {
			t.Fatalf("queue = %+v, %v", queue, err)
		}
		_, msgs, err := d.s.View(d.ctx, auth.Actor{UserID: agent, Role: auth.RoleAgent}, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		var body string
		for _, m := range msgs {
			if m.Kind == support.KindCustomer {
				body = m.Body
			}
		}
		for _, want := range []string{"Phone: +12125550142", "2026-11-23 23:00 EST (America/New_York)", "2026-11-24 12:00 CST (Asia/Shanghai)", "Line: phone-en", "About my withdrawal"} {
			if !strings.Contains(body, want) {
				t.Errorf("request body %q lacks %q", body, want)
			}
		}
		if got := strings.Join(d.outbox(), "\n"); !strings.Contains(got, "ann@example.com") {
			t.Errorf("no acknowledgement to the customer: %s", got)
		}
	})
}

func TestCallbackRefusesBadInput(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		ok := support.CallbackRequest{Email: "ann@example.com", Phone: "+86 138 0000 0000", At: monday10.Add(time.Hour)}
		for _, tt := range []struct {
			name  string
			edit  func(*support.CallbackRequest)
			field string
		}{
			{"letters in phone", func(r *support.CallbackRequest) { r.Phone = "call me maybe" }, "phone"},
			{"short phone", func(r *support.CallbackRequest) { r.Phone = "12345" }, "phone"},
			{"no time", func(r *support.CallbackRequest) { r.At = time.Time{} }, "time"},
			{"past", func(r *support.CallbackRequest) { r.At = monday10.Add(-time.Minute) }, "time"},
			{"too far", func(r *support.CallbackRequest) { r.At = monday10.Add(support.CallbackHorizon + time.Hour) }, "time"},
			{"no email", func(r *support.CallbackRequest) { r.Email = "" }, "email"},
		} {
			r := ok
			tt.edit(&r)
			_, err := d.s.RequestCallback(d.ctx, r)
			var fe *support.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("%s: err = %v, want a %s field error", tt.name, err, tt.field)
			}
		}
		all, err := d.s.Queue(d.ctx, auth.Actor{UserID: 1, Role: auth.RoleAdmin}, support.ViewAll, "")
		if err != nil || len(all) != 0 {
			t.Errorf("refused requests left tickets: %+v %v", all, err)
		}
	})
}

func TestLogCall(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		d := newDesk(t, e)
		agentID := d.user("agent@okpay.test", auth.RoleAgent)
		agent := auth.Actor{UserID: agentID, Role: auth.RoleAgent}
		o, err := d.s.RequestCallback(d.ctx, support.CallbackRequest{Email: "bo@example.com", Phone: "+86 138 0000 0000", At: monday10.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		n := o.Ticket.Number
		f, err := d.s.LogCall(d.ctx, agent, n, support.Call{Direction: support.CallOut, Duration: 5*time.Minute + 30*time.Second + 400*time.Millisecond,
			Summary: "Called back. Customer read out card 4111 1111 1111 1111; told them never to share it."})
		if err != nil {
			t.Fatal(err)
		}
		if f == 0 {
			t.Errorf("the card number was not reported as masked")
		}
		tk, msgs, err := d.s.View(d.ctx, agent, n)
		if err != nil {
			t.Fatal(err)
		}
		var call *support.Message
		for i := range msgs {
			if msgs[i].Kind == support.KindCall {
				call = &msgs[i]
			}
		}
		if call == nil {
			t.Fatalf("no call on the timeline: %+v", msgs)
		}
		if strings.Contains(call.Body, "4111 1111 1111 1111") || !strings.Contains(call.Body, "never to share") {
			t.Errorf("call summary not redacted: %q", call.Body)
		}
		if dir, dur, ok := support.ParseCallDetail(call.Detail); !ok || dir != support.CallOut || dur != 330*time.Second {
			t.Errorf("call detail %q = %s %v %v", call.Detail, dir, dur, ok)
		}
		if tk.FirstResponseAt.IsZero() || tk.AssigneeID != agentID || tk.Status != support.StatusOpen {
			t.Errorf("after the call: first response %v, assignee %d, status %s", tk.FirstResponseAt, tk.AssigneeID, tk.Status)
		}
		// The customer never sees the call log.
		cust := d.user("bo@example.com", auth.RoleCustomer)
		if _, cm, err := d.s.View(d.ctx, auth.Actor{UserID: cust, Role: auth.RoleCustomer}, n); err == nil {
			for _, m := range cm {
				if m.Kind == support.KindCall {
					t.Errorf("customer sees the call log")
				}
			}
		}
		for _, tt := range []struct {
			name  string
			actor auth.Actor
			call  support.Call
			want  error
		}{
			{"customer", auth.Actor{UserID: cust, Role: auth.RoleCustomer}, support.Call{Direction: "in", Duration: time.Minute, Summary: "x"}, support.ErrForbidden},
			{"direction", agent, support.Call{Direction: "sideways", Duration: time.Minute, Summary: "x"}, support.ErrInvalid},
			{"zero length", agent, support.Call{Direction: "in", Summary: "x"}, support.ErrInvalid},
			{"nine hours", agent, support.Call{Direction: "in", Duration: 9 * time.Hour, Summary: "x"}, support.ErrInvalid},
			{"no summary", agent, support.Call{Direction: "in", Duration: time.Minute, Summary: "  "}, support.ErrInvalid},
		} {
			if _, err := d.s.LogCall(d.ctx, tt.actor, n, tt.call); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := d.s.LogCall(d.ctx, agent, 999999, support.Call{Direction: "in", Duration: time.Minute, Summary: "x"}); !errors.Is(err, support.ErrNotFound) {
			t.Errorf("unknown ticket: %v", err)
		}
	})
}

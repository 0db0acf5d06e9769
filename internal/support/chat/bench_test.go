package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// BenchmarkChatPost measures one message stored (with its ticket line)
// and read back after the seq before it, as a woken socket does.
func BenchmarkChatPost(b *testing.B) {
	for _, e := range sqltest.Engines {
		b.Run(string(e), func(b *testing.B) {
			clk := clock.NewSettable(monday10)
			db := sqltest.NewDB(b, e, "chat", clk.Now)
			f := &fixture{ctx: context.Background(), db: db, clk: clk}
			f.desk = newDesk(b, db, clk.Now)
			f.chat = f.service(db.Chat())
			cust := benchUser(b, f, "mei@example.com", auth.RoleCustomer)
			agent := benchUser(b, f, "agent@okpay.test", auth.RoleAgent)
			if err := f.chat.Online(f.ctx, agent); err != nil {
				b.Fatal(err)
			}
			st, err := f.chat.Start(f.ctx, cust, "hello", "")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.chat.Take(f.ctx, agent, st.Chat.ID); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				m, err := f.chat.Post(f.ctx, cust, st.Chat.ID, fmt.Sprintf("message %d", i), "")
				if err != nil {
					b.Fatal(err)
				}
				v, err := f.chat.Since(f.ctx, agent, st.Chat.ID, m.Seq-1)
				if err != nil || len(v.Messages) != 1 {
					b.Fatalf("read back: %v %d", err, len(v.Messages))
				}
			}
		})
	}
}

func benchUser(b *testing.B, f *fixture, email string, role auth.Role) auth.Actor {
	b.Helper()
	var id int64
	err := f.db.Write().QueryRow(f.ctx, `INSERT INTO users (email, role, locale, created_at) VALUES ($1, $2, 'zh-CN', $3) RETURNING id`,
		email, string(role), time.Now().UnixNano()).Scan(&id)
	if err != nil {
		b.Fatal(err)
	}
	return auth.Actor{UserID: id, Role: role}
}

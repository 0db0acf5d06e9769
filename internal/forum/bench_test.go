package forum_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// words make up the benchmark's posts: forum-like Chinese and English.
var words = strings.Fields(`退款 提现 到账 银行卡 充值 失败 手续费 汇率 账户 冻结 验证 身份证 商家 付款 转账
	工作日 客服 密码 登录 安全 手机 邮箱 限额 审核 发票 订单 refund withdrawal deposit card bank fee account
	payment transfer pending failed verify limit merchant exchange rate`)

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 && r.IntN(3) == 0 {
			b.WriteString("，")
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// benchTopics is the size of the benchmark's forum: each post is its own
// transaction, so seeding dominates the run time.
const benchTopics = 300

// BenchmarkSearch measures a two-term search over benchTopics topics of five
// posts each, on both engines.
func BenchmarkSearch(b *testing.B) {
	for _, e := range sqltest.Engines {
		b.Run(string(e), func(b *testing.B) {
			bd := newBenchBoard(b, e)
			b.ResetTimer()
			for b.Loop() {
				l, err := bd.f.Search(bd.ctx, auth.Actor{}, "退款到账", 1)
				if err != nil || l.Total == 0 {
					b.Fatalf("search: %v, %d found", err, l.Total)
				}
			}
		})
	}
}

func newBenchBoard(b *testing.B, e sqlstore.Engine) *board {
	b.Helper()
	bd := &board{db: sqltest.NewDB(b, e, "forum", nil)}
	bd.ctx = b.Context()
	bd.f = forum.New(forum.Options{Store: bd.db.Forum()})
	var id int64
	if err := bd.db.Write().QueryRow(bd.ctx, `INSERT INTO users (email, role, locale, created_at) VALUES ('agent@okpay.test', 'agent', 'zh-CN', 0) RETURNING id`).Scan(&id); err != nil {
		b.Fatal(err)
	}
	a := auth.Actor{UserID: id, Role: auth.RoleAgent}
	r := rand.New(rand.NewPCG(1, 2))
	for range benchTopics {
		p, err := bd.f.CreateTopic(bd.ctx, a, forum.NewTopic{Category: forum.CatOther, Title: sentence(r, 4), Body: sentence(r, 30)})
		if err != nil {
			b.Fatal(err)
		}
		for range 4 {
			if _, err := bd.f.Reply(bd.ctx, a, p.TopicID, sentence(r, 20)); err != nil {
				b.Fatal(err)
			}
		}
	}
	return bd
}

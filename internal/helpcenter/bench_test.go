package helpcenter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// BenchmarkSearch searches a help centre of the shipped articles plus 300
// more (both languages, published), on each engine:
//
//	go test ./internal/helpcenter -run '^$' -bench Search
func BenchmarkSearch(b *testing.B) {
	for _, e := range sqltest.Engines {
		b.Run(string(e), func(b *testing.B) {
			now := func() time.Time { return time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC) }
			db := sqltest.NewDB(b, e, "helpcenter", now)
			svc := helpcenter.New(helpcenter.Options{Store: db.Help(), Now: now})
			ctx := context.Background()
			if _, err := svc.Seed(ctx); err != nil {
				b.Fatal(err)
			}
			shipped, _ := helpcenter.ShippedArticles()
			for i := 0; i < 300; i++ {
				src := shipped[i%len(shipped)]
				id, err := svc.Create(ctx, agent, helpcenter.NewArticle{Slug: fmt.Sprintf("copy-%d", i), Category: src.Category, Drafts: src.Texts})
				if err != nil {
					b.Fatal(err)
				}
				if err := svc.Publish(ctx, agent, id); err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []string{"退款", "提现多久能到账", "2FA 验证码", "reset password"} {
				b.Run(q, func(b *testing.B) {
					for b.Loop() {
						if _, err := svc.Search(ctx, q, "zh-CN", 20); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

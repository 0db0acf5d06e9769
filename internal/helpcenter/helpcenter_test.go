package helpcenter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

var (
	agent    = auth.Actor{UserID: 7, Role: auth.RoleAgent}
	customer = auth.Actor{UserID: 8, Role: auth.RoleCustomer}
)

// mustSeeded is a help centre on a fresh database of engine e with the
// shipped articles loaded.
func mustSeeded(t *testing.T, e sqlstore.Engine) (*helpcenter.Service, *sqlstore.DB) {
	t.Helper()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	db := sqltest.NewDB(t, e, "helpcenter", func() time.Time { return now })
	svc := helpcenter.New(helpcenter.Options{Store: db.Help(), Now: func() time.Time { return now }})
	n, err := svc.Seed(context.Background())
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	shipped, _ := helpcenter.ShippedArticles()
	if n != len(shipped) || n < 9 {
		t.Fatalf("Seed added %d articles, want %d (at least 9)", n, len(shipped))
	}
	return svc, db
}

func slugs(rs []helpcenter.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Slug)
	}
	return out
}

// TestSearchRanking: two-character Chinese words, longer Chinese, mixed
// Chinese and English, and English find the article a reader means first,
// with the match marked in the snippet, on both engines.
func TestSearchRanking(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, _ := mustSeeded(t, e)
		ctx := context.Background()
		cases := []struct {
			q, lang   string
			first     string
			mark      string // must appear as <mark>…</mark> in the snippet or title
			wantLang  string
			alsoFound []string
		}{
			{q: "退款", lang: "zh-CN", first: "payment-failed", mark: "<mark>退款</mark>", wantLang: "zh-CN"},
			{q: "提现", lang: "zh-CN", first: "withdrawal-process", mark: "<mark>提现</mark>", wantLang: "zh-CN", alsoFound: []string{"fees"}},
			{q: "密码", lang: "zh-CN", first: "reset-password", mark: "<mark>密码</mark>", wantLang: "zh-CN", alsoFound: []string{"account-locked", "account-security-2fa"}},
			{q: "提现多久能到账", lang: "zh-CN", first: "withdrawal-process", mark: "<mark>到账</mark>", wantLang: "zh-CN"},
			{q: "账户被锁定了怎么办", lang: "zh-CN", first: "account-locked", mark: "<mark>锁定</mark>", wantLang: "zh-CN"},
			{q: "2FA 验证码", lang: "zh-CN", first: "account-security-2fa", mark: "<mark>验证码</mark>", wantLang: "zh-CN"},
			{q: "ＲＥＳＥＴ password", lang: "en", first: "reset-password", mark: "<mark>password</mark>", wantLang: "en"},
			{q: "withdraw", lang: "en", first: "withdrawal-process", mark: "<mark>Withdrawals</mark>", wantLang: "en"},
			{q: "phishing fake email", lang: "en", first: "official-site-and-emails", mark: "<mark>email", wantLang: "en"},
			// Found only in the English text: a Chinese reader gets that.
			{q: "UnionPay", lang: "zh-CN", first: "payment-methods", mark: "<mark>UnionPay</mark>", wantLang: "en"},
			// An English reader searching in Chinese gets the Chinese text.
			{q: "退款", lang: "en", first: "payment-failed", mark: "<mark>退款</mark>", wantLang: "zh-CN"},
		}
		for _, c := range cases {
			t.Run(c.q+"/"+c.lang, func(t *testing.T) {
				rs, err := svc.Search(ctx, c.q, c.lang, 10)
				if err != nil {
					t.Fatalf("Search(%q): %v", c.q, err)
				}
				if len(rs) == 0 || rs[0].Slug != c.first {
					t.Fatalf("Search(%q) = %v, want %s first", c.q, slugs(rs), c.first)
				}
				for _, want := range c.alsoFound {
					if !strings.Contains(strings.Join(slugs(rs), " "), want) {
						t.Errorf("Search(%q) = %v, want %s among them", c.q, slugs(rs), want)
					}
				}
				top := rs[0]
				if top.Lang != c.wantLang || top.Fallback != (c.wantLang != c.lang) {
					t.Errorf("Search(%q) top in %s (fallback %v), want %s", c.q, top.Lang, top.Fallback, c.wantLang)
				}
				if got := top.Title.HTML() + " " + top.Snippet.HTML(); !strings.Contains(got, c.mark) {
					t.Errorf("Search(%q) top result %q does not mark %q", c.q, got, c.mark)
				}
			})
		}
		if rs, _ := svc.Search(ctx, "zzzqqq", "zh-CN", 10); len(rs) != 0 {
			t.Errorf("nonsense found %v", slugs(rs))
		}
	})
}

// TestSearchBadQueries: what cannot be searched is refused with an error
// the page can explain; nothing is searched.
func TestSearchBadQueries(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, _ := mustSeeded(t, e)
		ctx := context.Background()
		for _, c := range []struct {
			q    string
			want error
		}{
			{strings.Repeat("退款", helpcenter.MaxQueryRunes), helpcenter.ErrQueryTooLong},
			{"\xff\xfe退款", helpcenter.ErrQueryInvalid},
			{"a\x00b", helpcenter.ErrQueryInvalid},
			{"  ！？…  ", helpcenter.ErrQueryEmpty},
			{"", helpcenter.ErrQueryEmpty},
		} {
			if _, err := svc.Search(ctx, c.q, "zh-CN", 10); !errors.Is(err, c.want) {
				t.Errorf("Search(%q) error %v, want %v", c.q, err, c.want)
			}
		}
		// Suggest is lenient: junk around the words still finds them.
		rs, err := svc.Suggest(ctx, "\xff我想申请退款"+strings.Repeat(" x", 300), "zh-CN", 3)
		if err != nil || len(rs) == 0 || rs[0].Slug != "payment-failed" {
			t.Errorf("Suggest = %v, %v; want payment-failed first", slugs(rs), err)
		}
	})
}

// TestDraftPublishCycle: a new article is invisible until published;
// a later draft is invisible until published again, and then replaces
// the old text in reading and in search; unpublishing hides it; every
// change is audited and customers cannot edit.
func TestDraftPublishCycle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, db := mustSeeded(t, e)
		ctx := context.Background()
		if _, err := svc.Create(ctx, customer, helpcenter.NewArticle{Slug: "x", Category: helpcenter.CatFees,
			Drafts: map[string]helpcenter.Draft{"zh-CN": {Title: "t", Body: "b"}}}); !errors.Is(err, helpcenter.ErrForbidden) {
			t.Fatalf("customer Create: %v", err)
		}
		id, err := svc.Create(ctx, agent, helpcenter.NewArticle{Slug: "card-expiry", Category: helpcenter.CatPayments,
			Drafts: map[string]helpcenter.Draft{"zh-CN": {Title: "磁条卡无法使用怎么办", Body: "磁条损坏的卡可能无法付款，请在钱包中换一张卡。"}}})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := svc.Read(ctx, "card-expiry", "zh-CN"); !errors.Is(err, helpcenter.ErrNotFound) {
			t.Fatalf("draft readable by the public: %v", err)
		}
		if rs, _ := svc.Search(ctx, "磁条", "zh-CN", 10); len(rs) != 0 {
			t.Fatalf("draft found by search: %v", slugs(rs))
		}
		if err := svc.Publish(ctx, agent, id); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		p, err := svc.Read(ctx, "card-expiry", "en")
		if err != nil || p.Text.Title != "磁条卡无法使用怎么办" || !p.Fallback {
			t.Fatalf("published article for an English reader: %+v %v (want the Chinese text, marked as fallback)", p.Text, err)
		}
		if rs, _ := svc.Search(ctx, "磁条", "zh-CN", 10); len(rs) != 1 || rs[0].Slug != "card-expiry" {
			t.Fatalf("published article not found: %v", slugs(rs))
		}

		// A new draft: the public still sees the old text.
		err = svc.Save(ctx, agent, id, helpcenter.CatPayments, map[string]helpcenter.Draft{
			"zh-CN": {Title: "换用芯片卡", Body: "请在钱包里添加新的芯片卡。"},
			"en":    {Title: "Switching to a chip card", Body: "Add your new chip card in the wallet."}}, false)
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		if p, _ := svc.Read(ctx, "card-expiry", "zh-CN"); p.Text.Title != "磁条卡无法使用怎么办" {
			t.Fatalf("draft leaked to the public: %q", p.Text.Title)
		}
		if rs, _ := svc.Search(ctx, "芯片", "zh-CN", 10); len(rs) != 0 {
			t.Fatalf("unpublished draft words found: %v", slugs(rs))
		}
		ed, err := svc.Edit(ctx, agent, id)
		if err != nil || !ed.HasDraft || ed.Working["en"].Title != "Switching to a chip card" || ed.Published["zh-CN"].Title != "磁条卡无法使用怎么办" {
			t.Fatalf("editor view: %+v %v", ed, err)
		}
		if err := svc.Publish(ctx, agent, id); err != nil {
			t.Fatalf("Publish 2: %v", err)
		}
		if p, _ := svc.Read(ctx, "card-expiry", "zh-CN"); p.Text.Title != "换用芯片卡" || p.Text.Version != 2 {
			t.Fatalf("after publishing: %+v", p.Text)
		}
		if p, _ := svc.Read(ctx, "card-expiry", "en"); p.Fallback || p.Text.Title != "Switching to a chip card" {
			t.Fatalf("English text after publishing: %+v", p.Text)
		}
		if rs, _ := svc.Search(ctx, "磁条", "zh-CN", 10); len(rs) != 0 {
			t.Errorf("retired text still indexed: %v", slugs(rs))
		}
		if rs, _ := svc.Search(ctx, "芯片", "zh-CN", 10); len(rs) != 1 {
			t.Errorf("new text not indexed: %v", slugs(rs))
		}
		if err := svc.Publish(ctx, agent, id); !errors.Is(err, helpcenter.ErrNothingToPublish) {
			t.Errorf("publishing with no draft: %v", err)
		}
		if err := svc.Unpublish(ctx, agent, id); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Read(ctx, "card-expiry", "zh-CN"); !errors.Is(err, helpcenter.ErrNotFound) {
			t.Errorf("unpublished article readable: %v", err)
		}
		if rs, _ := svc.Search(ctx, "芯片", "zh-CN", 10); len(rs) != 0 {
			t.Errorf("unpublished article found: %v", slugs(rs))
		}
		events, err := audit.List(ctx, db.Audit(), audit.Filter{TargetType: "help_article", TargetID: "card-expiry"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range events.Events {
			actions = append(actions, ev.Action)
		}
		want := "help_article_unpublished help_article_published help_draft_saved help_article_published help_article_created"
		if strings.Join(actions, " ") != want {
			t.Errorf("audit = %v, want %s", actions, want)
		}
	})
}

// TestStaffInputRefused: bad slugs, categories and texts are refused
// field by field and store nothing.
func TestStaffInputRefused(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, _ := mustSeeded(t, e)
		ctx := context.Background()
		ok := map[string]helpcenter.Draft{"en": {Title: "Title", Body: "Body"}}
		for _, c := range []struct {
			n     helpcenter.NewArticle
			field string
			code  string
		}{
			{helpcenter.NewArticle{Slug: "Bad Slug", Category: helpcenter.CatFees, Drafts: ok}, "slug", "invalid"},
			{helpcenter.NewArticle{Slug: "search", Category: helpcenter.CatFees, Drafts: ok}, "slug", "invalid"},
			{helpcenter.NewArticle{Slug: "reset-password", Category: helpcenter.CatFees, Drafts: ok}, "slug", "taken"},
			{helpcenter.NewArticle{Slug: "new-one", Category: "misc", Drafts: ok}, "category", "invalid"},
			{helpcenter.NewArticle{Slug: "new-one", Category: helpcenter.CatFees, Drafts: map[string]helpcenter.Draft{"en": {Title: "T"}}}, "body_en", "required"},
			{helpcenter.NewArticle{Slug: "new-one", Category: helpcenter.CatFees, Drafts: map[string]helpcenter.Draft{"zh-CN": {Title: strings.Repeat("长", 121), Body: "b"}}}, "title_zh-CN", "too_long"},
			{helpcenter.NewArticle{Slug: "new-one", Category: helpcenter.CatFees, Drafts: map[string]helpcenter.Draft{"en": {Title: "\xff", Body: "b"}}}, "title_en", "invalid"},
			{helpcenter.NewArticle{Slug: "new-one", Category: helpcenter.CatFees}, "title_zh-CN", "required"},
		} {
			_, err := svc.Create(ctx, agent, c.n)
			var fe *helpcenter.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || fe.Code != c.code {
				t.Errorf("Create(%q) = %v, want %s %s", c.n.Slug, err, c.field, c.code)
			}
		}
		if _, err := svc.Read(ctx, "new-one", "en"); !errors.Is(err, helpcenter.ErrNotFound) {
			t.Errorf("refused article exists: %v", err)
		}
		// A published language cannot be emptied.
		list, _ := svc.List(ctx, agent, "en")
		var id int64
		for _, l := range list {
			if l.Slug == "fees" {
				id = l.ID
			}
		}
		err := svc.Save(ctx, agent, id, helpcenter.CatFees, map[string]helpcenter.Draft{"zh-CN": {Title: "费用"}}, true)
		var fe *helpcenter.FieldError
		if !errors.As(err, &fe) || fe.Field != "body_zh-CN" {
			t.Errorf("Save with an empty body: %v", err)
		}
	})
}

// TestSeedIdempotent: seeding again adds nothing and keeps staff's edits.
func TestSeedIdempotent(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, _ := mustSeeded(t, e)
		ctx := context.Background()
		list, err := svc.List(ctx, agent, "zh-CN")
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, l := range list {
			if l.Slug == "fees" {
				id = l.ID
			}
		}
		ed, _ := svc.Edit(ctx, agent, id)
		body := ed.Working["zh-CN"].Body + "\n\n本页内容由客服团队更新。"
		if err := svc.Save(ctx, agent, id, helpcenter.CatFees, map[string]helpcenter.Draft{"zh-CN": {Title: "我们的收费", Body: body}, "en": {Title: ed.Working["en"].Title, Body: ed.Working["en"].Body}}, true); err != nil {
			t.Fatal(err)
		}
		n, err := svc.Seed(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second Seed added %d, %v", n, err)
		}
		p, err := svc.Read(ctx, "fees", "zh-CN")
		if err != nil || p.Text.Title != "我们的收费" {
			t.Fatalf("staff edit overwritten: %+v %v", p.Text, err)
		}
		list2, _ := svc.List(ctx, agent, "zh-CN")
		if len(list2) != len(list) {
			t.Errorf("articles %d after reseeding, want %d", len(list2), len(list))
		}
	})
}

// TestFeedbackCounts: one vote per voter and article (changing it
// replaces it), counts for staff, a limit per address, and no votes on
// articles the public cannot see.
func TestFeedbackCounts(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		svc, _ := mustSeeded(t, e)
		ctx := context.Background()
		vote := func(voter string, helpful bool, ip string) error {
			return svc.Feedback(ctx, "reset-password", voter, helpful, ip)
		}
		for _, v := range []struct {
			voter   string
			helpful bool
		}{{"v:a", true}, {"v:a", true}, {"v:b", false}, {"u:9", true}, {"v:b", true}, {"v:c", false}} {
			if err := vote(v.voter, v.helpful, "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
		}
		list, err := svc.List(ctx, agent, "zh-CN")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range list {
			if l.Slug == "reset-password" && (l.Counts.Helpful != 3 || l.Counts.NotHelpful != 1) {
				t.Errorf("counts %+v, want 3 helpful, 1 not", l.Counts)
			}
		}
		if _, err := svc.List(ctx, customer, "zh-CN"); !errors.Is(err, helpcenter.ErrForbidden) {
			t.Errorf("customer sees counts: %v", err)
		}
		if err := svc.Feedback(ctx, "no-such", "v:a", true, "192.0.2.1"); !errors.Is(err, helpcenter.ErrNotFound) {
			t.Errorf("vote on unknown article: %v", err)
		}
		var err2 error
		for i := 0; i < helpcenter.MaxVotesPerHour+1 && err2 == nil; i++ {
			err2 = vote("v:flood"+string(rune('a'+i%26))+string(rune('a'+i/26)), true, "198.51.100.7")
		}
		if !errors.Is(err2, helpcenter.ErrRateLimited) {
			t.Errorf("flood from one address: %v", err2)
		}
	})
}

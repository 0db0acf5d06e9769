package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// board is a forum on a real database with a settable clock.
type board struct {
	t   *testing.T
	db  *sqlstore.DB
	clk *clock.Settable
	f   *forum.Service
	ctx context.Context
}

var start = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func newBoard(t *testing.T, e sqlstore.Engine) *board {
	t.Helper()
	clk := clock.NewSettable(start)
	db := sqltest.NewDB(t, e, "forum", clk.Now)
	return &board{t: t, db: db, clk: clk, f: forum.New(forum.Options{Store: db.Forum(), Now: clk.Now}), ctx: context.Background()}
}

// member inserts a user whose account is age old and returns them as an
// actor.
func (b *board) member(email string, role auth.Role, age time.Duration) auth.Actor {
	b.t.Helper()
	var id int64
	err := b.db.Write().QueryRow(b.ctx, `INSERT INTO users (email, role, locale, created_at) VALUES ($1, $2, 'zh-CN', $3) RETURNING id`,
		email, string(role), b.clk.Now().Add(-age).UnixNano()).Scan(&id)
	if err != nil {
		b.t.Fatal(err)
	}
	return auth.Actor{UserID: id, Role: role}
}

func (b *board) topic(a auth.Actor, cat forum.Category, title, body string) forum.Posted {
	b.t.Helper()
	p, err := b.f.CreateTopic(b.ctx, a, forum.NewTopic{Category: cat, Title: title, Body: body})
	if err != nil {
		b.t.Fatalf("CreateTopic(%q): %v", title, err)
	}
	return p
}

func (b *board) reply(a auth.Actor, topicID int64, body string) forum.Posted {
	b.t.Helper()
	p, err := b.f.Reply(b.ctx, a, topicID, body)
	if err != nil {
		b.t.Fatalf("Reply(%q): %v", body, err)
	}
	return p
}

func (b *board) count(q string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.db.Read().QueryRow(b.ctx, q, args...).Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

const (
	day  = 24 * time.Hour
	year = 365 * day
)

func bodies(ps []forum.Post) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Body)
	}
	return out
}

func titles(l forum.Listing) []string {
	var out []string
	for _, t := range l.Topics {
		out = append(out, t.Title)
	}
	return out
}

// TestTopicsAndReplies: a topic with replies shows in order with the
// authors' roles and post counts; the listing counts replies and puts the
// most recently active topic first.
func TestTopicsAndReplies(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		tom := b.member("tom@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year)

		first := b.topic(mei, forum.CatWithdrawals, "提现三天还没到账", "我周一申请的提现，到现在还是处理中。")
		b.clk.Add(time.Minute)
		second := b.topic(tom, forum.CatPayments, "How long does a card refund take?", "The shop says it refunded me yesterday.")
		b.clk.Add(time.Minute)
		b.reply(tom, first.TopicID, "我上次也是这样，第二个工作日就到了。")
		b.clk.Add(time.Minute)
		b.reply(agent, first.TopicID, "您好，提现在工作日处理，节假日顺延。")

		v, err := b.f.Topic(b.ctx, auth.Actor{}, first.TopicID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v.Opening == nil || v.Opening.Body != "我周一申请的提现，到现在还是处理中。" || v.Topic.Title != "提现三天还没到账" {
			t.Fatalf("opening: %+v %+v", v.Opening, v.Topic)
		}
		if diff := cmp.Diff([]string{"我上次也是这样，第二个工作日就到了。", "您好，提现在工作日处理，节假日顺延。"}, bodies(v.Posts)); diff != "" {
			t.Errorf("replies (-want +got):\n%s", diff)
		}
		if v.Posts[0].Staff() || !v.Posts[1].Staff() || v.Posts[1].AuthorRole != auth.RoleAgent {
			t.Errorf("staff badges: tom %v, agent %v", v.Posts[0].Staff(), v.Posts[1].Staff())
		}
		if v.Posts[0].AuthorPosts != 2 {
			t.Errorf("tom's post count = %d, want 2", v.Posts[0].AuthorPosts)
		}
		if v.CanAccept {
			t.Error("a visitor may accept an answer")
		}

		l, err := b.f.List(b.ctx, auth.Actor{}, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"提现三天还没到账", "How long does a card refund take?"}, titles(l)); diff != "" {
			t.Errorf("listing by activity (-want +got):\n%s", diff)
		}
		if l.Topics[0].Replies != 2 || l.Topics[1].Replies != 0 || !l.Topics[0].LastActivityAt.Equal(start.Add(3*time.Minute)) {
			t.Errorf("counts: %+v", l.Topics)
		}
		if l.Topics[1].Excerpt != "The shop says it refunded me yesterday." {
			t.Errorf("excerpt %q", l.Topics[1].Excerpt)
		}
		l, err = b.f.List(b.ctx, auth.Actor{}, forum.CatPayments, 1)
		if err != nil || len(l.Topics) != 1 || l.Topics[0].ID != second.TopicID {
			t.Errorf("category listing: %v %+v", err, l)
		}
		counts, err := b.f.CategoryCounts(b.ctx)
		if err != nil || counts[forum.CatWithdrawals] != 1 || counts[forum.CatPayments] != 1 || counts[forum.CatSecurity] != 0 {
			t.Errorf("category counts: %v %v", err, counts)
		}

		// A visitor cannot post.
		if _, err := b.f.Reply(b.ctx, auth.Actor{}, first.TopicID, "hi"); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("visitor reply: %v", err)
		}
	})
}

// TestPagination: 45 replies make three pages of twenty posts (the opening
// post counts on the first page).
func TestPagination(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year) // not rate limited
		tp := b.topic(mei, forum.CatOther, "Long thread", "first")
		for i := range 45 {
			b.clk.Add(time.Second)
			b.reply(agent, tp.TopicID, "reply "+string(rune('A'+i%26))+string(rune('a'+i/26)))
		}
		v, err := b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if v.Page != 3 || v.Pages != 3 || len(v.Posts) != 6 || v.Opening != nil {
			t.Errorf("page 3: page %d of %d, %d posts, opening %v", v.Page, v.Pages, len(v.Posts), v.Opening != nil)
		}
		v, _ = b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 99)
		if v.Page != 3 {
			t.Errorf("page 99 shows page %d", v.Page)
		}
		v, _ = b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1)
		if v.Opening == nil || len(v.Posts) != 19 {
			t.Errorf("page 1: opening %v, %d replies", v.Opening != nil, len(v.Posts))
		}

		// Listings: 25 topics are two pages; a page past the end shows
		// the last one, newest activity first.
		for i := range 24 {
			b.clk.Add(time.Second)
			b.topic(agent, forum.CatOther, "Topic "+string(rune('A'+i)), "body")
		}
		for _, page := range []int{2, 7, 1 << 30} {
			l, err := b.f.List(b.ctx, auth.Actor{}, "", page)
			if err != nil || l.Page != 2 || l.Pages != 2 || l.Total != 25 || len(l.Topics) != 5 {
				t.Errorf("List page %d: %v, page %d of %d, total %d, %d topics", page, err, l.Page, l.Pages, l.Total, len(l.Topics))
			}
		}
		l, _ := b.f.List(b.ctx, auth.Actor{}, "", 1)
		if len(l.Topics) != 20 || l.Topics[0].Title != "Topic X" {
			t.Errorf("List page 1: %d topics, first %q", len(l.Topics), l.Topics[0].Title)
		}
		l, _ = b.f.List(b.ctx, auth.Actor{}, forum.CatSecurity, 3)
		if l.Page != 1 || l.Pages != 1 || l.Total != 0 || len(l.Topics) != 0 {
			t.Errorf("empty category: %+v", l)
		}
	})
}

// TestAcceptAnswer: only the topic's author or staff choose the accepted
// answer, and only a visible reply of that topic.
func TestAcceptAnswer(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		tom := b.member("tom@example.com", auth.RoleCustomer, year)
		sup := b.member("sup@okpay.test", auth.RoleSupervisor, year)
		tp := b.topic(mei, forum.CatSecurity, "怎么开启两步验证", "在哪里设置？")
		b.clk.Add(time.Minute)
		r1 := b.reply(tom, tp.TopicID, "在安全设置里。")
		other := b.topic(tom, forum.CatOther, "Another topic", "body")

		if err := b.f.Accept(b.ctx, tom, tp.TopicID, r1.PostID, "", ""); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("another member accepts: %v", err)
		}
		if err := b.f.Accept(b.ctx, auth.Actor{}, tp.TopicID, r1.PostID, "", ""); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("visitor accepts: %v", err)
		}
		var fe *forum.FieldError
		if err := b.f.Accept(b.ctx, mei, tp.TopicID, tp.PostID, "", ""); !errors.As(err, &fe) || fe.Field != "post" {
			t.Errorf("accepting the opening post: %v", err)
		}
		if err := b.f.Accept(b.ctx, mei, tp.TopicID, other.PostID, "", ""); !errors.As(err, &fe) {
			t.Errorf("accepting another topic's post: %v", err)
		}
		v, _ := b.f.Topic(b.ctx, mei, tp.TopicID, 1)
		if v.Accepted != nil || !v.CanAccept {
			t.Fatalf("before: accepted %v, can accept %v", v.Accepted, v.CanAccept)
		}
		if err := b.f.Accept(b.ctx, mei, tp.TopicID, r1.PostID, "", ""); err != nil {
			t.Fatal(err)
		}
		v, _ = b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1)
		if v.Accepted == nil || v.Accepted.ID != r1.PostID {
			t.Fatalf("accepted: %+v", v.Accepted)
		}
		// Staff may choose too, and that is audited.
		b.clk.Add(time.Minute)
		r2 := b.reply(sup, tp.TopicID, "设置 → 安全 → 两步验证。")
		if err := b.f.Accept(b.ctx, sup, tp.TopicID, r2.PostID, "192.0.2.1", "test"); err != nil {
			t.Fatal(err)
		}
		v, _ = b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1)
		if v.Accepted == nil || v.Accepted.ID != r2.PostID {
			t.Errorf("staff's accepted answer: %+v", v.Accepted)
		}
		if n := b.count("SELECT COUNT(*) FROM audit_log WHERE action = 'forum_answer_accepted' AND actor_id = $1", sup.UserID); n != 1 {
			t.Errorf("audit records of staff's acceptance: %d", n)
		}
	})
}

// TestEditOwnPostOnly: the author edits their post (masked again and
// re-indexed); nobody else may, not even staff.
func TestEditOwnPostOnly(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		tom := b.member("tom@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year)
		tp := b.topic(mei, forum.CatAccount, "Login problem", "I cannot log in")
		for _, a := range []auth.Actor{tom, agent} {
			if _, err := b.f.Edit(b.ctx, a, tp.PostID, "hacked"); !errors.Is(err, forum.ErrForbidden) {
				t.Errorf("edit by %d: %v", a.UserID, err)
			}
		}
		b.clk.Add(time.Hour)
		p, err := b.f.Edit(b.ctx, mei, tp.PostID, "My 提现 fails, card 4111 1111 1111 1111")
		if err != nil || !p.Findings.Has(redact.Card) {
			t.Fatalf("edit: %v %v", err, p.Findings)
		}
		post, _, err := b.f.Post(b.ctx, auth.Actor{}, tp.PostID)
		if err != nil || post.Body != "My 提现 fails, card 411111******1111" || !post.EditedAt.Equal(start.Add(time.Hour)) {
			t.Errorf("edited post: %v %q %v", err, post.Body, post.EditedAt)
		}
		l, _ := b.f.Search(b.ctx, auth.Actor{}, "提现", 1)
		if len(l.Topics) != 1 {
			t.Errorf("search after edit finds %d topics", len(l.Topics))
		}
		l, _ = b.f.Search(b.ctx, auth.Actor{}, "cannot", 1)
		if len(l.Topics) != 0 {
			t.Errorf("search finds the old text")
		}
	})
}

// TestModeration: hidden posts and topics vanish for the public but not
// for staff; a locked topic refuses replies; a banned member cannot post
// until the ban ends or is lifted; every action is audited.
func TestModeration(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		spam := b.member("spam@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year)
		mod := forum.Mod{Actor: agent, IP: "192.0.2.7", UserAgent: "test"}

		tp := b.topic(mei, forum.CatPayments, "退款多久到账", "商家说已经退款了。")
		b.clk.Add(time.Minute)
		good := b.reply(agent, tp.TopicID, "原路退回一般 1–3 个工作日。")
		b.clk.Add(time.Minute)
		bad := b.reply(spam, tp.TopicID, "加我微信代办退款 快速到账")
		if err := b.f.Accept(b.ctx, mei, tp.TopicID, bad.PostID, "", ""); err != nil {
			t.Fatal(err)
		}

		// Reports land in the queue, once per reader.
		for range 2 {
			if _, err := b.f.Report(b.ctx, mei, bad.PostID, "广告"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.f.Queue(b.ctx, mei); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("customer reads the queue: %v", err)
		}
		q, err := b.f.Queue(b.ctx, agent)
		if err != nil || len(q) != 1 || q[0].Post.ID != bad.PostID || len(q[0].Reports) != 1 || q[0].Reports[0].Reason != "广告" {
			t.Fatalf("queue: %v %+v", err, q)
		}

		// Hide the spam: gone for the public, and from the counts, the
		// accepted answer, search and the queue.
		if err := b.f.HidePost(b.ctx, forum.Mod{Actor: mei}, bad.PostID, "spam"); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("customer hides: %v", err)
		}
		var fe *forum.FieldError
		if err := b.f.HidePost(b.ctx, mod, bad.PostID, "  "); !errors.As(err, &fe) || fe.Field != "reason" {
			t.Errorf("hide without reason: %v", err)
		}
		if err := b.f.HidePost(b.ctx, mod, bad.PostID, "广告"); err != nil {
			t.Fatal(err)
		}
		pub, _ := b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1)
		if diff := cmp.Diff([]string{"原路退回一般 1–3 个工作日。"}, bodies(pub.Posts)); diff != "" {
			t.Errorf("public replies (-want +got):\n%s", diff)
		}
		if pub.Accepted != nil || pub.Topic.Replies != 1 || !pub.Topic.LastActivityAt.Equal(start.Add(time.Minute)) {
			t.Errorf("after hiding: accepted %v, replies %d, last %v", pub.Accepted, pub.Topic.Replies, pub.Topic.LastActivityAt)
		}
		st, _ := b.f.Topic(b.ctx, agent, tp.TopicID, 1)
		if len(st.Posts) != 2 || !st.Posts[1].Hidden || st.Posts[1].HiddenReason != "广告" {
			t.Errorf("staff view: %+v", st.Posts)
		}
		if _, _, err := b.f.Post(b.ctx, mei, bad.PostID); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("public reads hidden post: %v", err)
		}
		if l, _ := b.f.Search(b.ctx, auth.Actor{}, "微信", 1); len(l.Topics) != 0 {
			t.Errorf("search finds hidden text")
		}
		if q, _ := b.f.Queue(b.ctx, agent); len(q) != 0 {
			t.Errorf("queue after hiding: %+v", q)
		}
		if err := b.f.Accept(b.ctx, mei, tp.TopicID, bad.PostID, "", ""); !errors.As(err, &fe) {
			t.Errorf("accepting a hidden post: %v", err)
		}
		_ = good

		// Lock: no replies, no edits; unlock allows again.
		if err := b.f.SetLocked(b.ctx, mod, tp.TopicID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := b.f.Reply(b.ctx, mei, tp.TopicID, "还有问题"); !errors.Is(err, forum.ErrLocked) {
			t.Errorf("reply to a locked topic: %v", err)
		}
		if _, err := b.f.Edit(b.ctx, mei, tp.PostID, "edit"); !errors.Is(err, forum.ErrLocked) {
			t.Errorf("edit in a locked topic: %v", err)
		}
		if err := b.f.SetLocked(b.ctx, mod, tp.TopicID, false); err != nil {
			t.Fatal(err)
		}
		b.clk.Add(time.Minute)
		b.reply(mei, tp.TopicID, "谢谢")

		// Ban for a day: refused with the reason and end; then allowed.
		until := b.clk.Now().Add(day)
		if err := b.f.BanUser(b.ctx, mod, spam.UserID, "发广告", until); err != nil {
			t.Fatal(err)
		}
		if err := b.f.BanUser(b.ctx, mod, agent.UserID, "x", time.Time{}); !errors.As(err, &fe) || fe.Field != "user" {
			t.Errorf("banning staff: %v", err)
		}
		if err := b.f.BanUser(b.ctx, mod, spam.UserID, "x", b.clk.Now().Add(-time.Hour)); !errors.As(err, &fe) || fe.Field != "until" {
			t.Errorf("ban ending in the past: %v", err)
		}
		_, err = b.f.Reply(b.ctx, spam, tp.TopicID, "again")
		var be *forum.BanError
		if !errors.As(err, &be) || be.Reason != "发广告" || !be.Until.Equal(until) {
			t.Fatalf("banned reply: %v", err)
		}
		if _, err := b.f.CreateTopic(b.ctx, spam, forum.NewTopic{Category: forum.CatOther, Title: "buy now", Body: "x"}); !errors.Is(err, forum.ErrBanned) {
			t.Errorf("banned topic: %v", err)
		}
		bans, err := b.f.Bans(b.ctx, agent)
		if err != nil || len(bans) != 1 || bans[0].UserID != spam.UserID {
			t.Errorf("bans: %v %+v", err, bans)
		}
		b.clk.Add(day + time.Second)
		b.reply(spam, tp.TopicID, "ban over")
		// A ban without end holds until lifted.
		if err := b.f.BanUser(b.ctx, mod, spam.UserID, "再次发广告", time.Time{}); err != nil {
			t.Fatal(err)
		}
		b.clk.Add(100 * year)
		if _, err := b.f.Reply(b.ctx, spam, tp.TopicID, "x"); !errors.Is(err, forum.ErrBanned) {
			t.Errorf("reply under a ban without end: %v", err)
		}
		if err := b.f.LiftBan(b.ctx, mod, spam.UserID); err != nil {
			t.Fatal(err)
		}
		b.reply(spam, tp.TopicID, "lifted")

		// Hide the whole topic: gone from listings, search and its page
		// for the public, still there for staff; restore brings it back.
		if err := b.f.HideTopic(b.ctx, mod, tp.TopicID, "重复"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.f.Topic(b.ctx, mei, tp.TopicID, 1); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("public reads a hidden topic: %v", err)
		}
		if _, err := b.f.Reply(b.ctx, mei, tp.TopicID, "x"); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("reply to a hidden topic: %v", err)
		}
		if l, _ := b.f.List(b.ctx, auth.Actor{}, "", 1); l.Total != 0 {
			t.Errorf("public listing shows %d topics", l.Total)
		}
		if l, _ := b.f.Search(b.ctx, auth.Actor{}, "退款", 1); l.Total != 0 {
			t.Errorf("public search finds a hidden topic")
		}
		if l, _ := b.f.List(b.ctx, agent, "", 1); l.Total != 1 || !l.Topics[0].Hidden {
			t.Errorf("staff listing: %+v", l)
		}
		if err := b.f.RestoreTopic(b.ctx, mod, tp.TopicID); err != nil {
			t.Fatal(err)
		}
		if err := b.f.RestorePost(b.ctx, mod, bad.PostID); err != nil {
			t.Fatal(err)
		}
		pub, _ = b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1)
		if len(pub.Posts) != 5 {
			t.Errorf("after restoring: %d replies", len(pub.Posts))
		}

		want := map[string]int{"forum_post_hidden": 1, "forum_topic_locked": 1, "forum_topic_unlocked": 1, "forum_user_banned": 2,
			"forum_ban_lifted": 1, "forum_topic_hidden": 1, "forum_topic_restored": 1, "forum_post_restored": 1}
		for action, n := range want {
			if got := b.count("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND actor_id = $2 AND ip = '192.0.2.7'", action, agent.UserID); got != n {
				t.Errorf("audit %s: %d records, want %d", action, got, n)
			}
		}
	})
}

// TestDismissReports: dismissing closes the reports and keeps the post.
func TestDismissReports(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		tom := b.member("tom@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year)
		tp := b.topic(mei, forum.CatOther, "Fees question", "Why was I charged?")
		if _, err := b.f.Report(b.ctx, tom, tp.PostID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.f.Report(b.ctx, auth.Actor{}, tp.PostID, ""); !errors.Is(err, forum.ErrForbidden) {
			t.Errorf("visitor report: %v", err)
		}
		if err := b.f.DismissReports(b.ctx, forum.Mod{Actor: agent}, tp.PostID); err != nil {
			t.Fatal(err)
		}
		if q, _ := b.f.Queue(b.ctx, agent); len(q) != 0 {
			t.Errorf("queue after dismissing: %+v", q)
		}
		if v, err := b.f.Topic(b.ctx, auth.Actor{}, tp.TopicID, 1); err != nil || v.Opening == nil {
			t.Errorf("post after dismissing: %v", err)
		}
		// The same reader may report again later.
		if _, err := b.f.Report(b.ctx, tom, tp.PostID, "again"); err != nil {
			t.Fatal(err)
		}
		if q, _ := b.f.Queue(b.ctx, agent); len(q) != 1 {
			t.Errorf("queue after a new report: %d", len(q))
		}
	})
}

// TestRateLimits: topics per hour and replies per minute, stricter for
// a new account; the refusal says when posting is possible again, and
// posting works again once the window has passed. Staff are not limited.
func TestRateLimits(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		old := b.member("old@example.com", auth.RoleCustomer, year)
		young := b.member("new@example.com", auth.RoleCustomer, time.Hour)
		agent := b.member("agent@okpay.test", auth.RoleAgent, time.Hour)
		l := forum.DefaultLimits

		// A new account: one topic an hour.
		first := b.topic(young, forum.CatOther, "First question", "hello")
		b.clk.Add(10 * time.Minute)
		_, err := b.f.CreateTopic(b.ctx, young, forum.NewTopic{Category: forum.CatOther, Title: "Second question", Body: "hello again"})
		var rl *forum.RateLimitError
		if !errors.As(err, &rl) || !rl.RetryAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("second topic of a new account: %v", err)
		}
		if n := b.count("SELECT COUNT(*) FROM forum_topics WHERE author_id = $1", young.UserID); n != 1 {
			t.Errorf("refused topic stored: %d topics", n)
		}
		b.clk.Set(start.Add(time.Hour + time.Second))
		b.topic(young, forum.CatOther, "Second question", "hello again")

		// A new account: one reply a minute.
		b.reply(young, first.TopicID, "one")
		b.clk.Add(20 * time.Second)
		_, err = b.f.Reply(b.ctx, young, first.TopicID, "two")
		if !errors.As(err, &rl) || !rl.RetryAt.Equal(b.clk.Now().Add(40*time.Second)) {
			t.Fatalf("second reply within a minute: %v", err)
		}
		b.clk.Add(41 * time.Second)
		b.reply(young, first.TopicID, "two")

		// An older account: more topics and replies before the limit.
		b.clk.Set(start.Add(3 * time.Hour))
		var topic forum.Posted
		for i := range l.TopicsPerHour {
			topic = b.topic(old, forum.CatOther, "Topic number "+string(rune('A'+i)), "body")
			b.clk.Add(time.Minute)
		}
		if _, err := b.f.CreateTopic(b.ctx, old, forum.NewTopic{Category: forum.CatOther, Title: "One too many", Body: "x"}); !errors.As(err, &rl) ||
			!rl.RetryAt.Equal(start.Add(4*time.Hour)) {
			t.Errorf("topic over the hourly limit: %v", err)
		}
		for range l.RepliesPerMinute {
			b.reply(old, topic.TopicID, "quick")
		}
		if _, err := b.f.Reply(b.ctx, old, topic.TopicID, "too quick"); !errors.As(err, &rl) || !rl.RetryAt.Equal(b.clk.Now().Add(time.Minute)) {
			t.Errorf("reply over the per-minute limit: %v", err)
		}
		b.clk.Add(time.Minute)
		b.reply(old, topic.TopicID, "a minute later")

		// Staff answer as fast as they need.
		for range 10 {
			b.reply(agent, topic.TopicID, "official answer")
		}
	})
}

// TestRedaction: a card number, security code and password in a post are
// masked before storing, and the author is told.
func TestRedaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		p, err := b.f.CreateTopic(b.ctx, mei, forum.NewTopic{Category: forum.CatPayments, Title: "卡号 4242 4242 4242 4242 充值失败",
			Body: "我的卡 4242-4242-4242-4242，CVV 123，密码是 Secret99，为什么失败？"})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Findings.Has(redact.Card | redact.CVC | redact.Password) {
			t.Errorf("findings %v", p.Findings)
		}
		r, err := b.f.Reply(b.ctx, mei, p.TopicID, "补充：4111111111111111")
		if err != nil || !r.Findings.Has(redact.Card) {
			t.Errorf("reply findings %v %v", err, r.Findings)
		}
		for _, q := range []string{"SELECT title FROM forum_topics", "SELECT body FROM forum_posts", "SELECT term FROM forum_terms"} {
			rows, err := b.db.Read().Query(b.ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				rows.Scan(&s)
				for _, secret := range []string{"4242 4242 4242 4242", "4242-4242-4242-4242", "4242424242424242", "4111111111111111", "Secret99", "secret99", "123，"} {
					if strings.Contains(s, secret) {
						t.Errorf("%s holds %q: %q", q, secret, s)
					}
				}
			}
			rows.Close()
		}
		v, _ := b.f.Topic(b.ctx, auth.Actor{}, p.TopicID, 1)
		if v.Topic.Title != "卡号 424242******4242 充值失败" || !strings.Contains(v.Opening.Body, "424242******4242") {
			t.Errorf("shown: %q / %q", v.Topic.Title, v.Opening.Body)
		}
	})
}

// TestSearch: two-character Chinese queries and English words (with
// prefixes), every term required, hidden text never found.
func TestSearch(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		agent := b.member("agent@okpay.test", auth.RoleAgent, year)
		refund := b.topic(agent, forum.CatPayments, "商家退款多久到账", "原路退回，一般三个工作日。")
		b.clk.Add(time.Minute)
		withdraw := b.topic(agent, forum.CatWithdrawals, "提现失败怎么办", "请检查银行卡信息。")
		b.clk.Add(time.Minute)
		english := b.topic(agent, forum.CatWithdrawals, "Withdrawal to a bank account", "Withdrawals arrive in one to two business days.")
		b.clk.Add(time.Minute)
		b.reply(mei, refund.TopicID, "我的退款也到了，谢谢。Refund arrived!")

		cases := []struct {
			q    string
			want []int64
		}{
			{"退款", []int64{refund.TopicID}},
			{"提现", []int64{withdraw.TopicID}},
			{"到账", []int64{refund.TopicID}},
			{"退款到账", []int64{refund.TopicID}},
			{"退款 提现", nil},
			{"银行", []int64{withdraw.TopicID}},
			{"卡", []int64{withdraw.TopicID}},
			{"withdrawal", []int64{english.TopicID}},
			{"WITHDRAW", []int64{english.TopicID}},
			{"refund", []int64{refund.TopicID}},
			{"business days", []int64{english.TopicID}},
			{"ｂａｎｋ", []int64{english.TopicID}},
			{"bitcoin", nil},
			{"  ，。!! ", nil},
		}
		for _, c := range cases {
			l, err := b.f.Search(b.ctx, auth.Actor{}, c.q, 1)
			if err != nil {
				t.Fatalf("Search(%q): %v", c.q, err)
			}
			var got []int64
			for _, tp := range l.Topics {
				got = append(got, tp.ID)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Search(%q) (-want +got):\n%s", c.q, diff)
			}
			if l.Total != len(c.want) {
				t.Errorf("Search(%q) total %d", c.q, l.Total)
			}
		}
	})
}

// TestInputChecks: empty, too long and invalid UTF-8 input is refused
// with the field named, and nothing is stored.
func TestInputChecks(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		long := strings.Repeat("长", forum.MaxBodyLen+1)
		cases := []struct {
			n           forum.NewTopic
			field, code string
		}{
			{forum.NewTopic{Category: "", Title: "Valid title", Body: "x"}, "category", "required"},
			{forum.NewTopic{Category: "nonsense", Title: "Valid title", Body: "x"}, "category", "required"},
			{forum.NewTopic{Category: forum.CatOther, Title: "  ", Body: "x"}, "title", "required"},
			{forum.NewTopic{Category: forum.CatOther, Title: "短", Body: "x"}, "title", "too_short"},
			{forum.NewTopic{Category: forum.CatOther, Title: strings.Repeat("a", forum.MaxTitleLen+1), Body: "x"}, "title", "too_long"},
			{forum.NewTopic{Category: forum.CatOther, Title: "bad \xff title", Body: "x"}, "title", "invalid"},
			{forum.NewTopic{Category: forum.CatOther, Title: "Valid title", Body: "\n\t "}, "body", "required"},
			{forum.NewTopic{Category: forum.CatOther, Title: "Valid title", Body: long}, "body", "too_long"},
			{forum.NewTopic{Category: forum.CatOther, Title: "Valid title", Body: "a\xc3"}, "body", "invalid"},
		}
		for _, c := range cases {
			_, err := b.f.CreateTopic(b.ctx, mei, c.n)
			var fe *forum.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || fe.Code != c.code {
				t.Errorf("CreateTopic(%.30q): %v, want %s %s", c.n.Title, err, c.field, c.code)
			}
		}
		// All mistakes are reported together.
		_, err := b.f.CreateTopic(b.ctx, mei, forum.NewTopic{Category: "x", Title: "", Body: long})
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok || len(joined.Unwrap()) != 3 {
			t.Errorf("three mistakes: %v", err)
		}
		if n := b.count("SELECT COUNT(*) FROM forum_topics"); n != 0 {
			t.Errorf("%d topics stored", n)
		}
		if n := b.count("SELECT COUNT(*) FROM forum_members"); n != 0 {
			t.Errorf("%d members touched", n)
		}
	})
}

// TestRateLimitUnderConcurrency: a member's replies sent at the same
// moment from many requests (on any node) are counted one after the
// other: exactly the limit get through.
func TestRateLimitUnderConcurrency(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		b := newBoard(t, e)
		mei := b.member("mei@example.com", auth.RoleCustomer, year)
		tom := b.member("tom@example.com", auth.RoleCustomer, year)
		tp := b.topic(mei, forum.CatOther, "Busy topic", "first")
		const tries = 8
		errs := make(chan error, tries)
		for range tries {
			go func() {
				_, err := b.f.Reply(b.ctx, tom, tp.TopicID, "me too")
				errs <- err
			}()
		}
		ok, limited := 0, 0
		for range tries {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case errors.Is(err, forum.ErrRateLimited):
				limited++
			default:
				t.Errorf("reply: %v", err)
			}
		}
		if ok != forum.DefaultLimits.RepliesPerMinute || limited != tries-ok {
			t.Errorf("%d replies stored, %d refused; want %d stored", ok, limited, forum.DefaultLimits.RepliesPerMinute)
		}
		if n := b.count("SELECT COUNT(*) FROM forum_posts WHERE author_id = $1", tom.UserID); n != forum.DefaultLimits.RepliesPerMinute {
			t.Errorf("%d replies in the table", n)
		}
	})
}

package forum

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
)

// NewTopic is a topic a member opens.
type NewTopic struct {
	Category Category
	Title    string
	Body     string
}

// Posted is what a post (topic, reply or edit) stored.
type Posted struct {
	TopicID int64
	PostID  int64
	// Findings is what the sensitive-data guard masked: tell the author.
	Findings redact.Findings
}

// excerptLen is the length of a listing's excerpt, in characters.
const excerptLen = 120

// CreateTopic opens a topic with its first post. Bad input, a ban, a rate
// limit or an unknown user store nothing. Errors: *FieldError (joined,
// one per field in error), *BanError, *RateLimitError, ErrForbidden (not
// signed in).
func (s *Service) CreateTopic(ctx context.Context, a auth.Actor, n NewTopic) (Posted, error) {
	if a.UserID <= 0 {
		return Posted{}, ErrForbidden
	}
	// Every field is checked, so the form can mark all its mistakes at
	// once; the error joins one *FieldError per field.
	var errs []error
	if !n.Category.Valid() {
		errs = append(errs, invalid("category", "required"))
	}
	title, tf, err := clean("title", n.Title, MinTitleLen, MaxTitleLen, false)
	if err != nil {
		errs = append(errs, err)
	}
	body, bf, err := clean("body", n.Body, 1, MaxBodyLen, true)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Posted{}, errors.Join(errs...)
	}
	now := s.nowUTC()
	out := Posted{Findings: tf | bf}
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := s.mayPost(ctx, tx, a.UserID, true, now); err != nil {
			return err
		}
		t := Topic{Category: n.Category, Title: title, AuthorID: a.UserID, CreatedAt: now, LastActivityAt: now, Findings: tf}
		id, err := tx.InsertTopic(ctx, t)
		if err != nil {
			return err
		}
		t.ID = id
		pid, err := tx.InsertPost(ctx, Post{TopicID: id, AuthorID: a.UserID, Opening: true, Body: body, Findings: bf, CreatedAt: now})
		if err != nil {
			return err
		}
		t.FirstPostID = pid
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		if err := tx.IndexPost(ctx, pid, id, Terms(title+"\n"+body)); err != nil {
			return err
		}
		out.TopicID, out.PostID = id, pid
		return tx.AddMemberPosts(ctx, a.UserID, 1)
	})
	if err != nil {
		return Posted{}, err
	}
	return out, nil
}

// Reply adds a reply to a topic. Errors: *FieldError, ErrNotFound (no
// such topic, or hidden), ErrLocked, *BanError, *RateLimitError,
// ErrForbidden.
func (s *Service) Reply(ctx context.Context, a auth.Actor, topicID int64, text string) (Posted, error) {
	if a.UserID <= 0 {
		return Posted{}, ErrForbidden
	}
	body, bf, err := clean("body", text, 1, MaxBodyLen, true)
	if err != nil {
		return Posted{}, err
	}
	now := s.nowUTC()
	out := Posted{TopicID: topicID, Findings: bf}
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		if t.Hidden && !staff(a) {
			return ErrNotFound
		}
		if t.Locked || t.Hidden {
			return ErrLocked
		}
		if err := s.mayPost(ctx, tx, a.UserID, false, now); err != nil {
			return err
		}
		pid, err := tx.InsertPost(ctx, Post{TopicID: topicID, AuthorID: a.UserID, Body: body, Findings: bf, CreatedAt: now})
		if err != nil {
			return err
		}
		out.PostID = pid
		if err := tx.IndexPost(ctx, pid, topicID, Terms(body)); err != nil {
			return err
		}
		if err := tx.Activity(ctx, topicID); err != nil {
			return err
		}
		return tx.AddMemberPosts(ctx, a.UserID, 1)
	})
	if err != nil {
		return Posted{}, err
	}
	return out, nil
}

// Edit replaces the text of the actor's own post. Staff moderate by
// hiding, never by changing what a member wrote. Errors: *FieldError,
// ErrNotFound, ErrForbidden (not the author), ErrLocked, *BanError.
func (s *Service) Edit(ctx context.Context, a auth.Actor, postID int64, text string) (Posted, error) {
	if a.UserID <= 0 {
		return Posted{}, ErrForbidden
	}
	now := s.nowUTC()
	var out Posted
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.Post(ctx, postID)
		if err != nil {
			return err
		}
		t, err := tx.Topic(ctx, p.TopicID)
		if err != nil {
			return err
		}
		if (p.Hidden || t.Hidden) && !staff(a) {
			return ErrNotFound
		}
		if p.AuthorID != a.UserID {
			return ErrForbidden
		}
		body, bf, err := clean("body", text, 1, MaxBodyLen, true)
		if err != nil {
			return err
		}
		if t.Locked || t.Hidden || p.Hidden {
			return ErrLocked
		}
		if _, err := tx.LockMember(ctx, a.UserID); err != nil {
			return err
		}
		if err := s.banned(ctx, tx, a.UserID, now); err != nil {
			return err
		}
		p.Body, p.Findings, p.EditedAt = body, bf, now
		if err := tx.UpdatePost(ctx, p); err != nil {
			return err
		}
		terms := body
		if p.Opening {
			terms = t.Title + "\n" + body
		}
		out = Posted{TopicID: t.ID, PostID: p.ID, Findings: bf}
		return tx.IndexPost(ctx, p.ID, t.ID, Terms(terms))
	})
	if err != nil {
		return Posted{}, err
	}
	return out, nil
}

// Accept marks a reply as the topic's accepted answer, replacing any
// other. Only the topic's author and staff may. Errors: ErrNotFound,
// ErrForbidden, *FieldError (post: not a visible reply in this topic).
func (s *Service) Accept(ctx context.Context, a auth.Actor, topicID, postID int64, ip, userAgent string) error {
	if a.UserID <= 0 {
		return ErrForbidden
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		if t.Hidden && !staff(a) {
			return ErrNotFound
		}
		if t.AuthorID != a.UserID && !staff(a) {
			return ErrForbidden
		}
		p, err := tx.Post(ctx, postID)
		if errors.Is(err, ErrNotFound) || err == nil && (p.TopicID != t.ID || p.Opening || p.Hidden) {
			return invalid("post", "invalid")
		}
		if err != nil {
			return err
		}
		t.AcceptedPostID = p.ID
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		if t.AuthorID == a.UserID {
			return nil
		}
		return s.record(ctx, tx, Mod{Actor: a, IP: ip, UserAgent: userAgent}, "forum_answer_accepted", "forum_post", p.ID, nil)
	})
}

// mayPost refuses a banned member and one over the rate limits; it takes
// the member's row lock first, so concurrent posts of one member are
// counted one after the other.
func (s *Service) mayPost(ctx context.Context, tx Tx, userID int64, opening bool, now time.Time) error {
	m, err := tx.LockMember(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.banned(ctx, tx, userID, now); err != nil {
		return err
	}
	if IsStaff(m.Role) {
		return nil
	}
	l := s.limits
	young := now.Sub(m.JoinedAt) < l.NewAccountAge
	type limit struct {
		window time.Duration
		max    int
	}
	var limits []limit
	switch {
	case opening && young:
		limits = []limit{{time.Hour, l.NewTopicsPerHour}}
	case opening:
		limits = []limit{{time.Hour, l.TopicsPerHour}}
	case young:
		limits = []limit{{time.Minute, l.NewRepliesPerMin}, {time.Hour, l.NewRepliesPerHour}}
	default:
		limits = []limit{{time.Minute, l.RepliesPerMinute}, {time.Hour, l.RepliesPerHour}}
	}
	times, err := tx.PostTimes(ctx, userID, opening, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	var retry time.Time
	for _, lm := range limits {
		if lm.max <= 0 {
			continue
		}
		var in []time.Time
		for _, t := range times {
			if t.After(now.Add(-lm.window)) {
				in = append(in, t)
			}
		}
		if len(in) >= lm.max {
			// Posting is possible again once the oldest post that keeps
			// the count at the limit leaves the window.
			at := in[len(in)-lm.max].Add(lm.window)
			if at.After(retry) {
				retry = at
			}
		}
	}
	if !retry.IsZero() {
		return &RateLimitError{RetryAt: retry}
	}
	return nil
}

func (s *Service) banned(ctx context.Context, tx Tx, userID int64, now time.Time) error {
	b, err := tx.Ban(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if b.Active(now) {
		return &BanError{Reason: b.Reason, Until: b.Until}
	}
	return nil
}

// BanOf returns the member's ban in force, if any (for the reply form).
func (s *Service) BanOf(ctx context.Context, userID int64) (Ban, bool, error) {
	var b Ban
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		b, err = tx.Ban(ctx, userID)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Ban{}, false, nil
	}
	if err != nil {
		return Ban{}, false, err
	}
	return b, b.Active(s.nowUTC()), nil
}

// TopicView is one page of a topic as a reader sees it.
type TopicView struct {
	Topic    Topic
	Opening  *Post // nil on later pages, or when hidden from the reader
	Accepted *Post // the accepted answer, when visible
	Posts    []Post
	Page     int
	Pages    int
	// CanAccept: the reader may choose the accepted answer.
	CanAccept bool
	Staff     bool
}

// Topic returns page (from 1) of a topic: its posts, oldest first, the
// opening post on page 1. Hidden topics and posts are shown to staff
// only. Errors: ErrNotFound.
func (s *Service) Topic(ctx context.Context, a auth.Actor, topicID int64, page int) (TopicView, error) {
	isStaff := staff(a)
	v := TopicView{Staff: isStaff}
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		if t.Hidden && !isStaff {
			return ErrNotFound
		}
		v.Topic = t
		_, total, err := tx.Posts(ctx, topicID, isStaff, 0, 0)
		if err != nil {
			return err
		}
		v.Page, v.Pages = clampPage(page, total)
		posts, _, err := tx.Posts(ctx, topicID, isStaff, (v.Page-1)*PageSize, PageSize)
		if err != nil {
			return err
		}
		for i := range posts {
			if posts[i].Opening {
				p := posts[i]
				v.Opening = &p
				continue
			}
			v.Posts = append(v.Posts, posts[i])
		}
		if t.AcceptedPostID != 0 {
			p, err := tx.Post(ctx, t.AcceptedPostID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if err == nil && (!p.Hidden || isStaff) {
				v.Accepted = &p
			}
		}
		v.CanAccept = a.UserID > 0 && (a.UserID == t.AuthorID || isStaff) && !t.Hidden
		return nil
	})
	return v, err
}

// maxPage bounds a requested page, so an offset never overflows.
const maxPage = 1 << 20

// clampPage returns page within 1..pages for total items.
func clampPage(page, total int) (int, int) {
	pages := (total + PageSize - 1) / PageSize
	if pages < 1 {
		pages = 1
	}
	if page < 1 {
		page = 1
	}
	if page > pages {
		page = pages
	}
	return page, pages
}

// Post returns one post and its topic, as the reader may see them.
// Errors: ErrNotFound.
func (s *Service) Post(ctx context.Context, a auth.Actor, postID int64) (Post, Topic, error) {
	var (
		p Post
		t Topic
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Post(ctx, postID); err != nil {
			return err
		}
		if t, err = tx.Topic(ctx, p.TopicID); err != nil {
			return err
		}
		if (p.Hidden || t.Hidden) && !staff(a) {
			return ErrNotFound
		}
		return nil
	})
	return p, t, err
}

// Listing is one page of topics.
type Listing struct {
	Topics []Topic
	Total  int
	Page   int
	Pages  int
	// Terms are what a search looked up (nil for a plain listing).
	Terms []string
}

// List returns page (from 1) of the topics in category ("" for all),
// most recent activity first.
func (s *Service) List(ctx context.Context, a auth.Actor, category Category, page int) (Listing, error) {
	if category != "" && !category.Valid() {
		category = ""
	}
	return s.list(ctx, TopicFilter{Category: category, IncludeHidden: staff(a)}, page)
}

// Search returns page (from 1) of the topics whose visible posts hold
// every term of q (see QueryTerms), most recent activity first. A query
// with no terms finds nothing.
func (s *Service) Search(ctx context.Context, a auth.Actor, q string, page int) (Listing, error) {
	terms := QueryTerms(q)
	if len(terms) == 0 {
		return Listing{Page: 1, Pages: 1}, nil
	}
	l, err := s.list(ctx, TopicFilter{Terms: terms, IncludeHidden: staff(a)}, page)
	l.Terms = terms
	return l, err
}

func (s *Service) list(ctx context.Context, f TopicFilter, page int) (Listing, error) {
	var l Listing
	if page < 1 {
		page = 1
	}
	if page > maxPage {
		page = maxPage
	}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		f.Offset, f.Limit = (page-1)*PageSize, PageSize
		if l.Topics, l.Total, err = tx.Topics(ctx, f); err != nil {
			return err
		}
		l.Page, l.Pages = clampPage(page, l.Total)
		if l.Page != page {
			// Past the end: show the last page.
			f.Offset = (l.Page - 1) * PageSize
			if l.Topics, l.Total, err = tx.Topics(ctx, f); err != nil {
				return err
			}
		}
		for i := range l.Topics {
			l.Topics[i].Excerpt = excerpt(l.Topics[i].Excerpt, excerptLen)
		}
		return err
	})
	return l, err
}

// CategoryCounts counts the topics every reader sees, per category.
func (s *Service) CategoryCounts(ctx context.Context) (map[Category]int, error) {
	var m map[Category]int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		m, err = tx.CategoryCounts(ctx)
		return err
	})
	return m, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes a moderation action to the audit log.
func (s *Service) record(ctx context.Context, tx Tx, m Mod, action, targetType string, targetID int64, details map[string]string) error {
	return audit.Record(ctx, tx.Audit(), audit.Event{At: s.nowUTC(), ActorID: m.Actor.UserID, ActorRole: string(m.Actor.Role), Action: action,
		TargetType: targetType, TargetID: itoa(targetID), IP: m.IP, UserAgent: m.UserAgent, Details: details})
}

package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/web/i18n"
)

// forumRoutes are the community forum's pages: reading is public,
// posting needs a signed-in account, moderation is staff's
// (staff_forum.go).
func (s *Site) forumRoutes() []route {
	return []route{
		{"GET /community", s.forumIndex},
		{"GET /community/new", s.requireUser(s.forumNewPage)},
		{"POST /community/new", s.requireUser(s.forumCreate)},
		{"GET /community/t/{id}", s.forumTopic},
		{"POST /community/t/{id}/reply", s.requireUser(s.forumReply)},
		{"POST /community/t/{id}/accept", s.requireUser(s.forumAccept)},
		{"GET /community/p/{id}/edit", s.requireUser(s.forumEditPage)},
		{"POST /community/p/{id}/edit", s.requireUser(s.forumEdit)},
		{"POST /community/p/{id}/report", s.requireUser(s.forumReport)},
		{"GET /staff/community", s.requireUser(s.staffForum)},
		{"POST /staff/community/p/{id}/hide", s.requireUser(s.staffForumHidePost)},
		{"POST /staff/community/p/{id}/restore", s.requireUser(s.staffForumRestorePost)},
		{"POST /staff/community/p/{id}/dismiss", s.requireUser(s.staffForumDismiss)},
		{"POST /staff/community/t/{id}/hide", s.requireUser(s.staffForumHideTopic)},
		{"POST /staff/community/t/{id}/restore", s.requireUser(s.staffForumRestoreTopic)},
		{"POST /staff/community/t/{id}/lock", s.requireUser(s.staffForumLock)},
		{"POST /staff/community/t/{id}/unlock", s.requireUser(s.staffForumUnlock)},
		{"POST /staff/community/bans", s.requireUser(s.staffForumBan)},
		{"POST /staff/community/bans/{user}/lift", s.requireUser(s.staffForumLift)},
	}
}

// forumCategoryKeys name the categories.
var forumCategoryKeys = map[forum.Category]string{
	forum.CatAccount:     "forum.cat.account",
	forum.CatPayments:    "forum.cat.payments",
	forum.CatWithdrawals: "forum.cat.withdrawals",
	forum.CatSecurity:    "forum.cat.security",
	forum.CatMerchants:   "forum.cat.merchants",
	forum.CatOther:       "forum.cat.other",
}

// forumRoleKeys name staff roles beside the official badge.
var forumRoleKeys = map[auth.Role]string{
	auth.RoleAgent:      "forum.role.agent",
	auth.RoleSupervisor: "forum.role.supervisor",
	auth.RoleAdmin:      "forum.role.admin",
}

// forumErrorKeys are the messages of the forum's field errors.
var forumErrorKeys = map[string]string{
	"category.required": "forum.error.category",
	"title.required":    "forum.error.title_required",
	"title.too_short":   "forum.error.title_too_short",
	"title.too_long":    "forum.error.title_too_long",
	"title.invalid":     "forum.error.invalid_text",
	"body.required":     "forum.error.body_required",
	"body.too_long":     "forum.error.body_too_long",
	"body.invalid":      "forum.error.invalid_text",
	"reason.required":   "forum.error.reason_required",
	"reason.too_long":   "forum.error.reason_too_long",
	"reason.invalid":    "forum.error.invalid_text",
	"post.invalid":      "forum.error.post",
	"user.invalid":      "forum.error.user",
	"user.staff":        "forum.error.user_staff",
	"until.invalid":     "forum.error.until",
}

// forumNoticeKeys confirm what the reader just did.
var forumNoticeKeys = map[string]string{
	"posted":   "forum.notice.posted",
	"replied":  "forum.notice.replied",
	"accepted": "forum.notice.accepted",
	"edited":   "forum.notice.edited",
	"reported": "forum.notice.reported",
	"hidden":   "forum.notice.hidden",
	"restored": "forum.notice.restored",
	"locked":   "forum.notice.locked",
	"unlocked": "forum.notice.unlocked",
}

// forumView is the forum pages' shared vocabulary.
type forumView struct {
	loc *i18n.Locale
	tz  *time.Location
}

// Category names a category in the reader's language.
func (v forumView) Category(c forum.Category) string { return v.loc.T(forumCategoryKeys[c]) }

// Author names a post's or topic's author: members by number (their email
// is never shown), staff by their role.
func (v forumView) Author(id int64, role auth.Role) string {
	if forum.IsStaff(role) {
		return v.loc.T(forumRoleKeys[role])
	}
	return v.loc.T("forum.member", "id", id)
}

// Excerpt is the start of a post on one line.
func (v forumView) Excerpt(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if rs := []rune(text); len(rs) > 160 {
		return string(rs[:160]) + "…"
	}
	return text
}

// Paragraphs splits a post for display (see forum.Paragraphs).
func (v forumView) Paragraphs(text string) []forum.Paragraph { return forum.Paragraphs(text) }

// forumError turns a forum error into a message for the reader, the
// field it belongs to ("" for the form as a whole) and the status to
// answer with; ok is false for an unexpected error.
func (s *Site) forumError(loc *i18n.Locale, err error) (field, msg string, status int, ok bool) {
	var (
		fe *forum.FieldError
		rl *forum.RateLimitError
		be *forum.BanError
	)
	switch {
	case errors.As(err, &fe):
		key, found := forumErrorKeys[fe.Field+"."+fe.Code]
		if !found {
			key = "forum.error.invalid_text"
		}
		return fe.Field, loc.T(key), http.StatusUnprocessableEntity, true
	case errors.As(err, &rl):
		mins := int(math.Ceil(rl.RetryAt.Sub(s.now()).Minutes()))
		if mins < 1 {
			mins = 1
		}
		return "", loc.T("forum.error.rate", "time", loc.DateTime(rl.RetryAt.In(s.tz)), "minutes", mins), http.StatusTooManyRequests, true
	case errors.As(err, &be):
		return "", s.banText(loc, be.Reason, be.Until), http.StatusForbidden, true
	case errors.Is(err, forum.ErrLocked):
		return "", loc.T("forum.error.locked"), http.StatusConflict, true
	}
	return "", "", 0, false
}

// banText tells a banned member why and until when.
func (s *Site) banText(loc *i18n.Locale, reason string, until time.Time) string {
	if until.IsZero() {
		return loc.T("forum.error.banned_lifted", "reason", reason)
	}
	return loc.T("forum.error.banned_until", "reason", reason, "time", loc.DateTime(until.In(s.tz)))
}

func pathID(r *http.Request, name string) int64 {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// pageParam reads ?page=, where "last" is any page past the end.
func pageParam(r *http.Request) int {
	p := r.URL.Query().Get("page")
	if p == "last" {
		return math.MaxInt32
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func optActor(r *http.Request) auth.Actor {
	if si := currentUser(r); si != nil {
		return actor(si)
	}
	return auth.Actor{}
}

// forumIndexData is what forum.html shows: the categories and a page of
// topics, or search results.
type forumIndexData struct {
	forumView
	Categories []forum.Category
	Counts     map[forum.Category]int
	Current    forum.Category // the category shown, "" for all
	Query      string
	Searched   bool
	Listing    forum.Listing
	SignedIn   bool
	Staff      bool
	Prev, Next string // links to the neighbouring pages, "" for none
}

func (s *Site) forumIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a := optActor(r)
	d := forumIndexData{forumView: forumView{s.Locale(r), s.tz}, Categories: forum.Categories, SignedIn: a.UserID > 0, Staff: forum.IsStaff(a.Role)}
	d.Query = strings.TrimSpace(strings.ToValidUTF8(q.Get("q"), ""))
	if len(d.Query) > 200 {
		d.Query = ""
	}
	if c := forum.Category(q.Get("c")); c.Valid() {
		d.Current = c
	}
	var err error
	if d.Counts, err = s.forum.CategoryCounts(r.Context()); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if d.Query != "" {
		d.Searched = true
		d.Listing, err = s.forum.Search(r.Context(), a, d.Query, pageParam(r))
	} else {
		d.Listing, err = s.forum.List(r.Context(), a, d.Current, pageParam(r))
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	link := func(page int) string {
		v := url.Values{}
		if d.Query != "" {
			v.Set("q", d.Query)
		}
		if d.Current != "" {
			v.Set("c", string(d.Current))
		}
		v.Set("page", strconv.Itoa(page))
		return "/community?" + v.Encode()
	}
	if d.Listing.Page > 1 {
		d.Prev = link(d.Listing.Page - 1)
	}
	if d.Listing.Page < d.Listing.Pages {
		d.Next = link(d.Listing.Page + 1)
	}
	s.Render(w, r, http.StatusOK, "forum", d)
}

// forumTopicData is what forum_topic.html shows.
type forumTopicData struct {
	forumView
	forum.TopicView
	Me       int64        // the reader's user id, 0 for a visitor
	Shown    []forum.Post // the opening post (on page 1) and the replies
	Notice   string
	Masked   bool
	Form     *form  // the reply form
	Ban      string // why the reader may not post, when banned
	Here     string // this page, for returning after an action
	Prev     string
	Next     string
	LoginURL string
}

func (s *Site) forumTopic(w http.ResponseWriter, r *http.Request) {
	d := forumTopicData{Form: newForm()}
	if key := forumNoticeKeys[r.URL.Query().Get("done")]; key != "" {
		d.Notice = s.Locale(r).T(key)
	}
	d.Masked = r.URL.Query().Get("masked") == "1"
	s.renderForumTopic(w, r, http.StatusOK, d)
}

func (s *Site) renderForumTopic(w http.ResponseWriter, r *http.Request, status int, d forumTopicData) {
	a := optActor(r)
	id := pathID(r, "id")
	v, err := s.forum.Topic(r.Context(), a, id, pageParam(r))
	switch {
	case errors.Is(err, forum.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	d.forumView, d.TopicView, d.Me = forumView{loc, s.tz}, v, a.UserID
	if v.Opening != nil {
		d.Shown = append(d.Shown, *v.Opening)
	}
	d.Shown = append(d.Shown, v.Posts...)
	base := "/community/t/" + strconv.FormatInt(id, 10)
	d.Here = base + "?page=" + strconv.Itoa(v.Page)
	if v.Page > 1 {
		d.Prev = base + "?page=" + strconv.Itoa(v.Page-1)
	}
	if v.Page < v.Pages {
		d.Next = base + "?page=" + strconv.Itoa(v.Page+1)
	}
	d.LoginURL = "/login?next=" + url.QueryEscape(base)
	if a.UserID > 0 {
		b, active, err := s.forum.BanOf(r.Context(), a.UserID)
		if err != nil {
			s.ServerError(w, r, err)
			return
		}
		if active {
			d.Ban = s.banText(loc, b.Reason, b.Until)
		}
	}
	s.Render(w, r, status, "forum_topic", d)
}

// forumNewData is what forum_new.html shows.
type forumNewData struct {
	forumView
	Categories []forum.Category
	Form       *form
}

func (s *Site) forumNewPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	f := newForm()
	if c := forum.Category(r.URL.Query().Get("c")); c.Valid() {
		f.Values["category"] = string(c)
	}
	s.renderForumNew(w, r, http.StatusOK, f)
}

func (s *Site) renderForumNew(w http.ResponseWriter, r *http.Request, status int, f *form) {
	s.Render(w, r, status, "forum_new", forumNewData{forumView: forumView{s.Locale(r), s.tz}, Categories: forum.Categories, Form: f})
}

// keepPost keeps what the member typed to show again after an error:
// made valid UTF-8 and masked, so a card number is never echoed.
func keepPost(f *form, name, v string) {
	v, _ = redact.Text(strings.ToValidUTF8(v, "\uFFFD"))
	f.Values[name] = v
}

func (s *Site) forumCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	p, err := s.forum.CreateTopic(r.Context(), actor(si), forum.NewTopic{Category: forum.Category(vals.Get("category")), Title: vals.Get("title"), Body: vals.Get("body")})
	if err == nil {
		http.Redirect(w, r, "/community/t/"+strconv.FormatInt(p.TopicID, 10)+"?done=posted"+maskedParam(p.Findings), http.StatusSeeOther)
		return
	}
	loc := s.Locale(r)
	field, msg, status, ok := s.forumError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	f.keep("category", vals.Get("category"))
	keepPost(f, "title", vals.Get("title"))
	keepPost(f, "body", vals.Get("body"))
	if field == "" {
		field = "summary"
	}
	f.Errors[field] = msg
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if field, msg, _, ok := s.forumError(loc, e); ok && field != "" {
				f.Errors[field] = msg
			}
		}
	}
	f.Summary = loc.T("form.summary")
	s.renderForumNew(w, r, status, f)
}

func maskedParam(f redact.Findings) string {
	if f != 0 {
		return "&masked=1"
	}
	return ""
}

func (s *Site) forumReply(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := pathID(r, "id")
	p, err := s.forum.Reply(r.Context(), actor(si), id, vals.Get("body"))
	if err == nil {
		http.Redirect(w, r, "/community/t/"+strconv.FormatInt(id, 10)+"?page=last&done=replied"+maskedParam(p.Findings)+"#p"+strconv.FormatInt(p.PostID, 10), http.StatusSeeOther)
		return
	}
	if errors.Is(err, forum.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	loc := s.Locale(r)
	field, msg, status, ok := s.forumError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	keepPost(f, "body", vals.Get("body"))
	if field == "" {
		field = "summary"
	}
	f.Errors[field] = msg
	f.Summary = loc.T("form.summary")
	r.URL.RawQuery = "page=last"
	s.renderForumTopic(w, r, status, forumTopicData{Form: f})
}

func (s *Site) forumAccept(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := pathID(r, "id")
	post, _ := strconv.ParseInt(vals.Get("post"), 10, 64)
	err := s.forum.Accept(r.Context(), actor(si), id, post, clientIP(r), r.UserAgent())
	switch {
	case err == nil:
		http.Redirect(w, r, "/community/t/"+strconv.FormatInt(id, 10)+"?done=accepted#p"+strconv.FormatInt(post, 10), http.StatusSeeOther)
	case errors.Is(err, forum.ErrForbidden):
		s.Forbidden(w, r)
	case errors.Is(err, forum.ErrNotFound):
		s.NotFound(w, r)
	default:
		loc := s.Locale(r)
		_, msg, status, ok := s.forumError(loc, err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		f := newForm()
		f.Errors["summary"], f.Summary = msg, loc.T("form.summary")
		s.renderForumTopic(w, r, status, forumTopicData{Form: f})
	}
}

// forumEditData is what forum_edit.html shows.
type forumEditData struct {
	forumView
	Post  forum.Post
	Topic forum.Topic
	Form  *form
}

func (s *Site) forumEditPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	p, t, err := s.forum.Post(r.Context(), actor(si), pathID(r, "id"))
	switch {
	case errors.Is(err, forum.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	if p.AuthorID != si.user.ID {
		s.Forbidden(w, r)
		return
	}
	f := newForm()
	f.Values["body"] = p.Body
	s.Render(w, r, http.StatusOK, "forum_edit", forumEditData{forumView: forumView{s.Locale(r), s.tz}, Post: p, Topic: t, Form: f})
}

func (s *Site) forumEdit(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := pathID(r, "id")
	p, err := s.forum.Edit(r.Context(), actor(si), id, vals.Get("body"))
	switch {
	case err == nil:
		http.Redirect(w, r, "/community/t/"+strconv.FormatInt(p.TopicID, 10)+"?done=edited"+maskedParam(p.Findings)+"#p"+strconv.FormatInt(p.PostID, 10), http.StatusSeeOther)
		return
	case errors.Is(err, forum.ErrForbidden):
		s.Forbidden(w, r)
		return
	case errors.Is(err, forum.ErrNotFound):
		s.NotFound(w, r)
		return
	}
	loc := s.Locale(r)
	field, msg, status, ok := s.forumError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	post, t, perr := s.forum.Post(r.Context(), actor(si), id)
	if perr != nil {
		s.ServerError(w, r, perr)
		return
	}
	f := newForm()
	keepPost(f, "body", vals.Get("body"))
	if field == "" {
		field = "summary"
	}
	f.Errors[field] = msg
	f.Summary = loc.T("form.summary")
	s.Render(w, r, status, "forum_edit", forumEditData{forumView: forumView{loc, s.tz}, Post: post, Topic: t, Form: f})
}

func (s *Site) forumReport(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := pathID(r, "id")
	_, err := s.forum.Report(r.Context(), actor(si), id, vals.Get("reason"))
	if errors.Is(err, forum.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		loc := s.Locale(r)
		_, msg, status, ok := s.forumError(loc, err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		p, _, perr := s.forum.Post(r.Context(), actor(si), id)
		if perr != nil {
			s.ServerError(w, r, perr)
			return
		}
		f := newForm()
		f.Errors["summary"], f.Summary = msg, loc.T("form.summary")
		r.SetPathValue("id", strconv.FormatInt(p.TopicID, 10))
		s.renderForumTopic(w, r, status, forumTopicData{Form: f})
		return
	}
	p, _, err := s.forum.Post(r.Context(), actor(si), id)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/community/t/"+strconv.FormatInt(p.TopicID, 10)+"?done=reported#p"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

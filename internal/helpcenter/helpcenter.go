// Package helpcenter owns the help centre (HLP-1): articles in Chinese and
// English, grouped in categories, written and published by staff, searched
// by customers, and rated "was this helpful?".
//
// Invariants it keeps:
//   - An article's text in each language has at most one draft and at most
//     one published version; publishing makes the drafts the published
//     versions in one transaction and retires the ones they replace (kept,
//     never deleted). The public only ever sees published texts of live
//     articles.
//   - The search index holds exactly the published texts: it is rewritten
//     in the transaction that publishes. It is plain rows (CJK characters
//     and bigrams, lower-cased words) searched with the same SQL on
//     SQLite and PostgreSQL, so every node finds the same articles and a
//     two-character Chinese word such as 退款 is found.
//   - Bodies are plain text with a few marks (see Parse): staff never write
//     HTML, links only point at this site's own pages.
//   - A voter has one vote per article (they may change it); one address
//     casts at most MaxVotesPerHour votes an hour.
//   - Every staff change is audited in its own transaction.
//   - The articles the release ships (Seed) are loaded once, published; a
//     later start never overwrites what staff made of them.
//
// The package knows no HTTP or SQL: sqlstore implements Store.
package helpcenter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
)

// Errors returned by the package.
var (
	ErrNotFound = errors.New("helpcenter: not found")
	// ErrForbidden: only staff (agents and up) edit articles.
	ErrForbidden = errors.New("helpcenter: forbidden")
	// ErrNothingToPublish: the article has no draft and no published text.
	ErrNothingToPublish = errors.New("helpcenter: nothing to publish")
	// ErrRateLimited: too many votes from one address.
	ErrRateLimited = errors.New("helpcenter: too many votes")
	// ErrQueryTooLong: a search longer than MaxQueryRunes.
	ErrQueryTooLong = errors.New("helpcenter: query too long")
	// ErrQueryInvalid: a search that is not valid UTF-8 text.
	ErrQueryInvalid = errors.New("helpcenter: query is not valid text")
	// ErrQueryEmpty: a search with nothing to look for.
	ErrQueryEmpty = errors.New("helpcenter: empty query")
)

// FieldError is a refused staff form field: Field is slug, category,
// title_<lang> or body_<lang>; Code is required, too_long, invalid or
// taken.
type FieldError struct {
	Field, Code string
}

func (e *FieldError) Error() string { return "helpcenter: " + e.Field + " " + e.Code }

// Languages an article is written in, the default first.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// Langs lists the languages, Chinese first.
var Langs = []string{LangZH, LangEN}

func knownLang(l string) bool { return l == LangZH || l == LangEN }

// Category groups articles on /help.
type Category string

// Categories, in the order /help shows them.
const (
	CatAccount     Category = "account"
	CatSecurity    Category = "security"
	CatPayments    Category = "payments"
	CatWithdrawals Category = "withdrawals"
	CatFees        Category = "fees"
	CatContact     Category = "contact"
)

// Categories lists the categories in display order.
var Categories = []Category{CatAccount, CatSecurity, CatPayments, CatWithdrawals, CatFees, CatContact}

func knownCategory(c Category) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// Status is the state of one version of a text.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusRetired   Status = "retired"
)

// Article is one help article, in every language.
type Article struct {
	ID       int64
	Slug     string
	Category Category
	Position int
	// Live: the public sees its published texts.
	Live      bool
	Seeded    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Text is one version of an article in one language.
type Text struct {
	ID          int64
	ArticleID   int64
	Lang        string
	Version     int
	Title       string
	Body        string
	Status      Status
	AuthorID    int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt time.Time
}

// Counts are an article's feedback.
type Counts struct {
	Helpful, NotHelpful int
}

// Hit is one published text that matched a search, with its score parts:
// how many distinct query terms it matched, how many of them in the title,
// and the weighted number of occurrences (title ×5).
type Hit struct {
	TextID    int64
	ArticleID int64
	Lang      string
	Matched   int
	InTitle   int
	Weight    int
}

// Vote is one "was this helpful?" answer.
type Vote struct {
	ArticleID int64
	Voter     string // "u:<user id>" or "v:<visitor cookie>"
	Helpful   bool
	IP        string
	At        time.Time
}

// Store runs the help centre's transactions; sqlstore implements it
// (DB.Help).
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn outside a transaction, for reads.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the help centre's view of one transaction.
type Tx interface {
	// InsertArticle stores a (ID ignored) unless its slug is taken, and
	// reports its id and whether it inserted it.
	InsertArticle(ctx context.Context, a Article) (id int64, inserted bool, err error)
	// UpdateArticle writes a's category, position, live flag and
	// updated time. Errors: ErrNotFound.
	UpdateArticle(ctx context.Context, a Article) error
	// Article and ArticleBySlug. Errors: ErrNotFound.
	Article(ctx context.Context, id int64) (Article, error)
	ArticleBySlug(ctx context.Context, slug string) (Article, error)
	// Articles lists articles (only live ones when live), by category
	// order then position then id.
	Articles(ctx context.Context, live bool) ([]Article, error)
	// Texts lists the drafts and published texts of the given articles
	// (all articles when ids is nil).
	Texts(ctx context.Context, ids []int64) ([]Text, error)
	// InsertText stores t (ID ignored; Version set to the next number for
	// its article and language) and returns its id.
	InsertText(ctx context.Context, t Text) (int64, error)
	// UpdateText writes t's title, body, author and updated time.
	UpdateText(ctx context.Context, t Text) error
	// SetStatus moves a text to status (published sets PublishedAt).
	SetStatus(ctx context.Context, id int64, status Status, at time.Time) error
	// IndexText replaces the index entries of a text; UnindexText drops
	// them.
	IndexText(ctx context.Context, textID int64, terms []Term) error
	UnindexText(ctx context.Context, textID int64) error
	// Search finds published texts of live articles matching any of the
	// terms, best first (most terms matched, then most in the title, then
	// weight), at most limit.
	Search(ctx context.Context, terms []QueryTerm, limit int) ([]Hit, error)
	// Vote records v, replacing the voter's earlier vote on the article.
	Vote(ctx context.Context, v Vote) error
	// VotesFrom counts the votes cast from ip since since.
	VotesFrom(ctx context.Context, ip string, since time.Time) (int, error)
	// Feedback returns the counts of every article that has votes.
	Feedback(ctx context.Context) (map[int64]Counts, error)
	// Audit writes in the same transaction.
	Audit() audit.Appender
}

// Options configure a Service.
type Options struct {
	Store Store
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the help centre. It is safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the help centre over o.Store.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: o.Store, now: o.Now}
}

// Limits of staff input.
const (
	MaxTitleRunes = 120
	MaxBodyRunes  = 20000
	MaxSlugLen    = 64
	// MaxVotesPerHour bounds the votes one address casts.
	MaxVotesPerHour = 30
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// reservedSlugs are paths under /help that are pages, not articles.
var reservedSlugs = map[string]bool{"search": true, "suggest": true, "new": true}

// Draft is what staff type for one language.
type Draft struct {
	Title, Body string
}

func (d Draft) empty() bool {
	return strings.TrimSpace(d.Title) == "" && strings.TrimSpace(d.Body) == ""
}

func cleanDraft(lang string, d Draft) (Draft, error) {
	if !utf8.ValidString(d.Title) {
		return d, &FieldError{"title_" + lang, "invalid"}
	}
	if !utf8.ValidString(d.Body) {
		return d, &FieldError{"body_" + lang, "invalid"}
	}
	d.Title = strings.Join(strings.Fields(d.Title), " ")
	d.Body = strings.TrimSpace(strings.ReplaceAll(d.Body, "\r\n", "\n"))
	switch {
	case d.Title == "":
		return d, &FieldError{"title_" + lang, "required"}
	case utf8.RuneCountInString(d.Title) > MaxTitleRunes:
		return d, &FieldError{"title_" + lang, "too_long"}
	case d.Body == "":
		return d, &FieldError{"body_" + lang, "required"}
	case utf8.RuneCountInString(d.Body) > MaxBodyRunes:
		return d, &FieldError{"body_" + lang, "too_long"}
	}
	return d, nil
}

func staff(a auth.Actor) error {
	if a.UserID <= 0 || !a.Role.AtLeast(auth.RoleAgent) {
		return ErrForbidden
	}
	return nil
}

func (s *Service) record(ctx context.Context, tx Tx, a auth.Actor, action string, art Article, details map[string]string) error {
	return audit.Record(ctx, tx.Audit(), audit.Event{At: s.now(), ActorID: a.UserID, ActorRole: string(a.Role), Action: action,
		TargetType: "help_article", TargetID: art.Slug, Details: details})
}

// Audit actions.
const (
	ActionCreated     = "help_article_created"
	ActionDraftSaved  = "help_draft_saved"
	ActionPublished   = "help_article_published"
	ActionUnpublished = "help_article_unpublished"
)

// NewArticle is a new article: its address, category and first drafts.
type NewArticle struct {
	Slug     string
	Category Category
	Drafts   map[string]Draft // by language; at least one
}

// Create stores a new, unpublished article with its drafts.
// Errors: ErrForbidden, *FieldError.
func (s *Service) Create(ctx context.Context, a auth.Actor, n NewArticle) (int64, error) {
	if err := staff(a); err != nil {
		return 0, err
	}
	slug := strings.TrimSpace(n.Slug)
	if slug == "" {
		return 0, &FieldError{"slug", "required"}
	}
	if len(slug) > MaxSlugLen || !slugPattern.MatchString(slug) || reservedSlugs[slug] {
		return 0, &FieldError{"slug", "invalid"}
	}
	if !knownCategory(n.Category) {
		return 0, &FieldError{"category", "invalid"}
	}
	drafts, err := cleanDrafts(n.Drafts, nil)
	if err != nil {
		return 0, err
	}
	if len(drafts) == 0 {
		return 0, &FieldError{"title_" + LangZH, "required"}
	}
	now := s.now()
	var id int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		var inserted bool
		var err error
		id, inserted, err = tx.InsertArticle(ctx, Article{Slug: slug, Category: n.Category, Position: 100, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		if !inserted {
			return &FieldError{"slug", "taken"}
		}
		for _, lang := range Langs {
			d, ok := drafts[lang]
			if !ok {
				continue
			}
			if _, err := tx.InsertText(ctx, Text{ArticleID: id, Lang: lang, Title: d.Title, Body: d.Body, Status: StatusDraft,
				AuthorID: a.UserID, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, ActionCreated, Article{Slug: slug}, map[string]string{"category": string(n.Category)})
	})
	return id, err
}

// cleanDrafts checks the drafts of the languages staff filled in; a
// language left empty is skipped unless it is already published
// (required then: a published language cannot be emptied).
func cleanDrafts(in map[string]Draft, published map[string]bool) (map[string]Draft, error) {
	out := map[string]Draft{}
	for _, lang := range Langs {
		d, ok := in[lang]
		if !ok || d.empty() {
			if published[lang] {
				return nil, &FieldError{"title_" + lang, "required"}
			}
			continue
		}
		d, err := cleanDraft(lang, d)
		if err != nil {
			return nil, err
		}
		out[lang] = d
	}
	return out, nil
}

// Editing is an article as staff edit it: for each language the working
// text (the draft, else the published text) and whether a draft exists.
type Editing struct {
	Article   Article
	Working   map[string]Text
	Published map[string]Text
	HasDraft  bool
	Counts    Counts
}

// Edit returns an article for the editor. Errors: ErrForbidden,
// ErrNotFound.
func (s *Service) Edit(ctx context.Context, a auth.Actor, id int64) (Editing, error) {
	if err := staff(a); err != nil {
		return Editing{}, err
	}
	var e Editing
	err := s.store.View(ctx, func(tx Tx) error {
		art, err := tx.Article(ctx, id)
		if err != nil {
			return err
		}
		texts, err := tx.Texts(ctx, []int64{id})
		if err != nil {
			return err
		}
		fb, err := tx.Feedback(ctx)
		if err != nil {
			return err
		}
		e = editing(art, texts)
		e.Counts = fb[id]
		return nil
	})
	return e, err
}

func editing(art Article, texts []Text) Editing {
	e := Editing{Article: art, Working: map[string]Text{}, Published: map[string]Text{}}
	for _, t := range texts {
		switch t.Status {
		case StatusPublished:
			e.Published[t.Lang] = t
			if _, ok := e.Working[t.Lang]; !ok {
				e.Working[t.Lang] = t
			}
		case StatusDraft:
			e.Working[t.Lang] = t
			e.HasDraft = true
		}
	}
	return e
}

// Save writes staff's edits as drafts (a language whose text is unchanged
// from the published one gets none) and the category; with publish it
// then publishes. Errors: ErrForbidden, ErrNotFound, *FieldError,
// ErrNothingToPublish.
func (s *Service) Save(ctx context.Context, a auth.Actor, id int64, cat Category, drafts map[string]Draft, publish bool) error {
	if err := staff(a); err != nil {
		return err
	}
	if !knownCategory(cat) {
		return &FieldError{"category", "invalid"}
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx Tx) error {
		art, err := tx.Article(ctx, id)
		if err != nil {
			return err
		}
		texts, err := tx.Texts(ctx, []int64{id})
		if err != nil {
			return err
		}
		e := editing(art, texts)
		published := map[string]bool{}
		for l := range e.Published {
			published[l] = true
		}
		clean, err := cleanDrafts(drafts, published)
		if err != nil {
			return err
		}
		changed := []string{}
		for _, lang := range Langs {
			d, ok := clean[lang]
			if !ok {
				continue
			}
			w, has := e.Working[lang]
			if has && w.Title == d.Title && w.Body == d.Body {
				continue
			}
			changed = append(changed, lang)
			if has && w.Status == StatusDraft {
				w.Title, w.Body, w.AuthorID, w.UpdatedAt = d.Title, d.Body, a.UserID, now
				if err := tx.UpdateText(ctx, w); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.InsertText(ctx, Text{ArticleID: id, Lang: lang, Title: d.Title, Body: d.Body, Status: StatusDraft,
				AuthorID: a.UserID, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		if cat != art.Category || len(changed) > 0 {
			old := art.Category
			art.Category, art.UpdatedAt = cat, now
			if err := tx.UpdateArticle(ctx, art); err != nil {
				return err
			}
			if err := s.record(ctx, tx, a, ActionDraftSaved, art, map[string]string{
				"languages": strings.Join(changed, ","), "category": string(cat), "category_before": string(old)}); err != nil {
				return err
			}
		}
		if publish {
			return s.publish(ctx, tx, a, id, now)
		}
		return nil
	})
}

// Publish makes an article's drafts its published texts and the article
// live. Errors: ErrForbidden, ErrNotFound, ErrNothingToPublish.
func (s *Service) Publish(ctx context.Context, a auth.Actor, id int64) error {
	if err := staff(a); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error { return s.publish(ctx, tx, a, id, s.now()) })
}

func (s *Service) publish(ctx context.Context, tx Tx, a auth.Actor, id int64, now time.Time) error {
	art, err := tx.Article(ctx, id)
	if err != nil {
		return err
	}
	texts, err := tx.Texts(ctx, []int64{id})
	if err != nil {
		return err
	}
	e := editing(art, texts)
	var langs []string
	for _, t := range texts {
		if t.Status != StatusDraft {
			continue
		}
		if old, ok := e.Published[t.Lang]; ok {
			if err := tx.SetStatus(ctx, old.ID, StatusRetired, now); err != nil {
				return err
			}
			if err := tx.UnindexText(ctx, old.ID); err != nil {
				return err
			}
		}
		if err := tx.SetStatus(ctx, t.ID, StatusPublished, now); err != nil {
			return err
		}
		if err := tx.IndexText(ctx, t.ID, IndexTerms(t.Title, t.Body)); err != nil {
			return err
		}
		langs = append(langs, t.Lang)
		e.Published[t.Lang] = t
	}
	if len(e.Published) == 0 {
		return ErrNothingToPublish
	}
	if len(langs) == 0 && art.Live {
		return ErrNothingToPublish
	}
	art.Live, art.UpdatedAt = true, now
	if err := tx.UpdateArticle(ctx, art); err != nil {
		return err
	}
	return s.record(ctx, tx, a, ActionPublished, art, map[string]string{"languages": strings.Join(langs, ",")})
}

// Unpublish hides an article from the public; its texts stay, and
// Publish shows it again. Errors: ErrForbidden, ErrNotFound.
func (s *Service) Unpublish(ctx context.Context, a auth.Actor, id int64) error {
	if err := staff(a); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		art, err := tx.Article(ctx, id)
		if err != nil {
			return err
		}
		if !art.Live {
			return nil
		}
		art.Live, art.UpdatedAt = false, s.now()
		if err := tx.UpdateArticle(ctx, art); err != nil {
			return err
		}
		return s.record(ctx, tx, a, ActionUnpublished, art, nil)
	})
}

// Listed is one article in the staff console's list.
type Listed struct {
	Article
	// Title is its working title in the staff member's language (else
	// the other).
	Title     string
	HasDraft  bool
	Langs     []string // languages with a published text
	Counts    Counts
	Published bool // has any published text
}

// List is the staff console's list of every article. Errors: ErrForbidden.
func (s *Service) List(ctx context.Context, a auth.Actor, lang string) ([]Listed, error) {
	if err := staff(a); err != nil {
		return nil, err
	}
	var out []Listed
	err := s.store.View(ctx, func(tx Tx) error {
		arts, err := tx.Articles(ctx, false)
		if err != nil {
			return err
		}
		texts, err := tx.Texts(ctx, nil)
		if err != nil {
			return err
		}
		fb, err := tx.Feedback(ctx)
		if err != nil {
			return err
		}
		by := map[int64][]Text{}
		for _, t := range texts {
			by[t.ArticleID] = append(by[t.ArticleID], t)
		}
		for _, art := range arts {
			e := editing(art, by[art.ID])
			l := Listed{Article: art, HasDraft: e.HasDraft, Counts: fb[art.ID], Published: len(e.Published) > 0}
			for _, lg := range Langs {
				if _, ok := e.Published[lg]; ok {
					l.Langs = append(l.Langs, lg)
				}
			}
			l.Title = pick(e.Working, lang).Title
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// pick returns the text in lang, else in the other language.
func pick(m map[string]Text, lang string) Text {
	if t, ok := m[lang]; ok {
		return t
	}
	for _, l := range Langs {
		if t, ok := m[l]; ok {
			return t
		}
	}
	return Text{}
}

func otherLang(lang string) string {
	if lang == LangEN {
		return LangZH
	}
	return LangEN
}

func normLang(lang string) string {
	if knownLang(lang) {
		return lang
	}
	if strings.HasPrefix(lang, "en") {
		return LangEN
	}
	return LangZH
}

// Entry is a live article as the public lists it: its title in the
// reader's language, or the other one (Fallback).
type Entry struct {
	Slug     string
	Category Category
	Title    string
	Lang     string
	Fallback bool
}

// Section is a category and its live articles.
type Section struct {
	Category Category
	Entries  []Entry
}

// Home lists the live articles by category in the reader's language.
func (s *Service) Home(ctx context.Context, lang string) ([]Section, error) {
	lang = normLang(lang)
	var out []Section
	err := s.store.View(ctx, func(tx Tx) error {
		arts, err := tx.Articles(ctx, true)
		if err != nil {
			return err
		}
		ids := make([]int64, len(arts))
		for i, a := range arts {
			ids[i] = a.ID
		}
		pub, err := publishedTexts(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, c := range Categories {
			sec := Section{Category: c}
			for _, a := range arts {
				if a.Category != c || len(pub[a.ID]) == 0 {
					continue
				}
				t := pick(pub[a.ID], lang)
				sec.Entries = append(sec.Entries, Entry{Slug: a.Slug, Category: c, Title: t.Title, Lang: t.Lang, Fallback: t.Lang != lang})
			}
			if len(sec.Entries) > 0 {
				out = append(out, sec)
			}
		}
		return nil
	})
	return out, err
}

func publishedTexts(ctx context.Context, tx Tx, ids []int64) (map[int64]map[string]Text, error) {
	out := map[int64]map[string]Text{}
	if len(ids) == 0 {
		return out, nil
	}
	texts, err := tx.Texts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range texts {
		if t.Status != StatusPublished {
			continue
		}
		if out[t.ArticleID] == nil {
			out[t.ArticleID] = map[string]Text{}
		}
		out[t.ArticleID][t.Lang] = t
	}
	return out, nil
}

// Page is a live article as the public reads it.
type Page struct {
	Article Article
	Text    Text
	// Fallback: there is no text in the reader's language; Text is in
	// the other one.
	Fallback bool
	Blocks   []Block
	// Related are other live articles of its category.
	Related []Entry
}

// Read returns the live article at slug in the reader's language.
// Errors: ErrNotFound (no such article, not live, or a slug that is not
// one).
func (s *Service) Read(ctx context.Context, slug, lang string) (Page, error) {
	lang = normLang(lang)
	if len(slug) > MaxSlugLen || !slugPattern.MatchString(slug) {
		return Page{}, ErrNotFound
	}
	var p Page
	err := s.store.View(ctx, func(tx Tx) error {
		art, err := tx.ArticleBySlug(ctx, slug)
		if err != nil {
			return err
		}
		if !art.Live {
			return ErrNotFound
		}
		arts, err := tx.Articles(ctx, true)
		if err != nil {
			return err
		}
		ids := []int64{art.ID}
		for _, o := range arts {
			if o.Category == art.Category && o.ID != art.ID {
				ids = append(ids, o.ID)
			}
		}
		pub, err := publishedTexts(ctx, tx, ids)
		if err != nil {
			return err
		}
		if len(pub[art.ID]) == 0 {
			return ErrNotFound
		}
		t := pick(pub[art.ID], lang)
		p = Page{Article: art, Text: t, Fallback: t.Lang != lang, Blocks: Parse(t.Body)}
		for _, id := range ids[1:] {
			if len(pub[id]) == 0 {
				continue
			}
			rt := pick(pub[id], lang)
			for _, o := range arts {
				if o.ID == id {
					p.Related = append(p.Related, Entry{Slug: o.Slug, Category: o.Category, Title: rt.Title, Lang: rt.Lang, Fallback: rt.Lang != lang})
				}
			}
		}
		return nil
	})
	return p, err
}

// Result is one article found by a search, in the reader's language when
// that text matched, else in the language that did.
type Result struct {
	Slug     string
	Category Category
	Lang     string
	Fallback bool
	Title    Snippet
	Snippet  Snippet
	Matched  int
}

// CheckQuery says whether q can be searched. Errors: ErrQueryInvalid,
// ErrQueryTooLong, ErrQueryEmpty.
func CheckQuery(q string) ([]QueryTerm, error) {
	if !utf8.ValidString(q) || strings.ContainsRune(q, 0) {
		return nil, ErrQueryInvalid
	}
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		return nil, ErrQueryTooLong
	}
	terms := QueryTerms(q)
	if len(terms) == 0 {
		return nil, ErrQueryEmpty
	}
	return terms, nil
}

// Search finds live articles for q, best first, at most limit (1–50).
// Errors: ErrQueryInvalid, ErrQueryTooLong, ErrQueryEmpty.
func (s *Service) Search(ctx context.Context, q, lang string, limit int) ([]Result, error) {
	terms, err := CheckQuery(q)
	if err != nil {
		return nil, err
	}
	return s.search(ctx, terms, normLang(lang), limit)
}

// Suggest finds articles for what a customer is writing in a support
// ticket: lenient where Search is strict (the text is cut to its first
// MaxQueryRunes characters, bad bytes dropped), and nothing found is
// just no suggestions.
func (s *Service) Suggest(ctx context.Context, text, lang string, limit int) ([]Result, error) {
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", " "), " ")
	if rs := []rune(text); len(rs) > MaxQueryRunes {
		text = string(rs[:MaxQueryRunes]) // the subject comes first
	}
	terms := QueryTerms(text)
	if len(terms) == 0 {
		return nil, nil
	}
	return s.search(ctx, terms, normLang(lang), limit)
}

func (s *Service) search(ctx context.Context, terms []QueryTerm, lang string, limit int) ([]Result, error) {
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	var out []Result
	err := s.store.View(ctx, func(tx Tx) error {
		// Each article may match in both languages: fetch enough for
		// both, keep one per article.
		hits, err := tx.Search(ctx, terms, 2*limit+2)
		if err != nil {
			return err
		}
		best := map[int64]Hit{}
		var order []int64
		for _, h := range hits {
			b, seen := best[h.ArticleID]
			switch {
			case !seen:
				best[h.ArticleID] = h
				order = append(order, h.ArticleID)
			case h.Lang == lang && b.Lang != lang && h.Matched == b.Matched:
				// The reader's language, as good a match: show that.
				best[h.ArticleID] = h
			}
		}
		if len(order) > limit {
			order = order[:limit]
		}
		texts, err := tx.Texts(ctx, order)
		if err != nil {
			return err
		}
		byID := map[int64]Text{}
		for _, t := range texts {
			byID[t.ID] = t
		}
		arts, err := tx.Articles(ctx, true)
		if err != nil {
			return err
		}
		artByID := map[int64]Article{}
		for _, a := range arts {
			artByID[a.ID] = a
		}
		for _, id := range order {
			h := best[id]
			t, ok := byID[h.TextID]
			a, live := artByID[id]
			if !ok || !live {
				continue
			}
			out = append(out, Result{Slug: a.Slug, Category: a.Category, Lang: t.Lang, Fallback: t.Lang != lang,
				Title: Highlight(t.Title, terms), Snippet: MakeSnippet(PlainText(t.Body), terms), Matched: h.Matched})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("helpcenter: search: %w", err)
	}
	return out, nil
}

// Feedback records a vote on the live article at slug. Errors:
// ErrNotFound, ErrRateLimited.
func (s *Service) Feedback(ctx context.Context, slug, voter string, helpful bool, ip string) error {
	if voter == "" || len(voter) > 100 {
		return fmt.Errorf("helpcenter: feedback: bad voter")
	}
	if len(slug) > MaxSlugLen || !slugPattern.MatchString(slug) {
		return ErrNotFound
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx Tx) error {
		art, err := tx.ArticleBySlug(ctx, slug)
		if err != nil {
			return err
		}
		if !art.Live {
			return ErrNotFound
		}
		n, err := tx.VotesFrom(ctx, ip, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= MaxVotesPerHour {
			return ErrRateLimited
		}
		return tx.Vote(ctx, Vote{ArticleID: art.ID, Voter: voter, Helpful: helpful, IP: ip, At: now})
	})
}

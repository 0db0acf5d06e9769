package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/web/i18n"
)

// helpRoutes are the help centre's pages: the public /help, its search
// and articles, the suggestions the support form fetches, and the staff
// editor at /staff/help. Without a help centre there are none.
func (s *Site) helpRoutes() []route {
	if s.help == nil {
		return nil
	}
	rs := []route{
		{"GET /help", s.helpHome},
		{"GET /help/search", s.helpSearch},
		{"GET /help/suggest", s.helpSuggest},
		{"GET /help/{slug}", s.helpArticle},
		{"POST /help/{slug}/feedback", s.helpFeedback},
	}
	if s.auth != nil {
		rs = append(rs,
			route{"GET /staff/help", s.requireUser(s.staffHelp)},
			route{"GET /staff/help/new", s.requireUser(s.staffHelpNew)},
			route{"POST /staff/help/new", s.requireUser(s.staffHelpCreate)},
			route{"GET /staff/help/{id}", s.requireUser(s.staffHelpEdit)},
			route{"POST /staff/help/{id}", s.requireUser(s.staffHelpSave)},
			route{"POST /staff/help/{id}/unpublish", s.requireUser(s.staffHelpUnpublish)},
		)
	}
	return rs
}

// HelpCentre reports whether the site has a help centre, for the
// layout's navigation.
func (p *Page) HelpCentre() bool { return p.site.help != nil }

// helpCategoryKeys name the categories.
var helpCategoryKeys = map[helpcenter.Category]string{
	helpcenter.CatAccount:     "help.cat.account",
	helpcenter.CatSecurity:    "help.cat.security",
	helpcenter.CatPayments:    "help.cat.payments",
	helpcenter.CatWithdrawals: "help.cat.withdrawals",
	helpcenter.CatFees:        "help.cat.fees",
	helpcenter.CatContact:     "help.cat.contact",
}

// helpView is the help pages' shared vocabulary.
type helpView struct{ loc *i18n.Locale }

// Category names a category in the reader's language.
func (v helpView) Category(c helpcenter.Category) string {
	if k, ok := helpCategoryKeys[c]; ok {
		return v.loc.T(k)
	}
	return string(c)
}

// LangName names an article language in the reader's language.
func (v helpView) LangName(lang string) string {
	if lang == helpcenter.LangEN {
		return v.loc.T("help.lang.en")
	}
	return v.loc.T("help.lang.zh")
}

// helpPageData is what help.html shows: the categories, or the results of
// a search, or a refusal.
type helpPageData struct {
	helpView
	Query    string
	Searched bool
	Sections []helpcenter.Section
	Results  []helpcenter.Result
	Error    string
	Notice   string
}

func (s *Site) helpHome(w http.ResponseWriter, r *http.Request) {
	s.renderHelpHome(w, r, http.StatusOK, helpPageData{})
}

// renderHelpHome draws /help with d's message (a refusal, a missing
// article) above the categories.
func (s *Site) renderHelpHome(w http.ResponseWriter, r *http.Request, status int, d helpPageData) {
	loc := s.Locale(r)
	d.helpView = helpView{loc}
	var err error
	if d.Sections, err = s.help.Home(r.Context(), loc.Code()); err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.Render(w, r, status, "help", d)
}

// helpQueryEcho is what the search box shows again: valid text, not
// longer than a search may be.
func helpQueryEcho(q string) string {
	q = strings.ToValidUTF8(strings.ReplaceAll(q, "\x00", ""), "")
	if rs := []rune(q); len(rs) > helpcenter.MaxQueryRunes {
		q = string(rs[:helpcenter.MaxQueryRunes])
	}
	return q
}

// helpSearch answers /help/search?q=: ranked results with the matches
// marked, or a message saying why nothing was searched.
func (s *Site) helpSearch(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	raw := r.URL.Query().Get("q")
	d := helpPageData{helpView: helpView{loc}, Query: helpQueryEcho(raw)}
	if strings.TrimSpace(raw) == "" {
		d.Notice = loc.T("help.search.empty")
		s.renderHelpHome(w, r, http.StatusOK, d)
		return
	}
	results, err := s.help.Search(r.Context(), raw, loc.Code(), 20)
	switch {
	case errors.Is(err, helpcenter.ErrQueryTooLong):
		d.Error = loc.T("help.search.too_long", "max", helpcenter.MaxQueryRunes)
		s.renderHelpHome(w, r, http.StatusBadRequest, d)
		return
	case errors.Is(err, helpcenter.ErrQueryInvalid):
		d.Error = loc.T("help.search.invalid")
		s.renderHelpHome(w, r, http.StatusBadRequest, d)
		return
	case errors.Is(err, helpcenter.ErrQueryEmpty):
		d.Notice = loc.T("help.search.no_words")
		s.renderHelpHome(w, r, http.StatusOK, d)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.Searched, d.Results = true, results
	s.Render(w, r, http.StatusOK, "help", d)
}

// helpArticleData is what help_article.html shows.
type helpArticleData struct {
	helpView
	Page   helpcenter.Page
	Voted  bool
	Error  string
	Edited time.Time
}

// helpArticle shows a live article in the reader's language, or in the
// other one with a note when it has no text in theirs.
func (s *Site) helpArticle(w http.ResponseWriter, r *http.Request) {
	d := helpArticleData{Voted: r.URL.Query().Get("voted") == "1"}
	s.renderHelpArticle(w, r, http.StatusOK, d)
}

func (s *Site) renderHelpArticle(w http.ResponseWriter, r *http.Request, status int, d helpArticleData) {
	loc := s.Locale(r)
	p, err := s.help.Read(r.Context(), r.PathValue("slug"), loc.Code())
	if errors.Is(err, helpcenter.ErrNotFound) {
		s.renderHelpHome(w, r, http.StatusNotFound, helpPageData{Error: loc.T("help.article.missing")})
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.helpView, d.Page = helpView{loc}, p
	d.Edited = p.Text.PublishedAt
	s.Render(w, r, status, "help_article", d)
}

// HelpVoterCookie identifies a visitor's browser for "was this
// helpful?", so that it counts once per article.
const HelpVoterCookie = "okpay_help_voter"

// helpVoter is who votes: the signed-in user, else the browser's voter
// cookie (issued on first vote).
func (s *Site) helpVoter(w http.ResponseWriter, r *http.Request) string {
	if si := currentUser(r); si != nil {
		return "u:" + strconv.FormatInt(si.user.ID, 10)
	}
	if c, err := r.Cookie(HelpVoterCookie); err == nil && len(c.Value) == 32 {
		if _, err := hex.DecodeString(c.Value); err == nil {
			return "v:" + c.Value
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	v := hex.EncodeToString(b)
	s.setCookie(w, HelpVoterCookie, v, 365*24*time.Hour)
	return "v:" + v
}

// helpFeedback records "was this helpful?" and shows the article again
// with thanks.
func (s *Site) helpFeedback(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	slug := r.PathValue("slug")
	var helpful bool
	switch vals.Get("helpful") {
	case "yes":
		helpful = true
	case "no":
	default:
		s.renderHelpArticle(w, r, http.StatusBadRequest, helpArticleData{Error: loc.T("help.feedback.invalid")})
		return
	}
	err := s.help.Feedback(r.Context(), slug, s.helpVoter(w, r), helpful, clientIP(r))
	switch {
	case errors.Is(err, helpcenter.ErrNotFound):
		s.renderHelpHome(w, r, http.StatusNotFound, helpPageData{Error: loc.T("help.article.missing")})
		return
	case errors.Is(err, helpcenter.ErrRateLimited):
		s.renderHelpArticle(w, r, http.StatusTooManyRequests, helpArticleData{Error: loc.T("help.feedback.rate")})
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/help/"+slug+"?voted=1#feedback", http.StatusSeeOther)
}

// helpSuggestion is one suggestion as the support form's script gets it.
type helpSuggestion struct {
	URL      string             `json:"url"`
	Title    helpcenter.Snippet `json:"title"`
	Snippet  helpcenter.Snippet `json:"snippet"`
	Fallback bool               `json:"fallback,omitempty"`
	Lang     string             `json:"lang"`
}

// maxSuggestions is how many articles the support form suggests.
const maxSuggestions = 4

// helpSuggest answers the support form's script with the articles that
// match what the customer has typed so far, as JSON. The script builds
// the list with DOM text nodes: nothing in the answer is HTML.
func (s *Site) helpSuggest(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	q := r.URL.Query()
	text := q.Get("subject") + " " + q.Get("body") + " " + q.Get("q")
	out := struct {
		Results []helpSuggestion `json:"results"`
		Label   string           `json:"label"`
	}{Results: []helpSuggestion{}, Label: loc.T("help.suggest.other_lang")}
	results, err := s.help.Suggest(r.Context(), text, loc.Code(), maxSuggestions)
	if err != nil {
		s.log.ErrorContext(r.Context(), "web: help suggestions", "err", err)
		results = nil // no suggestions is not worth failing the form
	}
	for _, res := range results {
		out.Results = append(out.Results, helpSuggestion{URL: "/help/" + res.Slug, Title: res.Title, Snippet: res.Snippet, Fallback: res.Fallback, Lang: res.Lang})
	}
	b, _ := json.Marshal(out)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Language, Cookie")
	w.Write(b)
}

// supportHelp is the help centre's part of the support form: the
// "search help first" box (which works without JavaScript: it reloads
// /support?help_q=…) and the articles found.
type supportHelp struct {
	Query    string
	Searched bool
	Results  []helpcenter.Result
}

// supportHelpFor returns the support form's suggestions (nil without a
// help centre). A help_q search also fills in the subject when the
// customer has not typed one.
func (s *Site) supportHelpFor(r *http.Request, f *form) *supportHelp {
	if s.help == nil {
		return nil
	}
	h := &supportHelp{}
	q := r.URL.Query().Get("help_q")
	if r.Method != http.MethodGet || strings.TrimSpace(q) == "" || !utf8.ValidString(q) {
		return h
	}
	h.Query, h.Searched = helpQueryEcho(q), true
	if f.Values["subject"] == "" {
		f.keep("subject", h.Query)
	}
	results, err := s.help.Suggest(r.Context(), q, s.Locale(r).Code(), maxSuggestions)
	if err != nil {
		s.log.ErrorContext(r.Context(), "web: help suggestions", "err", err)
		return h
	}
	h.Results = results
	return h
}

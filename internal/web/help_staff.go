package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/web/i18n"
)

// helpFieldKeys are the messages of the editor's refused fields, by
// field kind and code.
var helpFieldKeys = map[string]string{
	"slug.required":    "help.error.slug_required",
	"slug.invalid":     "help.error.slug_invalid",
	"slug.taken":       "help.error.slug_taken",
	"category.invalid": "help.error.category",
	"title.required":   "help.error.title_required",
	"title.too_long":   "help.error.title_too_long",
	"title.invalid":    "help.error.invalid_text",
	"body.required":    "help.error.body_required",
	"body.too_long":    "help.error.body_too_long",
	"body.invalid":     "help.error.invalid_text",
	"publish.nothing":  "help.error.nothing_to_publish",
}

// helpFieldError puts a refused field's message next to it; false for
// an error that is not a refusal.
func helpFieldError(loc *i18n.Locale, f *form, err error) bool {
	var fe *helpcenter.FieldError
	switch {
	case errors.As(err, &fe):
		kind := fe.Field
		for _, l := range helpcenter.Langs {
			if kind == "title_"+l {
				kind = "title"
			}
			if kind == "body_"+l {
				kind = "body"
			}
		}
		key, ok := helpFieldKeys[kind+"."+fe.Code]
		if !ok {
			key = "help.error.invalid_text"
		}
		f.Errors[fe.Field] = loc.T(key, "max_title", helpcenter.MaxTitleRunes, "max_body", helpcenter.MaxBodyRunes)
		f.Summary = loc.T("form.summary")
		return true
	case errors.Is(err, helpcenter.ErrNothingToPublish):
		f.Summary = loc.T(helpFieldKeys["publish.nothing"])
		return true
	}
	return false
}

// staffHelpData is what staff_help.html shows: every article with its
// state and feedback.
type staffHelpData struct {
	helpView
	Articles []helpcenter.Listed
	Notice   string
}

func (s *Site) staffHelp(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	list, err := s.help.List(r.Context(), actor(si), loc.Code())
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := staffHelpData{helpView: helpView{loc}, Articles: list}
	if r.URL.Query().Get("done") == "unpublished" {
		d.Notice = loc.T("help.staff.unpublished")
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "staff_help", d)
}

// staffHelpEditData is what staff_help_edit.html shows: the article's
// form (new, or the working texts of an existing one).
type staffHelpEditData struct {
	helpView
	New        bool
	Editing    helpcenter.Editing
	Form       *form
	Notice     string
	Langs      []string
	Categories []helpcenter.Category
}

// Field names the form field of a language's title or body.
func (staffHelpEditData) Field(kind, lang string) string { return kind + "_" + lang }

func (s *Site) renderStaffHelpEdit(w http.ResponseWriter, r *http.Request, status int, d staffHelpEditData) {
	d.helpView = helpView{s.Locale(r)}
	d.Langs, d.Categories = helpcenter.Langs, helpcenter.Categories
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_help_edit", d)
}

func (s *Site) staffHelpNew(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	f := newForm()
	f.Values["category"] = string(helpcenter.CatAccount)
	s.renderStaffHelpEdit(w, r, http.StatusOK, staffHelpEditData{New: true, Form: f})
}

// helpDrafts reads the form's title and body for every language; the
// body is kept whole (it may be long), the rest shown back as typed.
func helpDrafts(vals url.Values, f *form) map[string]helpcenter.Draft {
	out := map[string]helpcenter.Draft{}
	for _, l := range helpcenter.Langs {
		t, b := vals.Get("title_"+l), vals.Get("body_"+l)
		f.keep("title_"+l, t)
		f.Values["body_"+l] = toValid(b)
		out[l] = helpcenter.Draft{Title: t, Body: b}
	}
	return out
}

func toValid(s string) string {
	const max = helpcenter.MaxBodyRunes * 4
	if len(s) > max {
		s = s[:max]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func (s *Site) staffHelpCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	f := newForm()
	f.keep("slug", vals.Get("slug"))
	f.keep("category", vals.Get("category"))
	drafts := helpDrafts(vals, f)
	id, err := s.help.Create(r.Context(), actor(si), helpcenter.NewArticle{Slug: vals.Get("slug"),
		Category: helpcenter.Category(vals.Get("category")), Drafts: drafts})
	if err != nil {
		if !helpFieldError(loc, f, err) {
			s.ServerError(w, r, err)
			return
		}
		s.renderStaffHelpEdit(w, r, http.StatusUnprocessableEntity, staffHelpEditData{New: true, Form: f})
		return
	}
	http.Redirect(w, r, "/staff/help/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
}

func helpID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// staffHelpNoticeKeys confirm the editor's actions.
var staffHelpNoticeKeys = map[string]string{
	"saved":     "help.staff.saved",
	"published": "help.staff.published",
}

func (s *Site) staffHelpEdit(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	e, err := s.help.Edit(r.Context(), actor(si), helpID(r))
	if errors.Is(err, helpcenter.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	f.Values["category"] = string(e.Article.Category)
	for _, l := range helpcenter.Langs {
		if t, ok := e.Working[l]; ok {
			f.Values["title_"+l], f.Values["body_"+l] = t.Title, t.Body
		}
	}
	d := staffHelpEditData{Editing: e, Form: f}
	if k, ok := staffHelpNoticeKeys[r.URL.Query().Get("done")]; ok {
		d.Notice = s.Locale(r).T(k)
	}
	s.renderStaffHelpEdit(w, r, http.StatusOK, d)
}

// staffHelpSave saves the editor's texts as drafts, and with
// action=publish publishes them in the same transaction.
func (s *Site) staffHelpSave(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	id := helpID(r)
	f := newForm()
	f.keep("category", vals.Get("category"))
	drafts := helpDrafts(vals, f)
	publish := vals.Get("action") == "publish"
	err := s.help.Save(r.Context(), actor(si), id, helpcenter.Category(vals.Get("category")), drafts, publish)
	if errors.Is(err, helpcenter.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		if !helpFieldError(loc, f, err) {
			s.ServerError(w, r, err)
			return
		}
		e, err2 := s.help.Edit(r.Context(), actor(si), id)
		if err2 != nil {
			s.ServerError(w, r, err2)
			return
		}
		s.renderStaffHelpEdit(w, r, http.StatusUnprocessableEntity, staffHelpEditData{Editing: e, Form: f})
		return
	}
	done := "saved"
	if publish {
		done = "published"
	}
	http.Redirect(w, r, "/staff/help/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
}

func (s *Site) staffHelpUnpublish(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionHelpEdit, auth.Resource{Kind: "help"}) != nil {
		s.Forbidden(w, r)
		return
	}
	err := s.help.Unpublish(r.Context(), actor(si), helpID(r))
	if errors.Is(err, helpcenter.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/help?done=unpublished", http.StatusSeeOther)
}

package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base32"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

// layoutFile is the shared layout; every other file in templates/ is a page
// named after its file ("home.html" is "home") that defines "title" and
// "content".
const layoutFile = "layout.html"

type pageTemplate struct {
	name string
	tmpl *template.Template
}

// parseTemplates parses the layout once and each page on a clone of it.
func (s *Site) parseTemplates() (map[string]*pageTemplate, error) {
	base, err := template.New(layoutFile).ParseFS(templateFS, "templates/"+layoutFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	pages := make(map[string]*pageTemplate)
	for _, f := range files {
		file := path.Base(f)
		if file == layoutFile {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
		}
		for _, block := range []string{"title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("%w: %s does not define %q", ErrTemplate, file, block)
			}
		}
		name := strings.TrimSuffix(file, ".html")
		pages[name] = &pageTemplate{name: name, tmpl: t}
	}
	return pages, nil
}

// Page is what a template sees as "." : the page's own Data, and the
// reader's locale with helpers to write text, dates and money in it.
//
//	{{.T "home.title"}}                      a message
//	{{.T "fees.total" "amount" .Data.Total}}  a message with a {placeholder}
//	{{.DateTime .Data.When}}                 2026年11月22日 14:05 / 22 Nov 2026, 14:05
//	{{.Money .Data.Balance}}                 ¥1,234.50 / CN¥1,234.50
//	{{.CSRFField}}                           first thing in every POST form
type Page struct {
	// Data is what the handler passed to Render.
	Data any
	// Status is the HTTP status the page is sent with.
	Status int
	// Locale is the reader's language.
	Locale *i18n.Locale
	// Site names the official domain and the support address.
	Site SiteInfo
	// Dev is set for a loopback reader of a development server: the
	// layout then shows the development bar.
	Dev bool

	site  *Site
	req   *http.Request
	token string
}

// T returns the message for key in the reader's language, its
// {placeholders} filled from name/value pairs.
func (p *Page) T(key string, args ...any) string { return p.Locale.T(key, args...) }

// DateTime writes t in the platform time zone, to the minute.
func (p *Page) DateTime(t time.Time) string { return p.Locale.DateTime(t.In(p.site.tz)) }

// Date writes t's day in the platform time zone.
func (p *Page) Date(t time.Time) string { return p.Locale.Date(t.In(p.site.tz)) }

// Money writes an amount the reader's way, with its currency.
func (p *Page) Money(a money.Amount) string { return money.Format(a, p.Locale.Code()) }

// CSRFField returns the hidden form field carrying the browser's form
// token. Every form with method="post" includes it (a test checks); see
// csrf.go for when the token is what protects the form.
func (p *Page) CSRFField() template.HTML {
	// The token is base64url: it needs no escaping.
	return template.HTML(`<input type="hidden" name="` + CSRFFieldName + `" value="` + p.token + `">`)
}

// Asset returns the cache-busting URL of an embedded static file
// ("style.css" becomes "/static/style.1a2b3c4d5e6f.css").
func (p *Page) Asset(name string) (string, error) { return p.site.assets.url(name) }

// User is the signed-in reader, or nil for a visitor.
func (p *Page) User() *auth.User {
	if si := currentUser(p.req); si != nil {
		return &si.user
	}
	return nil
}

// Can reports whether the signed-in reader may take action (an
// auth.Action such as "audit.view"), for links to staff pages; the page
// itself checks again.
func (p *Page) Can(action string) bool {
	u := p.User()
	return u != nil && auth.Authorize(auth.Actor{UserID: u.ID, Role: u.Role}, auth.Action(action), auth.Resource{}) == nil
}

// Locales lists the languages the switcher offers.
func (p *Page) Locales() []*i18n.Locale { return p.site.msgs.Locales() }

// Path is the path of the page being shown, for marking the current
// navigation entry.
// Disputes reports whether customers can dispute their payments to shops
// (/payments).
func (p *Page) Disputes() bool { return p.site.merchant != nil && p.site.merchant.DisputesEnabled() }

func (p *Page) Path() string { return p.req.URL.Path }

// Here is the path and query of the page being shown: where the language
// switcher returns to.
func (p *Page) Here() string { return p.req.URL.RequestURI() }

// Render draws the page template name with data inside the layout, in the
// reader's language, and sends it with status. The page is rendered fully
// before anything is sent, so a template error becomes the 500 page rather
// than half a page.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	pt, ok := s.pages[name]
	if !ok {
		s.ServerError(w, r, fmt.Errorf("%w: no page %q", ErrTemplate, name))
		return
	}
	p := s.newPage(w, r, status, data)
	var buf bytes.Buffer
	if err := pt.tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.ServerError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	s.send(w, p, buf.Bytes())
}

// newPage prepares the template's view of the request, issuing the
// browser's form token cookie if it has none yet.
func (s *Site) newPage(w http.ResponseWriter, r *http.Request, status int, data any) *Page {
	return &Page{
		Data:   data,
		Status: status,
		Locale: s.Locale(r),
		Site:   s.info,
		Dev:    s.devClock != nil && loopbackClient(r),
		site:   s,
		req:    r,
		token:  s.formToken(w, r),
	}
}

func (s *Site) send(w http.ResponseWriter, p *Page, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Locale.Code())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// Pages may show balances and personal details: never stored by a
	// browser or a proxy. The language comes from these two headers.
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(p.Status)
	w.Write(body)
}

// errorData is what error.html shows.
type errorData struct {
	Status    int
	Reference string // for 500s: quoted to support, found in the log
}

// NotFound sends the 404 page.
func (s *Site) NotFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "")
}

// Forbidden sends the 403 page that a refused cross-origin request gets.
func (s *Site) Forbidden(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusForbidden, "")
}

// ServerError logs err with a fresh reference and sends the 500 page,
// which shows the reference and nothing of err. Whatever headers the
// handler had set (cookies included) are dropped.
func (s *Site) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	s.serverError(w, r, err)
}

func (s *Site) serverError(w http.ResponseWriter, r *http.Request, err error, attrs ...slog.Attr) {
	ref := newReference()
	attrs = append([]slog.Attr{
		slog.String("reference", ref),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Any("err", err),
	}, attrs...)
	s.log.LogAttrs(r.Context(), slog.LevelError, "web: request failed", attrs...)
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	setSecurityHeaders(h, s.dev)
	if st := stateOf(r); st != nil {
		st.token = "" // its cookie, if just issued, went with the headers
	}
	s.renderError(w, r, http.StatusInternalServerError, ref)
}

func (s *Site) renderError(w http.ResponseWriter, r *http.Request, status int, ref string) {
	p := s.newPage(w, r, status, errorData{Status: status, Reference: ref})
	var buf bytes.Buffer
	if err := s.pages["error"].tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		// The error page itself failed: say as little as possible.
		s.log.ErrorContext(r.Context(), "web: render error page", "status", status, "err", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	s.send(w, p, buf.Bytes())
}

// newReference returns a short random code, such as "K7QD-2MXA", that a
// customer can read out to support and that finds the failure in the log.
func newReference() string {
	b := make([]byte, 5)
	rand.Read(b)
	s := base32.StdEncoding.EncodeToString(b)
	return s[:4] + "-" + s[4:]
}

package mail

import (
	"bytes"
	_ "embed"
	"errors"
	"html"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
)

// DevMailboxPath is where the dev mailbox is mounted: the list at
// DevMailboxPath, one message at DevMailboxPath/{id}.
const DevMailboxPath = "/dev/mailbox"

// DevMailboxOptions configure the dev mailbox.
type DevMailboxOptions struct {
	// Logger receives errors; slog.Default when nil.
	Logger *slog.Logger
	// Limit caps the list (default 200).
	Limit int
}

var (
	//go:embed devmailbox.html
	devMailboxHTML string
	//go:embed devmailbox.css
	devMailboxCSS []byte
)

// DevMailbox serves the development mailbox: the messages delivered locally
// (no relay configured), newest first, and each one with its headers, text,
// HTML (in a sandboxed frame, its links also listed so a newcomer can click
// a verification link) and raw source. It answers 404 to every client that
// is not on this machine, including requests relayed by a proxy and
// requests whose Host does not name this machine (DNS rebinding). Mount it
// in development only:
//
//	srv.Handle("GET /dev/mailbox", h)
//	srv.Handle("GET /dev/mailbox/", h)
func DevMailbox(store MailboxStore, o DevMailboxOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Limit <= 0 {
		o.Limit = 200
	}
	mb := &devMailbox{
		store: store,
		opts:  o,
		tmpl: template.Must(template.New("devmailbox").Funcs(template.FuncMap{
			"join": func(s []string) string { return strings.Join(s, ", ") },
			"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
			"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
			"itoa": func(id int64) string { return strconv.FormatInt(id, 10) },
			"path": func() string { return DevMailboxPath },
		}).Parse(devMailboxHTML)),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DevMailboxPath, mb.list)
	mux.HandleFunc("GET "+DevMailboxPath+"/{$}", mb.list)
	mux.HandleFunc("GET "+DevMailboxPath+"/style.css", mb.style)
	mux.HandleFunc("GET "+DevMailboxPath+"/{id}", mb.message)
	mux.HandleFunc("GET "+DevMailboxPath+"/{id}/raw", mb.raw)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !FromThisMachine(r) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if h.Get("Content-Security-Policy") == "" {
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		}
		mux.ServeHTTP(w, r)
	})
}

// FromThisMachine reports whether r came straight from a loopback client
// and names this machine in its Host: not relayed by a proxy (which would
// make any client look local), and not a page on another site whose name
// was rebound to 127.0.0.1.
func FromThisMachine(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	name := r.Host
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	hip, err := netip.ParseAddr(name)
	return err == nil && hip.Unmap().IsLoopback()
}

type devMailbox struct {
	store MailboxStore
	opts  DevMailboxOptions
	tmpl  *template.Template
}

func (mb *devMailbox) list(w http.ResponseWriter, r *http.Request) {
	ms, err := mb.store.Delivered(r.Context(), mb.opts.Limit)
	if err != nil {
		mb.fail(w, r, err)
		return
	}
	mb.render(w, r, "list", map[string]any{"Messages": ms})
}

func (mb *devMailbox) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(devMailboxCSS)
}

// load returns the delivered message the path names, or answers 404.
func (mb *devMailbox) load(w http.ResponseWriter, r *http.Request) (Stored, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return Stored{}, false
	}
	m, err := mb.store.Mail(r.Context(), id)
	if errors.Is(err, ErrNotFound) || err == nil && m.Status != StatusDeliveredLocally {
		http.NotFound(w, r)
		return Stored{}, false
	}
	if err != nil {
		mb.fail(w, r, err)
		return Stored{}, false
	}
	return m, true
}

func (mb *devMailbox) raw(w http.ResponseWriter, r *http.Request) {
	m, ok := mb.load(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="message-`+strconv.FormatInt(m.ID, 10)+`.eml"`)
	w.Write(m.Raw)
}

// headerLine is one header field as shown: its value decoded from RFC 2047.
type headerLine struct{ Name, Value string }

// link is a link found in a message, for the list under it.
type link struct{ URL string }

func (mb *devMailbox) message(w http.ResponseWriter, r *http.Request) {
	m, ok := mb.load(w, r)
	if !ok {
		return
	}
	v := parseForDisplay(m.Raw)
	mb.render(w, r, "message", map[string]any{
		"Message": m,
		"Headers": v.headers,
		"Text":    v.text,
		"HTML":    v.html,
		"Frame":   frameDoc(v.html),
		"Links":   v.links,
		"Raw":     string(m.Raw),
		"Problem": v.problem,
	})
}

type display struct {
	headers    []headerLine
	text, html string
	links      []link
	problem    string
}

var decoder = mime.WordDecoder{CharsetReader: message.CharsetReader}

// parseForDisplay reads the parts a person wants to see. A message it
// cannot parse is still shown raw, with the reason.
func parseForDisplay(raw []byte) display {
	var v display
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		v.problem = err.Error()
		return v
	}
	fields := e.Header.Fields()
	for fields.Next() {
		name := fields.Key()
		if raw, err := fields.Raw(); err == nil {
			if i := bytes.IndexByte(raw, ':'); i > 0 {
				name = strings.TrimSpace(string(raw[:i])) // as written, not canonicalised
			}
		}
		val, derr := decoder.DecodeHeader(fields.Value())
		if derr != nil {
			val = fields.Value()
		}
		v.headers = append(v.headers, headerLine{name, val})
	}
	werr := e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		t, _, _ := part.Header.ContentType()
		if t != "text/plain" && t != "text/html" {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(part.Body, MaxMessageSize))
		if err != nil {
			return err
		}
		if t == "text/plain" && v.text == "" {
			v.text = string(b)
		} else if t == "text/html" && v.html == "" {
			v.html = string(b)
		}
		return nil
	})
	if werr != nil {
		v.problem = werr.Error()
	}
	v.links = findLinks(v.text, v.html)
	return v
}

var (
	hrefRE = regexp.MustCompile(`(?i)href\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	urlRE  = regexp.MustCompile(`https?://[^\s<>"'()]+`)
)

// findLinks lists the http(s) links of the HTML part's anchors and of the
// text part, each once, in order of appearance.
func findLinks(text, htmlBody string) []link {
	var ls []link
	seen := map[string]bool{}
	add := func(u string) {
		u = strings.TrimRight(strings.TrimSpace(u), ".,;:!?")
		l := strings.ToLower(u)
		if (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) && !seen[u] {
			seen[u] = true
			ls = append(ls, link{u})
		}
	}
	for _, m := range hrefRE.FindAllStringSubmatch(htmlBody, -1) {
		add(html.UnescapeString(m[1] + m[2]))
	}
	for _, u := range urlRE.FindAllString(text, -1) {
		add(u)
	}
	return ls
}

// frameDoc is the HTML part as the sandboxed frame's srcdoc. A base target
// makes its links open in the whole tab, which the sandbox allows on a
// click, so that following a verification link leaves the mailbox.
func frameDoc(htmlBody string) string {
	if htmlBody == "" {
		return ""
	}
	const base = `<base target="_top">`
	if i := strings.Index(strings.ToLower(htmlBody), "<head>"); i >= 0 {
		return htmlBody[:i+len("<head>")] + base + htmlBody[i+len("<head>"):]
	}
	return base + htmlBody
}

func (mb *devMailbox) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := mb.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		mb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (mb *devMailbox) fail(w http.ResponseWriter, r *http.Request, err error) {
	mb.opts.Logger.ErrorContext(r.Context(), "dev mailbox", "path", r.URL.Path, "err", err)
	http.Error(w, "internal server error", http.StatusInternalServerError)
}

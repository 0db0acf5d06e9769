package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/auth"
)

// announcementRow is one announcement as the pages list it.
type announcementRow struct {
	announce.Announcement
	Title, Body string
	State       string // "current", "upcoming", "ended"
	StateName   string
	KindName    string
	Window      string // start – end in the reader's zone
}

type announcementsData struct {
	Zone  zoneNote
	Rows  []announcementRow
	Form  *form
	Kinds []kindChoice
	Done  string
}

type kindChoice struct{ Value, Label string }

// announceKindKeys and announceStateKeys name kinds and states.
var (
	announceKindKeys = map[announce.Kind]string{
		announce.KindMaintenance: "announce.kind.maintenance",
		announce.KindHours:       "announce.kind.hours",
		announce.KindNotice:      "announce.kind.notice",
	}
	announceStateKeys = map[string]string{
		"current":  "announce.state.current",
		"upcoming": "announce.state.upcoming",
		"ended":    "announce.state.ended",
	}
)

func (s *Site) announcementRows(r *http.Request) ([]announcementRow, zoneNote, error) {
	loc := s.Locale(r)
	zone, src := s.visitorZone(r)
	as, err := s.announce.Recent(r.Context(), 100)
	if err != nil {
		return nil, zoneNote{}, err
	}
	now := s.now()
	var rows []announcementRow
	for _, a := range as {
		row := announcementRow{Announcement: a, Title: a.Title(loc.Code()), Body: a.Body(loc.Code()), State: "ended"}
		switch {
		case a.CurrentAt(now):
			row.State = "current"
		case now.Before(a.Starts):
			row.State = "upcoming"
		}
		row.StateName, row.KindName = loc.T(announceStateKeys[row.State]), loc.T(announceKindKeys[a.Kind])
		st, en := a.Starts.In(zone), a.Ends.In(zone)
		row.Window = loc.DateTime(st) + " – " + loc.DateTime(en) + " " + en.Format("MST")
		rows = append(rows, row)
	}
	return rows, s.zoneNote(zone, src), nil
}

func (s *Site) announcementsPage(w http.ResponseWriter, r *http.Request) {
	rows, zn, err := s.announcementRows(r)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "announcements", announcementsData{Zone: zn, Rows: rows})
}

// The Atom feed (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID        string       `xml:"id"`
	Title     string       `xml:"title"`
	Updated   string       `xml:"updated"`
	Published string       `xml:"published"`
	Links     []atomLink   `xml:"link"`
	Category  atomCategory `xml:"category"`
	Summary   atomText     `xml:"summary"`
	Content   atomText     `xml:"content"`
}

// siteOrigin is the scheme and host the reader reached us at, for the
// feed's absolute links.
func (s *Site) siteOrigin(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil && s.dev {
		scheme = "http"
	}
	host := r.Host
	if host == "" || strings.ContainsAny(host, "/\\@ ") {
		host = s.info.Domain
	}
	return scheme + "://" + host
}

// announcementsFeed is /announcements.atom. Entry ids are tag URIs
// (RFC 4151) of the official domain and the day the announcement was
// made, so they stay the same whatever host the feed is read through.
func (s *Site) announcementsFeed(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	as, err := s.announce.Recent(r.Context(), 50)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	origin := s.siteOrigin(r)
	f := atomFeed{Lang: loc.Code(), ID: "tag:" + s.info.Domain + ",2026:announcements", Title: loc.T("announce.feed.title"),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: origin + "/announcements.atom"},
			{Rel: "alternate", Type: "text/html", Href: origin + "/announcements"},
		},
		Author: atomAuthor{Name: "OKPay"}}
	var updated time.Time
	for _, a := range as {
		if a.UpdatedAt.After(updated) {
			updated = a.UpdatedAt
		}
		window := loc.T("announce.window", "starts", a.Starts.UTC().Format(time.RFC3339), "ends", a.Ends.UTC().Format(time.RFC3339))
		body := a.Body(loc.Code())
		if body != "" {
			body += "\n\n"
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:        "tag:" + s.info.Domain + "," + a.CreatedAt.UTC().Format(time.DateOnly) + ":announcements/" + strconv.FormatInt(a.ID, 10),
			Title:     a.Title(loc.Code()),
			Updated:   a.UpdatedAt.UTC().Format(time.RFC3339),
			Published: a.CreatedAt.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: origin + "/announcements#a" + strconv.FormatInt(a.ID, 10)}},
			Category:  atomCategory{Term: string(a.Kind)},
			Summary:   atomText{Type: "text", Body: window},
			Content:   atomText{Type: "text", Body: body + window},
		})
	}
	if updated.IsZero() {
		// An empty feed still needs an updated date: the day feeds began.
		updated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		s.ServerError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Content-Language", loc.Code())
	h.Add("Vary", "Accept-Language, Cookie")
	w.Write(buf.Bytes())
}

// announceDoneKeys confirm a staff action.
var announceDoneKeys = map[string]string{"created": "announce.done.created", "ended": "announce.done.ended"}

func canAnnounce(si *signedIn) bool {
	return auth.Authorize(actor(si), auth.ActionAnnounce, auth.Resource{Kind: "announcement"}) == nil
}

func (s *Site) staffAnnouncements(w http.ResponseWriter, r *http.Request, si *signedIn) {
	f := newForm()
	f.Values["kind"] = string(announce.KindMaintenance)
	s.renderStaffAnnouncements(w, r, si, http.StatusOK, f)
}

func (s *Site) renderStaffAnnouncements(w http.ResponseWriter, r *http.Request, si *signedIn, status int, f *form) {
	if !canAnnounce(si) {
		s.Forbidden(w, r)
		return
	}
	rows, zn, err := s.announcementRows(r)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := announcementsData{Zone: zn, Rows: rows, Form: f}
	for _, k := range announce.Kinds {
		d.Kinds = append(d.Kinds, kindChoice{Value: string(k), Label: s.Locale(r).T(announceKindKeys[k])})
	}
	if k, ok := announceDoneKeys[r.URL.Query().Get("done")]; ok && status == http.StatusOK {
		d.Done = s.Locale(r).T(k)
	}
	if f.Values["tz"] == "" {
		f.Values["tz"] = zn.Zone
	}
	s.Render(w, r, status, "staff_announcements", d)
}

var announceErrorKeys = map[string]string{
	"kind.required":        "announce.error.kind",
	"title.required":       "announce.error.title",
	"title.too_long":       "announce.error.title_long",
	"title.invalid":        "announce.error.title",
	"body.too_long":        "announce.error.body_long",
	"body.invalid":         "announce.error.body_long",
	"starts.required":      "announce.error.starts",
	"ends.required":        "announce.error.ends",
	"ends.before_start":    "announce.error.before_start",
	"ends.past":            "announce.error.past",
	"ends.too_long_window": "announce.error.window",
}

func (s *Site) staffAnnounce(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if !canAnnounce(si) {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	f := newForm()
	for _, k := range []string{"kind", "title_zh", "title_en", "starts", "ends", "tz"} {
		f.keep(k, strings.TrimSpace(vals.Get(k)))
	}
	for _, k := range []string{"body_zh", "body_en"} {
		f.Values[k] = strings.ToValidUTF8(vals.Get(k), "\uFFFD")
	}
	zone, ok := parseZone(f.Values["tz"])
	if !ok {
		zone, _ = s.visitorZone(r)
	}
	parse := func(v string) time.Time {
		t, err := time.ParseInLocation(callbackTimeLayout, v, zone)
		if err != nil {
			return time.Time{}
		}
		return t
	}
	d := announce.Draft{Kind: announce.Kind(f.Values["kind"]), TitleZh: f.Values["title_zh"], TitleEn: f.Values["title_en"],
		BodyZh: vals.Get("body_zh"), BodyEn: vals.Get("body_en"), Starts: parse(f.Values["starts"]), Ends: parse(f.Values["ends"])}
	_, err := s.announce.Create(r.Context(), actor(si), announce.Request{IP: clientIP(r), UserAgent: r.UserAgent()}, d)
	if err != nil {
		var fe *announce.FieldError
		if !errors.As(err, &fe) {
			s.ServerError(w, r, err)
			return
		}
		msg := loc.T("announce.error.invalid")
		if key, found := announceErrorKeys[fe.Field+"."+fe.Code]; found {
			msg = loc.T(key)
		}
		f.Errors[fe.Field] = msg
		f.Summary = loc.T("form.summary")
		s.renderStaffAnnouncements(w, r, si, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/staff/announcements?done=created", http.StatusSeeOther)
}

func (s *Site) staffAnnounceEnd(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	if !canAnnounce(si) {
		s.Forbidden(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.NotFound(w, r)
		return
	}
	err = s.announce.End(r.Context(), actor(si), announce.Request{IP: clientIP(r), UserAgent: r.UserAgent()}, id)
	switch {
	case errors.Is(err, announce.ErrNotFound):
		s.NotFound(w, r)
	case err != nil:
		s.ServerError(w, r, err)
	default:
		http.Redirect(w, r, "/staff/announcements?done=ended", http.StatusSeeOther)
	}
}

package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/web/i18n"
)

// channelsRoutes are the pages about reaching us: /contact (with the
// callback form), /verify and its JSON twin, and the announcements.
func (s *Site) channelsRoutes() []route {
	rs := []route{
		{"GET /contact", s.contactPage},
		{"GET /verify", s.verifyPage},
		{"GET /v1/verify", s.verifyAPI},
	}
	if s.support != nil {
		rs = append(rs, route{"POST /contact/callback", s.callbackRequest})
		if s.auth != nil {
			rs = append(rs, route{"POST /agent/tickets/{number}/call", s.requireUser(s.agentCall)})
		}
	}
	if s.announce != nil {
		rs = append(rs,
			route{"GET /announcements", s.announcementsPage},
			route{"GET /announcements.atom", s.announcementsFeed},
		)
		if s.auth != nil {
			rs = append(rs,
				route{"GET /staff/announcements", s.requireUser(s.staffAnnouncements)},
				route{"POST /staff/announcements", s.requireUser(s.staffAnnounce)},
				route{"POST /staff/announcements/{id}/end", s.requireUser(s.staffAnnounceEnd)},
			)
		}
	}
	return rs
}

// TimeZoneCookie holds the visitor's IANA time zone, written by
// static/tz.js from Intl.DateTimeFormat().resolvedOptions().timeZone.
const TimeZoneCookie = "tz"

// zoneSource says where the zone the hours are shown in came from.
type zoneSource string

const (
	zoneChosen   zoneSource = "chosen"   // ?tz= on the page (the zone form)
	zoneBrowser  zoneSource = "browser"  // the tz cookie
	zonePlatform zoneSource = "platform" // neither: the platform's zone
)

// parseZone accepts an IANA zone name and nothing else: the name ends up
// in a cookie and on the page, so it is checked before it is loaded.
func parseZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > 64 || name == "Local" || strings.Contains(name, "..") {
		return nil, false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/_+-", c)) {
			return nil, false
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// visitorZone is the zone to show times in for this reader.
func (s *Site) visitorZone(r *http.Request) (*time.Location, zoneSource) {
	if loc, ok := parseZone(r.URL.Query().Get("tz")); ok {
		return loc, zoneChosen
	}
	if c, err := r.Cookie(TimeZoneCookie); err == nil {
		if loc, ok := parseZone(c.Value); ok {
			return loc, zoneBrowser
		}
	}
	return s.tz, zonePlatform
}

// zoneNote is the sentence that says which zone a page's times are in.
type zoneNote struct {
	Zone     string // IANA name
	Source   zoneSource
	Platform string // the platform's zone
	Choices  []string
}

func (s *Site) zoneNote(loc *time.Location, src zoneSource) zoneNote {
	return zoneNote{Zone: loc.String(), Source: src, Platform: s.tz.String(), Choices: zoneChoices}
}

// zoneChoices are offered to readers without JavaScript.
var zoneChoices = []string{"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
	"Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York", "America/Chicago", "America/Los_Angeles", "UTC"}

var zhWeekdays = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// when writes t (already in the wanted zone) with its weekday, to the
// minute: "周一 3月2日 20:00" / "Mon 2 Mar 20:00".
func when(loc *i18n.Locale, t time.Time) string {
	if loc.Code() == i18n.ZhCN {
		return fmt.Sprintf("%s %d月%d日 %s", zhWeekdays[t.Weekday()], t.Month(), t.Day(), t.Format("15:04"))
	}
	return t.Format("Mon 2 Jan 15:04")
}

// dayName writes a date with its weekday: "周一 3月2日" / "Mon 2 Mar".
func dayName(loc *i18n.Locale, t time.Time) string {
	if loc.Code() == i18n.ZhCN {
		return fmt.Sprintf("%s %d月%d日", zhWeekdays[t.Weekday()], t.Month(), t.Day())
	}
	return t.Format("Mon 2 Jan")
}

// span writes an opening after its day's label: "20:00–24:00", or with
// the closing date when it falls on the next day ("20:00 – Mon 2 Mar 04:00").
func span(loc *i18n.Locale, open, close time.Time) string {
	oy, om, od := open.Date()
	cy, cm, cd := close.Add(-time.Nanosecond).Date()
	if oy == cy && om == cm && od == cd {
		end := close.Format("15:04")
		if end == "00:00" {
			end = "24:00"
		}
		return open.Format("15:04") + "–" + end
	}
	return open.Format("15:04") + " – " + when(loc, close)
}

// hoursView is one channel with its hours as the reader sees them.
type hoursView struct {
	channels.Channel
	Name    string
	Href    string
	OpenNow bool
	Status  string // "open now, until 04:00" / "closed, opens Mon 2 Mar 20:00"
	Usual   string // the weekly hours in the business's own zone
	Days    []hoursDay
}

type hoursDay struct {
	Label  string
	Hours  string
	Closed bool
}

var kindKeys = map[channels.Kind]string{
	channels.KindEmail:      "channels.kind.email",
	channels.KindForm:       "channels.kind.form",
	channels.KindPhone:      "channels.kind.phone",
	channels.KindChat:       "channels.kind.chat",
	channels.KindComplaints: "channels.kind.complaints",
	channels.KindCommunity:  "channels.kind.community",
}

func channelName(loc *i18n.Locale, c channels.Channel) string {
	name := loc.T(kindKeys[c.Kind])
	switch c.Language {
	case i18n.ZhCN:
		name += " · " + loc.T("channels.lang.zh")
	case i18n.En:
		name += " · " + loc.T("channels.lang.en")
	}
	if c.Kind == channels.KindComplaints && c.IsPath() {
		name += " · " + loc.T("channels.kind.form_short")
	}
	return name
}

func channelHref(c channels.Channel) string {
	switch {
	case c.IsPath():
		return c.Value
	case c.IsAddress():
		return "mailto:" + c.Value
	case c.Kind == channels.KindPhone:
		n, _ := support.NormalizePhone(c.Value)
		return "tel:" + n
	}
	return ""
}

// usualHours writes a channel's weekly hours in the business's zone:
// "周一至周六 09:00–21:00 (Asia/Shanghai)".
func usualHours(loc *i18n.Locale, h *calendar.Hours) string {
	open, close := h.Clock()
	days := h.Weekdays()
	var names []string
	for _, d := range days {
		if loc.Code() == i18n.ZhCN {
			names = append(names, zhWeekdays[d])
		} else {
			names = append(names, d.String()[:3])
		}
	}
	dayText := strings.Join(names, ", ")
	if len(days) == 7 {
		dayText = loc.T("channels.every_day")
	} else if contiguous(days) && len(days) > 2 {
		dayText = names[0] + "–" + names[len(names)-1]
	}
	if h.OpenOnHolidays() {
		return loc.T("channels.usual_holidays", "days", dayText, "open", open, "close", close, "zone", h.Location().String())
	}
	return loc.T("channels.usual", "days", dayText, "open", open, "close", close, "zone", h.Location().String())
}

func contiguous(ds []time.Weekday) bool {
	for i := 1; i < len(ds); i++ {
		if ds[i] != ds[i-1]+1 {
			return false
		}
	}
	return true
}

// channelHours builds what the pages show of c for a reader in zone.
func (s *Site) channelHours(loc *i18n.Locale, c channels.Channel, zone *time.Location) hoursView {
	w := s.channels.Week(c, s.now(), zone)
	v := hoursView{Channel: c, Name: channelName(loc, c), Href: channelHref(c), OpenNow: w.OpenNow,
		Usual: usualHours(loc, s.channels.Hours(c))}
	switch {
	case w.OpenNow:
		v.Status = loc.T("channels.open_now", "until", when(loc, w.Closes))
	case w.HasOpens:
		v.Status = loc.T("channels.closed_now", "opens", when(loc, w.Opens))
	default:
		v.Status = loc.T("channels.closed_long")
	}
	for _, d := range w.Days {
		hd := hoursDay{Closed: d.Closed}
		if d.Closed {
			hd.Label = dayName(loc, d.Date) + " (" + d.Date.Location().String() + ")"
			hd.Hours = loc.T("channels.closed")
			if d.Holiday != "" {
				hd.Hours = loc.T("channels.closed_holiday", "holiday", d.Holiday)
			}
		} else {
			hd.Label = dayName(loc, d.Open)
			hd.Hours = span(loc, d.Open, d.Close)
		}
		v.Days = append(v.Days, hd)
	}
	return v
}

// Banners are the announcements current now, for the layout. A failure
// to read them must not take the page down: it is logged and the page
// shows none.
func (p *Page) Banners() []announce.Announcement {
	if p.site.announce == nil {
		return nil
	}
	as, err := p.site.announce.Current(p.req.Context())
	if err != nil {
		p.site.log.ErrorContext(p.req.Context(), "web: current announcements", "err", err)
		return nil
	}
	return as
}

// BannerTitle and BannerBody write an announcement in the reader's language.
func (p *Page) BannerTitle(a announce.Announcement) string { return a.Title(p.Locale.Code()) }

// BannerBody is BannerTitle for the body.
func (p *Page) BannerBody(a announce.Announcement) string { return a.Body(p.Locale.Code()) }

// InZone writes t to the minute in the reader's zone (the tz cookie),
// naming the zone: for announcement windows.
func (p *Page) InZone(t time.Time) string {
	loc, _ := p.site.visitorZone(p.req)
	t = t.In(loc)
	return p.Locale.DateTime(t) + " " + t.Format("MST")
}

// SupportHours says, for the footer of every page, whether the support
// mailbox's desk is staffed now and until or from when, in the reader's
// zone: "open now, until Mon 2 Mar 05:00 (America/New_York)".
func (p *Page) SupportHours() string {
	cs := p.site.channels.OfKind(channels.KindEmail)
	if len(cs) == 0 {
		return ""
	}
	zone, _ := p.site.visitorZone(p.req)
	w := p.site.channels.Week(cs[0], p.site.now(), zone)
	switch {
	case w.OpenNow:
		return p.Locale.T("channels.footer.open", "until", when(p.Locale, w.Closes), "zone", zone.String())
	case w.HasOpens:
		return p.Locale.T("channels.footer.closed", "opens", when(p.Locale, w.Opens), "zone", zone.String())
	}
	return ""
}

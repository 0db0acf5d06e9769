// Package channels is the directory of OKPay's official contact channels
// (SUP-4, HLP-4, HLP-5): the published support and complaints addresses,
// the phone lines per language, the chat, the forms and the community,
// each with its service hours, and the official domains. It answers two
// questions: when is a channel staffed, in the visitor's own time zone
// (Week), and is this address, domain, URL or number ours (Check), with
// the reasons a phishing look-alike is not.
//
// Invariants it keeps:
//   - Every channel's hours name service hours of the business calendar,
//     the same calendar the support targets (SLA) count in: a directory
//     whose channel names hours the calendar lacks is refused. A calendar
//     with no channel hours at all (a file written before they existed)
//     gives every channel the business hours instead.
//   - Check never calls out (no DNS, no HTTP): it decides from the
//     directory and from the text alone, so it is safe on any input.
//   - A Directory is immutable and safe for concurrent use.
package channels

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/calendar"
)

// ErrSpec reports a directory description that cannot be used.
var ErrSpec = errors.New("channels: invalid description")

// Kind is what sort of channel it is.
type Kind string

// Kinds, in the order the contact page lists them.
const (
	KindEmail      Kind = "email"
	KindForm       Kind = "form"
	KindPhone      Kind = "phone"
	KindChat       Kind = "chat"
	KindComplaints Kind = "complaints"
	KindCommunity  Kind = "community"
)

// Kinds lists every kind, in the contact page's order.
var Kinds = []Kind{KindEmail, KindForm, KindPhone, KindChat, KindComplaints, KindCommunity}

// Channel is one published way to reach OKPay.
type Channel struct {
	ID   string `json:"id"`   // "phone-zh"
	Kind Kind   `json:"kind"` // KindPhone
	// Value is the address, the number ("+86 400 000 1234") or the
	// site path of a form ("/support").
	Value string `json:"value"`
	// Hours names the calendar's service hours for the channel.
	Hours string `json:"hours"`
	// Language is the language the channel is staffed in ("zh-CN",
	// "en"); empty means both.
	Language string `json:"language,omitempty"`
}

// IsAddress reports whether the channel's value is an email address.
func (c Channel) IsAddress() bool { return strings.Contains(c.Value, "@") }

// IsPath reports whether the channel is a page of the site.
func (c Channel) IsPath() bool { return strings.HasPrefix(c.Value, "/") }

// Spec is a directory as written in its JSON file.
type Spec struct {
	// Domains are the official domains; their subdomains are official too.
	Domains []string `json:"domains"`
	// Senders are addresses OKPay sends from but does not read
	// (no-reply): official, but not a way to reach us.
	Senders  []string  `json:"senders"`
	Channels []Channel `json:"channels"`
}

// Directory is the set of official channels with their hours.
type Directory struct {
	cal      *calendar.Calendar
	domains  []string
	senders  []string
	channels []Channel
}

//go:embed default.json
var defaultSpec []byte

// Default returns the built-in directory over cal (nil: calendar.Default()).
func Default(cal *calendar.Calendar) *Directory {
	d, err := Parse(bytes.NewReader(defaultSpec), cal)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return d
}

// Load reads a directory file; an empty path gives Default.
func Load(path string, cal *calendar.Calendar) (*Directory, error) {
	if path == "" {
		return Default(cal), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	defer f.Close()
	d, err := Parse(f, cal)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Parse reads a Spec as JSON and builds its directory over cal.
func Parse(r io.Reader, cal *calendar.Calendar) (*Directory, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	return New(s, cal)
}

// New builds a directory, reporting every problem in s at once.
func New(s Spec, cal *calendar.Calendar) (*Directory, error) {
	if cal == nil {
		cal = calendar.Default()
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d := &Directory{cal: cal}
	for _, dom := range s.Domains {
		dom = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(dom)), ".")
		if !strings.Contains(dom, ".") || strings.ContainsAny(dom, " /@:") {
			bad("domain %q is not a domain name such as okpay.example", dom)
			continue
		}
		d.domains = append(d.domains, dom)
	}
	if len(d.domains) == 0 {
		bad("domains must name at least one official domain")
	}
	for _, a := range s.Senders {
		d.senders = append(d.senders, strings.ToLower(strings.TrimSpace(a)))
	}
	seen := map[string]bool{}
	for _, c := range s.Channels {
		if c.ID == "" || seen[c.ID] {
			bad("channel id %q is empty or repeated", c.ID)
		}
		seen[c.ID] = true
		if !slices.Contains(Kinds, c.Kind) {
			bad("channel %q: kind %q is not one of %v", c.ID, c.Kind, Kinds)
		}
		if _, ok := cal.Hours(c.Hours); !ok && len(cal.HoursNames()) > 1 {
			bad("channel %q: hours %q are not in the business calendar (have %v)", c.ID, c.Hours, cal.HoursNames())
		}
		if strings.TrimSpace(c.Value) == "" {
			bad("channel %q: value is empty", c.ID)
		}
		if c.Kind == KindPhone && len(digits(c.Value)) < 6 {
			bad("channel %q: %q is not a phone number", c.ID, c.Value)
		}
		if c.IsAddress() {
			c.Value = strings.ToLower(strings.TrimSpace(c.Value))
		}
		d.channels = append(d.channels, c)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrSpec, errors.Join(errs...))
	}
	return d, nil
}

// With returns a copy of d that also holds the deployment's own domain and
// addresses (the site's domain, the support mailboxes the SMTP listener
// answers, the sender of outgoing mail), so the check never calls the
// real ones unofficial. Empty values are ignored.
func (d *Directory) With(domains []string, senders []string) *Directory {
	n := *d
	n.domains = slices.Clone(d.domains)
	n.senders = slices.Clone(d.senders)
	for _, dom := range domains {
		dom = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(dom)), ".")
		if strings.Contains(dom, ".") && !slices.Contains(n.domains, dom) {
			n.domains = append(n.domains, dom)
		}
	}
	for _, a := range senders {
		a = strings.ToLower(strings.TrimSpace(a))
		if strings.Contains(a, "@") && !slices.Contains(n.senders, a) {
			n.senders = append(n.senders, a)
		}
	}
	return &n
}

// Calendar is the business calendar the hours come from.
func (d *Directory) Calendar() *calendar.Calendar { return d.cal }

// Domains lists the official domains.
func (d *Directory) Domains() []string { return slices.Clone(d.domains) }

// Senders lists the official sending addresses.
func (d *Directory) Senders() []string { return slices.Clone(d.senders) }

// Channels lists the channels in the directory's order.
func (d *Directory) Channels() []Channel { return slices.Clone(d.channels) }

// Channel returns the channel with that id.
func (d *Directory) Channel(id string) (Channel, bool) {
	for _, c := range d.channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// OfKind lists the channels of one kind.
func (d *Directory) OfKind(k Kind) []Channel {
	var out []Channel
	for _, c := range d.channels {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// Phone returns the phone line staffed in lang, else the first one.
func (d *Directory) Phone(lang string) (Channel, bool) {
	phones := d.OfKind(KindPhone)
	for _, c := range phones {
		if c.Language == lang {
			return c, true
		}
	}
	if len(phones) > 0 {
		return phones[0], true
	}
	return Channel{}, false
}

// Hours returns a channel's service hours.
func (d *Directory) Hours(c Channel) *calendar.Hours {
	h, ok := d.cal.Hours(c.Hours)
	if !ok {
		h, _ = d.cal.Hours(calendar.BusinessHoursName) // New checked it exists
	}
	return h
}

// Week is a channel's hours as a visitor sees them: the days ahead, each
// converted to the visitor's zone, and whether it is staffed now.
type Week struct {
	Zone    *time.Location // the visitor's
	OpenNow bool
	// Closes is when it closes (OpenNow); Opens when it next opens
	// (!OpenNow, HasOpens).
	Closes, Opens time.Time
	HasOpens      bool
	Days          []Day
}

// Day is one calendar day of the channel (the business's date), with its
// hours in the visitor's zone: they may fall on another date there.
type Day struct {
	Date        time.Time // midnight of the business's date, business zone
	Open, Close time.Time // in the visitor's zone; zero when Closed
	Closed      bool
	Holiday     string
}

// WeekDays is how many days Week shows.
const WeekDays = 7

// Week returns the channel's next WeekDays days from now's date, in zone
// (nil: the business's own zone).
func (d *Directory) Week(c Channel, now time.Time, zone *time.Location) Week {
	h := d.Hours(c)
	if zone == nil {
		zone = h.Location()
	}
	w := Week{Zone: zone, OpenNow: h.IsOpen(now)}
	if w.OpenNow {
		cl, _ := h.NextClose(now)
		w.Closes = cl.In(zone)
	} else if op, ok := h.NextOpen(now); ok {
		w.Opens, w.HasOpens = op.In(zone), true
	}
	for _, s := range h.Days(now, WeekDays) {
		day := Day{Date: s.Day, Closed: s.Closed, Holiday: s.Holiday}
		if !s.Closed {
			day.Open, day.Close = s.Open.In(zone), s.Close.In(zone)
		}
		w.Days = append(w.Days, day)
	}
	return w
}

package inbound

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// wordDecoder lets net/mail decode encoded words in any charset the
// package reads; an unknown charset is guessed rather than failing the
// whole address list.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, _, _ := decodeText(b, label)
	return strings.NewReader(s), nil
}}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// parseAddresses reads an address list: with net/mail when the list is
// well-formed, else with a forgiving reader that copes with what mail
// clients and spammers really send (no angle brackets around an address
// after a name, addresses separated by spaces, comments and white space
// inside addresses, source routes, empty members). Members without a
// usable address are dropped.
func parseAddresses(v string) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if list, err := addressParser.ParseList(v); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			if addr := cleanAddr(a.Address); addr != "" {
				out = append(out, Address{Name: cleanName(a.Name), Address: addr})
			}
		}
		return out
	}
	return parseAddressesLoosely(v)
}

func parseAddressesLoosely(v string) []Address {
	var out []Address
	for _, piece := range splitAddressList(v) {
		out = append(out, parseMember(piece)...)
		if len(out) > 1000 {
			break
		}
	}
	return out
}

// splitAddressList splits at commas and semicolons outside quotes, angle
// brackets and comments.
func splitAddressList(s string) []string {
	var parts []string
	depth, angle := 0, false
	inQuote, esc := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && (inQuote || depth > 0):
			esc = true
		case inQuote:
			if c == '"' {
				inQuote = false
			}
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case !angle && (c == ',' || c == ';'):
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

var spaceAroundDots = regexp.MustCompile(`\s*([.@])\s*`)

// parseMember reads one member of a list: "Name <addr>", "addr (Name)",
// "Name addr", "addr addr", "group: member".
func parseMember(p string) []Address {
	comment := firstComment(p)
	p = strings.TrimSpace(stripComments(p))
	// A group label: "Friends: a@b" (a colon outside quotes and brackets,
	// before any "@" or "<").
	if i := labelColon(p); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	if p == "" {
		return nil
	}
	if i := strings.IndexByte(p, '<'); i >= 0 {
		name := strings.TrimSpace(p[:i])
		rest := p[i+1:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			rest = rest[:j]
		}
		addr := cleanAddr(rest)
		if addr == "" {
			return nil
		}
		if name == "" {
			name = comment
		}
		return []Address{{Name: cleanName(name), Address: addr}}
	}
	p = spaceAroundDots.ReplaceAllString(p, "$1")
	var names []string
	var out []Address
	for _, w := range strings.Fields(p) {
		if strings.Contains(w, "@") && !strings.HasPrefix(w, `"`) {
			if addr := cleanAddr(w); addr != "" {
				out = append(out, Address{Address: addr})
			}
			continue
		}
		names = append(names, w)
	}
	if len(out) > 0 {
		name := strings.Join(names, " ")
		if name == "" {
			name = comment
		}
		out[0].Name = cleanName(name)
	}
	return out
}

// labelColon returns the index of a group label's colon, or -1.
func labelColon(p string) int {
	inQuote := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<' || c == '@':
			return -1
		case c == ':':
			return i
		}
	}
	return -1
}

func firstComment(s string) string {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], ')')
	if j < 0 {
		return ""
	}
	return strings.TrimSpace(s[i+1 : i+j])
}

// cleanAddr turns what stood between angle brackets, or a bare word, into
// an address: white space and comments removed, a source route
// ("@relay:user@host") dropped, surrounding quotes and dots trimmed. It
// returns "" unless there is a local part and a domain.
func cleanAddr(s string) string {
	s = stripComments(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
	if strings.HasPrefix(s, "@") {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s = s[i+1:]
		}
	}
	s = strings.Trim(s, `'",;.`)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 320 {
		return ""
	}
	if local := s[:at]; !strings.HasPrefix(local, `"`) && strings.ContainsAny(local, `:;<>()[],\@`) {
		return ""
	}
	if strings.ContainsAny(s[at+1:], `:;<>()[],\"`) && !strings.HasPrefix(s[at+1:], "[") {
		return ""
	}
	return sanitize(s)
}

// cleanName decodes a display name: quotes removed, encoded words left by
// net/mail in quoted strings decoded, white space folded.
func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = unquoteParam(s)
	} else {
		s = strings.Trim(s, `"`)
	}
	if strings.Contains(s, "=?") {
		s = decodeWords(s)
	}
	return foldSpace(sanitize(s))
}

// foldSpace replaces runs of ASCII white space and control characters by
// one space and trims; ideographic spaces are kept, they are text.
func foldSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < 0x20 || r == ' ' || r == 0x7F {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// obsZones are the zone names RFC 5322 still allows; time.Parse would
// read them as zero offsets.
var obsZones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

var (
	spaceAroundColon = regexp.MustCompile(`\s*:\s*`)
	leadingWeekday   = regexp.MustCompile(`^[A-Za-z]+\s*,?\s*`)
)

var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04",
	"Jan 2 15:04:05 2006",
	"Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2 January 2006 15:04:05 -0700",
}

// parseDate reads a Date value: net/mail first, then the same with
// comments and stray white space removed, then a list of layouts mail
// clients use, and finally without an unreadable zone (as UTC). Years
// outside 1900..2200 are refused as nonsense.
func parseDate(v string) (time.Time, bool) {
	s := foldSpace(stripComments(v))
	s = spaceAroundColon.ReplaceAllString(s, ":")
	if s == "" {
		return time.Time{}, false
	}
	t, err := mail.ParseDate(s)
	if err != nil {
		t, err = parseLayouts(s)
	}
	if err != nil {
		// An unreadable zone ("H0500"): keep the rest, as UTC.
		if i := strings.LastIndexByte(s, ' '); i > 0 {
			t, err = parseLayouts(s[:i])
		}
	}
	if err != nil {
		return time.Time{}, false
	}
	fields := strings.Fields(s)
	if z, ok := obsZones[strings.ToUpper(fields[len(fields)-1])]; ok {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(strings.ToUpper(fields[len(fields)-1]), z*3600))
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t, true
}

func parseLayouts(s string) (time.Time, error) {
	s = leadingWeekday.ReplaceAllStringFunc(s, func(w string) string {
		// Only a weekday, not "Jan" of "Jan 2 ...".
		if len(strings.TrimRight(w, " ,")) >= 3 && monthPrefix(w) {
			return w
		}
		return ""
	})
	var err error
	for _, l := range dateLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

func monthPrefix(w string) bool {
	w = strings.ToLower(w)
	for _, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(w, m) {
			return true
		}
	}
	return false
}

// localPart returns the lower-case local part of an address.
func localPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i]
	}
	return strings.ToLower(addr)
}

// addressesIn returns the addresses in the values of a header field, in
// order.
func addressesIn(vals [][]byte, cs string) []Address {
	var out []Address
	for _, v := range vals {
		out = append(out, parseAddresses(headerText(bytes.TrimSpace(v), cs))...)
	}
	return out
}

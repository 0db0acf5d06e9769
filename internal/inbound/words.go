package inbound

import (
	"encoding/base64"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// decodeWords decodes the RFC 2047 encoded words in s, leniently: words
// in any charset the package reads, B text with broken padding, white
// space between adjacent words dropped, and adjacent words in the same
// charset joined before they are converted, so a character split between
// two words survives. Malformed words stay as they are.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var out strings.Builder
	var pend []byte
	pendCS := ""
	havePend := false
	flush := func() {
		if havePend {
			t, _, _ := decodeText(pend, pendCS)
			out.WriteString(t)
			pend, pendCS, havePend = nil, "", false
		}
	}
	i := 0
	afterWord := false
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		cs, data, n, ok := parseWord(s[i+j:])
		if !ok {
			flush()
			out.WriteString(s[i : i+j+2])
			i += j + 2
			afterWord = false
			continue
		}
		between := s[i : i+j]
		if !(afterWord && strings.TrimLeft(between, " \t\r\n") == "") {
			flush()
			out.WriteString(between)
		}
		if havePend && normLabel(pendCS) == normLabel(cs) {
			pend = append(pend, data...)
		} else {
			flush()
			pend, pendCS, havePend = data, cs, true
		}
		i += j + n
		afterWord = true
	}
	flush()
	out.WriteString(s[i:])
	return out.String()
}

// parseWord reads an encoded word at the start of s ("=?cs?B?text?=") and
// returns its charset, its decoded bytes and its length.
func parseWord(s string) (cs string, data []byte, n int, ok bool) {
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || q1 > 64 {
		return "", nil, 0, false
	}
	q1 += 2
	cs = s[2:q1]
	if strings.ContainsAny(cs, " \t\r\n=") || len(s) < q1+3 || s[q1+2] != '?' {
		return "", nil, 0, false
	}
	enc := s[q1+1]
	// Encoded words are at most 75 characters; broken encoders make them
	// longer, but never this long. The bound keeps a header full of "=?"
	// from costing quadratic time.
	window := s[q1+3:]
	if len(window) > 2000 {
		window = window[:2000]
	}
	end := strings.Index(window, "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	text := s[q1+3 : q1+3+end]
	switch enc {
	case 'B', 'b':
		data = decodeBase64([]byte(text))
	case 'Q', 'q':
		data = decodeQWord(text)
	default:
		return "", nil, 0, false
	}
	return cs, data, q1 + 3 + end + 2, true
}

// decodeQWord decodes the Q encoding of RFC 2047: "_" is a space, "=XX" a
// byte; a stray "=" stays.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// decodeBase64 decodes base64 leniently: characters outside the alphabet
// (line ends, white space, padding anywhere) are dropped, URL-safe letters
// accepted, and a dangling last character ignored.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	// On a corrupt quantum Decode stops; keep what came before it.
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// param is a MIME parameter value; decoded reports one already turned into
// UTF-8 (RFC 2231 with a charset), as opposed to raw header bytes.
type param struct {
	v       string
	decoded bool
}

// parseParams parses a Content-Type or Content-Disposition value
// leniently: "type/sub; a=b; c="d"". Parameter names are lower-cased;
// unquoted values may hold characters RFC 2045 forbids ("=", spaces); RFC
// 2231 continuations and charsets (filename*0*=gbk'zh-cn'%D6%D0...) are joined
// and decoded in any charset the package reads. The value is lower-cased
// and trimmed.
func parseParams(s string) (string, map[string]param) {
	var parts []string
	for i, p := range splitUnquoted(s, ';') {
		if i == 0 {
			parts = append(parts, p)
			continue
		}
		// Parameters folded onto new lines without the ";" between them.
		parts = append(parts, splitRunOn(p)...)
	}
	value := strings.ToLower(strings.TrimSpace(parts[0]))
	params := map[string]param{}
	type section struct {
		idx int
		enc bool
		v   string
	}
	ext := map[string][]section{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = unquoteParam(strings.TrimSpace(v))
		if k == "" {
			continue
		}
		if i := strings.IndexByte(k, '*'); i > 0 {
			base, rest := k[:i], k[i+1:]
			sec := section{v: v}
			if rest == "" {
				sec.enc = true
			} else {
				if strings.HasSuffix(rest, "*") {
					sec.enc = true
					rest = rest[:len(rest)-1]
				}
				n, err := strconv.Atoi(rest)
				if err != nil || n < 0 || n > 999 {
					continue
				}
				sec.idx = n
			}
			if len(ext[base]) < 1000 {
				ext[base] = append(ext[base], sec)
			}
			continue
		}
		if _, dup := params[k]; !dup {
			params[k] = param{v: v}
		}
	}
	for base, ss := range ext {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].idx < ss[j].idx })
		var buf []byte
		cs := ""
		for i, sec := range ss {
			v := sec.v
			if sec.enc {
				if i == 0 {
					if a := strings.IndexByte(v, '\''); a >= 0 {
						if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
							cs = v[:a]
							v = v[a+1+b+1:]
						}
					}
				}
				buf = append(buf, percentDecode(v)...)
			} else {
				buf = append(buf, v...)
			}
		}
		if cs == "" {
			params[base] = param{v: string(buf)}
			continue
		}
		t, _, _ := decodeText(buf, cs)
		params[base] = param{v: t, decoded: true}
	}
	return value, params
}

// splitUnquoted splits s at sep outside double quotes.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	inQuote, esc := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inQuote && c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

var paramStart = regexp.MustCompile(`^[A-Za-z0-9_.-]+(\*[0-9]*\*?)?=`)

// splitRunOn splits "a=1 b=2" (parameters missing their ";") at white
// space outside quotes that is followed by a parameter name and "=".
func splitRunOn(p string) []string {
	var out []string
	inQuote, esc := false, false
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case esc:
			esc = false
		case inQuote && c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ' ' || c == '\t' || c == '\r' || c == '\n') && strings.TrimSpace(p[start:i]) != "":
			if rest := strings.TrimLeft(p[i:], " \t\r\n"); paramStart.MatchString(rest) && strings.Contains(p[start:i], "=") {
				out = append(out, p[start:i])
				start = i
			}
		}
	}
	return append(out, p[start:])
}

// unquoteParam removes the quotes of a quoted-string (a missing closing
// quote is forgiven) and its escapes of quotes and backslashes; other
// backslashes are kept, as Windows clients send paths unescaped.
func unquoteParam(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\') {
			i++
			b.WriteByte(v[i])
			continue
		}
		if c == '"' {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// messageIDs reads the message ids of a Message-ID, In-Reply-To or
// References value: every "<...>" with comments and white space inside
// removed; when there is none, the white-space-separated words instead
// (ids written without brackets).
func messageIDs(v string) []string {
	var ids []string
	if strings.Contains(v, "<") {
		for {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			v = v[i+1:]
			j := strings.IndexByte(v, '>')
			raw := v
			if j >= 0 {
				raw, v = v[:j], v[j+1:]
			} else {
				v = ""
			}
			if id := cleanID(raw); id != "" {
				ids = append(ids, id)
			}
		}
		return ids
	}
	for _, w := range strings.FieldsFunc(stripComments(v), func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n'
	}) {
		if id := cleanID(w); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func cleanID(s string) string {
	s = stripComments(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '<' || r == '>' || r == '"' {
			return -1
		}
		return r
	}, s)
	if len(s) > 250 {
		return ""
	}
	return sanitize(s)
}

// stripComments removes RFC 5322 comments, "(...)" with nesting and
// quoted pairs, outside quoted strings.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || inQuote) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case depth == 0 && c == '"':
			inQuote = !inQuote
			b.WriteByte(c)
		case !inQuote && c == '(':
			depth++
		case !inQuote && c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

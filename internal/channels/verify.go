package channels

import (
	"errors"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors of Check: the input cannot be judged at all.
var (
	ErrEmpty   = errors.New("channels: nothing to check")
	ErrTooLong = errors.New("channels: too long to check")
	// ErrFormat: neither an email address, a domain, a URL nor a phone number.
	ErrFormat = errors.New("channels: not an address, domain, URL or phone number")
)

// MaxInput is the longest value Check reads.
const MaxInput = 512

// InputKind is what Check took the value for.
type InputKind string

// Input kinds.
const (
	InputEmail  InputKind = "email"
	InputDomain InputKind = "domain"
	InputURL    InputKind = "url"
	InputPhone  InputKind = "phone"
)

// Verdict is Check's answer.
type Verdict string

// Verdicts.
const (
	// Official: a published channel or an official domain.
	Official Verdict = "official"
	// Caution: on an official domain, but not as we publish it (an
	// unlisted address, a plain-http link).
	Caution Verdict = "caution"
	// Suspicious: not ours, and made to look like ours.
	Suspicious Verdict = "suspicious"
	// Unknown: not ours; nothing suggests imitation, but it is not us.
	Unknown Verdict = "unknown"
)

// Reason codes: why a value is not (quite) official. Detail carries the
// specifics the visitor is shown.
const (
	ReasonPunycode        = "punycode"         // Detail: what the xn-- name really spells
	ReasonPunycodeInvalid = "punycode_invalid" // an xn-- label that decodes to nothing valid
	ReasonConfusable      = "confusable"       // Detail: the foreign letters and what they imitate
	ReasonLookalike       = "lookalike"        // Detail: "0kpay → okpay"
	ReasonTypo            = "typo"             // Detail: "okpya ≈ okpay"
	ReasonExtraWords      = "extra_words"      // Detail: the label with words added, "okpay-support"
	ReasonWrongTLD        = "wrong_tld"        // Detail: the ending used, ".com"
	ReasonSubdomain       = "subdomain_trick"  // Detail: the domain it really belongs to
	ReasonHTTP            = "http"             // a link without https
	ReasonScheme          = "scheme"           // Detail: a scheme that is not a web page ("javascript")
	ReasonAtInURL         = "at_in_url"        // Detail: the host the browser really opens
	ReasonIPHost          = "ip_host"          // a bare IP address instead of a name
	ReasonUnlisted        = "unlisted_address" // an official domain, an address we do not publish
	ReasonSender          = "sender_address"   // our sending address: we never read replies to it
	ReasonUnknownNumber   = "unknown_number"   // not one of our numbers
	ReasonSimilarNumber   = "similar_number"   // Detail: the official number it nearly is
	ReasonInternational   = "international"    // Detail: a non-Latin name, not ours
)

// suspiciousReasons make a value Suspicious whatever else holds.
var suspiciousReasons = []string{ReasonPunycodeInvalid, ReasonConfusable, ReasonLookalike, ReasonTypo, ReasonExtraWords,
	ReasonWrongTLD, ReasonSubdomain, ReasonScheme, ReasonAtInURL, ReasonIPHost, ReasonSimilarNumber}

// Reason is one thing Check noticed.
type Reason struct {
	Code   string
	Detail string
}

// Result is Check's answer about one value.
type Result struct {
	Input   string
	Kind    InputKind
	Verdict Verdict
	// Host is the domain judged (for email, domain and URL input), as
	// typed, and Unicode its spelling with xn-- labels decoded.
	Host, Unicode string
	// Official is the official domain the host is, or imitates.
	Official string
	// Channel is the published channel the value is (Verdict Official).
	Channel    Channel
	HasChannel bool
	Reasons    []Reason
}

// Has reports whether r gave the reason code.
func (r Result) Has(code string) bool {
	return slices.ContainsFunc(r.Reasons, func(x Reason) bool { return x.Code == code })
}

func (r *Result) add(code, detail string) {
	for _, x := range r.Reasons {
		if x.Code == code && x.Detail == detail {
			return
		}
	}
	r.Reasons = append(r.Reasons, Reason{Code: code, Detail: detail})
}

func (r *Result) settle() {
	if r.Verdict == Official || r.Verdict == Caution {
		return
	}
	r.Verdict = Unknown
	for _, x := range r.Reasons {
		if slices.Contains(suspiciousReasons, x.Code) {
			r.Verdict = Suspicious
			return
		}
	}
}

// Check says whether value — an email address, a domain, a URL or a
// phone number — is an official OKPay channel, and if not, what makes
// it look like one. Errors: ErrEmpty, ErrTooLong, ErrFormat.
func (d *Directory) Check(value string) (Result, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return Result{}, ErrEmpty
	}
	if len(v) > MaxInput {
		return Result{}, ErrTooLong
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return Result{}, ErrFormat
	}
	r := Result{Input: v}
	var err error
	switch {
	case strings.Contains(v, "://") || strings.HasPrefix(strings.ToLower(v), "javascript:") || strings.HasPrefix(strings.ToLower(v), "data:"):
		r.Kind = InputURL
		err = d.checkURL(v, &r)
	case strings.Contains(v, "/"):
		r.Kind = InputURL
		err = d.checkURL("https://"+v, &r)
	case strings.Contains(v, "@"):
		r.Kind = InputEmail
		err = d.checkEmail(v, &r)
	case isPhoneLike(v):
		r.Kind = InputPhone
		d.checkPhone(v, &r)
	default:
		r.Kind = InputDomain
		err = d.checkHost(v, &r)
	}
	if err != nil {
		return Result{}, err
	}
	r.settle()
	return r, nil
}

func isPhoneLike(v string) bool {
	n := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return false
		}
	}
	return n >= 5 && !(strings.Count(v, ".") > 1 && !strings.ContainsAny(v, "+ -()"))
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (d *Directory) checkPhone(v string, r *Result) {
	in := digits(v)
	for _, c := range d.OfKind(KindPhone) {
		off := digits(c.Value)
		// Dialled from inside the country the country code is left off
		// (and a trunk 0 may be added): match on the national number.
		if in == off || (len(in) >= 7 && (strings.HasSuffix(off, in) || strings.HasSuffix(off, strings.TrimPrefix(in, "0")))) {
			r.Verdict, r.Channel, r.HasChannel = Official, c, true
			return
		}
	}
	for _, c := range d.OfKind(KindPhone) {
		off := digits(c.Value)
		if len(in) >= 7 && editDistance(in, off) <= 2 || len(in) >= 7 && len(off) > len(in) && editDistance(in, off[len(off)-len(in):]) <= 2 {
			r.add(ReasonSimilarNumber, c.Value)
			return
		}
	}
	r.add(ReasonUnknownNumber, "")
}

func (d *Directory) checkEmail(v string, r *Result) error {
	addr := v
	if a, err := mail.ParseAddress(v); err == nil {
		addr = a.Address
	}
	at := strings.LastIndexByte(addr, '@')
	local, host := addr[:max(at, 0)], addr[at+1:]
	if at <= 0 || len(local) > 64 || strings.ContainsAny(local, " <>\"") || host == "" {
		return ErrFormat
	}
	if err := d.checkHost(host, r); err != nil {
		return err
	}
	if r.Verdict != Official {
		return nil
	}
	full := strings.ToLower(local) + "@" + strings.ToLower(strings.TrimSuffix(host, "."))
	for _, c := range d.channels {
		if c.IsAddress() && c.Value == full {
			r.Channel, r.HasChannel = c, true
			return nil
		}
	}
	if slices.Contains(d.senders, full) {
		r.add(ReasonSender, full)
		return nil
	}
	r.Verdict = Caution
	r.add(ReasonUnlisted, full)
	return nil
}

func (d *Directory) checkURL(v string, r *Result) error {
	u, err := url.Parse(v)
	if err != nil {
		// A backslash or a bad escape: browsers are more lenient than
		// url.Parse, so say what we can from the text before the path.
		return ErrFormat
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "https":
	case "http":
		r.add(ReasonHTTP, "")
	default:
		r.add(ReasonScheme, scheme)
		if u.Host == "" {
			return nil
		}
	}
	if u.User != nil {
		r.add(ReasonAtInURL, u.Hostname())
	}
	if u.Hostname() == "" {
		return ErrFormat
	}
	if err := d.checkHost(u.Hostname(), r); err != nil {
		return err
	}
	if r.Verdict == Official && (r.Has(ReasonHTTP) || r.Has(ReasonAtInURL) || r.Has(ReasonScheme)) {
		r.Verdict = Caution
		if r.Has(ReasonAtInURL) || r.Has(ReasonScheme) {
			r.Verdict = ""
		}
	}
	return nil
}

// twoLevelSuffixes are public suffixes of two labels common enough in
// phishing aimed at our customers; without them "okpay.com.cn" would be
// read as a subdomain of "com.cn".
var twoLevelSuffixes = []string{"com.cn", "net.cn", "org.cn", "gov.cn", "com.hk", "com.tw", "co.uk", "com.au", "co.jp", "com.sg"}

func registrableLabels(labels []string) int {
	if len(labels) >= 3 && slices.Contains(twoLevelSuffixes, strings.Join(labels[len(labels)-2:], ".")) {
		return 3
	}
	return 2
}

func (d *Directory) checkHost(host string, r *Result) error {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	r.Host = host
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		r.Unicode = host
		r.add(ReasonIPHost, host)
		return nil
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 || len(host) > 253 {
		return ErrFormat
	}
	uni := make([]string, len(labels))
	badPuny := false
	for i, l := range labels {
		if l == "" || len(l) > 63 || !validLabel(l) {
			return ErrFormat
		}
		uni[i] = l
		if strings.HasPrefix(l, "xn--") {
			dec, err := decodePunycode(l[4:])
			if err != nil {
				badPuny = true
				continue
			}
			uni[i] = norm.NFC.String(dec)
		}
	}
	r.Unicode = strings.Join(uni, ".")
	if badPuny {
		r.add(ReasonPunycodeInvalid, host)
	} else if r.Unicode != host && strings.Contains(host, "xn--") {
		r.add(ReasonPunycode, r.Unicode)
	}
	for _, dom := range d.domains {
		if host == dom || strings.HasSuffix(host, "."+dom) {
			r.Verdict, r.Official = Official, dom
			return nil
		}
	}
	foreign := false
	for _, l := range uni {
		if isASCII(l) {
			continue
		}
		// Accented Latin is how many languages spell their names
		// (münchen.de); other scripts' look-alikes next to Latin, or any
		// look-alike that spells our name, are not.
		notes, mixed := confusableNotes(l)
		imitates := false
		for _, dom := range d.domains {
			imitates = imitates || brandMatch(l, skeleton(strings.Split(dom, ".")[0])) != matchNone
		}
		if len(notes) > 0 && (mixed || imitates) {
			r.add(ReasonConfusable, strings.Join(notes, ", "))
		} else {
			foreign = true
		}
	}
	regAt := len(labels) - registrableLabels(labels)
	real := strings.Join(labels[regAt:], ".")
	for _, dom := range d.domains {
		dl := strings.Split(dom, ".")
		brand, tld := dl[0], "."+strings.Join(dl[1:], ".")
		bsk := skeleton(brand)
		for i, l := range uni {
			if i > regAt {
				break // the public suffix itself
			}
			m := brandMatch(l, bsk)
			if m == matchNone {
				continue
			}
			r.Official = dom
			switch m {
			case matchSame:
				if l != brand {
					r.add(ReasonLookalike, l+" → "+brand)
				}
			case matchExtra:
				r.add(ReasonExtraWords, l)
			case matchTypo:
				r.add(ReasonTypo, l+" ≈ "+brand)
			}
			if i < regAt {
				// okpay.secure-login.com and okpay.test.evil.com belong
				// to secure-login.com and evil.com: what is on the left
				// of a domain is whatever its owner chooses.
				r.add(ReasonSubdomain, real)
			} else if suffix := "." + strings.Join(labels[i+1:], "."); suffix != tld {
				r.add(ReasonWrongTLD, suffix)
			}
		}
		// The whole official domain spelled out to the left of another.
		if strings.HasPrefix(host, dom+".") {
			r.Official = dom
			r.add(ReasonSubdomain, real)
		}
	}
	if foreign && r.Official == "" {
		r.add(ReasonInternational, r.Unicode)
	}
	return nil
}

func validLabel(l string) bool {
	for _, c := range l {
		if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' {
			continue
		}
		if c >= 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsMark(c)) {
			continue
		}
		return false
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type match int

const (
	matchNone  match = iota
	matchSame        // spells the brand, perhaps with look-alike characters
	matchExtra       // the brand with words around it
	matchTypo        // one edit away from the brand
)

func brandMatch(label, brandSkeleton string) match {
	sk := skeleton(label)
	switch {
	case sk == brandSkeleton:
		return matchSame
	case strings.Contains(sk, brandSkeleton):
		return matchExtra
	case len(brandSkeleton) >= 4 && editDistance(sk, brandSkeleton) == 1:
		return matchTypo
	}
	for _, tok := range strings.FieldsFunc(sk, func(r rune) bool { return r == '-' || r == '_' }) {
		if len(brandSkeleton) >= 4 && editDistance(tok, brandSkeleton) == 1 {
			return matchExtra
		}
	}
	return matchNone
}

// editDistance is the Damerau (optimal string alignment) distance:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

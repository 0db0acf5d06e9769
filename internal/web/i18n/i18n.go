// Package i18n owns the words people read: one message catalogue per
// supported language, embedded in the binary and loaded once at start, the
// choice of language from what a browser asks for, and the locale's way of
// writing dates.
//
// Invariants:
//   - zh-CN is the default and comes first; English is the other language.
//   - Every catalogue has exactly the same keys, and each message uses the
//     same {placeholders} in every language (Load refuses anything else, and
//     a test proves every key used by the web pages exists).
//   - Messages are plain text. html/template escapes them where they are
//     shown, so a translation can never inject markup.
//
// # Why a small JSON catalogue and not golang.org/x/text/message
//
// The x/text catalogues are meant to be generated: gotext extracts
// messages from Go call sites into Go source, which misses html/template
// (where nearly all of our text lives) and adds a generator to the build.
// A flat JSON file per language ("key": "text") is what a translator can
// review and edit without tools, loads in microseconds, and Load checks it
// completely at start, so a broken translation stops the program in
// development rather than showing a raw key to a customer. Chinese has no
// plural forms; when an English message needs one, add a second key.
// Language negotiation still uses golang.org/x/text/language, which knows
// that zh-TW readers are better served by zh-CN than by English.
//
// Placeholders are named, {amount} or {date}, so a translator may reorder
// them freely; the caller passes name/value pairs.
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
)

var (
	// ErrCatalogue reports a message file that is not a flat JSON object
	// of strings, or that repeats a key.
	ErrCatalogue = errors.New("i18n: malformed catalogue")
	// ErrIncomplete reports catalogues that disagree: a key missing from
	// one language, or a message whose placeholders differ between them.
	ErrIncomplete = errors.New("i18n: catalogues disagree")
)

// Locale codes, as written in the lang cookie, in <html lang> and as the
// locale argument of money.Format.
const (
	ZhCN = "zh-CN"
	En   = "en"
)

// Each language's messages live in messages/<code>/, one file per area of
// the product (core.json, wallet.json, support.json ...), so the areas can
// grow apart; a key may appear in only one file of a language.
//
//go:embed messages
var messageFiles embed.FS

// locale describes one supported language: everything about it that is not
// a translatable message.
type localeInfo struct {
	code string
	tag  language.Tag
	// name is the language's name in itself, as the switcher shows it.
	name string
	// Go time layouts. zh-CN: 2026年11月22日 14:05; en: 22 Nov 2026, 14:05.
	dateTime, date string
}

// supported lists the languages in preference order; the first is the
// default. Adding one means a row here and a messages/<code>.json file.
var supported = []localeInfo{
	{code: ZhCN, tag: language.MustParse(ZhCN), name: "中文", dateTime: "2006年1月2日 15:04", date: "2006年1月2日"},
	{code: En, tag: language.English, name: "English", dateTime: "2 Jan 2006, 15:04", date: "2 Jan 2006"},
}

// Locale is one language's messages and formats. It is immutable and safe
// for concurrent use.
type Locale struct {
	info     localeInfo
	messages map[string]string
	fallback *Locale // the default locale, for a key missing here (nil for the default)
}

// Code returns the locale's code ("zh-CN", "en").
func (l *Locale) Code() string { return l.info.code }

// Name returns the language's name written in that language ("中文").
func (l *Locale) Name() string { return l.info.name }

// Tag returns the locale's BCP 47 tag.
func (l *Locale) Tag() language.Tag { return l.info.tag }

// Has reports whether the catalogue defines key.
func (l *Locale) Has(key string) bool {
	_, ok := l.messages[key]
	return ok
}

// Keys returns every key of the catalogue, sorted.
func (l *Locale) Keys() []string { return slices.Sorted(maps.Keys(l.messages)) }

// T returns the message for key with its {placeholders} replaced by args,
// which come in name/value pairs: T("fees.total", "amount", "¥1.00"). A
// value is written with fmt's %v. A key this catalogue lacks falls back to
// the default language, then to the key itself; Load and the tests make
// both impossible in practice.
func (l *Locale) T(key string, args ...any) string {
	msg, ok := l.messages[key]
	if !ok {
		if l.fallback != nil {
			return l.fallback.T(key, args...)
		}
		return key
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	return substitute(msg, args)
}

// DateTime writes t, as it is (convert it to the platform time zone
// first), to the minute: "2026年11月22日 14:05", "22 Nov 2026, 14:05".
func (l *Locale) DateTime(t time.Time) string { return t.Format(l.info.dateTime) }

// Date writes t's calendar day: "2026年11月22日", "22 Nov 2026".
func (l *Locale) Date(t time.Time) string { return t.Format(l.info.date) }

// substitute replaces each {name} in msg with the value paired with name in
// args; unknown names are left as written.
func substitute(msg string, args []any) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(msg, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(msg[open:], '}')
		if end < 0 {
			break
		}
		name := msg[open+1 : open+end]
		b.WriteString(msg[:open])
		if v, ok := lookupArg(args, name); ok {
			fmt.Fprint(&b, v)
		} else {
			b.WriteString(msg[open : open+end+1])
		}
		msg = msg[open+end+1:]
	}
	b.WriteString(msg)
	return b.String()
}

func lookupArg(args []any, name string) (any, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if s, ok := args[i].(string); ok && s == name {
			return args[i+1], true
		}
	}
	return nil, false
}

// Placeholders returns the distinct {names} used in msg, sorted.
func Placeholders(msg string) []string {
	var names []string
	for {
		open := strings.IndexByte(msg, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(msg[open:], '}')
		if end < 0 {
			break
		}
		names = append(names, msg[open+1:open+end])
		msg = msg[open+end+1:]
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Catalogue holds every supported locale and chooses among them.
type Catalogue struct {
	locales []*Locale
	byCode  map[string]*Locale
	matcher language.Matcher
}

// Load reads the embedded message files and checks that they agree.
func Load() (*Catalogue, error) {
	c := &Catalogue{byCode: make(map[string]*Locale, len(supported))}
	tags := make([]language.Tag, len(supported))
	for i, info := range supported {
		msgs, err := loadLanguage(messageFiles, "messages/"+info.code)
		if err != nil {
			return nil, err
		}
		l := &Locale{info: info, messages: msgs}
		if i > 0 {
			l.fallback = c.locales[0]
		}
		c.locales = append(c.locales, l)
		c.byCode[info.code] = l
		tags[i] = info.tag
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// loadLanguage merges every .json file in dir into one catalogue, refusing
// a key defined by two files.
func loadLanguage(fsys fs.FS, dir string) (map[string]string, error) {
	files, err := fs.Glob(fsys, dir+"/*.json")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("i18n: %s: no message files", dir)
	}
	msgs := make(map[string]string)
	from := make(map[string]string)
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		part, err := parseCatalogue(b)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for k, v := range part {
			if other, dup := from[k]; dup {
				return nil, fmt.Errorf("i18n: %w: %q is in both %s and %s", ErrCatalogue, k, other, name)
			}
			msgs[k], from[k] = v, name
		}
	}
	return msgs, nil
}

// check proves every catalogue has the default's keys and placeholders,
// and no others.
func (c *Catalogue) check() error {
	var errs []error
	def := c.locales[0]
	for _, l := range c.locales[1:] {
		for _, k := range def.Keys() {
			msg, ok := l.messages[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s lacks %q", l.Code(), k))
				continue
			}
			if want, got := Placeholders(def.messages[k]), Placeholders(msg); !slices.Equal(want, got) {
				errs = append(errs, fmt.Errorf("%q: %s uses placeholders %v, %s uses %v", k, def.Code(), want, l.Code(), got))
			}
		}
		for _, k := range l.Keys() {
			if !def.Has(k) {
				errs = append(errs, fmt.Errorf("%s has %q, which %s lacks", l.Code(), k, def.Code()))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrIncomplete, errors.Join(errs...))
	}
	return nil
}

// parseCatalogue reads a flat JSON object of strings, refusing repeated
// keys (encoding/json would silently keep the last one).
func parseCatalogue(b []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%w: want a JSON object of strings", ErrCatalogue)
	}
	msgs := make(map[string]string)
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCatalogue, err)
		}
		key := kt.(string) // object keys are always strings
		var msg string
		if err := dec.Decode(&msg); err != nil {
			return nil, fmt.Errorf("%w: %q: want a string: %v", ErrCatalogue, key, err)
		}
		if _, dup := msgs[key]; dup {
			return nil, fmt.Errorf("%w: %q appears twice", ErrCatalogue, key)
		}
		if key == "" || strings.TrimSpace(msg) == "" {
			return nil, fmt.Errorf("%w: empty key or message (%q)", ErrCatalogue, key)
		}
		msgs[key] = msg
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCatalogue, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", ErrCatalogue)
	}
	return msgs, nil
}

// Default returns zh-CN, the platform's language.
func (c *Catalogue) Default() *Locale { return c.locales[0] }

// embedded is the catalogue For serves, loaded once per process.
var embedded = sync.OnceValues(Load)

// For returns the embedded catalogue's locale for a language code (a
// user's saved setting), the default when the code is unknown: for
// packages that write to a user outside a page (mail, chat notices).
func For(code string) (*Locale, error) {
	c, err := embedded()
	if err != nil {
		return nil, err
	}
	if l, ok := c.Lookup(code); ok {
		return l, nil
	}
	return c.Default(), nil
}

// Locales returns every supported locale, the default first.
func (c *Catalogue) Locales() []*Locale { return slices.Clone(c.locales) }

// Lookup returns the locale whose code is exactly code (as the lang cookie
// and a user's saved setting hold it).
func (c *Catalogue) Lookup(code string) (*Locale, bool) {
	l, ok := c.byCode[code]
	return l, ok
}

// Match picks the locale for an Accept-Language header. A header naming
// no language we can serve, or one that does not parse, gives ok false:
// the caller then falls back to the default. zh-TW and zh-HK readers get
// zh-CN, which they read far more easily than English.
func (c *Catalogue) Match(acceptLanguage string) (l *Locale, ok bool) {
	if acceptLanguage == "" {
		return nil, false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return nil, false
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return nil, false
	}
	return c.locales[i], true
}

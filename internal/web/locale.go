package web

import (
	"context"
	"net/http"
	"time"

	"github.com/okpay/okpay/internal/web/i18n"
)

// LangCookie is the cookie the language switcher sets: a locale code.
const LangCookie = "lang"

const langCookieMaxAge = 365 * 24 * time.Hour

// maxAcceptLanguage bounds the header we parse; real browsers send well
// under 200 bytes.
const maxAcceptLanguage = 1024

type userLocaleKey struct{}

// WithUserLocale returns ctx carrying a signed-in user's saved language
// (a locale code such as "en"). Middleware that loads the user calls it;
// Locale then prefers it to the cookie and the browser's languages. An
// unsupported code is ignored.
func WithUserLocale(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, userLocaleKey{}, code)
}

// Locale returns the language to answer r in: the user's saved setting
// (WithUserLocale), else the lang cookie, else the best match for
// Accept-Language, else zh-CN.
func (s *Site) Locale(r *http.Request) *i18n.Locale {
	if code, ok := r.Context().Value(userLocaleKey{}).(string); ok {
		if l, ok := s.msgs.Lookup(code); ok {
			return l
		}
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l, ok := s.msgs.Lookup(c.Value); ok {
			return l
		}
	}
	if al := r.Header.Get("Accept-Language"); len(al) <= maxAcceptLanguage {
		if l, ok := s.msgs.Match(al); ok {
			return l
		}
	}
	return s.msgs.Default()
}

// Catalogue returns the site's message catalogues, for code that writes to
// people outside a page (mail in the recipient's language).
func (s *Site) Catalogue() *i18n.Catalogue { return s.msgs }

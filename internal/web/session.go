package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
)

// Cookie names of a signed-in browser.
const (
	// SessionCookie carries the session token: HttpOnly, SameSite=Lax,
	// Secure outside plain-http development, for the browser's session
	// only (the server ends it after the idle and absolute timeouts).
	SessionCookie = "okpay_session"
	// DeviceCookie marks a browser the user has signed in from before, so
	// failures from elsewhere do not lock it out.
	DeviceCookie = "okpay_device"
)

// maxCookieToken bounds a token cookie we pass on to auth.
const maxCookieToken = 128

type userKey struct{}

// signedIn is the user and session behind a request's session cookie.
type signedIn struct {
	user    auth.User
	session auth.Session
	token   string
}

// authenticate loads the user behind the session cookie, if any, into the
// request's context (with the user's language). A cookie whose session
// has ended is cleared.
func (s *Site) authenticate(w http.ResponseWriter, r *http.Request) *http.Request {
	if s.auth == nil {
		return r
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return r
	}
	if len(c.Value) > maxCookieToken {
		s.clearCookie(w, SessionCookie)
		return r
	}
	sess, u, err := s.auth.Authenticate(r.Context(), c.Value)
	switch {
	case errors.Is(err, auth.ErrSessionExpired), errors.Is(err, auth.ErrDisabled):
		s.clearCookie(w, SessionCookie)
		return r
	case err != nil:
		// The database is unwell: serve the page as to a visitor rather
		// than fail it; pages that need the user will ask to sign in.
		s.log.LogAttrs(r.Context(), slog.LevelError, "web: authenticate", slog.Any("err", err))
		return r
	}
	ctx := context.WithValue(r.Context(), userKey{}, &signedIn{user: u, session: sess, token: c.Value})
	return r.WithContext(WithUserLocale(ctx, u.Locale))
}

// currentUser returns the signed-in user of r, or nil.
func currentUser(r *http.Request) *signedIn {
	si, _ := r.Context().Value(userKey{}).(*signedIn)
	return si
}

// requireUser sends visitors who are not signed in to the login page,
// which returns them here afterwards.
func (s *Site) requireUser(h func(http.ResponseWriter, *http.Request, *signedIn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		si := currentUser(r)
		if si == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, si)
	}
}

func (s *Site) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   !s.dev,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Site) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode})
}

// clientIP is the address the request came from, for throttling and the
// audit log. It reads the connection, never a header a client could write.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// deviceLabel names a browser for the session list ("Chrome on
// Windows"), from its user agent; the full agent stays in the audit log.
func deviceLabel(ua string) string {
	has := func(s string) bool { return strings.Contains(ua, s) }
	browser := "Browser"
	switch {
	case has("Edg/"):
		browser = "Edge"
	case has("Firefox/"):
		browser = "Firefox"
	case has("Chrome/"), has("Chromium/"):
		browser = "Chrome"
	case has("Safari/"):
		browser = "Safari"
	}
	system := ""
	switch {
	case has("Android"):
		system = "Android"
	case has("iPhone"), has("iPad"):
		system = "iOS"
	case has("Windows"):
		system = "Windows"
	case has("Mac OS X"), has("Macintosh"):
		system = "macOS"
	case has("Linux"):
		system = "Linux"
	}
	if system == "" {
		return browser
	}
	return browser + " · " + system
}

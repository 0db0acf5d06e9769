package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/okpay/okpay/internal/auth"
)

// loginData is what login.html shows.
type loginData struct {
	Form *form
	Next string
	// Locked is set while the email (or this browser) is locked: until
	// when, in the platform time zone.
	Locked    bool
	Until     time.Time
	Zone      string
	Throttled bool
	Notice    string
}

// loginPage is the sign-in form; next is where to go afterwards.
func (s *Site) loginPage(w http.ResponseWriter, r *http.Request) {
	d := loginData{Form: newForm(), Next: nextParam(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("signedout") == "all" {
		d.Notice = s.Locale(r).T("sessions.revoked_all")
	}
	s.Render(w, r, http.StatusOK, "login", d)
}

// nextParam keeps a local path to return to after login, else "".
func nextParam(next string) string {
	if p := localPath(next); p != "/" {
		return p
	}
	return ""
}

// login checks the password and starts a fresh session: a session id the
// browser had before is ended, never reused. The lock page shows no email,
// so it is the same for every email, registered or not.
func (s *Site) login(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	d := loginData{Form: newForm(), Next: nextParam(vals.Get("next"))}
	d.Form.keep("email", vals.Get("email"))
	res, err := s.auth.Login(r.Context(), auth.LoginRequest{
		Email: vals.Get("email"), Password: vals.Get("password"),
		IP: clientIP(r), UserAgent: r.UserAgent(), DeviceToken: deviceCookie(r), DeviceLabel: deviceLabel(r.UserAgent()),
	})
	var locked auth.ErrLocked
	switch {
	case err == nil:
	case d.Form.fieldError(loc, err):
		s.Render(w, r, http.StatusUnprocessableEntity, "login", d)
		return
	case errors.As(err, &locked):
		d.Form = newForm()
		d.Locked, d.Until, d.Zone = true, locked.Until, s.zoneName(loc.Code())
		s.Render(w, r, http.StatusLocked, "login", d)
		return
	case errors.Is(err, auth.ErrThrottled):
		d.Throttled = true
		s.Render(w, r, http.StatusTooManyRequests, "login", d)
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		d.Form.Summary = loc.T("login.error.credentials")
		s.Render(w, r, http.StatusUnauthorized, "login", d)
		return
	case errors.Is(err, auth.ErrDisabled):
		d.Form.Summary = loc.T("login.error.disabled")
		s.Render(w, r, http.StatusForbidden, "login", d)
		return
	default:
		s.ServerError(w, r, err)
		return
	}
	if res.Challenge != "" {
		s.askSecondFactor(w, r, res, d.Next)
		return
	}
	s.startSession(w, r, res, d.Next)
}

// startSession sets the cookies of a completed login, ending any session
// the browser had before, and goes on to next (default /account).
func (s *Site) startSession(w http.ResponseWriter, r *http.Request, res auth.LoginResult, next string) {
	if old := currentUser(r); old != nil {
		if err := s.auth.Logout(r.Context(), old.token, clientIP(r), r.UserAgent()); err != nil {
			s.ServerError(w, r, err)
			return
		}
	}
	s.setCookie(w, SessionCookie, res.SessionToken, 0)
	if res.DeviceToken != "" {
		s.setCookie(w, DeviceCookie, res.DeviceToken, s.auth.Config().DeviceTTL)
	}
	if next == "" {
		next = "/account"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// zoneName names the platform time zone for people.
func (s *Site) zoneName(locale string) string {
	if s.tz.String() == DefaultTimeZone {
		if loc, ok := s.msgs.Lookup(locale); ok {
			return loc.T("tz.shanghai")
		}
	}
	return s.tz.String()
}

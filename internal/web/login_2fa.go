package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
)

// login2FACookie carries a sign-in between the password and the second
// factor: auth's challenge (proof the password was right) and the
// two-factor challenge, for this browser only, on /login paths only.
const login2FACookie = "okpay_login2fa"

// login2FAData is what login_2fa.html shows.
type login2FAData struct {
	Next    string
	StepUp  stepUp
	Summary string
}

// askSecondFactor begins the two-factor check of a sign-in whose password
// was right and sends the browser to the code page.
func (s *Site) askSecondFactor(w http.ResponseWriter, r *http.Request, res auth.LoginResult, next string) {
	id, err := s.twoFactor.Begin(r.Context(), res.User.ID, twofactor.Login)
	if errors.Is(err, twofactor.ErrTooManyFailures) {
		d := loginData{Form: newForm(), Next: next}
		d.Form.Summary = s.Locale(r).T("login.2fa.too_many")
		s.Render(w, r, http.StatusTooManyRequests, "login", d)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.setLogin2FA(w, res.Challenge, id)
	target := "/login/2fa"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Site) setLogin2FA(w http.ResponseWriter, authChallenge, tfChallenge string) {
	maxAge := int(twofactor.ChallengeTTL.Seconds())
	if authChallenge == "" {
		maxAge = -1
	}
	http.SetCookie(w, &http.Cookie{Name: login2FACookie, Value: authChallenge + "." + tfChallenge, Path: "/login",
		MaxAge: maxAge, HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode})
}

// login2FAState reads the cookie: auth's and the two-factor challenge.
func login2FAState(r *http.Request) (authChallenge, tfChallenge string, ok bool) {
	c, err := r.Cookie(login2FACookie)
	if err != nil || len(c.Value) > 2*maxCookieToken+1 {
		return "", "", false
	}
	a, t, ok := strings.Cut(c.Value, ".")
	return a, t, ok && a != "" && t != ""
}

// login2FAPage asks for the code of a sign-in in progress.
func (s *Site) login2FAPage(w http.ResponseWriter, r *http.Request) {
	next := nextParam(r.URL.Query().Get("next"))
	if _, _, ok := login2FAState(r); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Render(w, r, http.StatusOK, "login_2fa", login2FAData{Next: next, StepUp: stepUp{Method: string(twofactor.MethodTOTP)}})
}

// login2FA checks the code and completes the sign-in. The two-factor
// challenge stays in the cookie, never in the page.
func (s *Site) login2FA(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	d := login2FAData{Next: nextParam(vals.Get("next"))}
	authCh, tfCh, ok := login2FAState(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	vals.Set("challenge", tfCh)
	userID, err := s.auth.PendingLogin(r.Context(), authCh)
	if err != nil {
		s.loginAgain(w, r, d.Next, err)
		return
	}
	token, su, err := s.approve(r, vals, userID, twofactor.Login)
	d.StepUp, su.Challenge = su, ""
	switch {
	case errors.Is(err, twofactor.ErrTooManyFailures):
		s.loginAgain(w, r, d.Next, err)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	case token == "":
		// Asked again: a wrong code, an email code sent, or a fresh
		// challenge after five wrong codes.
		s.setLogin2FA(w, authCh, d.StepUp.Challenge)
		d.StepUp.Challenge = ""
		status := http.StatusOK
		if d.StepUp.Error != "" {
			status = http.StatusUnprocessableEntity
		}
		s.Render(w, r, status, "login_2fa", d)
		return
	}
	res, err := s.auth.LoginSecondFactor(r.Context(), authCh, token, auth.LoginRequest{IP: clientIP(r), UserAgent: r.UserAgent(), DeviceToken: deviceCookie(r), DeviceLabel: deviceLabel(r.UserAgent())})
	if err != nil {
		s.loginAgain(w, r, d.Next, err)
		return
	}
	s.setLogin2FA(w, "", "")
	s.startSession(w, r, res, d.Next)
}

// loginAgain ends a sign-in whose second step can no longer complete
// (expired, or too many wrong codes) and shows the login form with why.
func (s *Site) loginAgain(w http.ResponseWriter, r *http.Request, next string, err error) {
	loc := s.Locale(r)
	s.setLogin2FA(w, "", "")
	d := loginData{Form: newForm(), Next: next}
	switch {
	case errors.Is(err, twofactor.ErrTooManyFailures):
		d.Form.Summary = loc.T("login.2fa.too_many")
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrSecondFactorRequired):
		d.Form.Summary = loc.T("login.2fa.expired")
	default:
		s.ServerError(w, r, err)
		return
	}
	s.Render(w, r, http.StatusUnauthorized, "login", d)
}

// deviceCookie is the browser's device cookie, if any.
func deviceCookie(r *http.Request) string {
	if c, err := r.Cookie(DeviceCookie); err == nil && len(c.Value) <= maxCookieToken {
		return c.Value
	}
	return ""
}

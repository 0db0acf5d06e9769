package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
)

// resetData is what password_reset.html shows.
type resetData struct {
	Form     *form
	Token    string
	NeedCode bool // the user has 2FA on
	Invalid  bool // the link is unknown, used, superseded or expired
	Done     bool
}

// resetPage is where the link in the reset mail leads: a new password.
func (s *Site) resetPage(w http.ResponseWriter, r *http.Request) {
	d := resetData{Form: newForm(), Token: r.URL.Query().Get("token")}
	if d.Token == "" || len(d.Token) > maxCookieToken {
		d.Invalid = true
		s.Render(w, r, http.StatusBadRequest, "password_reset", d)
		return
	}
	s.Render(w, r, http.StatusOK, "password_reset", d)
}

// reset sets the new password. It does not sign in: the customer logs in
// with the new password, and every earlier session has ended.
func (s *Site) reset(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	d := resetData{Form: newForm(), Token: vals.Get("token"), NeedCode: vals.Get("need_code") != ""}
	if len(d.Token) > maxCookieToken {
		d.Token = ""
	}
	_, err := s.auth.ResetPassword(r.Context(), auth.ResetPasswordRequest{
		Token: d.Token, NewPassword: vals.Get("password"), Code: vals.Get("code"),
		IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case err == nil:
		s.clearCookie(w, SessionCookie)
		s.Render(w, r, http.StatusOK, "password_reset", resetData{Done: true})
	case d.Form.fieldError(loc, err):
		s.Render(w, r, http.StatusUnprocessableEntity, "password_reset", d)
	case errors.Is(err, auth.ErrSecondFactorRequired):
		if d.NeedCode {
			d.Form.Errors["code"] = loc.T("form.code.wrong")
			d.Form.Summary = loc.T("form.summary")
		}
		d.NeedCode = true
		s.Render(w, r, http.StatusUnprocessableEntity, "password_reset", d)
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrNotFound):
		s.Render(w, r, http.StatusBadRequest, "password_reset", resetData{Invalid: true})
	default:
		s.ServerError(w, r, err)
	}
}

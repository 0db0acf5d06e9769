package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
)

// resetData is what password_reset.html shows.
type resetData struct {
	Form     *form
	Token    string
	NeedCode bool // the user has 2FA on
	StepUp   stepUp
	Invalid  bool // the link is unknown, used, superseded or expired
	Done     bool
}

// resetPage is where the link in the reset mail leads: a new password,
// and the second factor when the account has it on.
func (s *Site) resetPage(w http.ResponseWriter, r *http.Request) {
	d := resetData{Form: newForm(), Token: r.URL.Query().Get("token")}
	_, twoFactor, err := s.auth.ResetTarget(r.Context(), d.Token)
	switch {
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrNotFound):
		s.Render(w, r, http.StatusBadRequest, "password_reset", resetData{Invalid: true})
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.NeedCode = twoFactor
	d.StepUp.Method = string(twofactor.MethodTOTP)
	s.Render(w, r, http.StatusOK, "password_reset", d)
}

// reset sets the new password. It does not sign in: the customer logs in
// with the new password, and every earlier session has ended.
func (s *Site) reset(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	d := resetData{Form: newForm(), Token: vals.Get("token")}
	u, twoFactor, err := s.auth.ResetTarget(r.Context(), d.Token)
	switch {
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrNotFound):
		s.Render(w, r, http.StatusBadRequest, "password_reset", resetData{Invalid: true})
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.NeedCode = twoFactor
	// The password first, so a code is not spent on a form that fails
	// (unless the button asked for an email code).
	if _, err := auth.ValidatePassword(vals.Get("password")); vals.Get("send_email") == "" && d.Form.fieldError(loc, err) {
		d.StepUp = stepUp{Challenge: vals.Get("challenge"), Method: vals.Get("method")}
		s.Render(w, r, http.StatusUnprocessableEntity, "password_reset", d)
		return
	}
	var proof string
	if twoFactor {
		proof, d.StepUp, err = s.approve(r, vals, u.ID, twofactor.ResetAction)
		switch {
		case errors.Is(err, twofactor.ErrTooManyFailures):
			d.Form.Summary = loc.T("stepup.too_many")
			s.Render(w, r, http.StatusTooManyRequests, "password_reset", d)
			return
		case err != nil:
			s.ServerError(w, r, err)
			return
		case proof == "":
			status := http.StatusOK
			if d.StepUp.Error != "" {
				status = http.StatusUnprocessableEntity
			}
			s.Render(w, r, status, "password_reset", d)
			return
		}
	}
	_, err = s.auth.ResetPassword(r.Context(), auth.ResetPasswordRequest{
		Token: d.Token, NewPassword: vals.Get("password"), Proof: proof,
		IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case err == nil:
		s.clearCookie(w, SessionCookie)
		s.Render(w, r, http.StatusOK, "password_reset", resetData{Done: true})
	case d.Form.fieldError(loc, err):
		s.Render(w, r, http.StatusUnprocessableEntity, "password_reset", d)
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrNotFound),
		errors.Is(err, auth.ErrSecondFactorRequired):
		s.Render(w, r, http.StatusBadRequest, "password_reset", resetData{Invalid: true})
	default:
		s.ServerError(w, r, err)
	}
}

package web

import (
	"net/http"

	"github.com/okpay/okpay/internal/auth"
)

// forgotPage asks for the email to send a reset link to.
func (s *Site) forgotPage(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "password_forgot", newForm())
}

// forgot sends the reset link. The answer is the same page, byte for byte,
// whether or not the email has an account; it does not repeat the email.
func (s *Site) forgot(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	f := newForm()
	f.keep("email", vals.Get("email"))
	err := s.auth.RequestReset(r.Context(), auth.ResetRequest{Email: vals.Get("email"), IP: clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case err == nil:
		s.Render(w, r, http.StatusOK, "password_forgot_sent", nil)
	case f.fieldError(s.Locale(r), err):
		s.Render(w, r, http.StatusUnprocessableEntity, "password_forgot", f)
	default:
		s.ServerError(w, r, err)
	}
}

package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
)

// signupPage is the sign-up form: email, password, optional phone.
func (s *Site) signupPage(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "signup", newForm())
}

// signup creates the account and sends the verification mail. An email
// that already has an account gets the same "check your mailbox" answer,
// so the form does not tell strangers who is registered.
func (s *Site) signup(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	f := newForm()
	f.keep("email", vals.Get("email"))
	f.keep("phone", vals.Get("phone"))
	loc := s.Locale(r)
	_, err := s.auth.SignUp(r.Context(), auth.SignUpRequest{
		Email: vals.Get("email"), Password: vals.Get("password"), Phone: vals.Get("phone"),
		Locale: loc.Code(), IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case err == nil, errors.Is(err, auth.ErrEmailTaken):
		http.Redirect(w, r, "/signup/sent", http.StatusSeeOther)
	case f.fieldError(loc, err):
		s.Render(w, r, http.StatusUnprocessableEntity, "signup", f)
	default:
		s.ServerError(w, r, err)
	}
}

// signupSent asks the new customer to open the verification mail.
func (s *Site) signupSent(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "signup_sent", nil)
}

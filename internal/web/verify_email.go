package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
)

// verifyEmailData is what verify_email.html shows.
type verifyEmailData struct {
	OK, Expired bool
}

// verifyEmail is where the link in the verification mail leads.
func (s *Site) verifyEmail(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if len(token) > maxCookieToken {
		token = ""
	}
	_, err := s.auth.VerifyEmail(r.Context(), token, clientIP(r), r.UserAgent())
	var ve *auth.ValidationError
	switch {
	case err == nil:
		s.Render(w, r, http.StatusOK, "verify_email", verifyEmailData{OK: true})
	case errors.Is(err, auth.ErrTokenExpired):
		s.Render(w, r, http.StatusGone, "verify_email", verifyEmailData{Expired: true})
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrNotFound), errors.As(err, &ve):
		s.Render(w, r, http.StatusBadRequest, "verify_email", verifyEmailData{})
	default:
		s.ServerError(w, r, err)
	}
}

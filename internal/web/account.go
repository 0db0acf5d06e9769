package web

import "net/http"

// accountData is what account.html shows.
type accountData struct {
	Email         string
	EmailVerified bool
	Sent          bool // a new verification mail was just sent
}

// account is the signed-in customer's own page.
func (s *Site) account(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.Render(w, r, http.StatusOK, "account", accountData{
		Email: si.user.Email, EmailVerified: si.user.EmailVerified(), Sent: r.URL.Query().Get("sent") == "1"})
}

// resendVerification sends a fresh verification link (older ones stop
// working).
func (s *Site) resendVerification(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	if err := s.auth.ResendVerification(r.Context(), si.user.ID); err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?sent=1", http.StatusSeeOther)
}

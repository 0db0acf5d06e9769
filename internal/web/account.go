package web

import "net/http"

// account is the signed-in customer's own page.
func (s *Site) account(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.Render(w, r, http.StatusOK, "account", si.user)
}

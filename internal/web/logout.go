package web

import "net/http"

// logout ends this browser's session and returns to the home page.
func (s *Site) logout(w http.ResponseWriter, r *http.Request) {
	if si := currentUser(r); si != nil {
		if err := s.auth.Logout(r.Context(), si.token, clientIP(r), r.UserAgent()); err != nil {
			s.ServerError(w, r, err)
			return
		}
	}
	s.clearCookie(w, SessionCookie)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

package web

import "net/http"

// home is the public front page: what OKPay is and how to recognise it.
func (s *Site) home(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "home", nil)
}

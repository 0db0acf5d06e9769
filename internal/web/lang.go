package web

import (
	"net/http"
	"time"
)

// switchLanguage is the language switcher on every page: POST /lang with
// lang=<code> and next=<the page it was on>. It remembers the choice in the
// lang cookie and returns to that page. It needs no JavaScript.
func (s *Site) switchLanguage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxFormBytes)
	// A body too large or malformed leaves both values empty: back to the
	// home page in the current language.
	code, next := r.PostFormValue("lang"), localPath(r.PostFormValue("next"))
	if l, ok := s.msgs.Lookup(code); ok {
		http.SetCookie(w, &http.Cookie{
			Name:     LangCookie,
			Value:    l.Code(),
			Path:     "/",
			MaxAge:   int(langCookieMaxAge / time.Second),
			HttpOnly: true,
			Secure:   !s.dev,
			SameSite: http.SameSiteLaxMode,
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

package web

// Cross-site request forgery protection, in two layers.
//
// 1. Every state-changing request must pass net/http.CrossOriginProtection:
//    browsers (all of them since 2023) send Sec-Fetch-Site, and a request
//    whose value is not same-origin (or none, for a typed address) is
//    refused; a browser that sends only Origin must name this host. This
//    layer needs nothing from the forms and is what protects nearly every
//    request.
// 2. A request carrying neither header comes from a browser too old to send
//    them, or from a program. Such a request must carry the browser's form
//    token: a random value in the okpay_csrf cookie, repeated in the form's
//    csrf_token field (Page.CSRFField). A cross-site page can neither read
//    the cookie nor set it for our host, so it cannot write the field.
//
// Tests and scripts that post forms send "Sec-Fetch-Site: same-origin", as
// a browser would.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"time"
)

var (
	// ErrCrossOrigin reports a state-changing request sent by another
	// site's page.
	ErrCrossOrigin = errors.New("web: cross-origin request")
	// ErrFormToken reports a state-changing request with neither
	// Sec-Fetch-Site nor Origin and no valid form token.
	ErrFormToken = errors.New("web: missing or wrong form token")
)

// Names of the form token cookie and field.
const (
	CSRFCookieName = "okpay_csrf"
	CSRFFieldName  = "csrf_token"
)

const (
	tokenBytes  = 32
	tokenLen    = 43 // base64url of tokenBytes, unpadded
	tokenMaxAge = 365 * 24 * time.Hour
)

// checkCrossOrigin applies both layers to a state-changing request.
func (s *Site) checkCrossOrigin(w http.ResponseWriter, r *http.Request) error {
	if err := s.origins.Check(r); err != nil {
		return errors.Join(ErrCrossOrigin, err)
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return nil // layer 1 had what it needs and accepted it
	}
	cookie := requestToken(r)
	if cookie == "" {
		return ErrFormToken
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxFormBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(s.maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return errors.Join(ErrFormToken, err)
	}
	field := r.PostForm.Get(CSRFFieldName)
	if subtle.ConstantTimeCompare([]byte(field), []byte(cookie)) != 1 {
		return ErrFormToken
	}
	return nil
}

// requestToken returns the well-formed form token the request's cookie
// carries, or "".
func requestToken(r *http.Request) string {
	c, err := r.Cookie(CSRFCookieName)
	if err != nil || len(c.Value) != tokenLen {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// formToken returns the browser's form token, issuing a new one in a
// cookie if it has none. Within one request the same token is returned
// every time.
func (s *Site) formToken(w http.ResponseWriter, r *http.Request) string {
	st := stateOf(r)
	if st != nil && st.token != "" {
		return st.token
	}
	tok := requestToken(r)
	if tok == "" {
		b := make([]byte, tokenBytes)
		rand.Read(b)
		tok = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name:     CSRFCookieName,
			Value:    tok,
			Path:     "/",
			MaxAge:   int(tokenMaxAge / time.Second),
			HttpOnly: true,
			Secure:   !s.dev,
			SameSite: http.SameSiteLaxMode,
		})
	}
	if st != nil {
		st.token = tok
	}
	return tok
}

// requestState is what the middleware keeps for the length of a request.
type requestState struct {
	token string // the form token, once known
}

type stateKey struct{}

func withRequestState(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, &requestState{}))
}

func stateOf(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

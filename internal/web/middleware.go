package web

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
)

// contentSecurityPolicy allows only the site's own styles, images and
// forms: no scripts from anywhere else, no plugins, no framing (which
// also defeats clickjacking), and forms can only post back to us.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"

// setSecurityHeaders sets the headers every response of the site carries.
func setSecurityHeaders(h http.Header, dev bool) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY") // for browsers that predate frame-ancestors
	// Links to other sites never learn which page (and which reset token
	// in its query) the customer came from.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if !dev {
		// Production is served over HTTPS (behind a proxy that terminates
		// TLS); development is plain http on loopback.
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// wrap puts a page handler behind the site's middleware: security headers,
// the cross-origin check for state-changing methods, and a recovery that
// turns a panic into the 500 page.
func (s *Site) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), s.dev)
		r = withRequestState(r)
		tw := &trackingWriter{ResponseWriter: w}
		defer s.recoverPanic(tw, r)
		if !safeMethod(r.Method) && !s.crossSiteForm(r) {
			if err := s.checkCrossOrigin(tw, r); err != nil {
				s.log.LogAttrs(r.Context(), slog.LevelWarn, "web: state-changing request refused",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")),
					slog.String("origin", r.Header.Get("Origin")),
					slog.Any("err", err))
				s.Forbidden(tw, r)
				return
			}
		}
		r = s.authenticate(tw, r)
		h.ServeHTTP(tw, r)
	})
}

// recoverPanic answers a panicking handler with the 500 page, or, when the
// response has already begun, aborts it so the client cannot take half a
// page for a whole one.
func (s *Site) recoverPanic(w *trackingWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	err := fmt.Errorf("panic: %v", v)
	stack := slog.String("stack", string(debug.Stack()))
	if w.wrote {
		s.log.LogAttrs(r.Context(), slog.LevelError, "web: panic after the response began",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err), stack)
		panic(http.ErrAbortHandler)
	}
	s.serverError(w, r, err, stack)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// trackingWriter remembers whether the response has begun. Unwrap keeps
// http.ResponseController (flush, deadlines) working.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *trackingWriter) Flush() {
	w.wrote = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.wrote = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// devOnly lets only loopback clients reach a /dev/* helper; anyone else
// sees the same 404 as for a page that does not exist.
func (s *Site) devOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !loopbackClient(r) {
			s.NotFound(w, r)
			return
		}
		h(w, r)
	}
}

// loopbackClient reports whether the request came over a connection from
// this machine. It reads the connection's address, never a header such as
// X-Forwarded-For that a client could write. (Behind a reverse proxy on the
// same machine every request is loopback, which is why /dev/* is also
// limited to development.)
func loopbackClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package server

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// httpMetrics are the server's own Prometheus series. Labels are bounded:
// the route is the matched mux pattern, never the raw path.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	panics   prometheus.Counter
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "okpay_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "okpay_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "okpay_http_panics_total",
			Help: "HTTP handlers that panicked.",
		}),
	}
	var err error
	register := func(c prometheus.Collector) prometheus.Collector {
		if rerr := reg.Register(c); rerr != nil {
			// A second Server on the same registry shares the series.
			var are prometheus.AlreadyRegisteredError
			if errors.As(rerr, &are) {
				return are.ExistingCollector
			}
			err = errors.Join(err, rerr)
		}
		return c
	}
	register(collectors.NewGoCollector())
	register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = register(m.requests).(*prometheus.CounterVec)
	m.duration = register(m.duration).(*prometheus.HistogramVec)
	m.panics = register(m.panics).(prometheus.Counter)
	return m, err
}

// probes are polled every few seconds by load balancers and Prometheus;
// their successful requests are logged at debug level only.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// observe logs and counts every request once it is answered, panicking
// handlers included.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		// Only the path: query strings may carry tokens (reset links,
		// OAuth codes) and must never reach the logs.
		method, path := r.Method, r.URL.Path
		defer func() {
			// Only http.ErrAbortHandler gets this far (recoverPanics
			// handles the rest); log it, then let net/http drop the
			// connection.
			aborted := recover()
			if aborted != nil {
				defer panic(aborted)
			}
			d := time.Since(start)
			status := rec.status
			if status == 0 && aborted == nil {
				status = http.StatusOK // handler wrote nothing
			}
			// The mux records the pattern it matched on the request it
			// was given: this one.
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			m := metricMethod(method)
			s.metrics.requests.WithLabelValues(m, route, fmt.Sprint(status)).Inc()
			s.metrics.duration.WithLabelValues(m, route).Observe(d.Seconds())

			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case probes[r.Pattern]:
				level = slog.LevelDebug
			}
			s.log.LogAttrs(r.Context(), level, "http request",
				slog.String("method", method),
				slog.String("path", truncate(path, 256)),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", d),
			)
			if aborted != nil {
				s.log.LogAttrs(r.Context(), slog.LevelWarn, "http response aborted",
					slog.String("method", method), slog.String("path", truncate(path, 256)))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverPanics turns a handler panic into a logged stack and a plain 500,
// or, when the response has already begun, into an aborted connection, so
// the client cannot mistake a truncated body for a whole one.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.metrics.panics.Inc()
			s.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", truncate(r.URL.Path, 256),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec, ok := w.(*recorder); ok && (rec.wroteHeader || rec.hijacked) {
				panic(http.ErrAbortHandler)
			}
			// Drop what the handler prepared (cookies, content type): the
			// client gets the 500 and nothing else.
			h := w.Header()
			for k := range h {
				delete(h, k)
			}
			h.Set("Connection", "close")
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// recorder remembers the status and size of a response. It keeps Flush,
// Hijack (WebSocket) and http.ResponseController working through Unwrap.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	hijacked    bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		// 1xx other than 101 are interim; the final status follows.
		r.wroteHeader = code >= 200 || code == http.StatusSwitchingProtocols
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		if !r.wroteHeader {
			r.status, r.wroteHeader = http.StatusSwitchingProtocols, true
		}
	}
	return c, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// metricMethod bounds the method label: clients may send any token.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Package server is okpay's HTTP front door: one standard http.ServeMux
// (method patterns such as "GET /healthz") on which the web pages and the
// /v1 API are mounted, wrapped in request logging, metrics and panic
// recovery, and served with timeouts and a graceful shutdown.
//
// It owns the operational endpoints:
//
//	GET /healthz  the process is alive: 200 "ok"
//	GET /readyz   every readiness Check passes (the database answers):
//	              200, else 503 with a JSON body naming what failed
//	GET /metrics  Prometheus metrics from the registry it is given
//
// Request logs carry method, path, route, status, size and duration; never
// the query string, which may hold tokens. A panicking handler answers
// 500 with a plain message and its stack goes to the log.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Timeouts applied to every connection. Handlers that stream for longer
// (exports, WebSocket chat) lift theirs with http.ResponseController.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// Check is one readiness condition, such as "the database answers".
type Check struct {
	// Name appears in the /readyz body, e.g. "database".
	Name string
	// Func reports why the node cannot serve; it must honour ctx.
	Func func(ctx context.Context) error
}

// Options configure a Server. The zero value works: no readiness checks,
// a fresh metrics registry, logs discarded.
type Options struct {
	// Logger receives request logs, panics and failed checks.
	Logger *slog.Logger
	// Registry is served at /metrics; the server adds the Go and process
	// collectors and its own HTTP metrics to it.
	Registry *prometheus.Registry
	// Checks must all pass for /readyz to answer 200.
	Checks []Check
	// ReadyTimeout bounds the readiness checks of one request (default 2s).
	ReadyTimeout time.Duration
	// ShutdownTimeout is how long Serve waits for in-flight requests once
	// its context is cancelled, before closing connections (default 15s).
	ShutdownTimeout time.Duration
}

// Server is the HTTP server of one okpay node.
type Server struct {
	mux      *http.ServeMux
	handler  http.Handler
	log      *slog.Logger
	checks   []Check
	ready    time.Duration
	shutdown time.Duration
	draining atomic.Bool
	metrics  *httpMetrics
}

// New builds a Server with its operational endpoints mounted.
func New(o Options) (*Server, error) {
	s := &Server{
		mux:      http.NewServeMux(),
		log:      o.Logger,
		checks:   o.Checks,
		ready:    o.ReadyTimeout,
		shutdown: o.ShutdownTimeout,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ready <= 0 {
		s.ready = 2 * time.Second
	}
	if s.shutdown <= 0 {
		s.shutdown = 15 * time.Second
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newHTTPMetrics(reg); err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}))
	s.handler = s.observe(s.recoverPanics(s.mux))
	return s, nil
}

// Handle mounts h at pattern on the server's ServeMux ("GET /v1/balance",
// "/v1/"). Like http.ServeMux.Handle it panics on a conflicting pattern.
// Call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc mounts a handler function at pattern; see Handle.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// Handler is the mux wrapped in logging, metrics and panic recovery: what
// Serve serves, and what tests can drive with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until ctx is cancelled, then stops
// accepting, marks the node not ready, and waits up to ShutdownTimeout for
// in-flight requests before closing the rest. It returns nil after a
// shutdown asked for by ctx, or the error that stopped it serving.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation: shutting
		// down lets in-flight requests finish instead of cancelling them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdown)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Warn("shutdown timed out; closing connections", "timeout", s.shutdown)
		err = errors.Join(fmt.Errorf("server: shutdown: %w", err), hs.Close())
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("server: %w", serr))
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// readyReport is the /readyz body. Check results are "ok", "failed" or
// "timeout": never the error itself, which may name hosts or users.
type readyReport struct {
	Status string            `json:"status"` // ok, unavailable, draining
	Checks map[string]string `json:"checks,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		// Shutting down: tell the load balancer to send no new work.
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(readyReport{Status: "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.ready)
	defer cancel()
	results := make([]string, len(s.checks))
	var wg sync.WaitGroup
	for i, c := range s.checks {
		wg.Go(func() {
			err := c.Func(ctx)
			switch {
			case err == nil:
				results[i] = "ok"
				return
			case errors.Is(ctx.Err(), context.DeadlineExceeded):
				results[i] = "timeout"
			default:
				results[i] = "failed"
			}
			s.log.WarnContext(ctx, "readiness check failed", "check", c.Name, "result", results[i], "err", err)
		})
	}
	wg.Wait()
	rep := readyReport{Status: "ok", Checks: make(map[string]string, len(s.checks))}
	for i, c := range s.checks {
		rep.Checks[c.Name] = results[i]
		if results[i] != "ok" {
			rep.Status = "unavailable"
		}
	}
	if rep.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rep)
}

// Package httpapi is the JSON API at /v1: the route registry other
// packages add their routes to, authentication by API key, idempotent
// POSTs, one error shape with a documented table of codes, cursor
// pagination, a dated version header, request logging, and the OpenAPI
// 3.1 document and reference page generated from exactly the registered
// routes.
//
// Invariants the package keeps for every route:
//   - Only an API key authenticates (Authorization: Bearer sk_…, or the key
//     as the basic-auth user). Cookies are never read, so no session can
//     act through the API and the web's cross-site checks do not apply.
//   - A key reaches a handler only with every scope the route lists, of
//     an owner kind the route accepts; a handler sees only its owner's
//     objects because it is given nothing else (Request.Key.Owner).
//   - Every POST carries an Idempotency-Key, scoped to the key's owner and
//     mode: the same key and request answer the saved response (with
//     Idempotent-Replayed: true) for at least 24 hours, on any node; a
//     different request gets idempotency_key_reused; a duplicate while the
//     first still runs gets idempotency_key_in_use. A handler runs at most
//     once per key unless it failed on our side (5xx), which frees the key
//     for a retry (the handlers' own idempotency keeps money safe then).
//   - Every error is {"error":{"type","code","message","param"}} with a code
//     from the registry's table, which the OpenAPI document publishes;
//     anything unmapped is a logged internal_error without internals.
//   - Every response carries Request-Id and OKPay-Version.
//
// A package adds its part of the API in a Register function that
// cmd/okpay/api.go calls with the registry:
//
//	reg.Schema("Refund", httpapi.Object("A refund.", map[string]*httpapi.Schema{
//		"id": httpapi.String("re_…"), "object": httpapi.Const("refund"),
//		"livemode": httpapi.Boolean(""), "created": httpapi.Integer("Unix seconds."), …}))
//	reg.Codes(httpapi.ErrorCode{Code: "refund_exceeds_charge", Status: 402, Type: httpapi.TypeRefused, Doc: "…"})
//	reg.MapErrors(func(err error) (*httpapi.Error, bool) { … }) // domain errors to codes
//	reg.Add(httpapi.Route{Method: "POST", Path: "/v1/refunds", OperationID: "CreateRefund",
//		Summary: "Refund a payment", Scopes: []apikey.Scope{"refunds:write"},
//		Owners: []string{apikey.OwnerMerchant}, Body: httpapi.Ref("RefundCreate"),
//		Response: httpapi.Ref("Refund"), Handler: h.createRefund})
//
// A handler reads r.Key (owner, mode: objects carry livemode =
// r.Key.Livemode()), decodes r.Body with r.Decode (already checked against
// the route's Body schema) and returns the object or an error; list
// handlers use ParseList, NewList and ListSchema. POST handlers need no
// idempotency of their own against API retries; money movements should
// still derive their ids from r.IdempotencyKey (see walletapi).
package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/apikey"
)

// Versions lists the API versions this server answers, oldest first; the
// last is the default. A version is the date its behaviour was fixed.
var Versions = []string{"2026-12-01"}

// CurrentVersion is the version a request without OKPay-Version gets.
var CurrentVersion = Versions[len(Versions)-1]

// Header names.
const (
	HeaderVersion     = "OKPay-Version"
	HeaderIdempotency = "Idempotency-Key"
	HeaderReplayed    = "Idempotent-Replayed"
	HeaderRequestID   = "Request-Id"
)

// Limits.
const (
	MaxBodyBytes      = 1 << 20
	maxIdempotencyKey = 200
	// IdempotencyRetention is how long an Idempotency-Key is remembered.
	IdempotencyRetention = 24 * time.Hour
	// idempotencyStale is when a request still "running" is taken to have
	// died with its node, so a retry may take its key over.
	idempotencyStale = 2 * time.Minute
)

// Authenticator finds the key of a presented secret (*apikey.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (apikey.Key, error)
}

// Param is a path or query parameter of a route.
type Param struct {
	Name     string
	In       string // "path" or "query"
	Doc      string
	Required bool
	Schema   *Schema
}

// Route is one operation of the API.
type Route struct {
	Method string // GET, POST, DELETE
	// Path is a ServeMux path under /v1 ("/v1/transfers/{id}").
	Path        string
	OperationID string
	Summary     string
	Doc         string
	Tag         string
	// Scopes the key needs, every one.
	Scopes []apikey.Scope
	// Owners are the owner kinds whose keys may call the route (empty:
	// any).
	Owners []string
	// Modes are the key modes accepted (empty: both).
	Modes []apikey.Mode
	// Publishable lets publishable keys call the route.
	Publishable bool
	Params      []Param
	// Body is the JSON body's schema (POST); nil takes no body.
	Body *Schema
	// Response is the success body's schema; Status its code (default
	// 200).
	Response *Schema
	Status   int
	// Errors lists codes the route answers besides the framework's, for
	// its documentation.
	Errors  []string
	Handler func(r *Request) (any, error)
	// ServedBy names the part of the program that serves a route without
	// a key (the web site's public /v1/verify): the document lists it,
	// with no security, and Mount leaves it to its server. Handler is
	// nil then.
	ServedBy string
	// Saved, when set, turns a POST's success body into what is kept for
	// replays of its Idempotency-Key: a secret shown once is not stored.
	Saved func(body []byte) []byte
}

// Request is what a handler gets: the HTTP request, the key that
// authenticated it, and the decoded body.
type Request struct {
	*http.Request
	Key       apikey.Key
	Version   string
	RequestID string
	// Body is the raw JSON body (POST), already checked against the
	// route's schema.
	Body []byte
	// IdempotencyKey is the POST's Idempotency-Key.
	IdempotencyKey string
}

// Decode unmarshals the body into v.
func (r *Request) Decode(v any) error {
	if len(r.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return Errorf(CodeInvalidJSON, "", "the body does not fit this route: %v", err)
	}
	return nil
}

// Registry collects routes, schemas and error codes from every package
// that serves part of the API, and serves them.
type Registry struct {
	mu      sync.Mutex
	routes  []Route
	schemas map[string]*Schema
	codes   map[string]ErrorCode
	mappers []func(error) (*Error, bool)
}

// NewRegistry returns a registry with the framework's error codes and
// schemas.
func NewRegistry() *Registry {
	r := &Registry{schemas: map[string]*Schema{}, codes: map[string]ErrorCode{}}
	r.Codes(frameworkCodes...)
	r.Schema("Error", errorSchema())
	return r
}

var pathRE = regexp.MustCompile(`^/v1(/[a-z0-9_]+|/\{[a-z_]+\})+$`)

// Add registers routes. It panics on a malformed route or a duplicate, as
// a program that registers them is wrong from the start.
func (g *Registry) Add(rs ...Route) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range rs {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodDelete:
			panic("httpapi: route " + r.Path + ": method " + r.Method)
		case !pathRE.MatchString(r.Path):
			panic("httpapi: route path " + r.Path)
		case (r.Handler == nil) == (r.ServedBy == "") || r.Response == nil || r.OperationID == "" || r.Summary == "":
			panic("httpapi: route " + r.Method + " " + r.Path + " needs a handler (or ServedBy, not both), a response schema, an operation id and a summary")
		case r.Method != http.MethodPost && r.Body != nil:
			panic("httpapi: route " + r.Method + " " + r.Path + " takes no body")
		}
		for _, o := range g.routes {
			if o.Method == r.Method && o.Path == r.Path || o.OperationID == r.OperationID {
				panic("httpapi: route " + r.Method + " " + r.Path + " registered twice")
			}
		}
		g.routes = append(g.routes, r)
	}
}

// Schema registers a named schema for references (Ref(name)).
func (g *Registry) Schema(name string, s *Schema) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.schemas[name]; ok {
		panic("httpapi: schema " + name + " registered twice")
	}
	g.schemas[name] = s
}

// Codes adds rows to the error table.
func (g *Registry) Codes(cs ...ErrorCode) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range cs {
		if old, ok := g.codes[c.Code]; ok && old != c {
			panic("httpapi: error code " + c.Code + " registered twice, differently")
		}
		if c.Status < 400 || c.Type == "" || c.Doc == "" {
			panic("httpapi: error code " + c.Code + " needs a 4xx/5xx status, a type and a description")
		}
		g.codes[c.Code] = c
	}
}

// MapErrors adds a translation of domain errors to API errors: f returns
// the API error for err (its code in the table), or false when err is not
// one it knows.
func (g *Registry) MapErrors(f func(error) (*Error, bool)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mappers = append(g.mappers, f)
}

// Routes returns the registered routes, in path then method order.
func (g *Registry) Routes() []Route {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := slices.Clone(g.routes)
	slices.SortFunc(rs, func(a, b Route) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	})
	return rs
}

// ErrorCodes returns the error table, sorted by code.
func (g *Registry) ErrorCodes() []ErrorCode {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]ErrorCode, 0, len(g.codes))
	for _, c := range g.codes {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ErrorCode) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// Schemas returns the named schemas.
func (g *Registry) Schemas() map[string]*Schema {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]*Schema, len(g.schemas))
	for k, v := range g.schemas {
		out[k] = v
	}
	return out
}

// Options configure an API.
type Options struct {
	Keys Authenticator
	// Idempotency keeps the Idempotency-Keys (required).
	Idempotency IdempotencyStore
	Logger      *slog.Logger
	Now         func() time.Time
	// BaseURL is where the API is served ("https://okpay.example"), for
	// the document's servers list; "" leaves it relative.
	BaseURL string
}

// API serves a registry's routes.
type API struct {
	reg  *Registry
	keys Authenticator
	idem IdempotencyStore
	log  *slog.Logger
	now  func() time.Time
	base string

	docOnce sync.Once
	doc     []byte
	docErr  error
}

// New returns the API serving reg's routes. Register every route before
// calling Mount.
func New(reg *Registry, o Options) (*API, error) {
	if o.Keys == nil || o.Idempotency == nil {
		return nil, errors.New("httpapi: Options need Keys and Idempotency")
	}
	a := &API{reg: reg, keys: o.Keys, idem: o.Idempotency, log: o.Logger, now: o.Now, base: o.BaseURL}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// Mux is where Mount registers the routes (*http.ServeMux, *server.Server).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers every route, the OpenAPI document at /v1/openapi.json,
// the reference page at /docs/api and a JSON 404 for the rest of /v1/.
func (a *API) Mount(m Mux) {
	for _, rt := range a.reg.Routes() {
		if rt.ServedBy == "" {
			m.Handle(rt.Method+" "+rt.Path, a.handler(rt))
		}
	}
	m.Handle("GET /v1/openapi.json", http.HandlerFunc(a.serveDocument))
	m.Handle("GET /docs/api", http.HandlerFunc(a.serveReference))
	m.Handle("/v1/", a.plain(func(r *Request) (any, error) {
		return nil, Errorf(CodeRouteNotFound, "", "no route %s %s (see /docs/api)", r.Method, r.URL.Path)
	}))
}

// Handler returns the API on a ServeMux of its own.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Mount(mux)
	return mux
}

var idB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func newRequestID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "req_" + strings.ToLower(idB32.EncodeToString(b))
}

// exchange is one request being answered: what the log line and the
// error paths need to know about it.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	requestID string
	version   string
	status    int
	keyID     string
	owner     apikey.Owner
	started   time.Time
}

// plain serves an unauthenticated JSON answer (the 404 of unknown routes).
func (a *API) plain(h func(r *Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := a.begin(w, r)
		defer a.finish(x)
		v, err := h(&Request{Request: r, Version: x.version, RequestID: x.requestID})
		a.respond(x, http.StatusOK, v, err)
	})
}

func (a *API) begin(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{w: w, r: r, requestID: newRequestID(), version: CurrentVersion, started: a.now()}
	h := w.Header()
	h.Set(HeaderRequestID, x.requestID)
	h.Set(HeaderVersion, CurrentVersion)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return x
}

func (a *API) finish(x *exchange) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		a.log.LogAttrs(x.r.Context(), slog.LevelError, "httpapi: panic", slog.String("request_id", x.requestID),
			slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		if x.status == 0 {
			a.writeError(x, Errorf(CodeInternal, "", "internal error (request %s)", x.requestID))
		}
	}
	a.log.LogAttrs(x.r.Context(), slog.LevelInfo, "api request",
		slog.String("request_id", x.requestID), slog.String("method", x.r.Method), slog.String("path", x.r.URL.Path),
		slog.Int("status", x.status), slog.String("key", x.keyID), slog.String("owner", x.owner.Kind+":"+x.owner.ID),
		slog.String("version", x.version), slog.Duration("took", a.now().Sub(x.started)))
}

// handler runs one route behind authentication, versioning, scope
// checks, body validation and idempotency.
func (a *API) handler(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := a.begin(w, r)
		defer a.finish(x)
		req, err := a.admit(x, rt)
		if err != nil {
			a.writeError(x, err)
			return
		}
		if rt.Method != http.MethodPost {
			v, err := rt.Handler(req)
			a.respond(x, cmp.Or(rt.Status, http.StatusOK), v, err)
			return
		}
		a.idempotent(x, rt, req)
	})
}

// admit checks everything before the handler: version, key, scopes,
// and for a POST its Idempotency-Key and body.
func (a *API) admit(x *exchange, rt Route) (*Request, error) {
	r := x.r
	if v := r.Header.Get(HeaderVersion); v != "" {
		if !slices.Contains(Versions, v) {
			return nil, Errorf(CodeAPIVersionInvalid, "", "unknown API version %q; this server knows %s", v, strings.Join(Versions, ", "))
		}
		x.version = v
		x.w.Header().Set(HeaderVersion, v)
	}
	secret, ok := credentials(r)
	if !ok {
		return nil, Errorf(CodeAPIKeyMissing, "", "send your secret key as `Authorization: Bearer sk_…`")
	}
	k, err := a.keys.Authenticate(r.Context(), secret)
	switch {
	case errors.Is(err, apikey.ErrRevoked):
		return nil, Errorf(CodeAPIKeyRevoked, "", "this API key was revoked")
	case errors.Is(err, apikey.ErrNotFound), errors.Is(err, apikey.ErrMalformed):
		return nil, Errorf(CodeAPIKeyInvalid, "", "invalid API key %s", maskSecret(secret))
	case err != nil:
		return nil, err
	}
	x.keyID, x.owner = k.ID, k.Owner
	if k.Kind != apikey.Secret && !rt.Publishable {
		return nil, Errorf(CodeSecretKeyRequired, "", "this route needs a secret key")
	}
	if len(rt.Owners) > 0 && !slices.Contains(rt.Owners, k.Owner.Kind) {
		return nil, Errorf(CodeKeyNotAllowed, "", "this route is for %s keys", strings.Join(rt.Owners, " or "))
	}
	if len(rt.Modes) > 0 && !slices.Contains(rt.Modes, k.Mode) {
		return nil, Errorf(CodeKeyNotAllowed, "", "this route takes %s mode keys only", modeList(rt.Modes))
	}
	for _, sc := range rt.Scopes {
		if !k.Has(sc) {
			return nil, Errorf(CodeInsufficientScope, "", "this key lacks the %q scope", sc)
		}
	}
	req := &Request{Request: r, Key: k, Version: x.version, RequestID: x.requestID}
	if rt.Method != http.MethodPost {
		return req, nil
	}
	req.IdempotencyKey = r.Header.Get(HeaderIdempotency)
	if req.IdempotencyKey == "" {
		return nil, Errorf(CodeIdempotencyKeyMissing, "", "send an Idempotency-Key header (a UUID) with every POST")
	}
	if !printableASCII(req.IdempotencyKey) || len(req.IdempotencyKey) > maxIdempotencyKey {
		return nil, Errorf(CodeIdempotencyKeyInvalid, "", "the Idempotency-Key must be 1 to %d printable ASCII characters", maxIdempotencyKey)
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, Errorf(CodeInvalidJSON, "", "the body could not be read (at most %d bytes)", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	req.Body = body
	if rt.Body != nil {
		v, err := DecodeJSON(body)
		if _, isObj := v.(map[string]any); err != nil || !isObj {
			return nil, Errorf(CodeInvalidJSON, "", "the body must be one JSON object")
		}
		if err := Validate(rt.Body, a.reg.Schemas(), v); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				switch {
				case ve.Missing:
					return nil, Errorf(CodeParameterMissing, ve.Path, "missing required parameter %s", ve.Path)
				case ve.Unknown:
					return nil, Errorf(CodeParameterUnknown, ve.Path, "received unknown parameter %s", ve.Path)
				}
				return nil, Errorf(CodeParameterInvalid, ve.Path, "invalid %s: %s", ve.Path, ve.Reason)
			}
			return nil, err
		}
	}
	return req, nil
}

func modeList(ms []apikey.Mode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, " or ")
}

// credentials returns the key presented as a bearer token or as the
// basic-auth user name. Cookies are never looked at.
func credentials(r *http.Request) (string, bool) {
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		return user, true
	}
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(tok)
		return tok, tok != ""
	}
	return "", false
}

// maskSecret shows enough of a wrong key to recognise it in a message.
func maskSecret(s string) string {
	if len(s) <= 12 {
		return "(" + fmt.Sprint(len(s)) + " characters)"
	}
	return s[:8] + "…" + s[len(s)-4:]
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// RequestHash identifies a request for its Idempotency-Key: the SHA-256
// of its method, path and body.
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent runs a POST once per Idempotency-Key.
func (a *API) idempotent(x *exchange, rt Route, req *Request) {
	ctx := context.WithoutCancel(req.Context())
	key := IdempotencyKey{Owner: req.Key.Owner, Livemode: req.Key.Livemode(), Key: req.IdempotencyKey}
	now := a.now().UTC()
	hash := RequestHash(req.Method, req.URL.Path, req.Body)
	saved, claimed, err := a.idem.Claim(ctx, key, hash, now, now.Add(-IdempotencyRetention), now.Add(-idempotencyStale))
	if err != nil {
		a.writeError(x, err)
		return
	}
	if !claimed {
		switch {
		case saved.RequestHash != hash:
			a.writeError(x, Errorf(CodeIdempotencyKeyReused, "", "this Idempotency-Key was used for a different request; use a new key"))
		case !saved.Done:
			a.writeError(x, Errorf(CodeIdempotencyKeyInUse, "", "a request with this Idempotency-Key is still running; retry in a moment"))
		default:
			x.w.Header().Set(HeaderReplayed, "true")
			a.write(x, saved.Status, saved.Body)
		}
		return
	}
	status, body := a.run(x, rt, req)
	if status >= 500 {
		if err := a.idem.Release(ctx, key); err != nil {
			a.log.Error("httpapi: release idempotency key", "request_id", x.requestID, "err", err)
		}
	} else if err := a.idem.Save(ctx, key, status, savedBody(rt, status, body)); err != nil {
		a.log.Error("httpapi: save idempotent response", "request_id", x.requestID, "err", err)
	}
	a.write(x, status, body)
}

// savedBody is what is kept for replays of a POST's answer.
func savedBody(rt Route, status int, body []byte) []byte {
	if rt.Saved != nil && status < 300 {
		return rt.Saved(body)
	}
	return body
}

// run calls the handler of a POST and renders its answer, turning a panic
// into internal_error so the key is freed.
func (a *API) run(x *exchange, rt Route, req *Request) (status int, body []byte) {
	defer func() {
		if v := recover(); v != nil {
			a.log.LogAttrs(x.r.Context(), slog.LevelError, "httpapi: panic", slog.String("request_id", x.requestID),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			status, body = a.render(x, 0, nil, Errorf(CodeInternal, "", "internal error (request %s)", x.requestID))
		}
	}()
	v, err := rt.Handler(req)
	return a.render(x, cmp.Or(rt.Status, http.StatusOK), v, err)
}

// render turns a handler's answer into a status and JSON body.
func (a *API) render(x *exchange, ok int, v any, err error) (int, []byte) {
	if err != nil {
		e, c := a.lookup(x, err)
		b, _ := json.Marshal(errorBody(e, c))
		return c.Status, b
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		return a.render(x, 0, nil, fmt.Errorf("httpapi: encode response: %w", merr))
	}
	return ok, b
}

func (a *API) respond(x *exchange, ok int, v any, err error) {
	status, body := a.render(x, ok, v, err)
	a.write(x, status, body)
}

func (a *API) writeError(x *exchange, err error) { a.respond(x, 0, nil, err) }

func (a *API) write(x *exchange, status int, body []byte) {
	x.status = status
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	x.w.Write(body)
	x.w.Write([]byte("\n"))
}

// lookup finds an error's row in the table: an *Error directly, else
// through the mappers; anything else is logged and becomes internal_error.
func (a *API) lookup(x *exchange, err error) (*Error, ErrorCode) {
	var e *Error
	if !errors.As(err, &e) {
		a.reg.mu.Lock()
		mappers := slices.Clone(a.reg.mappers)
		a.reg.mu.Unlock()
		for _, m := range mappers {
			if me, ok := m(err); ok {
				e = me
				break
			}
		}
	}
	if e != nil {
		a.reg.mu.Lock()
		c, ok := a.reg.codes[e.Code]
		a.reg.mu.Unlock()
		if ok {
			return e, c
		}
		err = fmt.Errorf("httpapi: error code %q is not in the table: %w", e.Code, err)
	}
	a.log.LogAttrs(x.r.Context(), slog.LevelError, "httpapi: internal error", slog.String("request_id", x.requestID),
		slog.String("method", x.r.Method), slog.String("path", x.r.URL.Path), slog.Any("err", err))
	e = Errorf(CodeInternal, "", "internal error; quote request %s to support", x.requestID)
	a.reg.mu.Lock()
	c := a.reg.codes[CodeInternal]
	a.reg.mu.Unlock()
	return e, c
}

type errorJSON struct {
	Error struct {
		Type    string  `json:"type"`
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Param   *string `json:"param"`
	} `json:"error"`
}

func errorBody(e *Error, c ErrorCode) errorJSON {
	var b errorJSON
	b.Error.Type, b.Error.Code, b.Error.Message = c.Type, c.Code, e.Message
	if e.Param != "" {
		p := e.Param
		b.Error.Param = &p
	}
	return b
}

func errorSchema() *Schema {
	return Object("The body of every error response.", map[string]*Schema{
		"error": Object("What went wrong.", map[string]*Schema{
			"type":    Enum("The class of error.", TypeInvalidRequest, TypeAuthentication, TypePermission, TypeIdempotency, TypeRefused, TypeAPI),
			"code":    String("A stable snake_case code; the table in the API reference lists every one."),
			"message": String("A sentence for the developer (English); not for end users."),
			"param":   Nullable(String("The parameter the error is about, if any.")),
		}),
	})
}

package webhook

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/secretbox"
)

// Defaults of Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultRetryFor     = 72 * time.Hour
	DefaultOverlap      = 24 * time.Hour
	DefaultMaxEndpoints = 16
	DefaultDisableAfter = 5 * 24 * time.Hour
	// MaxOverlap bounds a rotation overlap: an old secret that signs for
	// longer is no longer rotated out.
	MaxOverlap = 7 * 24 * time.Hour
	// MaxDescription bounds an endpoint's description, in characters.
	MaxDescription = 200
)

// ErrInvalidDescription: the description is longer than MaxDescription.
var ErrInvalidDescription = errors.New("webhook: description too long")

// SecretPrefix starts every endpoint secret.
const SecretPrefix = "whsec_"

// Options configures a Service; zero fields take the documented defaults.
type Options struct {
	Store Store
	// Box seals endpoint secrets; build it with purpose "webhook".
	Box *secretbox.Box
	// Now is the clock (time.Now when nil); the jobs runner and the store
	// must use the same.
	Now    func() time.Time
	Logger *slog.Logger
	// AllowPrivateNetworks lets endpoints be loopback or private
	// addresses, and live ones plain http: development and tests only.
	AllowPrivateNetworks bool
	// Resolver resolves endpoint hosts when they are saved
	// (net.DefaultResolver when nil).
	Resolver Resolver
	// Transport sends deliveries; nil builds one whose dialer refuses
	// non-public addresses (Guard.Control) and that uses no proxy.
	Transport http.RoundTripper
	// Timeout bounds one attempt, from connecting to the end of the
	// response (DefaultTimeout).
	Timeout time.Duration
	// RetryFor is how long after its creation a delivery is retried before
	// it is failed (DefaultRetryFor).
	RetryFor time.Duration
	// Backoff is the wait after failed attempt n (Backoff when nil).
	Backoff func(attempt int) time.Duration
	// RotationOverlap is how long a rotated-out secret keeps signing by
	// default (DefaultOverlap).
	RotationOverlap time.Duration
	// MaxEndpoints caps an owner's endpoints (DefaultMaxEndpoints).
	MaxEndpoints int
	// DisableAfter disables an endpoint whose every attempt failed for
	// this long (DefaultDisableAfter; negative: never).
	DisableAfter time.Duration
	// Notifier tells the merchant an endpoint was disabled for failing;
	// nil only logs it.
	Notifier Notifier
}

// Notifier tells a merchant about their endpoints; the merchant package
// implements it (mail to the merchant's owners and developers).
type Notifier interface {
	// EndpointDisabled is called, from a job after the endpoint was
	// disabled, once or (after a crash) more. An error retries it.
	EndpointDisabled(ctx context.Context, e Endpoint) error
}

// Service manages endpoints and delivers events.
type Service struct {
	store        Store
	box          *secretbox.Box
	now          func() time.Time
	log          *slog.Logger
	guard        Guard
	resolver     Resolver
	client       *http.Client
	retryFor     time.Duration
	backoff      func(int) time.Duration
	overlap      time.Duration
	maxEndpoints int
	disableAfter time.Duration
	notifier     Notifier
}

// New returns a Service. It fails without a Store or a Box.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Box == nil {
		return nil, errors.New("webhook: New needs a Store and a Box")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RetryFor <= 0 {
		o.RetryFor = DefaultRetryFor
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	if o.RotationOverlap <= 0 {
		o.RotationOverlap = DefaultOverlap
	}
	if o.RotationOverlap > MaxOverlap {
		return nil, fmt.Errorf("%w: %s is longer than %s", ErrInvalidOverlap, o.RotationOverlap, MaxOverlap)
	}
	if o.MaxEndpoints <= 0 {
		o.MaxEndpoints = DefaultMaxEndpoints
	}
	if o.DisableAfter == 0 {
		o.DisableAfter = DefaultDisableAfter
	}
	g := Guard{AllowPrivate: o.AllowPrivateNetworks}
	if o.Transport == nil {
		o.Transport = NewTransport(g, o.Timeout)
	}
	return &Service{
		store: o.Store, box: o.Box, now: o.Now, log: o.Logger, guard: g, resolver: o.Resolver,
		client: &http.Client{
			Transport: o.Transport,
			Timeout:   o.Timeout,
			// A redirect could point anywhere, internal addresses
			// included; the receiver must answer at the URL given.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retryFor: o.RetryFor, backoff: o.Backoff, overlap: o.RotationOverlap, maxEndpoints: o.MaxEndpoints,
		disableAfter: o.DisableAfter, notifier: o.Notifier,
	}, nil
}

// NewTransport returns the HTTP transport deliveries use: its dialer checks
// every address it connects to with g.Control, and it ignores proxy
// settings (a proxy would connect on our behalf, past the check).
func NewTransport(g Guard, timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
}

// Backoff is the default wait after failed attempt n: one minute times 3ⁿ⁻¹
// (1m, 3m, 9m, 27m, 81m, 4h3m), capped at 12 hours, plus a random jitter
// of up to a fifth so that deliveries failing together spread out.
// Within DefaultRetryFor that makes about 14 attempts.
func Backoff(attempt int) time.Duration {
	const limit = 12 * time.Hour
	d := time.Minute
	for i := 1; i < attempt && d < limit; i++ {
		d *= 3
	}
	d = min(d, limit)
	return d + mrand.N(d/5+1)
}

// RotationOverlap is how long a rotated-out secret keeps signing when
// RotateSecret is not told otherwise.
func (s *Service) RotationOverlap() time.Duration { return s.overlap }

// Register registers the handlers of the delivery and notice jobs on r.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(DeliverJob, s.Deliver)
	r.Register(DisabledNoticeJob, s.notifyDisabled)
}

// notifyDisabled is the DisabledNoticeJob handler.
func (s *Service) notifyDisabled(ctx context.Context, c jobs.Claimed) error {
	var args noticeArgs
	if err := json.Unmarshal(c.Args, &args); err != nil || args.Endpoint == "" {
		return jobs.Cancel(fmt.Errorf("webhook: bad notice args %q", c.Args))
	}
	var e Endpoint
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		e, err = tx.Endpoint(ctx, args.Endpoint)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return jobs.Cancel(err)
	}
	if err != nil {
		return err
	}
	s.log.Warn("webhook endpoint disabled after failing", "endpoint", e.ID, "merchant", e.Owner.Merchant,
		"mode", e.Owner.Mode, "failing_since", e.FailingSince)
	if s.notifier == nil || e.Status != Disabled || e.DisabledReason != DisabledFailing {
		return nil // re-enabled meanwhile: nothing to tell
	}
	return s.notifier.EndpointDisabled(ctx, e)
}

// EndpointInput is what a merchant gives to create an endpoint.
type EndpointInput struct {
	URL         string
	Description string
	Events      []string
}

// EndpointUpdate changes an endpoint; nil fields stay as they are.
type EndpointUpdate struct {
	URL         *string
	Description *string
	Events      []string
}

func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error()) // never on supported systems
	}
	return SecretPrefix + idEncoding.EncodeToString(b[:])
}

// secretAD binds a sealed secret to its endpoint.
func secretAD(id string) string { return "webhook:endpoint:" + id }

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if utf8.RuneCountInString(d) > MaxDescription {
		return "", fmt.Errorf("%w: more than %d characters", ErrInvalidDescription, MaxDescription)
	}
	return d, nil
}

// CreateEndpoint adds an endpoint for owner and returns it with its
// signing secret, which is shown this once. Errors: ErrInvalidOwner,
// ErrInvalidURL, ErrInsecureURL, ErrForbiddenAddress, ErrUnresolvable,
// ErrInvalidEvents, ErrInvalidDescription, ErrTooManyEndpoints.
func (s *Service) CreateEndpoint(ctx context.Context, owner Owner, in EndpointInput) (Endpoint, string, error) {
	if err := owner.Validate(); err != nil {
		return Endpoint{}, "", err
	}
	u, err := s.guard.CheckURL(ctx, s.resolver, owner, in.URL)
	if err != nil {
		return Endpoint{}, "", err
	}
	events, err := normalizeEvents(in.Events)
	if err != nil {
		return Endpoint{}, "", err
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return Endpoint{}, "", err
	}
	now := s.now().UTC()
	e := Endpoint{ID: newID("we_", now), Owner: owner, URL: u, Description: desc, Events: events,
		Status: Enabled, Version: 1, CreatedAt: now, UpdatedAt: now}
	secret := newSecret()
	if e.Secret, err = s.box.Seal([]byte(secret), secretAD(e.ID)); err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook: create endpoint: %w", err)
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		eps, err := tx.Endpoints(ctx, owner)
		if err != nil {
			return err
		}
		if len(eps) >= s.maxEndpoints {
			return fmt.Errorf("%w: at most %d", ErrTooManyEndpoints, s.maxEndpoints)
		}
		return tx.InsertEndpoint(ctx, e)
	})
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook: create endpoint: %w", err)
	}
	return e, secret, nil
}

// Endpoints lists owner's endpoints, oldest first.
func (s *Service) Endpoints(ctx context.Context, owner Owner) ([]Endpoint, error) {
	var eps []Endpoint
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		eps, err = tx.Endpoints(ctx, owner)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: endpoints: %w", err)
	}
	return eps, nil
}

// Endpoint returns owner's endpoint id. Errors: ErrNotFound.
func (s *Service) Endpoint(ctx context.Context, owner Owner, id string) (Endpoint, error) {
	var e Endpoint
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		e, err = ownEndpoint(ctx, tx, owner, id)
		return err
	})
	return e, err
}

func ownEndpoint(ctx context.Context, tx Tx, owner Owner, id string) (Endpoint, error) {
	e, err := tx.Endpoint(ctx, id)
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook: endpoint %s: %w", id, err)
	}
	if e.Owner != owner {
		return Endpoint{}, fmt.Errorf("webhook: endpoint %s: %w", id, ErrNotFound)
	}
	return e, nil
}

// change applies fn to owner's endpoint id and saves it.
func (s *Service) change(ctx context.Context, owner Owner, id string, fn func(*Endpoint) error) (Endpoint, error) {
	var e Endpoint
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if e, err = ownEndpoint(ctx, tx, owner, id); err != nil {
			return err
		}
		e.UpdatedAt = s.now().UTC() // fn may read it as the time of the change
		if err := fn(&e); err != nil {
			return err
		}
		if err := tx.UpdateEndpoint(ctx, e); err != nil {
			return fmt.Errorf("webhook: update endpoint %s: %w", id, err)
		}
		e.Version++
		return nil
	})
	if err != nil {
		return Endpoint{}, err
	}
	return e, nil
}

// UpdateEndpoint changes owner's endpoint id's URL, description or event
// types. Errors: ErrNotFound, ErrConflict, and CreateEndpoint's.
func (s *Service) UpdateEndpoint(ctx context.Context, owner Owner, id string, up EndpointUpdate) (Endpoint, error) {
	// Checks that resolve names run before the transaction, which on
	// SQLite holds the write lock.
	var (
		u, desc string
		events  []string
		err     error
	)
	if up.URL != nil {
		if u, err = s.guard.CheckURL(ctx, s.resolver, owner, *up.URL); err != nil {
			return Endpoint{}, err
		}
	}
	if up.Description != nil {
		if desc, err = checkDescription(*up.Description); err != nil {
			return Endpoint{}, err
		}
	}
	if up.Events != nil {
		if events, err = normalizeEvents(up.Events); err != nil {
			return Endpoint{}, err
		}
	}
	return s.change(ctx, owner, id, func(e *Endpoint) error {
		if up.URL != nil {
			e.URL = u
		}
		if up.Description != nil {
			e.Description = desc
		}
		if up.Events != nil {
			e.Events = events
		}
		return nil
	})
}

// Disable stops owner's endpoint id from getting events: new events skip
// it and its pending deliveries fail at their next attempt.
// Errors: ErrNotFound, ErrConflict.
func (s *Service) Disable(ctx context.Context, owner Owner, id string) (Endpoint, error) {
	return s.change(ctx, owner, id, func(e *Endpoint) error {
		e.Status, e.DisabledReason = Disabled, ""
		return nil
	})
}

// Enable makes owner's endpoint id get new events again, healthy: its
// failures so far no longer count towards DisableAfter. Events recorded
// while it was disabled are not sent (resend them from the log).
// Errors: ErrNotFound, ErrConflict.
func (s *Service) Enable(ctx context.Context, owner Owner, id string) (Endpoint, error) {
	e, err := s.change(ctx, owner, id, func(e *Endpoint) error {
		e.Status, e.DisabledReason = Enabled, ""
		return nil
	})
	if err != nil {
		return Endpoint{}, err
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		_, err := tx.EndpointHealth(ctx, id, true, e.UpdatedAt)
		return err
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook: enable %s: %w", id, err)
	}
	e.FailingSince = time.Time{}
	return e, nil
}

// RotateSecret gives owner's endpoint id a new secret, returned this once.
// The old one keeps signing beside it for overlap (negative: the
// configured RotationOverlap; 0: not at all), so the shop can switch
// without refusing a delivery. A previous secret still in its overlap is
// dropped. Errors: ErrNotFound, ErrConflict, ErrInvalidOverlap.
func (s *Service) RotateSecret(ctx context.Context, owner Owner, id string, overlap time.Duration) (Endpoint, string, error) {
	if overlap < 0 {
		overlap = s.overlap
	}
	if overlap > MaxOverlap {
		return Endpoint{}, "", fmt.Errorf("%w: %s is longer than %s", ErrInvalidOverlap, overlap, MaxOverlap)
	}
	secret := newSecret()
	sealed, err := s.box.Seal([]byte(secret), secretAD(id))
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook: rotate secret: %w", err)
	}
	e, err := s.change(ctx, owner, id, func(e *Endpoint) error {
		e.PreviousSecret, e.PreviousUntil = nil, time.Time{}
		if overlap > 0 {
			e.PreviousSecret, e.PreviousUntil = e.Secret, e.UpdatedAt.Add(overlap)
		}
		e.Secret = sealed
		return nil
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return e, secret, nil
}

// secrets opens the secrets that sign for e at now, the current first.
func (s *Service) secrets(e Endpoint, now time.Time) ([]string, error) {
	cur, err := s.box.Open(e.Secret, secretAD(e.ID))
	if err != nil {
		return nil, fmt.Errorf("webhook: endpoint %s secret: %w", e.ID, err)
	}
	out := []string{string(cur)}
	if e.Rotating(now) {
		prev, err := s.box.Open(e.PreviousSecret, secretAD(e.ID))
		if err != nil {
			return nil, fmt.Errorf("webhook: endpoint %s previous secret: %w", e.ID, err)
		}
		out = append(out, string(prev))
	}
	return out, nil
}

// Events lists owner's latest events, newest first (limit 0: 100).
func (s *Service) Events(ctx context.Context, owner Owner, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 100
	}
	var evs []Event
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		evs, err = tx.Events(ctx, owner, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: events: %w", err)
	}
	return evs, nil
}

// Event returns owner's event id. Errors: ErrNotFound.
func (s *Service) Event(ctx context.Context, owner Owner, id string) (Event, error) {
	var ev Event
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		ev, err = tx.Event(ctx, id)
		return err
	})
	if err == nil && ev.Owner != owner {
		err = ErrNotFound
	}
	if err != nil {
		return Event{}, fmt.Errorf("webhook: event %s: %w", id, err)
	}
	return ev, nil
}

// Deliveries lists owner's deliveries matching f (f.Owner is ignored),
// newest first.
func (s *Service) Deliveries(ctx context.Context, owner Owner, f DeliveryFilter) ([]Delivery, error) {
	f.Owner = owner
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var ds []Delivery
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: deliveries: %w", err)
	}
	return ds, nil
}

// Delivery returns owner's delivery id with its attempts, first first.
// Errors: ErrNotFound.
func (s *Service) Delivery(ctx context.Context, owner Owner, id int64) (Delivery, []Attempt, error) {
	var (
		d  Delivery
		as []Attempt
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if d, err = tx.Delivery(ctx, id); err != nil {
			return err
		}
		if d.Owner != owner {
			return ErrNotFound
		}
		as, err = tx.Attempts(ctx, id)
		return err
	})
	if err != nil {
		return Delivery{}, nil, fmt.Errorf("webhook: delivery %d: %w", id, err)
	}
	return d, as, nil
}

// Resend sends the event of owner's delivery id again to its endpoint, as
// a new manual delivery attempted once, at once, whatever became of the
// first. Errors: ErrNotFound, ErrDisabled.
func (s *Service) Resend(ctx context.Context, owner Owner, id int64) (Delivery, error) {
	var nd Delivery
	err := s.store.InTx(ctx, func(tx Tx) error {
		d, err := tx.Delivery(ctx, id)
		if err != nil {
			return err
		}
		if d.Owner != owner {
			return ErrNotFound
		}
		e, err := tx.Endpoint(ctx, d.EndpointID)
		if err != nil {
			return err
		}
		if e.Status != Enabled {
			return ErrDisabled
		}
		now := s.now().UTC()
		nd = Delivery{EventID: d.EventID, EventType: d.EventType, EndpointID: d.EndpointID, Owner: owner,
			Status: Pending, Manual: true, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if nd.ID, err = tx.InsertDelivery(ctx, nd); err != nil {
			return err
		}
		return tx.EnqueueJobs(ctx, deliverJob(nd.ID, 1, now))
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("webhook: resend delivery %d: %w", id, err)
	}
	return nd, nil
}

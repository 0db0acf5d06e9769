// Package apikey owns the keys programs use to call the /v1 API: who a
// key belongs to (a user or a merchant), its mode (test or live), its
// scopes, its revocation and last use, and a customer key's daily send
// limit.
//
// Invariants:
//   - A secret key ("sk_live_…", "sk_test_…") is shown once, by Create, and
//     never stored: the store keeps the SHA-256 of it, and Authenticate
//     finds a key by that hash and compares it in constant time. A secret
//     is 256 random bits, so a fast hash is right (a slow password hash
//     would protect nothing more and cost every request).
//   - Lists show a key's prefix and last four characters, never the rest.
//   - A revoked key never authenticates again; revocation is final.
//   - Creating, revoking and re-limiting a key is recorded in the audit
//     log in the same transaction, as a security event of the key's owner.
//   - A key's daily send limit holds under any concurrency: Spend adds to
//     the day's total with one conditional update that refuses to pass
//     the limit (see Store.AddSpend), and changing the limit needs a
//     second-factor step-up of the key's owner.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/money"
)

var (
	// ErrNotFound: no such key for this owner (or the secret matches none).
	ErrNotFound = errors.New("apikey: key not found")
	// ErrRevoked: the key was revoked.
	ErrRevoked = errors.New("apikey: key revoked")
	// ErrMalformed: the presented secret is not shaped like a key.
	ErrMalformed = errors.New("apikey: malformed key")
	// ErrInvalid: the request to create or change a key is not valid
	// (unknown mode, kind or owner, bad scope, name too long).
	ErrInvalid = errors.New("apikey: invalid key request")
	// ErrDailyLimit: the send would take the key's day over its limit.
	ErrDailyLimit = errors.New("apikey: daily send limit reached")
	// ErrLimitCurrency: the amount is not in the limit's currency.
	ErrLimitCurrency = errors.New("apikey: amount not in the limit's currency")
	// ErrStepUpRefused: changing the limit needs a valid step-up token.
	ErrStepUpRefused = errors.New("apikey: step-up refused")
	// ErrTwoFactorRequired: the owner has no second factor to approve the
	// change with.
	ErrTwoFactorRequired = errors.New("apikey: two-factor authentication required")
)

// Mode separates test keys from live keys. Objects created with a key
// carry its mode (livemode in the API).
type Mode string

const (
	Test Mode = "test"
	Live Mode = "live"
)

// Kind is a secret key (full access within its scopes, kept on a server)
// or a publishable key (safe to embed in a web page; only routes that say
// so accept it).
type Kind string

const (
	Secret      Kind = "secret"
	Publishable Kind = "publishable"
)

// Owner is who a key acts for: Kind "user" (a customer's wallet) or
// "merchant", and the owner's id in that kind.
type Owner struct {
	Kind string
	ID   string
}

// Owner kinds.
const (
	OwnerUser     = "user"
	OwnerMerchant = "merchant"
)

// UserOwner is the owner of a customer's own keys.
func UserOwner(userID int64) Owner {
	return Owner{Kind: OwnerUser, ID: strconv.FormatInt(userID, 10)}
}

// UserID returns the user id of a user owner.
func (o Owner) UserID() (int64, bool) {
	if o.Kind != OwnerUser {
		return 0, false
	}
	id, err := strconv.ParseInt(o.ID, 10, 64)
	return id, err == nil && id > 0
}

// Scope is one thing a key may do. Scopes are short snake_case words; a
// package that registers routes defines its own (the customer wallet's
// are ScopeRead and ScopeSend).
type Scope string

const (
	// ScopeRead reads balances, transfers and history.
	ScopeRead Scope = "read"
	// ScopeSend sends money from the owner's wallet.
	ScopeSend Scope = "send"
)

var scopeRE = regexp.MustCompile(`^[a-z][a-z_:]{0,39}$`)

// Key is an API key as lists show it: everything but the secret.
type Key struct {
	// ID is "key_" and 26 base32 characters; it is not secret.
	ID     string
	Owner  Owner
	Mode   Mode
	Kind   Kind
	Name   string
	Prefix string // "sk_live_", "pk_test_", ...
	Last4  string
	// Public is a publishable key's full value ("" for secret keys).
	Public string
	Scopes []Scope
	// DailyLimit is the most the key may send per platform day; zero
	// Currency means no limit of the key's own.
	DailyLimit money.Amount
	CreatedAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// Livemode reports whether the key is a live key.
func (k Key) Livemode() bool { return k.Mode == Live }

// Has reports whether the key carries scope s.
func (k Key) Has(s Scope) bool { return slices.Contains(k.Scopes, s) }

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// HasDailyLimit reports whether the key has a daily send limit.
func (k Key) HasDailyLimit() bool { return k.DailyLimit.Currency.Code != "" }

// Masked is how lists show the key: "sk_live_…a1b2".
func (k Key) Masked() string { return k.Prefix + "…" + k.Last4 }

// Spend is what one send added to a key's day, for Unspend.
type Spend struct {
	KeyID    string
	Day      string
	Currency string
	Minor    int64
}

// Audit actions of key changes (targets: the key's owner).
const (
	AuditKeyCreated      = "api_key_created"
	AuditKeyRevoked      = "api_key_revoked"
	AuditKeyLimitChanged = "api_key_limit_changed"
)

// Store keeps keys and their daily totals. Each change records its audit
// event in the same transaction. Errors other than those listed are the
// store's own.
type Store interface {
	// CreateKey stores a new key with the SHA-256 (hex) of its secret.
	CreateKey(ctx context.Context, k Key, hash string, ev audit.Event) error
	// KeyByHash returns the key whose secret hashes to hash, revoked or
	// not. Errors: ErrNotFound.
	KeyByHash(ctx context.Context, hash string) (Key, string, error)
	// Key returns one of owner's keys. Errors: ErrNotFound.
	Key(ctx context.Context, owner Owner, id string) (Key, error)
	// Keys lists owner's keys, newest first.
	Keys(ctx context.Context, owner Owner) ([]Key, error)
	// RevokeKey marks the key revoked at at (once: a second call changes
	// and records nothing). Errors: ErrNotFound.
	RevokeKey(ctx context.Context, owner Owner, id string, at time.Time, ev audit.Event) error
	// TouchKey records a use of the key at at.
	TouchKey(ctx context.Context, id string, at time.Time) error
	// SetDailyLimit sets (or, with a zero Currency, removes) the key's
	// limit. Errors: ErrNotFound.
	SetDailyLimit(ctx context.Context, owner Owner, id string, limit money.Amount, ev audit.Event) error
	// AddSpend adds minor to the key's total of day in currency, in one
	// atomic, conditional write that refuses (false) when the total would
	// pass the key's current limit or the limit is not in currency. A key
	// with no limit always takes it.
	AddSpend(ctx context.Context, keyID, day, currency string, minor int64) (bool, error)
	// SubSpend takes minor back from the key's total of day in currency.
	SubSpend(ctx context.Context, keyID, day, currency string, minor int64) error
	// Spent returns the key's total of day in currency (0 when none).
	Spent(ctx context.Context, keyID, day, currency string) (int64, error)
}

// StepUp is the owner's second factor, which approves a new daily limit.
type StepUp interface {
	Enabled(ctx context.Context, userID int64) (bool, error)
	// UseStepUp spends a token approving action. Errors:
	// twofactor.ErrStepUpRefused.
	UseStepUp(ctx context.Context, userID int64, token string, action twofactor.Action) error
}

// Options configure a Service.
type Options struct {
	Store Store
	// StepUp approves daily limit changes of user keys (required for
	// SetDailyLimit).
	StepUp StepUp
	// Location is the platform time zone, whose calendar days the daily
	// limits count (default UTC).
	Location *time.Location
	Now      func() time.Time
}

// Service creates, finds and revokes keys. It is safe for concurrent use.
type Service struct {
	store  Store
	stepUp StepUp
	loc    *time.Location
	now    func() time.Time
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, stepUp: o.StepUp, loc: o.Location, now: o.Now}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// CreateRequest asks for a new key.
type CreateRequest struct {
	Owner  Owner
	Mode   Mode
	Kind   Kind // default Secret
	Name   string
	Scopes []Scope
}

// Created is a new key and its secret, which is never available again.
type Created struct {
	Key    Key
	Secret string
}

const maxName = 100

// secretBytes is 256 bits of randomness per key.
const secretBytes = 32

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Create makes a key. Errors: ErrInvalid, and the store's.
func (s *Service) Create(ctx context.Context, r CreateRequest) (Created, error) {
	if r.Kind == "" {
		r.Kind = Secret
	}
	if r.Owner.Kind != OwnerUser && r.Owner.Kind != OwnerMerchant || r.Owner.ID == "" || len(r.Owner.ID) > 100 {
		return Created{}, fmt.Errorf("%w: owner %q", ErrInvalid, r.Owner)
	}
	if r.Mode != Test && r.Mode != Live {
		return Created{}, fmt.Errorf("%w: mode %q", ErrInvalid, r.Mode)
	}
	if r.Kind != Secret && r.Kind != Publishable {
		return Created{}, fmt.Errorf("%w: kind %q", ErrInvalid, r.Kind)
	}
	r.Name = strings.TrimSpace(r.Name)
	if len([]rune(r.Name)) > maxName {
		return Created{}, fmt.Errorf("%w: name longer than %d", ErrInvalid, maxName)
	}
	var scopes []Scope
	for _, sc := range r.Scopes {
		if !scopeRE.MatchString(string(sc)) {
			return Created{}, fmt.Errorf("%w: scope %q", ErrInvalid, sc)
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	slices.Sort(scopes)
	prefix := "sk_" + string(r.Mode) + "_"
	if r.Kind == Publishable {
		prefix = "pk_" + string(r.Mode) + "_"
	}
	b := make([]byte, secretBytes)
	rand.Read(b)
	secret := prefix + strings.ToLower(b32.EncodeToString(b))
	k := Key{
		ID: newID(), Owner: r.Owner, Mode: r.Mode, Kind: r.Kind, Name: r.Name,
		Prefix: prefix, Last4: secret[len(secret)-4:], Scopes: scopes,
		CreatedAt: s.now().UTC(),
	}
	if r.Kind == Publishable {
		k.Public = secret
	}
	ev := event(AuditKeyCreated, k)
	ev.Details["scopes"] = strings.Join(scopeStrings(k.Scopes), ",")
	ev.Details["name"] = k.Name
	if err := s.store.CreateKey(ctx, k, Hash(secret), ev); err != nil {
		return Created{}, fmt.Errorf("apikey: create: %w", err)
	}
	return Created{Key: k, Secret: secret}, nil
}

// event is the audit record of a change to k, by its owner when a user.
func event(action string, k Key) audit.Event {
	e := audit.Event{Action: action, TargetType: k.Owner.Kind, TargetID: k.Owner.ID,
		Details: map[string]string{"key": k.ID, "masked": k.Masked(), "mode": string(k.Mode)}}
	if uid, ok := k.Owner.UserID(); ok {
		e.ActorID = uid
	}
	return e
}

func scopeStrings(ss []Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// Hash is the stored form of a secret: SHA-256, hex.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "key_" + strings.ToLower(b32.EncodeToString(b))
}

// keyShape: a prefix and 52 lower-case base32 characters.
var keyShape = regexp.MustCompile(`^(sk|pk)_(test|live)_[a-z2-7]{52}$`)

// Authenticate returns the key a presented secret belongs to and records
// its use. Errors: ErrMalformed, ErrNotFound, ErrRevoked, and the store's.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, error) {
	if !keyShape.MatchString(secret) {
		return Key{}, ErrMalformed
	}
	want := Hash(secret)
	k, stored, err := s.store.KeyByHash(ctx, want)
	if err != nil {
		return Key{}, err
	}
	// The index found the row by hash; comparing again in constant time
	// keeps the answer independent of how many bytes matched.
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 {
		return Key{}, ErrNotFound
	}
	if k.Revoked() {
		return Key{}, ErrRevoked
	}
	now := s.now().UTC()
	// Last use is shown to a minute's precision: skip the write when the
	// key was used within the last minute, so a busy key does not write
	// on every request.
	if now.Sub(k.LastUsedAt) >= time.Minute {
		if err := s.store.TouchKey(ctx, k.ID, now); err != nil {
			return Key{}, fmt.Errorf("apikey: touch: %w", err)
		}
		k.LastUsedAt = now
	}
	return k, nil
}

// List returns owner's keys, newest first.
func (s *Service) List(ctx context.Context, owner Owner) ([]Key, error) {
	return s.store.Keys(ctx, owner)
}

// Key returns one of owner's keys. Errors: ErrNotFound.
func (s *Service) Key(ctx context.Context, owner Owner, id string) (Key, error) {
	return s.store.Key(ctx, owner, id)
}

// Revoke revokes one of owner's keys at once. Errors: ErrNotFound.
func (s *Service) Revoke(ctx context.Context, owner Owner, id string) error {
	k, err := s.store.Key(ctx, owner, id)
	if err != nil {
		return err
	}
	return s.store.RevokeKey(ctx, owner, id, s.now().UTC(), event(AuditKeyRevoked, k))
}

// DailyLimitAction is the step-up action approving a new daily limit
// (zero Currency: no limit) on key id.
func DailyLimitAction(id string, limit money.Amount) twofactor.Action {
	p := map[string]string{"key": id, "limit": "none"}
	if limit.Currency.Code != "" {
		p["limit"] = limit.Decimal()
		p["currency"] = limit.Currency.Code
	}
	return twofactor.Action{Name: "api_key_daily_limit", Params: p}
}

// SetDailyLimit sets the daily send limit of a user's key (zero Currency
// removes it) once the user's second factor approved DailyLimitAction.
// It takes effect at once: what the key sent today under an earlier limit
// in the same currency counts; sends made without a limit, or under a
// limit in another currency, do not. Errors: ErrNotFound,
// ErrInvalid (negative amount, or not a user's key), ErrRevoked,
// ErrTwoFactorRequired, ErrStepUpRefused.
func (s *Service) SetDailyLimit(ctx context.Context, owner Owner, id string, limit money.Amount, stepUpToken string) error {
	userID, ok := owner.UserID()
	if !ok {
		return fmt.Errorf("%w: daily limits are for users' keys", ErrInvalid)
	}
	if limit.Minor < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	k, err := s.store.Key(ctx, owner, id)
	if err != nil {
		return err
	}
	if k.Revoked() {
		return ErrRevoked
	}
	if s.stepUp == nil {
		return ErrTwoFactorRequired
	}
	on, err := s.stepUp.Enabled(ctx, userID)
	if err != nil {
		return fmt.Errorf("apikey: two-factor state: %w", err)
	}
	if !on {
		return ErrTwoFactorRequired
	}
	err = s.stepUp.UseStepUp(ctx, userID, stepUpToken, DailyLimitAction(id, limit))
	if errors.Is(err, twofactor.ErrStepUpRefused) {
		return ErrStepUpRefused
	}
	if err != nil {
		return fmt.Errorf("apikey: step-up: %w", err)
	}
	ev := event(AuditKeyLimitChanged, k)
	ev.Details["limit"] = "none"
	if limit.Currency.Code != "" {
		ev.Details["limit"] = limit.Decimal() + " " + limit.Currency.Code
	}
	return s.store.SetDailyLimit(ctx, owner, id, limit, ev)
}

// day is the platform calendar day of t.
func (s *Service) day(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }

// Spend counts amount against the key's daily limit, before the send it
// is for. A key without a limit takes anything (and returns a zero
// Spend). The caller gives the amount back with Unspend when the send is
// refused. Errors: ErrDailyLimit, ErrLimitCurrency, and the store's.
func (s *Service) Spend(ctx context.Context, k Key, amount money.Amount) (Spend, error) {
	if !k.HasDailyLimit() {
		return Spend{}, nil
	}
	if amount.Currency != k.DailyLimit.Currency {
		return Spend{}, ErrLimitCurrency
	}
	sp := Spend{KeyID: k.ID, Day: s.day(s.now()), Currency: amount.Currency.Code, Minor: amount.Minor}
	ok, err := s.store.AddSpend(ctx, sp.KeyID, sp.Day, amount.Currency.Code, sp.Minor)
	if err != nil {
		return Spend{}, fmt.Errorf("apikey: spend: %w", err)
	}
	if !ok {
		return Spend{}, ErrDailyLimit
	}
	return sp, nil
}

// Unspend gives back what Spend counted (nothing for a zero Spend).
func (s *Service) Unspend(ctx context.Context, sp Spend) error {
	if sp.KeyID == "" || sp.Minor == 0 {
		return nil
	}
	return s.store.SubSpend(context.WithoutCancel(ctx), sp.KeyID, sp.Day, sp.Currency, sp.Minor)
}

// SpentToday is what the key sent today, in its limit's currency (zero
// Amount without a limit).
func (s *Service) SpentToday(ctx context.Context, k Key) (money.Amount, error) {
	if !k.HasDailyLimit() {
		return money.Amount{}, nil
	}
	n, err := s.store.Spent(ctx, k.ID, s.day(s.now()), k.DailyLimit.Currency.Code)
	if err != nil {
		return money.Amount{}, fmt.Errorf("apikey: spent: %w", err)
	}
	return money.Amount{Minor: n, Currency: k.DailyLimit.Currency}, nil
}

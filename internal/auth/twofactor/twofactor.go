// Package twofactor owns the second factor of OKPay accounts: TOTP
// authenticator apps (RFC 6238), one-time codes by email, recovery codes,
// and step-up checks that approve one sensitive action.
//
// Invariants it keeps:
//   - A TOTP secret is stored sealed (secretbox, purpose "totp") and bound
//     to its user ("totp:user:<id>"): a copy in another user's row fails.
//   - TOTP is on only after the user proved the app works with a first
//     code. A code is accepted one step either side of now, and never twice:
//     the last accepted step only moves forward, in one conditional update.
//   - Email codes, recovery codes and challenge/step-up tokens are stored
//     only as keyed hashes, and each is used at most once.
//   - A challenge ends after MaxFailures wrong codes, and after ChallengeTTL.
//   - A step-up token approves exactly the Action it was issued for (its name
//     and parameters), once, within StepUpTTL.
//   - Enabling and disabling 2FA, creating recovery codes and using one are
//     audited in the transaction that makes the change.
//
// The package knows no SQL or HTTP: sqlstore implements Store.
package twofactor

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/qr"
	"github.com/okpay/okpay/internal/secretbox"
)

// Errors returned by the package.
var (
	// ErrNotFound: no such TOTP row or challenge.
	ErrNotFound = errors.New("twofactor: not found")
	// ErrNotEnabled: the user has no second factor on.
	ErrNotEnabled = errors.New("twofactor: not enabled")
	// ErrAlreadyEnabled: TOTP is already on; disable it first.
	ErrAlreadyEnabled = errors.New("twofactor: already enabled")
	// ErrNoEnrolment: confirming with no enrolment begun.
	ErrNoEnrolment = errors.New("twofactor: no enrolment pending")
	// ErrWrongCode: the code is wrong, used already, or expired.
	ErrWrongCode = errors.New("twofactor: wrong code")
	// ErrChallengeEnded: the challenge was passed, expired, or failed
	// MaxFailures times; start a new one.
	ErrChallengeEnded = errors.New("twofactor: challenge ended")
	// ErrStepUpRefused: the step-up token is unknown, used, expired, another
	// user's or for another action.
	ErrStepUpRefused = errors.New("twofactor: step-up refused")
	// ErrTooManyFailures: the user entered MaxUserFailures wrong codes
	// within UserFailureWindow; no new challenge until the window passes.
	ErrTooManyFailures = errors.New("twofactor: too many wrong codes")
	// ErrInvalidAction: an action with no name.
	ErrInvalidAction = errors.New("twofactor: invalid action")
)

// Limits.
const (
	MaxFailures = 5
	// MaxUserFailures wrong codes across a user's challenges within
	// UserFailureWindow stop new challenges, so starting afresh cannot
	// be used to keep guessing (at most ~720 guesses a day against a
	// 1-in-333,333 chance per guess).
	MaxUserFailures   = 15
	UserFailureWindow = 30 * time.Minute
	ChallengeTTL      = 15 * time.Minute
	EmailCodeTTL      = 10 * time.Minute
	StepUpTTL         = 5 * time.Minute
	RecoveryCodeCount = 10
	SecretBytes       = 20 // 160 bits, RFC 4226's recommendation
	Issuer            = "OKPay"
)

// Audit actions of this package beyond those audit declares.
const (
	AuditRecoveryCodeUsed = "recovery_code_used"
	AuditCodeRejected     = "two_factor_code_rejected"
)

// Method is how a code was obtained.
type Method string

const (
	MethodTOTP     Method = "totp"
	MethodEmail    Method = "email"
	MethodRecovery Method = "recovery"
)

// Mailer sends an email one-time code. Implementations queue the mail
// through tx.Outbox(), so it is sent only if the challenge change commits.
type Mailer interface {
	QueueCode(ctx context.Context, tx Tx, userID int64, code string, validFor time.Duration) error
}

// Meta says where a request came from, for the audit log.
type Meta struct {
	ActorRole string
	IP        string
	UserAgent string
}

// Action is what a challenge approves: a login, or one sensitive change
// with its parameters ("send_money" {amount, currency, payee}).
type Action struct {
	Name   string
	Params map[string]string
}

// Login is the action of a login challenge.
var Login = Action{Name: auth.PurposeLoginApproval}

// Hash is a digest of the action's name and every parameter, in a
// canonical order and unambiguous encoding.
func (a Action) Hash() []byte {
	h := sha256.New()
	put := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(a.Name)
	keys := make([]string, 0, len(a.Params))
	for k := range a.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		put(k)
		put(a.Params[k])
	}
	return h.Sum(nil)
}

// Config configures a Service.
type Config struct {
	// MasterKey is the platform master key (32 bytes); the TOTP sealing key
	// and the code hashing key are derived from it.
	MasterKey []byte
	Store     Store
	Mailer    Mailer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service is the second factor. It is safe for concurrent use.
type Service struct {
	store   Store
	mailer  Mailer
	box     *secretbox.Box
	hashKey []byte
	now     func() time.Time
}

// New returns the service. Errors: secretbox.ErrInvalidKey.
func New(c Config) (*Service, error) {
	box, err := secretbox.New(c.MasterKey, "totp")
	if err != nil {
		return nil, err
	}
	hk, err := hkdf.Key(sha256.New, c.MasterKey, nil, "okpay twofactor code hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("twofactor: derive key: %w", err)
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: c.Store, mailer: c.Mailer, box: box, hashKey: hk, now: now}, nil
}

// AD is the associated data a user's sealed TOTP secret is bound to.
func AD(userID int64) string { return "totp:user:" + strconv.FormatInt(userID, 10) }

// hash is the keyed hash codes and tokens are stored as; kind and userID
// keep one kind's hash from matching another's.
func (s *Service) hash(kind string, userID int64, secret string) []byte {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(userID, 10)))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	return m.Sum(nil)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

func randomDigits(n int) string {
	var b strings.Builder
	for b.Len() < n {
		x := randomBytes(1)[0]
		if x < 250 { // no modulo bias
			b.WriteByte('0' + x%10)
		}
	}
	return b.String()
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Enrolment is what a user needs to add OKPay to an authenticator app.
type Enrolment struct {
	Secret string // base32, no padding
	URI    string // otpauth://totp/...
	PNG    []byte // the URI as a QR code
}

// BeginEnrolment makes a new TOTP secret for the user, stored pending until
// ConfirmEnrolment. Errors: ErrAlreadyEnabled, and the store's.
func (s *Service) BeginEnrolment(ctx context.Context, userID int64, email string) (Enrolment, error) {
	secret := randomBytes(SecretBytes)
	sealed, err := s.box.Seal(secret, AD(userID))
	if err != nil {
		return Enrolment{}, err
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.PutTOTP(ctx, TOTPRecord{UserID: userID, Sealed: sealed, CreatedAt: s.now()})
		if err != nil {
			return err
		}
		if !ok {
			return ErrAlreadyEnabled
		}
		return nil
	})
	if err != nil {
		return Enrolment{}, err
	}
	return newEnrolment(secret, email)
}

func newEnrolment(secret []byte, email string) (Enrolment, error) {
	e := Enrolment{Secret: b32.EncodeToString(secret)}
	e.URI = OTPAuthURI(Issuer, email, e.Secret)
	code, err := qr.Encode([]byte(e.URI), qr.M)
	if err != nil {
		return Enrolment{}, fmt.Errorf("twofactor: qr: %w", err)
	}
	if e.PNG, err = code.PNG(6); err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

// PendingEnrolment returns the enrolment begun and not yet confirmed, so
// its page (and QR image) can be shown again.
// Errors: ErrNoEnrolment, ErrAlreadyEnabled, and the store's.
func (s *Service) PendingEnrolment(ctx context.Context, userID int64, email string) (Enrolment, error) {
	var r TOTPRecord
	err := s.store.InTx(ctx, func(tx Tx) (err error) { r, err = tx.TOTP(ctx, userID); return err })
	switch {
	case errors.Is(err, ErrNotFound):
		return Enrolment{}, ErrNoEnrolment
	case err != nil:
		return Enrolment{}, err
	case r.Enabled:
		return Enrolment{}, ErrAlreadyEnabled
	}
	secret, err := s.box.Open(r.Sealed, AD(userID))
	if err != nil {
		return Enrolment{}, fmt.Errorf("twofactor: open secret of user %d: %w", userID, err)
	}
	return newEnrolment(secret, email)
}

// OTPAuthURI is the Key URI Format of Google Authenticator.
func OTPAuthURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", string(SHA1))
	q.Set("digits", strconv.Itoa(Digits))
	q.Set("period", strconv.Itoa(int(Period/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// ConfirmEnrolment turns TOTP on when code is right for the pending secret,
// and returns ten new recovery codes, to be shown once.
// Errors: ErrNoEnrolment, ErrAlreadyEnabled, ErrWrongCode, and the store's.
func (s *Service) ConfirmEnrolment(ctx context.Context, userID int64, code string, m Meta) ([]string, error) {
	var codes []string
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.TOTP(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return ErrNoEnrolment
		}
		if err != nil {
			return err
		}
		if r.Enabled {
			return ErrAlreadyEnabled
		}
		step, ok, err := s.matchTOTP(r, code)
		if err != nil {
			return err
		}
		if !ok {
			return ErrWrongCode
		}
		if ok, err := tx.EnableTOTP(ctx, userID, step, s.now()); err != nil {
			return err
		} else if !ok {
			return ErrNoEnrolment
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, userID, audit.TwoFactorEnabled, m, map[string]string{"method": string(MethodTOTP)}); err != nil {
			return err
		}
		return s.audit(ctx, tx, userID, audit.RecoveryCodesCreated, m, nil)
	})
	return codes, err
}

// Enabled reports whether the user has TOTP on, so login must ask for it.
func (s *Service) Enabled(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.TOTP(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		on = r.Enabled
		return err
	})
	return on, err
}

// Disable turns the second factor off and drops the recovery codes. It
// needs a step-up token for DisableAction(userID).
// Errors: ErrStepUpRefused, ErrNotEnabled, and the store's.
func (s *Service) Disable(ctx context.Context, userID int64, stepUpToken string, m Meta) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := s.useStepUp(ctx, tx, userID, stepUpToken, DisableAction(userID)); err != nil {
			return err
		}
		ok, err := tx.DeleteTOTP(ctx, userID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotEnabled
		}
		return s.audit(ctx, tx, userID, audit.TwoFactorDisabled, m, nil)
	})
}

// DisableAction is the action a step-up must approve to turn 2FA off.
func DisableAction(userID int64) Action {
	return Action{Name: "two_factor_disable", Params: map[string]string{"user_id": strconv.FormatInt(userID, 10)}}
}

// RegenerateRecoveryCodes replaces the user's recovery codes. It needs a
// step-up token for RecoveryCodesAction(userID).
// Errors: ErrStepUpRefused, ErrNotEnabled, and the store's.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID int64, stepUpToken string, m Meta) ([]string, error) {
	var codes []string
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := s.useStepUp(ctx, tx, userID, stepUpToken, RecoveryCodesAction(userID)); err != nil {
			return err
		}
		r, err := tx.TOTP(ctx, userID)
		if errors.Is(err, ErrNotFound) || err == nil && !r.Enabled {
			return ErrNotEnabled
		}
		if err != nil {
			return err
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, userID, audit.RecoveryCodesCreated, m, nil)
	})
	return codes, err
}

// RecoveryCodesAction is the action a step-up must approve to replace the
// recovery codes.
func RecoveryCodesAction(userID int64) Action {
	return Action{Name: "recovery_codes_regenerate", Params: map[string]string{"user_id": strconv.FormatInt(userID, 10)}}
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.RecoveryCodesLeft(ctx, userID)
		return err
	})
	return n, err
}

func (s *Service) newRecoveryCodes(ctx context.Context, tx Tx, userID int64) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		raw := strings.ToLower(b32.EncodeToString(randomBytes(7)))[:10] // 50 bits
		codes[i] = raw[:4] + "-" + raw[4:8] + "-" + raw[8:]
		hashes[i] = s.hash("recovery", userID, raw)
	}
	if err := tx.ReplaceRecoveryCodes(ctx, userID, hashes, s.now()); err != nil {
		return nil, err
	}
	return codes, nil
}

// normalizeRecovery drops separators and spaces and folds case, so a code
// typed "ABCD EFGH IJ" matches "abcd-efgh-ij".
func normalizeRecovery(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r != '-' && r != ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchTOTP finds the step within Skew of now whose code is code. It does
// not consult the last accepted step; the caller's conditional update does.
func (s *Service) matchTOTP(r TOTPRecord, code string) (int64, bool, error) {
	if len(code) != Digits {
		return 0, false, nil
	}
	secret, err := s.box.Open(r.Sealed, AD(r.UserID))
	if err != nil {
		return 0, false, fmt.Errorf("twofactor: open secret of user %d: %w", r.UserID, err)
	}
	now := Step(s.now(), Period)
	var found int64
	ok := 0
	for d := int64(-Skew); d <= Skew; d++ {
		c := HOTP(secret, uint64(now+d), SHA1, Digits)
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 && ok == 0 {
			found, ok = now+d, 1
		}
	}
	return found, ok == 1, nil
}

// Begin starts a challenge for the user to approve action (Login for a
// login) and returns its id, a secret for the caller to keep (in the
// session). Errors: ErrNotEnabled, ErrTooManyFailures, ErrInvalidAction,
// and the store's.
func (s *Service) Begin(ctx context.Context, userID int64, action Action) (string, error) {
	if action.Name == "" {
		return "", ErrInvalidAction
	}
	id := randomToken()
	now := s.now()
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.TOTP(ctx, userID)
		if errors.Is(err, ErrNotFound) || err == nil && !r.Enabled {
			return ErrNotEnabled
		}
		if err != nil {
			return err
		}
		if n, err := tx.RecentFailures(ctx, userID, now.Add(-UserFailureWindow)); err != nil {
			return err
		} else if n >= MaxUserFailures {
			return ErrTooManyFailures
		}
		return tx.InsertChallenge(ctx, Challenge{IDHash: s.hash("challenge", 0, id), UserID: userID,
			ActionHash: action.Hash(), CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL)})
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// open loads an open challenge. Errors: ErrChallengeEnded, and the store's.
func (s *Service) open(ctx context.Context, tx Tx, challengeID string) (Challenge, error) {
	c, err := tx.Challenge(ctx, s.hash("challenge", 0, challengeID))
	if errors.Is(err, ErrNotFound) {
		return Challenge{}, ErrChallengeEnded
	}
	if err != nil {
		return Challenge{}, err
	}
	if c.Ended || c.Failures >= MaxFailures || !s.now().Before(c.ExpiresAt) {
		return Challenge{}, ErrChallengeEnded
	}
	return c, nil
}

// SendEmailCode emails a new one-time code for the challenge through the
// Mailer, replacing any earlier one. Errors: ErrChallengeEnded, the
// Mailer's and the store's.
func (s *Service) SendEmailCode(ctx context.Context, challengeID string) error {
	code := randomDigits(Digits)
	return s.store.InTx(ctx, func(tx Tx) error {
		c, err := s.open(ctx, tx, challengeID)
		if err != nil {
			return err
		}
		ok, err := tx.SetEmailCode(ctx, c.IDHash, s.hash("email", c.UserID, string(c.IDHash)+code), s.now().Add(EmailCodeTTL))
		if err != nil {
			return err
		}
		if !ok {
			return ErrChallengeEnded
		}
		return s.mailer.QueueCode(ctx, tx, c.UserID, code, EmailCodeTTL)
	})
}

// Result is a passed challenge.
type Result struct {
	UserID int64
	Method Method
	// StepUpToken approves the challenge's action once, within StepUpTTL,
	// through UseStepUp. A login need not use it.
	StepUpToken string
}

// Verify checks code, obtained by method, against the challenge. A right
// code ends the challenge as passed; a wrong one counts, and the
// MaxFailures-th ends it. Errors: ErrWrongCode, ErrChallengeEnded, and the
// store's.
func (s *Service) Verify(ctx context.Context, challengeID string, method Method, code string, m Meta) (Result, error) {
	code = strings.TrimSpace(code)
	var (
		res   Result
		wrong bool
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := s.open(ctx, tx, challengeID)
		if err != nil {
			return err
		}
		ok, err := s.check(ctx, tx, c, method, code, m)
		if err != nil {
			return err
		}
		if !ok {
			// Commit the count, then report the wrong code.
			wrong = true
			n, err := tx.FailChallenge(ctx, c.IDHash)
			if err != nil {
				return err
			}
			return s.audit(ctx, tx, c.UserID, AuditCodeRejected, m, map[string]string{"method": string(method), "failures": strconv.Itoa(n)})
		}
		if ok, err := tx.FinishChallenge(ctx, c.IDHash, s.now()); err != nil {
			return err
		} else if !ok {
			return ErrChallengeEnded
		}
		token := randomToken()
		if err := tx.InsertStepUp(ctx, StepUpRecord{TokenHash: s.hash("stepup", 0, token), UserID: c.UserID,
			ActionHash: c.ActionHash, ExpiresAt: s.now().Add(StepUpTTL)}); err != nil {
			return err
		}
		res = Result{UserID: c.UserID, Method: method, StepUpToken: token}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if wrong {
		return Result{}, ErrWrongCode
	}
	return res, nil
}

// check reports whether code passes c by method, using up what it uses.
func (s *Service) check(ctx context.Context, tx Tx, c Challenge, method Method, code string, m Meta) (bool, error) {
	switch method {
	case MethodTOTP:
		r, err := tx.TOTP(ctx, c.UserID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		step, ok, err := s.matchTOTP(r, code)
		if err != nil || !ok || !r.Enabled {
			return false, err
		}
		return tx.AdvanceTOTP(ctx, c.UserID, step)
	case MethodEmail:
		if len(code) != Digits || c.EmailCodeHash == nil || !s.now().Before(c.EmailCodeExpires) {
			return false, nil
		}
		return hmac.Equal(c.EmailCodeHash, s.hash("email", c.UserID, string(c.IDHash)+code)), nil
	case MethodRecovery:
		ok, err := tx.UseRecoveryCode(ctx, c.UserID, s.hash("recovery", c.UserID, normalizeRecovery(code)), s.now())
		if err != nil || !ok {
			return false, err
		}
		return true, s.audit(ctx, tx, c.UserID, AuditRecoveryCodeUsed, m, nil)
	default:
		return false, nil
	}
}

// UseStepUp spends a step-up token on action: it succeeds once, for the
// user and the very action (name and parameters) the challenge approved,
// within StepUpTTL. Callers run it in the same request as the change.
// Errors: ErrStepUpRefused, and the store's.
func (s *Service) UseStepUp(ctx context.Context, userID int64, token string, action Action) error {
	return s.store.InTx(ctx, func(tx Tx) error { return s.useStepUp(ctx, tx, userID, token, action) })
}

func (s *Service) useStepUp(ctx context.Context, tx Tx, userID int64, token string, action Action) error {
	if token == "" {
		return ErrStepUpRefused
	}
	ok, err := tx.UseStepUp(ctx, s.hash("stepup", 0, token), userID, action.Hash(), s.now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrStepUpRefused
	}
	return nil
}

func (s *Service) audit(ctx context.Context, tx Tx, userID int64, action string, m Meta, details map[string]string) error {
	return audit.Record(ctx, tx, audit.Event{At: s.now(), ActorID: userID, ActorRole: m.ActorRole, Action: action,
		TargetType: "user", TargetID: strconv.FormatInt(userID, 10), IP: m.IP, UserAgent: m.UserAgent, Details: details})
}

package connector

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"

	"github.com/okpay/okpay/internal/money"
)

// network is the in-memory state of a sandbox: what a card network, bank or
// wallet provider would keep on its side. One mutex guards it; every call
// holds it from start to finish, which is what makes an idempotency key
// exactly-once under concurrent retries.
type network struct {
	cfg  SandboxConfig
	rail Rail

	mu sync.Mutex
	// secret keys the request fingerprints, so that a fingerprint of a card
	// request cannot be brute-forced back into a card number.
	secret  [32]byte
	keys    map[string]*keyRecord
	charges map[string]*chargeRecord
	payouts map[string]*payoutRecord
}

// keyRecord binds an idempotency key to the first request that reached the
// network.
type keyRecord struct {
	fingerprint [32]byte
	// attempts counts calls with this key, for test behaviours that fail
	// the first attempt only.
	attempts int
	// id is the charge or payout created under the key, "" while none.
	id string
	// spent: the key was canceled before any payout was made under it
	// (CancelPayout); id is the canceled payout every later call gets.
	spent bool
}

type chargeRecord struct {
	charge Charge
	// afterConfirm is the decline a correct confirmation ends in; "" means
	// the charge succeeds.
	afterConfirm Code
}

type payoutRecord struct {
	payout Payout
	// failWith is the code the payout fails with when it settles; ""
	// means it is paid.
	failWith Code
	// returnDays, when positive, sends a paid payout back that many
	// business days after it was paid, with returnWith.
	returnDays int
	returnWith Code
}

func newNetwork(cfg SandboxConfig, rail Rail) *network {
	n := &network{
		cfg:     cfg,
		rail:    rail,
		keys:    make(map[string]*keyRecord),
		charges: make(map[string]*chargeRecord),
		payouts: make(map[string]*payoutRecord),
	}
	rand.Read(n.secret[:])
	return n
}

// start refuses a call whose context is already done: nothing was sent, so
// the caller may retry.
func start(ctx context.Context) *Error {
	if err := ctx.Err(); err != nil {
		return &Error{Code: CodeProcessingError, Message: "request canceled before it was sent", cause: err}
	}
	return nil
}

// maxKeyLen bounds an idempotency key.
const maxKeyLen = 255

func checkKey(key string) *Error {
	if key == "" || len(key) > maxKeyLen {
		return newError(CodeInvalidRequest, "an idempotency key of 1 to 255 bytes is required")
	}
	return nil
}

func checkAmount(a money.Amount) *Error {
	if a.Currency.Code == "" {
		return newError(CodeInvalidRequest, "the amount has no currency")
	}
	if a.Minor <= 0 {
		return newError(CodeInvalidRequest, "the amount must be positive")
	}
	return nil
}

// fingerprint digests the fields of a request under the network's secret.
// Each field is length-prefixed so that no two different requests digest
// alike.
func (n *network) fingerprint(fields ...string) [32]byte {
	m := hmac.New(sha256.New, n.secret[:])
	var l [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(l[:], uint64(len(f)))
		m.Write(l[:])
		m.Write([]byte(f))
	}
	var sum [32]byte
	copy(sum[:], m.Sum(nil))
	return sum
}

// bind returns the record of key (namespaced by kind), creating it for fp,
// and counts the attempt. A key bound to another request is
// CodeIdempotencyConflict. The caller holds n.mu.
func (n *network) bind(kind, key string, fp [32]byte) (*keyRecord, *Error) {
	k := kind + "\x00" + key
	rec, ok := n.keys[k]
	if !ok {
		rec = &keyRecord{fingerprint: fp}
		n.keys[k] = rec
	} else if !hmac.Equal(rec.fingerprint[:], fp[:]) {
		return nil, newError(CodeIdempotencyConflict, "the idempotency key was used for a different request")
	}
	rec.attempts++
	return rec, nil
}

// newID returns a random id with the given prefix ("ch_", "po_").
func newID(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:24])
}

// answer returns a stored charge the way Charge answers: the charge, or its
// failure as an *Error carrying the charge id. The caller holds n.mu.
func (n *network) answer(rec *chargeRecord) (Charge, error) {
	c := rec.charge
	if c.Status == ChargeFailed {
		return Charge{}, &Error{Code: c.FailureCode, Message: failureMessage(c.FailureCode), ChargeID: c.ID}
	}
	return copyCharge(c), nil
}

func copyCharge(c Charge) Charge {
	if c.Card != nil {
		d := *c.Card
		c.Card = &d
	}
	if c.Action != nil {
		a := *c.Action
		c.Action = &a
	}
	return c
}

// record stores a new charge. The caller holds n.mu.
func (n *network) record(c Charge, afterConfirm Code) *chargeRecord {
	rec := &chargeRecord{charge: c, afterConfirm: afterConfirm}
	n.charges[c.ID] = rec
	return rec
}

// lookupCharge implements Charger.LookupCharge.
func (n *network) lookupCharge(ctx context.Context, id string) (Charge, error) {
	if err := start(ctx); err != nil {
		return Charge{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rec, ok := n.charges[id]
	if !ok {
		return Charge{}, newError(CodeNotFound, "no such charge")
	}
	return copyCharge(rec.charge), nil
}

// chargeByKey implements Charger.ChargeByKey.
func (n *network) chargeByKey(ctx context.Context, key string) (Charge, error) {
	if err := start(ctx); err != nil {
		return Charge{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	k, ok := n.keys["charge\x00"+key]
	if !ok || k.id == "" {
		return Charge{}, newError(CodeNotFound, "no charge was made under this idempotency key")
	}
	rec, ok := n.charges[k.id]
	if !ok {
		return Charge{}, newError(CodeNotFound, "no such charge")
	}
	return n.answer(rec)
}

// failureMessage is the fixed English text of a decline.
func failureMessage(c Code) string {
	switch c {
	case CodeCardDeclined:
		return "the card was declined"
	case CodeInsufficientFunds:
		return "insufficient funds"
	case CodeExpiredCard:
		return "the card has expired"
	case CodeIncorrectCVC:
		return "the security code is incorrect"
	case CodeAuthenticationRequired:
		return "the issuer requires the cardholder to authenticate"
	case CodeAuthenticationFailed:
		return "the cardholder did not pass authentication"
	case CodeAccountClosed:
		return "the account is closed"
	case CodeAccountNotFound:
		return "no such account"
	}
	return ""
}

// payout implements the common part of Payer.Payout once the destination is
// validated: idempotency, the test behaviours for the network and the
// record. plan says how the destination behaves.
func (n *network) payout(req PayoutRequest, dest Destination, destKey string, plan payoutPlan) (Payout, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if k, ok := n.keys["payout\x00"+req.IdempotencyKey]; ok && k.spent {
		return n.payoutNow(n.payouts[k.id]), nil
	}
	fp := n.fingerprint(req.Amount.Currency.Code, strconv.FormatInt(req.Amount.Minor, 10), destKey, req.Description)
	key, err := n.bind("payout", req.IdempotencyKey, fp)
	if err != nil {
		return Payout{}, err
	}
	if key.id != "" {
		return n.payoutNow(n.payouts[key.id]), nil
	}
	switch plan.network {
	case networkDown:
		return Payout{}, newError(CodeTimeout, "the provider did not answer; nothing was sent")
	case networkFlaky:
		if key.attempts == 1 {
			return Payout{}, newError(CodeTimeout, "the provider did not answer")
		}
	}
	if plan.refuse != "" {
		return Payout{}, newError(plan.refuse, failureMessage(plan.refuse))
	}
	now := n.cfg.now()
	p := Payout{
		ID:          newID("po_"),
		Rail:        n.rail,
		Status:      PayoutPending,
		Amount:      req.Amount,
		Destination: dest,
		Created:     now,
		ExpectedAt:  n.cfg.addBusinessDays(now, plan.days),
	}
	n.payouts[p.ID] = &payoutRecord{payout: p, failWith: plan.failWith, returnDays: plan.returnDays, returnWith: plan.returnWith}
	key.id = p.ID
	if plan.network == networkLost && key.attempts == 1 {
		return Payout{}, newError(CodeTimeout, "the provider did not answer")
	}
	return p, nil
}

// payoutNow settles rec if its time has come and returns it. The caller
// holds n.mu.
func (n *network) payoutNow(rec *payoutRecord) Payout {
	now := n.cfg.now()
	if rec.payout.Status == PayoutPending && !now.Before(rec.payout.ExpectedAt) {
		rec.payout.SettledAt = rec.payout.ExpectedAt
		if rec.failWith != "" {
			rec.payout.Status = PayoutFailed
			rec.payout.FailureCode = rec.failWith
		} else {
			rec.payout.Status = PayoutPaid
		}
	}
	if rec.payout.Status == PayoutPaid && rec.returnDays > 0 {
		back := n.cfg.addBusinessDays(rec.payout.SettledAt, rec.returnDays)
		if !now.Before(back) {
			rec.payout.Status = PayoutReturned
			rec.payout.ReturnedAt = back
			rec.payout.FailureCode = rec.returnWith
		}
	}
	return rec.payout
}

// cancelPayout implements Payer.CancelPayout.
func (n *network) cancelPayout(ctx context.Context, key string) (Payout, error) {
	if err := start(ctx); err != nil {
		return Payout{}, err
	}
	if err := checkKey(key); err != nil {
		return Payout{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.cfg.now()
	k := "payout\x00" + key
	rec, ok := n.keys[k]
	if !ok || rec.id == "" {
		// Nothing was sent under the key: spend it, so that the request
		// whose answer was lost can never pay later.
		p := Payout{ID: newID("po_"), Rail: n.rail, Status: PayoutCanceled, Created: now, SettledAt: now}
		n.payouts[p.ID] = &payoutRecord{payout: p}
		if !ok {
			rec = &keyRecord{}
			n.keys[k] = rec
		}
		rec.id, rec.spent = p.ID, true
		return p, nil
	}
	pr := n.payouts[rec.id]
	p := n.payoutNow(pr)
	switch p.Status {
	case PayoutCanceled:
		return p, nil
	case PayoutPending:
		pr.payout.Status, pr.payout.SettledAt = PayoutCanceled, now
		return pr.payout, nil
	}
	return Payout{}, &Error{Code: CodePayoutNotCancelable, Message: "the payout has settled", PayoutID: p.ID}
}

// payoutStatus implements Payer.PayoutStatus.
func (n *network) payoutStatus(ctx context.Context, id string) (Payout, error) {
	if err := start(ctx); err != nil {
		return Payout{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rec, ok := n.payouts[id]
	if !ok {
		return Payout{}, newError(CodeNotFound, "no such payout")
	}
	return n.payoutNow(rec), nil
}

// networkBehaviour is how the connection to the provider behaves for a test
// card or account.
type networkBehaviour int

const (
	networkOK networkBehaviour = iota
	// networkDown: every attempt fails; nothing happens at the provider.
	networkDown
	// networkFlaky: the first attempt with a key fails before reaching the
	// provider; a retry goes through.
	networkFlaky
	// networkLost: the first attempt with a key is carried out, but its
	// answer is lost; a retry with the key returns the result.
	networkLost
)

// payoutPlan is how a destination behaves.
type payoutPlan struct {
	network networkBehaviour
	// refuse is a code the payout is refused with at once.
	refuse Code
	// days is the number of business days until it settles.
	days int
	// failWith is the code it fails with when it settles ("" = paid).
	failWith Code
	// returnDays, when positive, sends it back that many business days
	// after it was paid, with returnWith.
	returnDays int
	returnWith Code
}

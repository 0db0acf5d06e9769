package connector

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// WalletBehavior is how a test account behaves in the e-wallet sandbox.
type WalletBehavior string

// The behaviours of the test accounts.
const (
	// WalletSucceeds: charges succeed; payouts are paid after one business
	// day.
	WalletSucceeds WalletBehavior = "succeeds"
	// WalletInsufficientFunds: charges are declined with
	// CodeInsufficientFunds; payouts succeed.
	WalletInsufficientFunds WalletBehavior = "insufficient_funds"
	// WalletClosed: charges and payouts are refused with CodeAccountClosed.
	WalletClosed WalletBehavior = "account_closed"
	// WalletTimeout: every call times out (CodeTimeout) and nothing
	// happens at the provider.
	WalletTimeout WalletBehavior = "timeout"
	// WalletResponseLost: the first call with an idempotency key is carried
	// out but times out (CodeTimeout) on the way back; a retry with the same
	// key returns what was done.
	WalletResponseLost WalletBehavior = "response_lost"
	// WalletPayoutFails: charges succeed; payouts are accepted, then fail
	// when they settle (one business day later) with CodeAccountClosed.
	WalletPayoutFails WalletBehavior = "payout_fails"
	// WalletPayoutReturned: charges succeed; payouts are paid after one
	// business day, then come back one business day later with
	// CodeAccountClosed (PayoutReturned).
	WalletPayoutReturned WalletBehavior = "payout_returned"
)

// TestWalletAccount is an account the e-wallet sandbox knows.
type TestWalletAccount struct {
	Account  WalletAccount
	Behavior WalletBehavior
}

var testWalletAccounts = []TestWalletAccount{
	{"alice@wallet.test", WalletSucceeds},
	{"bob@wallet.test", WalletSucceeds},
	{"broke@wallet.test", WalletInsufficientFunds},
	{"closed@wallet.test", WalletClosed},
	{"down@wallet.test", WalletTimeout},
	{"slow@wallet.test", WalletResponseLost},
	{"frozen@wallet.test", WalletPayoutFails},
	{"returns@wallet.test", WalletPayoutReturned},
}

// TestWalletAccounts returns the e-wallet sandbox's test accounts (see the
// package comment). Any other well-formed id is CodeAccountNotFound; an id
// that is not email-like is CodeInvalidAccount.
func TestWalletAccounts() []TestWalletAccount { return slices.Clone(testWalletAccounts) }

// walletPayoutDays is how many business days an e-wallet payout takes.
const walletPayoutDays = 1

// EWalletSandbox is the external e-wallet connector used where no wallet
// provider can be reached: it charges and pays out test accounts, with the
// provider's failures (declines, closed accounts, timeouts) and idempotency
// keys, keeping its state in memory and moving no money.
type EWalletSandbox struct {
	net      *network
	accounts map[WalletAccount]WalletBehavior
}

var (
	_ Charger = (*EWalletSandbox)(nil)
	_ Payer   = (*EWalletSandbox)(nil)
)

// NewEWalletSandbox returns an empty e-wallet sandbox.
func NewEWalletSandbox(cfg SandboxConfig) *EWalletSandbox {
	s := &EWalletSandbox{net: newNetwork(cfg, RailEWallet), accounts: make(map[WalletAccount]WalletBehavior)}
	for _, a := range testWalletAccounts {
		s.accounts[a.Account] = a.Behavior
	}
	return s
}

// Rail reports RailEWallet.
func (s *EWalletSandbox) Rail() Rail { return RailEWallet }

// ParseWalletAccount normalises an external wallet id: an email-like
// "local@domain.tld", compared case-insensitively. Errors: CodeInvalidAccount.
func ParseWalletAccount(s string) (WalletAccount, error) {
	a, err := parseWalletAccount(s)
	if err != nil {
		return "", err
	}
	return a, nil
}

func parseWalletAccount(s string) (WalletAccount, *Error) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || local == "" || len(local) > 64 || !validLocal(local) || !validDomain(domain) {
		return "", newError(CodeInvalidAccount, "a wallet id looks like name@example.com")
	}
	return WalletAccount(s), nil
}

func validLocal(s string) bool {
	for i := range len(s) {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.IndexByte(".+-_", ch) >= 0) {
			return false
		}
	}
	return s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

func validDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := range len(l) {
			ch := l[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}

// account validates and looks up an account.
func (s *EWalletSandbox) account(raw WalletAccount) (WalletAccount, WalletBehavior, *Error) {
	acct, err := parseWalletAccount(string(raw))
	if err != nil {
		return "", "", err
	}
	b, ok := s.accounts[acct]
	if !ok {
		return "", "", newError(CodeAccountNotFound, failureMessage(CodeAccountNotFound))
	}
	return acct, b, nil
}

// Charge implements Charger. Source must be a WalletAccount. An id that is
// malformed (CodeInvalidAccount) or unknown (CodeAccountNotFound) binds no
// idempotency key; a decline (CodeInsufficientFunds, CodeAccountClosed) does
// and carries a charge id.
func (s *EWalletSandbox) Charge(ctx context.Context, req ChargeRequest) (Charge, error) {
	if err := start(ctx); err != nil {
		return Charge{}, err
	}
	if err := checkKey(req.IdempotencyKey); err != nil {
		return Charge{}, err
	}
	if err := checkAmount(req.Amount); err != nil {
		return Charge{}, err
	}
	raw, ok := req.Source.(WalletAccount)
	if !ok {
		return Charge{}, newError(CodeInvalidRequest, "the e-wallet connector needs a WalletAccount source")
	}
	acct, behavior, aerr := s.account(raw)
	if aerr != nil {
		return Charge{}, aerr
	}

	n := s.net
	n.mu.Lock()
	defer n.mu.Unlock()
	fp := n.fingerprint(req.Amount.Currency.Code, strconv.FormatInt(req.Amount.Minor, 10),
		string(acct), req.Description, strconv.FormatBool(req.OffSession))
	key, err := n.bind("charge", req.IdempotencyKey, fp)
	if err != nil {
		return Charge{}, err
	}
	if key.id != "" {
		return n.answer(n.charges[key.id])
	}
	if behavior == WalletTimeout {
		return Charge{}, newError(CodeTimeout, "the wallet provider did not answer; nothing was charged")
	}
	c := Charge{
		ID:      newID("ch_"),
		Rail:    RailEWallet,
		Status:  ChargeSucceeded,
		Amount:  req.Amount,
		Account: acct,
		Created: n.cfg.now(),
	}
	switch behavior {
	case WalletInsufficientFunds:
		c.Status, c.FailureCode = ChargeFailed, CodeInsufficientFunds
	case WalletClosed:
		c.Status, c.FailureCode = ChargeFailed, CodeAccountClosed
	}
	rec := n.record(c, "")
	key.id = c.ID
	if behavior == WalletResponseLost && key.attempts == 1 {
		return Charge{}, newError(CodeTimeout, "the wallet provider did not answer")
	}
	return n.answer(rec)
}

// Confirm implements Charger. E-wallet charges never wait for a
// confirmation, so Confirm returns the charge (or its failure) as it is.
func (s *EWalletSandbox) Confirm(ctx context.Context, chargeID, _ string) (Charge, error) {
	if err := start(ctx); err != nil {
		return Charge{}, err
	}
	n := s.net
	n.mu.Lock()
	defer n.mu.Unlock()
	rec, ok := n.charges[chargeID]
	if !ok {
		return Charge{}, newError(CodeNotFound, "no such charge")
	}
	return n.answer(rec)
}

// LookupCharge implements Charger.
func (s *EWalletSandbox) LookupCharge(ctx context.Context, chargeID string) (Charge, error) {
	return s.net.lookupCharge(ctx, chargeID)
}

// ChargeByKey implements Charger.
func (s *EWalletSandbox) ChargeByKey(ctx context.Context, key string) (Charge, error) {
	return s.net.chargeByKey(ctx, key)
}

// Payout implements Payer. Destination must be a WalletAccount. Payouts are
// paid one business day after they are made.
func (s *EWalletSandbox) Payout(ctx context.Context, req PayoutRequest) (Payout, error) {
	if err := start(ctx); err != nil {
		return Payout{}, err
	}
	if err := checkKey(req.IdempotencyKey); err != nil {
		return Payout{}, err
	}
	if err := checkAmount(req.Amount); err != nil {
		return Payout{}, err
	}
	raw, ok := req.Destination.(WalletAccount)
	if !ok {
		return Payout{}, newError(CodeInvalidRequest, "the e-wallet connector pays out to a WalletAccount")
	}
	acct, behavior, aerr := s.account(raw)
	if aerr != nil {
		return Payout{}, aerr
	}
	plan := payoutPlan{days: walletPayoutDays}
	switch behavior {
	case WalletClosed:
		plan.refuse = CodeAccountClosed
	case WalletTimeout:
		plan.network = networkDown
	case WalletResponseLost:
		plan.network = networkLost
	case WalletPayoutFails:
		plan.failWith = CodeAccountClosed
	case WalletPayoutReturned:
		plan.returnDays, plan.returnWith = 1, CodeAccountClosed
	}
	return s.net.payout(req, acct, string(acct), plan)
}

// PayoutStatus implements Payer.
func (s *EWalletSandbox) PayoutStatus(ctx context.Context, payoutID string) (Payout, error) {
	return s.net.payoutStatus(ctx, payoutID)
}

// CancelPayout implements Payer.
func (s *EWalletSandbox) CancelPayout(ctx context.Context, key string) (Payout, error) {
	return s.net.cancelPayout(ctx, key)
}

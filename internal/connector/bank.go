package connector

import (
	"context"
	"slices"
	"strings"
)

// BankBehavior is how a test account behaves in the bank sandbox.
type BankBehavior string

// The behaviours of the test bank accounts.
const (
	// BankPaid: the payout is paid after the account's business days.
	BankPaid BankBehavior = "paid"
	// BankReturned: the payout is accepted, then comes back after the
	// account's business days: it fails with CodeAccountClosed.
	BankReturned BankBehavior = "returned"
	// BankResponseLost: the first call with an idempotency key is accepted
	// but times out (CodeTimeout) on the way back; a retry with the same key
	// returns the payout. It is paid after the account's business days.
	BankResponseLost BankBehavior = "response_lost"
	// BankTimeout: every call times out (CodeTimeout); nothing is sent.
	BankTimeout BankBehavior = "timeout"
	// BankPaidThenReturned: the payout is paid after the account's business
	// days, then comes back two business days later with
	// CodeAccountClosed (PayoutReturned).
	BankPaidThenReturned BankBehavior = "paid_then_returned"
)

// TestBankAccount is an IBAN the bank sandbox knows.
type TestBankAccount struct {
	IBAN     string
	Behavior BankBehavior
	// Days is the number of business days until the payout settles.
	Days int
}

var testBankAccounts = []TestBankAccount{
	{"DE89370400440532013000", BankPaid, 1},
	{"NL91ABNA0417164300", BankPaid, 2},
	{"GB82WEST12345698765432", BankPaid, 3},
	{"DE62370400440532013001", BankReturned, 2},
	{"DE35370400440532013002", BankResponseLost, 1},
	{"DE08370400440532013003", BankTimeout, 0},
	{"DE78370400440532013004", BankPaidThenReturned, 1},
}

// bankReturnDays is how long after it was paid a returned payout comes
// back.
const bankReturnDays = 2

// defaultBankDays is how long a payout to any other valid IBAN takes.
const defaultBankDays = 2

// TestBankAccounts returns the bank sandbox's test accounts (see the package
// comment). A payout to any other valid IBAN is paid after two business
// days; an IBAN that fails its check digits is CodeInvalidAccount.
func TestBankAccounts() []TestBankAccount { return slices.Clone(testBankAccounts) }

// BankSandbox is the bank-transfer payout connector used where no bank can
// be reached: it accepts payouts to IBANs and settles them after one to
// three business days by the caller's calendar, with the bank's failures
// (returned transfers, timeouts) and idempotency keys, keeping its state in
// memory and moving no money. Deposits by bank transfer need no connector:
// they arrive in bank statements (ParseStatements) carrying a Reference.
type BankSandbox struct {
	net      *network
	accounts map[string]TestBankAccount
}

var _ Payer = (*BankSandbox)(nil)

// NewBankSandbox returns an empty bank sandbox.
func NewBankSandbox(cfg SandboxConfig) *BankSandbox {
	s := &BankSandbox{net: newNetwork(cfg, RailBankTransfer), accounts: make(map[string]TestBankAccount)}
	for _, a := range testBankAccounts {
		s.accounts[a.IBAN] = a
	}
	return s
}

// Rail reports RailBankTransfer.
func (s *BankSandbox) Rail() Rail { return RailBankTransfer }

// Payout implements Payer. Destination must be a BankAccount with a valid
// IBAN (CodeInvalidAccount otherwise, binding no idempotency key). The
// payout is pending until its business days have passed on the sandbox's
// clock; PayoutStatus then reports it paid, or failed for a returned one.
func (s *BankSandbox) Payout(ctx context.Context, req PayoutRequest) (Payout, error) {
	if err := start(ctx); err != nil {
		return Payout{}, err
	}
	if err := checkKey(req.IdempotencyKey); err != nil {
		return Payout{}, err
	}
	if err := checkAmount(req.Amount); err != nil {
		return Payout{}, err
	}
	dest, ok := req.Destination.(BankAccount)
	if !ok {
		return Payout{}, newError(CodeInvalidRequest, "the bank connector pays out to a BankAccount")
	}
	iban, ierr := parseIBAN(dest.IBAN)
	if ierr != nil {
		return Payout{}, ierr
	}
	dest.IBAN = iban
	dest.Name = strings.TrimSpace(dest.Name)
	test, known := s.accounts[iban]
	if !known {
		test = TestBankAccount{IBAN: iban, Behavior: BankPaid, Days: defaultBankDays}
	}
	plan := payoutPlan{days: test.Days}
	switch test.Behavior {
	case BankReturned:
		plan.failWith = CodeAccountClosed
	case BankResponseLost:
		plan.network = networkLost
	case BankTimeout:
		plan.network = networkDown
	case BankPaidThenReturned:
		plan.returnDays, plan.returnWith = bankReturnDays, CodeAccountClosed
	}
	return s.net.payout(req, dest, iban+"\x00"+dest.Name, plan)
}

// PayoutStatus implements Payer.
func (s *BankSandbox) PayoutStatus(ctx context.Context, payoutID string) (Payout, error) {
	return s.net.payoutStatus(ctx, payoutID)
}

// CancelPayout implements Payer.
func (s *BankSandbox) CancelPayout(ctx context.Context, key string) (Payout, error) {
	return s.net.cancelPayout(ctx, key)
}

// ibanLengths holds the IBAN length of the SEPA countries; other countries
// are only held to the general 15 to 34 characters.
var ibanLengths = map[string]int{
	"AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
	"DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27,
	"HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
}

// ParseIBAN normalises an IBAN as people type it ("de89 3704 0044 0532
// 0130 00") to its electronic form ("DE89370400440532013000") and checks
// its length and ISO 7064 mod-97 check digits. Errors: CodeInvalidAccount.
func ParseIBAN(s string) (string, error) {
	iban, err := parseIBAN(s)
	if err != nil {
		return "", err
	}
	return iban, nil
}

func parseIBAN(s string) (string, *Error) {
	bad := newError(CodeInvalidAccount, "the IBAN is not valid")
	b := make([]byte, 0, 34)
	for i := range len(s) {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '-':
			continue
		case ch >= 'a' && ch <= 'z':
			ch -= 'a' - 'A'
		case ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		default:
			return "", bad
		}
		if len(b) == 34 {
			return "", bad
		}
		b = append(b, ch)
	}
	if len(b) < 15 || !isUpper(b[0]) || !isUpper(b[1]) || !isDigit(b[2]) || !isDigit(b[3]) {
		return "", bad
	}
	if want, ok := ibanLengths[string(b[:2])]; ok && len(b) != want {
		return "", bad
	}
	// Move the country and check digits to the end, read letters as 10..35
	// and take the number mod 97, a digit at a time.
	rem := 0
	for i := range len(b) {
		ch := b[(i+4)%len(b)]
		if isDigit(ch) {
			rem = (rem*10 + int(ch-'0')) % 97
		} else {
			rem = (rem*100 + int(ch-'A') + 10) % 97
		}
	}
	if rem != 1 {
		return "", bad
	}
	return string(b), nil
}

func isUpper(ch byte) bool { return ch >= 'A' && ch <= 'Z' }
func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

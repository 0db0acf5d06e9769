package connector

import (
	"context"
	"slices"
	"strconv"
)

// CardBehavior is how a test card behaves in the card sandbox.
type CardBehavior string

// The behaviours of the test cards.
const (
	// CardSucceeds: the charge succeeds.
	CardSucceeds CardBehavior = "succeeds"
	// CardDeclines: the issuer declines with the card's Decline code.
	CardDeclines CardBehavior = "declines"
	// CardChallenge: the charge requires action (3-D Secure); Confirm with
	// SandboxConfirmationCode makes it succeed, any other code fails it
	// with CodeAuthenticationFailed. Off-session it is declined with
	// CodeAuthenticationRequired.
	CardChallenge CardBehavior = "challenge"
	// CardChallengeThenDecline: like CardChallenge, but a correct
	// confirmation ends in the card's Decline code.
	CardChallengeThenDecline CardBehavior = "challenge_then_decline"
	// CardNetworkDown: every attempt fails with CodeProcessingError and
	// nothing is charged.
	CardNetworkDown CardBehavior = "network_down"
	// CardNetworkFlaky: the first attempt with an idempotency key fails
	// with CodeProcessingError before reaching the issuer; a retry with the
	// same key succeeds.
	CardNetworkFlaky CardBehavior = "network_flaky"
	// CardResponseLost: the first attempt with an idempotency key charges
	// the card but its answer is lost (CodeProcessingError); a retry with
	// the same key returns that one charge. A retry with a new key would
	// charge again, which is why keys matter.
	CardResponseLost CardBehavior = "response_lost"
)

// TestCard is a card number the card sandbox knows. Any expiry date in the
// future and any security code of the right length work with every test
// card.
type TestCard struct {
	Number   string
	Brand    Brand
	Behavior CardBehavior
	// Decline is the code of CardDeclines and CardChallengeThenDecline.
	Decline Code
}

// SandboxConfirmationCode is the code that passes a test card's challenge.
const SandboxConfirmationCode = "123456"

// testCards is the table documented in the package comment. The numbers are
// the public test numbers card networks and payment providers publish, so
// they are recognisable, and none is a real card.
var testCards = []TestCard{
	{"4242424242424242", BrandVisa, CardSucceeds, ""},
	{"4000056655665556", BrandVisa, CardSucceeds, ""},
	{"5555555555554444", BrandMastercard, CardSucceeds, ""},
	{"2223003122003222", BrandMastercard, CardSucceeds, ""},
	{"378282246310005", BrandAmex, CardSucceeds, ""},
	{"3566002020360505", BrandJCB, CardSucceeds, ""},
	{"6200000000000005", BrandUnionPay, CardSucceeds, ""},
	{"6205500000000000004", BrandUnionPay, CardSucceeds, ""},
	{"4000000000000002", BrandVisa, CardDeclines, CodeCardDeclined},
	{"4000000000009995", BrandVisa, CardDeclines, CodeInsufficientFunds},
	{"4000000000000069", BrandVisa, CardDeclines, CodeExpiredCard},
	{"4000000000000127", BrandVisa, CardDeclines, CodeIncorrectCVC},
	{"6200000000009998", BrandUnionPay, CardDeclines, CodeInsufficientFunds},
	{"4000002760003184", BrandVisa, CardChallenge, ""},
	{"6200000000003223", BrandUnionPay, CardChallenge, ""},
	{"4000008260003178", BrandVisa, CardChallengeThenDecline, CodeInsufficientFunds},
	{"4000000000000119", BrandVisa, CardNetworkDown, ""},
	{"4000000000000093", BrandVisa, CardNetworkFlaky, ""},
	{"4000000000000952", BrandVisa, CardResponseLost, ""},
}

// TestCards returns the card sandbox's test cards (see the package
// comment). Card numbers not in the table are declined with
// CodeCardDeclined once they pass the format checks: the sandbox never
// pretends to charge a real card.
func TestCards() []TestCard { return slices.Clone(testCards) }

// CardSandbox is the card connector used where no card network can be
// reached: development, tests and the test mode of merchant accounts. It
// behaves like a network — it checks numbers, expiry dates and security
// codes, declines, challenges and fails like one, and honours idempotency
// keys — but it keeps its state in memory and moves no money. It is one of
// the few stand-ins in OKPay, because a card network cannot exist here.
//
// Card numbers and security codes are never stored: charges keep the brand,
// last four digits and expiry date, and idempotency records keep a keyed
// digest of the request.
type CardSandbox struct {
	net   *network
	cards map[string]TestCard
}

var _ Charger = (*CardSandbox)(nil)

// NewCardSandbox returns an empty card sandbox.
func NewCardSandbox(cfg SandboxConfig) *CardSandbox {
	s := &CardSandbox{net: newNetwork(cfg, RailCard), cards: make(map[string]TestCard, len(testCards))}
	for _, c := range testCards {
		s.cards[c.Number] = c
	}
	return s
}

// Rail reports RailCard.
func (s *CardSandbox) Rail() Rail { return RailCard }

// Charge implements Charger. Source must be a *Card. Before anything
// reaches the "network" the card is checked, and these refusals bind no
// idempotency key: CodeIncorrectNumber (format or Luhn), CodeCardNotSupported
// (brand), CodeInvalidExpiry, CodeExpiredCard (past expiry, by the
// sandbox's clock), CodeIncorrectCVC (length), CodeInvalidRequest.
func (s *CardSandbox) Charge(ctx context.Context, req ChargeRequest) (Charge, error) {
	if err := start(ctx); err != nil {
		return Charge{}, err
	}
	if err := checkKey(req.IdempotencyKey); err != nil {
		return Charge{}, err
	}
	if err := checkAmount(req.Amount); err != nil {
		return Charge{}, err
	}
	card, ok := req.Source.(*Card)
	if !ok || card == nil {
		return Charge{}, newError(CodeInvalidRequest, "the card connector needs a *Card source")
	}
	n := s.net
	digits, brand, year, verr := checkCard(card, n.cfg.now())
	if verr != nil {
		return Charge{}, verr
	}
	test, known := s.cards[digits]
	if !known {
		test = TestCard{Number: digits, Brand: brand, Behavior: CardDeclines, Decline: CodeCardDeclined}
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	fp := n.fingerprint(req.Amount.Currency.Code, strconv.FormatInt(req.Amount.Minor, 10),
		digits, strconv.Itoa(card.ExpMonth), strconv.Itoa(year), card.CVC,
		req.Description, strconv.FormatBool(req.OffSession))
	key, err := n.bind("charge", req.IdempotencyKey, fp)
	if err != nil {
		return Charge{}, err
	}
	if key.id != "" {
		return n.answer(n.charges[key.id])
	}
	switch test.Behavior {
	case CardNetworkDown:
		return Charge{}, newError(CodeProcessingError, "the card network could not be reached; nothing was charged")
	case CardNetworkFlaky:
		if key.attempts == 1 {
			return Charge{}, newError(CodeProcessingError, "the card network could not be reached")
		}
	}

	c := Charge{
		ID:     newID("ch_"),
		Rail:   RailCard,
		Status: ChargeSucceeded,
		Amount: req.Amount,
		Card: &CardDetails{
			Brand:    brand,
			Last4:    digits[len(digits)-4:],
			ExpMonth: card.ExpMonth,
			ExpYear:  year,
		},
		Created: n.cfg.now(),
	}
	var afterConfirm Code
	switch test.Behavior {
	case CardDeclines:
		c.Status, c.FailureCode = ChargeFailed, test.Decline
	case CardChallenge, CardChallengeThenDecline:
		if req.OffSession {
			c.Status, c.FailureCode = ChargeFailed, CodeAuthenticationRequired
			break
		}
		c.Status = ChargeRequiresAction
		c.Action = &Action{
			Type:      ActionThreeDSecure,
			Challenge: "Sandbox bank: enter the code sent to your phone (" + SandboxConfirmationCode + ") to approve this payment.",
		}
		afterConfirm = test.Decline
	}
	rec := n.record(c, afterConfirm)
	key.id = c.ID
	if test.Behavior == CardResponseLost && key.attempts == 1 {
		return Charge{}, newError(CodeProcessingError, "the connection to the card network was lost")
	}
	return n.answer(rec)
}

// Confirm implements Charger: SandboxConfirmationCode passes the challenge,
// anything else fails the charge with CodeAuthenticationFailed.
func (s *CardSandbox) Confirm(ctx context.Context, chargeID, code string) (Charge, error) {
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
	if rec.charge.Status == ChargeRequiresAction {
		rec.charge.Action = nil
		switch {
		case code != SandboxConfirmationCode:
			rec.charge.Status, rec.charge.FailureCode = ChargeFailed, CodeAuthenticationFailed
		case rec.afterConfirm != "":
			rec.charge.Status, rec.charge.FailureCode = ChargeFailed, rec.afterConfirm
		default:
			rec.charge.Status = ChargeSucceeded
		}
	}
	return n.answer(rec)
}

// LookupCharge implements Charger.
func (s *CardSandbox) LookupCharge(ctx context.Context, chargeID string) (Charge, error) {
	return s.net.lookupCharge(ctx, chargeID)
}

// ChargeByKey implements Charger.
func (s *CardSandbox) ChargeByKey(ctx context.Context, key string) (Charge, error) {
	return s.net.chargeByKey(ctx, key)
}

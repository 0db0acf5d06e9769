package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLuhnValid(t *testing.T) {
	tests := []struct {
		digits string
		want   bool
	}{
		{"4242424242424242", true},
		{"4242424242424241", false},
		{"79927398713", true},
		{"79927398710", false},
		{"0", true},
		{"", false},
		{"42424242x4242424", false},
	}
	for _, tt := range tests {
		if got := LuhnValid(tt.digits); got != tt.want {
			t.Errorf("LuhnValid(%q) = %v, want %v", tt.digits, got, tt.want)
		}
	}
}

func TestDetectBrand(t *testing.T) {
	tests := []struct {
		digits string
		want   Brand
	}{
		{"4242424242424242", BrandVisa},
		{"4222222222222", BrandVisa},
		{"5105105105105100", BrandMastercard},
		{"2720999999999996", BrandMastercard},
		{"2221000000000009", BrandMastercard},
		{"2220990000000000", ""},
		{"378282246310005", BrandAmex},
		{"371449635398431", BrandAmex},
		{"3782822463100050", ""}, // Amex prefix, wrong length
		{"6200000000000005", BrandUnionPay},
		{"6205500000000000004", BrandUnionPay},
		{"3566002020360505", BrandJCB},
		{"3530111333300000", BrandJCB},
		{"6011111111111117", ""}, // Discover
		{"30569309025904", ""},   // Diners
		{"", ""},
	}
	for _, tt := range tests {
		if got := DetectBrand(tt.digits); got != tt.want {
			t.Errorf("DetectBrand(%q) = %q, want %q", tt.digits, got, tt.want)
		}
	}
}

// TestTestCardsDocumented keeps the exported table, the brands and the
// package comment in step.
func TestTestCardsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, c := range TestCards() {
		if seen[c.Number] {
			t.Errorf("%s listed twice", c.Number)
		}
		seen[c.Number] = true
		if !LuhnValid(c.Number) {
			t.Errorf("%s fails the Luhn check", c.Number)
		}
		if got := DetectBrand(c.Number); got != c.Brand {
			t.Errorf("%s: brand %q, table says %q", c.Number, got, c.Brand)
		}
		if !bytes.Contains(doc, []byte(c.Number+" ")) {
			t.Errorf("%s is not in the package comment", c.Number)
		}
		needsCode := c.Behavior == CardDeclines || c.Behavior == CardChallengeThenDecline
		if needsCode != (c.Decline != "") {
			t.Errorf("%s: behaviour %s with decline code %q", c.Number, c.Behavior, c.Decline)
		}
		if needsCode && !bytes.Contains(doc, []byte(string(c.Decline))) {
			t.Errorf("%s: code %s is not in the package comment", c.Number, c.Decline)
		}
	}
	for _, a := range TestWalletAccounts() {
		if !bytes.Contains(doc, []byte(string(a.Account)+" ")) {
			t.Errorf("%s is not in the package comment", a.Account)
		}
	}
	for _, a := range TestBankAccounts() {
		if _, err := ParseIBAN(a.IBAN); err != nil {
			t.Errorf("%s: %v", a.IBAN, err)
		}
		if !bytes.Contains(doc, []byte(a.IBAN+" ")) {
			t.Errorf("%s is not in the package comment", a.IBAN)
		}
	}
}

// validCard returns a card with number that passes every check at t0.
func validCard(number string) *Card {
	cvc := "989"
	if DetectBrand(strings.ReplaceAll(number, " ", "")) == BrandAmex {
		cvc = "9898"
	}
	return &Card{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: cvc}
}

func TestCardSandboxTestCards(t *testing.T) {
	ctx := context.Background()
	for _, tc := range TestCards() {
		t.Run(tc.Number, func(t *testing.T) {
			s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
			req := ChargeRequest{IdempotencyKey: "dep_1", Amount: mustAmount(t, 1050, "CNY"), Source: validCard(tc.Number)}
			c, err := s.Charge(ctx, req)
			switch tc.Behavior {
			case CardSucceeds:
				mustNoErr(t, err)
				want := Charge{ID: c.ID, Rail: RailCard, Status: ChargeSucceeded, Amount: req.Amount,
					Card:    &CardDetails{Brand: tc.Brand, Last4: tc.Number[len(tc.Number)-4:], ExpMonth: 12, ExpYear: 2030},
					Created: t0}
				if diff := cmp.Diff(want, c); diff != "" {
					t.Errorf("charge (-want +got):\n%s", diff)
				}
				if !strings.HasPrefix(c.ID, "ch_") || len(c.ID) != 27 {
					t.Errorf("charge id %q, want ch_ and 24 characters", c.ID)
				}
			case CardDeclines:
				e := mustCode(t, err, tc.Decline)
				if e.ChargeID == "" || e.Retryable() {
					t.Errorf("decline %+v: want a charge id and not retryable", e)
				}
				got, err := s.LookupCharge(ctx, e.ChargeID)
				mustNoErr(t, err)
				if got.Status != ChargeFailed || got.FailureCode != tc.Decline {
					t.Errorf("looked-up decline = %s/%s", got.Status, got.FailureCode)
				}
			case CardChallenge, CardChallengeThenDecline:
				mustNoErr(t, err)
				if c.Status != ChargeRequiresAction || c.Action == nil || c.Action.Type != ActionThreeDSecure || c.Action.Challenge == "" {
					t.Fatalf("charge = %+v, want requires_action with a challenge", c)
				}
			case CardNetworkDown, CardNetworkFlaky, CardResponseLost:
				e := mustCode(t, err, CodeProcessingError)
				if !e.Retryable() || e.ChargeID != "" {
					t.Errorf("network error %+v: want retryable, no charge id", e)
				}
			default:
				t.Fatalf("untested behaviour %s", tc.Behavior)
			}
		})
	}
}

func TestCardSandboxChecks(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	s := NewCardSandbox(SandboxConfig{Now: clk.Now})
	amt := mustAmount(t, 500, "USD")
	tests := []struct {
		name string
		card *Card
		want Code
	}{
		{"luhn", &Card{Number: "4242424242424241", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectNumber},
		{"letters", &Card{Number: "4242-4242-4242-424x", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectNumber},
		{"short", &Card{Number: "42424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectNumber},
		{"too long", &Card{Number: "42424242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectNumber},
		{"empty", &Card{ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectNumber},
		{"discover", &Card{Number: "6011111111111117", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeCardNotSupported},
		{"month 13", &Card{Number: "4242424242424242", ExpMonth: 13, ExpYear: 2030, CVC: "123"}, CodeInvalidExpiry},
		{"month 0", &Card{Number: "4242424242424242", ExpMonth: 0, ExpYear: 2030, CVC: "123"}, CodeInvalidExpiry},
		{"year far ahead", &Card{Number: "4242424242424242", ExpMonth: 1, ExpYear: 2099, CVC: "123"}, CodeInvalidExpiry},
		{"expired last month", &Card{Number: "4242424242424242", ExpMonth: 2, ExpYear: 2026, CVC: "123"}, CodeExpiredCard},
		{"expired long ago", &Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 19, CVC: "123"}, CodeExpiredCard},
		{"cvc short", &Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "12"}, CodeIncorrectCVC},
		{"cvc four on visa", &Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "1234"}, CodeIncorrectCVC},
		{"cvc three on amex", &Card{Number: "378282246310005", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeIncorrectCVC},
		{"cvc letters", &Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "12a"}, CodeIncorrectCVC},
		{"unknown card", &Card{Number: "4111111111111111", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, CodeCardDeclined},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: fmt.Sprint("k", i), Amount: amt, Source: tt.card})
			mustCode(t, err, tt.want)
		})
	}

	t.Run("valid through the end of the expiry month", func(t *testing.T) {
		card := &Card{Number: "4242 4242 4242 4242", ExpMonth: 3, ExpYear: 26, CVC: "123"}
		clk.Set(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC))
		c, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "end-of-month", Amount: amt, Source: card})
		mustNoErr(t, err)
		if c.Card.ExpYear != 2026 || c.Card.ExpMonth != 3 {
			t.Errorf("expiry = %d/%d, want 3/2026", c.Card.ExpMonth, c.Card.ExpYear)
		}
		clk.Set(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		_, err = s.Charge(ctx, ChargeRequest{IdempotencyKey: "next-month", Amount: amt, Source: card})
		mustCode(t, err, CodeExpiredCard)
	})

	t.Run("invalid requests", func(t *testing.T) {
		card := validCard("4242424242424242")
		for name, req := range map[string]ChargeRequest{
			"no key":        {Amount: amt, Source: card},
			"long key":      {IdempotencyKey: strings.Repeat("k", 256), Amount: amt, Source: card},
			"zero amount":   {IdempotencyKey: "z", Amount: mustAmount(t, 0, "USD"), Source: card},
			"negative":      {IdempotencyKey: "n", Amount: mustAmount(t, -1, "USD"), Source: card},
			"no currency":   {IdempotencyKey: "c", Source: card},
			"no source":     {IdempotencyKey: "s", Amount: amt},
			"nil card":      {IdempotencyKey: "s", Amount: amt, Source: (*Card)(nil)},
			"wallet source": {IdempotencyKey: "w", Amount: amt, Source: WalletAccount("alice@wallet.test")},
		} {
			_, err := s.Charge(ctx, req)
			if CodeOf(err) != CodeInvalidRequest {
				t.Errorf("%s: error = %v, want invalid_request", name, err)
			}
		}
	})
}

func TestCardSandboxIdempotency(t *testing.T) {
	ctx := context.Background()
	s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
	amt := mustAmount(t, 1050, "CNY")
	req := ChargeRequest{IdempotencyKey: "dep_42", Amount: amt, Source: validCard("6200000000000005")}

	first, err := s.Charge(ctx, req)
	mustNoErr(t, err)
	again, err := s.Charge(ctx, req)
	mustNoErr(t, err)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("a repeated key gave another answer (-first +again):\n%s", diff)
	}

	other := req
	other.Amount = mustAmount(t, 1051, "CNY")
	_, err = s.Charge(ctx, other)
	if e := mustCode(t, err, CodeIdempotencyConflict); e.Retryable() {
		t.Error("a conflict is not retryable")
	}
	other = req
	other.Source = validCard("4242424242424242")
	_, err = s.Charge(ctx, other)
	mustCode(t, err, CodeIdempotencyConflict)

	t.Run("declines are answered again", func(t *testing.T) {
		req := ChargeRequest{IdempotencyKey: "dep_43", Amount: amt, Source: validCard("4000000000009995")}
		_, err1 := s.Charge(ctx, req)
		_, err2 := s.Charge(ctx, req)
		e1, e2 := mustCode(t, err1, CodeInsufficientFunds), mustCode(t, err2, CodeInsufficientFunds)
		if e1.ChargeID == "" || e1.ChargeID != e2.ChargeID {
			t.Errorf("decline charge ids %q and %q, want one id", e1.ChargeID, e2.ChargeID)
		}
	})

	t.Run("a refusal before the network binds nothing", func(t *testing.T) {
		bad := ChargeRequest{IdempotencyKey: "dep_44", Amount: amt, Source: &Card{Number: "4242424242424241", ExpMonth: 12, ExpYear: 2030, CVC: "123"}}
		_, err := s.Charge(ctx, bad)
		mustCode(t, err, CodeIncorrectNumber)
		fixed := bad
		fixed.Source = validCard("4242424242424242")
		_, err = s.Charge(ctx, fixed)
		mustNoErr(t, err)
	})
}

// chargesRecorded counts the charges the sandbox's network holds.
func chargesRecorded(n *network) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.charges)
}

func TestCardSandboxNetworkErrors(t *testing.T) {
	ctx := context.Background()
	amt := mustAmount(t, 20000, "USD")

	t.Run("down", func(t *testing.T) {
		s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
		req := ChargeRequest{IdempotencyKey: "k", Amount: amt, Source: validCard("4000000000000119")}
		for range 3 {
			_, err := s.Charge(ctx, req)
			mustCode(t, err, CodeProcessingError)
		}
		if n := chargesRecorded(s.net); n != 0 {
			t.Errorf("%d charges recorded, want 0", n)
		}
	})

	t.Run("flaky", func(t *testing.T) {
		s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
		req := ChargeRequest{IdempotencyKey: "k", Amount: amt, Source: validCard("4000000000000093")}
		_, err := s.Charge(ctx, req)
		mustCode(t, err, CodeProcessingError)
		if n := chargesRecorded(s.net); n != 0 {
			t.Errorf("%d charges after the failed attempt, want 0", n)
		}
		c, err := s.Charge(ctx, req)
		mustNoErr(t, err)
		if c.Status != ChargeSucceeded {
			t.Errorf("retry status %s", c.Status)
		}
	})

	t.Run("response lost", func(t *testing.T) {
		s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
		req := ChargeRequest{IdempotencyKey: "k", Amount: amt, Source: validCard("4000000000000952")}
		_, err := s.Charge(ctx, req)
		mustCode(t, err, CodeProcessingError)
		if n := chargesRecorded(s.net); n != 1 {
			t.Fatalf("%d charges after the lost answer, want 1 (the card was charged)", n)
		}
		c1, err := s.Charge(ctx, req)
		mustNoErr(t, err)
		c2, err := s.Charge(ctx, req)
		mustNoErr(t, err)
		if c1.ID != c2.ID || c1.Status != ChargeSucceeded {
			t.Errorf("retries gave %s and %s (%s)", c1.ID, c2.ID, c1.Status)
		}
		if n := chargesRecorded(s.net); n != 1 {
			t.Errorf("%d charges after retries, want 1", n)
		}
		// A new key is a new charge: that is what the key is for.
		req.IdempotencyKey = "k2"
		s.Charge(ctx, req)
		if n := chargesRecorded(s.net); n != 2 {
			t.Errorf("%d charges after a new key, want 2", n)
		}
	})

	t.Run("concurrent retries charge once", func(t *testing.T) {
		s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
		req := ChargeRequest{IdempotencyKey: "k", Amount: amt, Source: validCard("4000000000000952")}
		var wg sync.WaitGroup
		ids := make([]string, 32)
		for i := range ids {
			wg.Go(func() {
				if c, err := s.Charge(ctx, req); err == nil {
					ids[i] = c.ID
				} else if !Retryable(err) {
					t.Errorf("attempt %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		var id string
		for _, got := range ids {
			if got != "" && id != "" && got != id {
				t.Errorf("two charges: %s and %s", id, got)
			}
			if got != "" {
				id = got
			}
		}
		if n := chargesRecorded(s.net); n != 1 {
			t.Errorf("%d charges, want 1", n)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Charge(cctx, ChargeRequest{IdempotencyKey: "k", Amount: amt, Source: validCard("4242424242424242")})
		mustCode(t, err, CodeProcessingError)
		if !errorsIsCanceled(err) {
			t.Errorf("error %v does not wrap context.Canceled", err)
		}
	})
}

func errorsIsCanceled(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Unwrap() == context.Canceled
}

func TestCardSandboxChallenge(t *testing.T) {
	ctx := context.Background()
	s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
	amt := mustAmount(t, 99900, "CNY")
	req := ChargeRequest{IdempotencyKey: "dep_3ds", Amount: amt, Source: validCard("4000002760003184")}

	c, err := s.Charge(ctx, req)
	mustNoErr(t, err)
	if c.Status != ChargeRequiresAction || !strings.Contains(c.Action.Challenge, SandboxConfirmationCode) {
		t.Fatalf("charge = %+v", c)
	}
	done, err := s.Confirm(ctx, c.ID, SandboxConfirmationCode)
	mustNoErr(t, err)
	if done.ID != c.ID || done.Status != ChargeSucceeded || done.Action != nil {
		t.Errorf("confirmed = %+v, want the same charge succeeded", done)
	}
	again, err := s.Confirm(ctx, c.ID, "000000")
	mustNoErr(t, err)
	if again.Status != ChargeSucceeded {
		t.Errorf("a repeated confirmation changed the charge to %s", again.Status)
	}
	replay, err := s.Charge(ctx, req)
	mustNoErr(t, err)
	if replay.ID != c.ID || replay.Status != ChargeSucceeded {
		t.Errorf("replay = %s %s, want %s succeeded", replay.ID, replay.Status, c.ID)
	}

	t.Run("wrong code", func(t *testing.T) {
		c, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "dep_3ds_wrong", Amount: amt, Source: validCard("6200000000003223")})
		mustNoErr(t, err)
		_, err = s.Confirm(ctx, c.ID, "654321")
		if e := mustCode(t, err, CodeAuthenticationFailed); e.ChargeID != c.ID {
			t.Errorf("charge id %q, want %q", e.ChargeID, c.ID)
		}
		_, err = s.Confirm(ctx, c.ID, SandboxConfirmationCode)
		mustCode(t, err, CodeAuthenticationFailed)
		got, err := s.LookupCharge(ctx, c.ID)
		mustNoErr(t, err)
		if got.Status != ChargeFailed || got.FailureCode != CodeAuthenticationFailed {
			t.Errorf("lookup = %s/%s", got.Status, got.FailureCode)
		}
	})

	t.Run("challenge then decline", func(t *testing.T) {
		c, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "dep_3ds_decline", Amount: amt, Source: validCard("4000008260003178")})
		mustNoErr(t, err)
		_, err = s.Confirm(ctx, c.ID, SandboxConfirmationCode)
		mustCode(t, err, CodeInsufficientFunds)
	})

	t.Run("off session", func(t *testing.T) {
		_, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "dep_3ds_off", Amount: amt, Source: validCard("4000002760003184"), OffSession: true})
		mustCode(t, err, CodeAuthenticationRequired)
	})

	t.Run("unknown charge", func(t *testing.T) {
		_, err := s.Confirm(ctx, "ch_nope", SandboxConfirmationCode)
		mustCode(t, err, CodeNotFound)
		_, err = s.LookupCharge(ctx, "ch_nope")
		mustCode(t, err, CodeNotFound)
	})
}

// TestCardSecretsNeverLeak prints, logs and encodes everything a card
// touches and looks for the number and security code.
func TestCardSecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	// The security codes use digits (8, 9) that never occur in the
	// sandbox's base32 ids, so a match can only be a leak.
	const cvc, amexCVC = "989", "9898"
	var out []string
	var logs bytes.Buffer
	// Without the time: its nanoseconds could hold the code by chance.
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})

	numbers := []string{"4000 0000 0000 9995", "4242424242424242", "378282246310005", "4000002760003184",
		"4000000000000952", "4242424242424241", "4111111111111111"}
	for i, number := range numbers {
		card := &Card{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: cvc}
		if DetectBrand(strings.ReplaceAll(number, " ", "")) == BrandAmex {
			card.CVC = amexCVC
		}
		req := ChargeRequest{IdempotencyKey: fmt.Sprint("leak", i), Amount: mustAmount(t, 100, "EUR"), Source: card}
		c, err := s.Charge(ctx, req)
		out = append(out,
			fmt.Sprintf("%v|%+v|%#v|%s", card, card, *card, card),
			fmt.Sprintf("%v|%+v|%#v", req, req, req),
			fmt.Sprintf("%+v|%#v", c, c), fmt.Sprint(err))
		if c.Card != nil {
			out = append(out, fmt.Sprintf("%+v", *c.Card))
		}
		if c.ID != "" {
			confirmed, err := s.Confirm(ctx, c.ID, "wrong")
			out = append(out, fmt.Sprintf("%+v", confirmed), fmt.Sprint(err))
		}
		j, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(j))
		logger.Info("charge", "card", card, "request", req)
	}
	out = append(out, logs.String())
	all := strings.Join(out, "\n")
	for _, number := range numbers {
		digits := strings.ReplaceAll(number, " ", "")
		if strings.Contains(all, digits) || strings.Contains(all, number) || strings.Contains(all, digits[4:12]) {
			t.Errorf("card number %s leaked", number)
		}
	}
	if strings.Contains(all, cvc) {
		t.Errorf("security code leaked:\n%s", all)
	}
	if !strings.Contains(all, "visa ****4242") {
		t.Errorf("the redacted form is missing:\n%s", all)
	}
}

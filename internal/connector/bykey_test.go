package connector

import (
	"context"
	"testing"
)

// TestChargeByKey: a caller that lost the answer (and no longer holds the
// card) learns the charge's outcome by its idempotency key alone.
func TestChargeByKey(t *testing.T) {
	ctx := context.Background()
	s := NewCardSandbox(SandboxConfig{Now: newTestClock().Now})
	card := &Card{Number: "4000000000000952", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	amount := mustAmount(t, 5000, "USD")

	if _, err := s.Charge(ctx, ChargeRequest{IdempotencyKey: "k-lost", Amount: amount, Source: card}); err == nil {
		t.Fatal("the lost-answer card answered the first attempt")
	}
	ch, err := s.ChargeByKey(ctx, "k-lost")
	if err != nil || ch.Status != ChargeSucceeded || ch.Card == nil || ch.Card.Last4 != "0952" {
		t.Fatalf("ChargeByKey after a lost answer = %+v, %v; want the one succeeded charge", ch, err)
	}
	mustCode(t, func() error { _, err := s.ChargeByKey(ctx, "k-never"); return err }(), CodeNotFound)

	declined := &Card{Number: "4000000000000002", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	s.Charge(ctx, ChargeRequest{IdempotencyKey: "k-declined", Amount: amount, Source: declined})
	e := mustCode(t, func() error { _, err := s.ChargeByKey(ctx, "k-declined"); return err }(), CodeCardDeclined)
	if e.ChargeID == "" {
		t.Error("the decline carries no charge id")
	}
	// Refused before the network: nothing is bound to the key.
	bad := &Card{Number: "4242424242424241", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	s.Charge(ctx, ChargeRequest{IdempotencyKey: "k-bad", Amount: amount, Source: bad})
	mustCode(t, func() error { _, err := s.ChargeByKey(ctx, "k-bad"); return err }(), CodeNotFound)
}

// Package adapt fits the platform's other parts to the small interfaces
// internal/wallet declares: the fee schedule as wallet.Fees, stored
// exchange rates as wallet.Rates, and a payment connector as a
// wallet.Rail. cmd/okpay wires them; tests use the same adapters.
package adapt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Fees is wallet.Fees over the published fee schedule.
func Fees(s *fees.Schedule) wallet.Fees { return scheduleFees{s} }

// Rates is wallet.Rates over the stored exchange rates.
func Rates(s *fx.Service) wallet.Rates { return fxRates{s} }

// Rail is wallet.Rail over a connector.
func Rail(c connector.Charger) wallet.Rail { return chargerRail{c} }

// scheduleFees is wallet.Fees over the published fee schedule.
type scheduleFees struct{ s *fees.Schedule }

func (f scheduleFees) Quote(kind string, amount money.Amount, monthlyVolumeUSD int64) (money.Amount, error) {
	q, err := f.s.Quote(fees.Kind(kind), amount, monthlyVolumeUSD)
	if err != nil {
		return money.Amount{}, err
	}
	return q.Fee, nil
}

// fxRates is wallet.Rates over the stored exchange rates.
type fxRates struct{ s *fx.Service }

func (r fxRates) Convert(ctx context.Context, a money.Amount, to money.Currency, at time.Time) (money.Amount, error) {
	out, _, err := r.s.Convert(ctx, a, to, at)
	return out, err
}

// chargerRail is wallet.Rail over a connector: a decline is a failed
// charge with the connector's code; a network error leaves the outcome
// unknown (an error), for the wallet to ask again by the same key.
type chargerRail struct{ c connector.Charger }

func (r chargerRail) Charge(ctx context.Context, req wallet.ChargeRequest) (wallet.ChargeResult, error) {
	if req.Source == nil {
		// The answer was lost: ask by the key alone.
		return chargeResult(r.c.ChargeByKey(ctx, req.IdempotencyKey))
	}
	src, ok := req.Source.(connector.Source)
	if !ok {
		return wallet.ChargeResult{}, fmt.Errorf("charge: source %T is not a connector source", req.Source)
	}
	return chargeResult(r.c.Charge(ctx, connector.ChargeRequest{IdempotencyKey: req.IdempotencyKey, Amount: req.Amount, Source: src}))
}

func (r chargerRail) Confirm(ctx context.Context, chargeID, code string) (wallet.ChargeResult, error) {
	return chargeResult(r.c.Confirm(ctx, chargeID, code))
}

func chargeResult(ch connector.Charge, err error) (wallet.ChargeResult, error) {
	if err != nil {
		var ce *connector.Error
		if errors.As(err, &ce) && !ce.Retryable() && ce.Code != connector.CodeNotFound {
			return wallet.ChargeResult{ID: ce.ChargeID, Status: wallet.ChargeFailed, DeclineCode: string(ce.Code)}, nil
		}
		return wallet.ChargeResult{}, err
	}
	res := wallet.ChargeResult{ID: ch.ID, Status: wallet.ChargeStatus(ch.Status), DeclineCode: string(ch.FailureCode)}
	switch {
	case ch.Card != nil:
		res.Display = brandName(ch.Card.Brand) + " •••• " + ch.Card.Last4
	case ch.Account != "":
		res.Display = string(ch.Account)
	}
	return res, nil
}

func brandName(b connector.Brand) string {
	switch b {
	case connector.BrandVisa:
		return "Visa"
	case connector.BrandMastercard:
		return "Mastercard"
	case connector.BrandAmex:
		return "American Express"
	case connector.BrandUnionPay:
		return "UnionPay"
	case connector.BrandJCB:
		return "JCB"
	}
	return strings.ToUpper(string(b))
}

// Package adapt fits the platform's other parts to the small interfaces
// internal/wallet declares: the fee schedule as wallet.Fees, stored
// exchange rates as wallet.Rates, and a payment connector as a
// wallet.Rail, and a payout connector as a wallet.PayoutRail. cmd/okpay
// wires them; tests use the same adapters.
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

// Payer is wallet.PayoutRail over a connector: a refusal (a closed or
// malformed account) is a failed payout with the connector's code; a
// network error leaves the outcome unknown (an error), for the wallet to
// ask again by the same key.
func Payer(p connector.Payer) wallet.PayoutRail { return payerRail{p} }

type payerRail struct{ p connector.Payer }

func (r payerRail) Payout(ctx context.Context, req wallet.PayoutRequest) (wallet.PayoutResult, error) {
	var dest connector.Destination
	switch req.Destination.Method {
	case wallet.MethodBank:
		dest = connector.BankAccount{IBAN: req.Destination.Account, Name: req.Destination.Holder}
	case wallet.MethodEWallet:
		dest = connector.WalletAccount(req.Destination.Account)
	default:
		return wallet.PayoutResult{}, fmt.Errorf("payout: no destination of method %q", req.Destination.Method)
	}
	p, err := r.p.Payout(ctx, connector.PayoutRequest{IdempotencyKey: req.Key, Amount: req.Amount,
		Destination: dest, Description: req.Description})
	if err != nil {
		var ce *connector.Error
		if errors.As(err, &ce) && !ce.Retryable() {
			return wallet.PayoutResult{ID: ce.PayoutID, State: wallet.PayoutFailed, Code: string(ce.Code)}, nil
		}
		return wallet.PayoutResult{}, err
	}
	return payoutResult(p), nil
}

func (r payerRail) PayoutStatus(ctx context.Context, key, payoutID string) (wallet.PayoutResult, error) {
	if payoutID == "" {
		return wallet.PayoutResult{State: wallet.PayoutUnknown}, nil
	}
	p, err := r.p.PayoutStatus(ctx, payoutID)
	if connector.CodeOf(err) == connector.CodeNotFound {
		return wallet.PayoutResult{State: wallet.PayoutUnknown}, nil
	}
	if err != nil {
		return wallet.PayoutResult{}, err
	}
	return payoutResult(p), nil
}

func (r payerRail) CancelPayout(ctx context.Context, key string) (wallet.PayoutResult, error) {
	p, err := r.p.CancelPayout(ctx, key)
	var ce *connector.Error
	if errors.As(err, &ce) && ce.Code == connector.CodePayoutNotCancelable {
		// Settled already: answer with how.
		if p, err = r.p.PayoutStatus(ctx, ce.PayoutID); err != nil {
			return wallet.PayoutResult{}, err
		}
		return payoutResult(p), nil
	}
	if err != nil {
		return wallet.PayoutResult{}, err
	}
	return payoutResult(p), nil
}

func payoutResult(p connector.Payout) wallet.PayoutResult {
	res := wallet.PayoutResult{ID: p.ID, ExpectedAt: p.ExpectedAt, Code: string(p.FailureCode)}
	switch p.Status {
	case connector.PayoutPending:
		res.State = wallet.PayoutPending
	case connector.PayoutPaid:
		res.State = wallet.PayoutPaid
	case connector.PayoutFailed:
		res.State = wallet.PayoutFailed
	case connector.PayoutReturned:
		res.State = wallet.PayoutReturned
	case connector.PayoutCanceled:
		res.State = wallet.PayoutCanceled
	default:
		res.State = wallet.PayoutUnknown
	}
	return res
}

package support

import (
	"context"
	"time"
)

// CustomerContext is what the console shows beside a ticket: who the
// customer is and what state their account is in. Providers fill in the
// parts they know; a part nobody provided stays empty and the console
// says so.
type CustomerContext struct {
	UserID      int64
	Email       string
	Status      string // account status ("active", "disabled")
	Locked      bool
	LockedUntil time.Time
	LockReason  string
	TwoFactor   bool
	Recent      []TxnSummary // recent movements, newest first
	Failed      []TxnSummary // recent failed movements

	// Slots other packages fill at merge: identity verification (kyc)
	// and open risk holds or reports (risk). Provided* says whether any
	// provider answered, so the console can tell "none" from "unknown".
	Verification         string
	VerificationProvided bool
	Risk                 []RiskCase
	RiskProvided         bool
}

// RiskCase is one open risk matter: a freeze of outgoing payments, a
// payment held for review, or a "not my transaction" report.
type RiskCase struct {
	Kind      string   // "freeze", "hold" or "report"
	Reference string   // the movement, when there is one
	Amount    string   // formatted with currency, when there is one
	Reasons   []string // the rule codes that held it (holds)
	Detail    string   // the customer's words (reports)
	At        time.Time
}

// TxnSummary is one movement as the console lists it.
type TxnSummary struct {
	Reference string
	Kind      string
	Amount    string // formatted with currency
	Status    string
	At        time.Time
}

// ContextProvider fills in what it knows of a customer.
type ContextProvider interface {
	FillContext(ctx context.Context, userID int64, c *CustomerContext) error
}

// Providers is a ContextProvider asking each in turn.
type Providers []ContextProvider

// FillContext asks every provider; the first error stops.
func (ps Providers) FillContext(ctx context.Context, userID int64, c *CustomerContext) error {
	for _, p := range ps {
		if p == nil {
			continue
		}
		if err := p.FillContext(ctx, userID, c); err != nil {
			return err
		}
	}
	return nil
}

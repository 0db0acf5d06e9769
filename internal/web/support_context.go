package web

import (
	"context"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/wallet"
)

// SupportContext is the console's customer context from the accounts
// and the wallet: account state and lock reason, two-factor on or off,
// recent and failed movements. Verification level (kyc) and risk holds
// (risk) are other providers, added to support.Providers beside it.
type SupportContext struct {
	Auth      *auth.Service
	TwoFactor *twofactor.Service
	Wallet    *wallet.Service
	Risk      *risk.Service
	KYC       *kyc.Service
}

// FillContext implements support.ContextProvider.
func (p SupportContext) FillContext(ctx context.Context, userID int64, c *support.CustomerContext) error {
	if p.Auth != nil {
		u, err := p.Auth.User(ctx, userID)
		if err != nil {
			return err
		}
		c.Email, c.Status = u.Email, string(u.Status)
		st, err := p.Auth.LockState(ctx, userID)
		if err != nil {
			return err
		}
		c.Locked, c.LockedUntil, c.LockReason = st.Locked, st.Until, string(st.Reason)
	}
	if p.TwoFactor != nil {
		on, err := p.TwoFactor.Enabled(ctx, userID)
		if err != nil {
			return err
		}
		c.TwoFactor = on
	}
	if p.Wallet != nil {
		pg, err := p.Wallet.History(ctx, wallet.History{UserID: userID, Limit: 10})
		if err != nil {
			return err
		}
		for _, m := range pg.Movements {
			c.Recent = append(c.Recent, summary(m))
		}
		pg, err = p.Wallet.History(ctx, wallet.History{UserID: userID, Limit: 5, Statuses: []wallet.Status{wallet.StatusFailed}})
		if err != nil {
			return err
		}
		for _, m := range pg.Movements {
			c.Failed = append(c.Failed, summary(m))
		}
	}
	if p.KYC != nil {
		lv, err := p.KYC.Level(ctx, userID)
		if err != nil {
			return err
		}
		c.Verification, c.VerificationProvided = string(lv), true
	}
	if p.Risk != nil {
		open, err := p.Risk.OpenCases(ctx, userID)
		if err != nil {
			return err
		}
		c.RiskProvided = true
		for _, f := range open.Freezes {
			c.Risk = append(c.Risk, support.RiskCase{Kind: "freeze", At: f.Since})
		}
		for _, k := range append(open.Holds, open.Reports...) {
			rc := support.RiskCase{Kind: string(k.Kind), Reference: k.MovementID, At: k.CreatedAt, Reasons: k.Reasons, Detail: k.Words}
			if k.Amount.Minor != 0 {
				rc.Amount = money.Format(k.Amount, "en")
			}
			c.Risk = append(c.Risk, rc)
		}
	}
	return nil
}

func summary(m wallet.Movement) support.TxnSummary {
	return support.TxnSummary{Reference: m.ID, Kind: string(m.Type), Amount: money.Format(m.Amount, "en"), Status: string(m.Status), At: m.CreatedAt}
}

// SupportAccounts gives the desk the account actions of auth.
type SupportAccounts struct{ Auth *auth.Service }

// Unlock implements support.Accounts.
func (a SupportAccounts) Unlock(ctx context.Context, userID int64, by auth.Actor, reason, ip, ua string) error {
	return a.Auth.Unlock(ctx, userID, by, reason, ip, ua)
}

// SendReset implements support.Accounts.
func (a SupportAccounts) SendReset(ctx context.Context, email, ip, ua string) error {
	return a.Auth.RequestReset(ctx, auth.ResetRequest{Email: email, IP: ip, UserAgent: ua})
}

// SupportRefs checks complaint references against the user's movements.
func SupportRefs(w *wallet.Service) support.RefChecker {
	return func(ctx context.Context, userID int64, ref string) (bool, error) {
		if !wallet.ValidMovementID(ref) {
			return false, nil
		}
		_, err := w.Movement(ctx, userID, ref)
		if err != nil {
			return false, nil
		}
		return true, nil
	}
}

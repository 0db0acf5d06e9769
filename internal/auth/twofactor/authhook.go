package twofactor

import (
	"context"
	"errors"

	"github.com/okpay/okpay/internal/auth"
)

// ResetAction is the action a step-up must approve to set a new password
// through a reset link.
var ResetAction = Action{Name: auth.PurposeResetApproval}

// AuthHook returns auth's SecondFactor backed by this service. txOf gives
// this package's view of auth's transaction (sqlstore's DB.TwoFactorTx),
// so the proof is spent in the same transaction as the sign-in or the
// password change it approves. The proof is a StepUpToken from Verify on a
// challenge begun for Login (sign-in) or ResetAction (password reset).
func (s *Service) AuthHook(txOf func(auth.Tx) Tx) auth.SecondFactor {
	return authHook{s: s, txOf: txOf}
}

type authHook struct {
	s    *Service
	txOf func(auth.Tx) Tx
}

func (h authHook) Enabled(ctx context.Context, tx auth.Tx, userID int64) (bool, error) {
	r, err := h.txOf(tx).TOTP(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && r.Enabled, err
}

func (h authHook) Approve(ctx context.Context, tx auth.Tx, userID int64, purpose, proof string) error {
	return h.s.useStepUp(ctx, h.txOf(tx), userID, proof, Action{Name: purpose})
}

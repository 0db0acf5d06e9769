package auth

import (
	"context"
	"errors"
	"time"
)

// DeviceFirstSeen returns when userID first signed in with the device
// cookie token (for the suspicious-activity rules, which treat a browser
// first seen recently as a new device). found is false when the cookie is
// unknown, another user's, or past DeviceTTL.
func (s *Service) DeviceFirstSeen(ctx context.Context, userID int64, token string) (time.Time, bool, error) {
	if !validTokenShape(token) {
		return time.Time{}, false, nil
	}
	var d Device
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		d, err = tx.Device(ctx, hashToken(token))
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if d.UserID != userID || s.nowUTC().Sub(d.LastUsedAt) >= s.cfg.DeviceTTL {
		return time.Time{}, false, nil
	}
	return d.CreatedAt, true, nil
}

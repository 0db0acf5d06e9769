package mail

import (
	"context"
	"time"
)

// BounceStore is what recording a bounce needs; sqlstore implements it
// (DB.Mail).
type BounceStore interface {
	// MailIDByMessageID returns the id of the outbox message with the
	// Message-ID (without angle brackets). Errors: ErrNotFound.
	MailIDByMessageID(ctx context.Context, messageID string) (int64, error)
	// MarkBounced marks the message failed with reason, whatever its
	// status but failed (a bounce arrives after the relay accepted it),
	// and reports whether it changed anything: a second bounce for the
	// same message changes nothing. Errors: ErrNotFound.
	MarkBounced(ctx context.Context, id int64, reason string, at time.Time) (bool, error)
}

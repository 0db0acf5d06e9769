package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/webhook"
)

// Webhook settings read from the environment.
const (
	// envWebhookAllowPrivate=1 lets endpoints be loopback or private
	// addresses (a shop under test on the same machine); development only.
	envWebhookAllowPrivate = "OKPAY_WEBHOOK_ALLOW_PRIVATE"
	// envWebhookOverlap is how long a rotated-out secret keeps signing by
	// default: a Go duration, 24h when unset.
	envWebhookOverlap = "OKPAY_WEBHOOK_SECRET_OVERLAP"
)

// newWebhooks builds the webhook service: endpoints, events and the
// delivery job (register it on the runner). Endpoint secrets are sealed
// under the master key.
func newWebhooks(cfg config.Config, getenv func(string) string, log *slog.Logger, db *sqlstore.DB) (*webhook.Service, error) {
	box, err := secretbox.New(cfg.MasterKey, "webhook")
	if err != nil {
		return nil, err
	}
	o := webhook.Options{Store: db.Webhooks(), Box: box, Now: cfg.Now, Logger: log}
	switch v := strings.TrimSpace(getenv(envWebhookAllowPrivate)); v {
	case "", "0", "false":
	case "1", "true":
		if cfg.Env != config.Development {
			return nil, fmt.Errorf("%s=%s is for development only: production delivers to public addresses only", envWebhookAllowPrivate, v)
		}
		o.AllowPrivateNetworks = true
		log.Warn("webhooks may be delivered to loopback and private addresses", "env", envWebhookAllowPrivate)
	default:
		return nil, fmt.Errorf("%s must be 1 or 0 (got %q)", envWebhookAllowPrivate, v)
	}
	if v := strings.TrimSpace(getenv(envWebhookOverlap)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > webhook.MaxOverlap {
			return nil, fmt.Errorf("%s must be a duration from 1s to %s, e.g. 24h (got %q)", envWebhookOverlap, webhook.MaxOverlap, v)
		}
		o.RotationOverlap = d
	}
	return webhook.New(o)
}

// webhookMembers lets a merchant's team reach its webhook pages: owners
// and developers change endpoints, viewers read the log.
type webhookMembers struct{ m *merchant.Service }

// WebhookAccess implements web.WebhookMerchants.
func (w webhookMembers) WebhookAccess(ctx context.Context, userID int64, merchantID string) (bool, error) {
	a, err := w.m.Access(ctx, userID, merchantID, merchant.Test)
	if errors.Is(err, merchant.ErrNotFound) {
		return false, web.ErrNoMerchant
	}
	if err != nil {
		return false, err
	}
	return a.Role.CanMoveMoney(), nil
}

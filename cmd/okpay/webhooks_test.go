package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
)

func TestNewWebhooksSettings(t *testing.T) {
	db := sqltest.NewDB(t, sqlstore.SQLite, "okpaycmd", nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dev := config.Default()
	dev.MasterKey = bytes.Repeat([]byte{1}, 32)
	prod := dev
	prod.Env = config.Production
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tt := range []struct {
		name    string
		cfg     config.Config
		getenv  func(string) string
		wantErr string
	}{
		{"production refuses private addresses", prod, env(envWebhookAllowPrivate, "1"), "development only"},
		{"bad flag", dev, env(envWebhookAllowPrivate, "yes"), "must be 1 or 0"},
		{"bad overlap", dev, env(envWebhookOverlap, "a day"), "duration"},
		{"overlap too long", dev, env(envWebhookOverlap, "200h"), "duration"},
	} {
		if _, err := newWebhooks(tt.cfg, tt.getenv, log, db); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.wantErr)
		}
	}

	ctx := context.Background()
	owner := webhook.Owner{Merchant: "mch_1", Mode: webhook.ModeTest}
	in := webhook.EndpointInput{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}}
	strict, err := newWebhooks(dev, env(), log, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := strict.CreateEndpoint(ctx, owner, in); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Errorf("loopback endpoint without %s: %v, want ErrForbiddenAddress", envWebhookAllowPrivate, err)
	}
	open, err := newWebhooks(dev, env(envWebhookAllowPrivate, "1", envWebhookOverlap, "2h"), log, db)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := open.CreateEndpoint(ctx, owner, in)
	if err != nil {
		t.Fatalf("loopback endpoint with %s=1 in development: %v", envWebhookAllowPrivate, err)
	}
	if e, _, err = open.RotateSecret(ctx, owner, e.ID, -1); err != nil || e.PreviousUntil.Sub(e.UpdatedAt).Hours() != 2 {
		t.Errorf("rotation with the configured overlap: until %s (updated %s), %v; want 2h", e.PreviousUntil, e.UpdatedAt, err)
	}
}

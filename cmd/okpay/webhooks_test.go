package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
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

// TestServeDeliversWebhooks: an event recorded in the database (as the
// merchant code does, in its transaction) is delivered, signed with the
// endpoint's secret, by the jobs runner of a running `okpay serve`.
func TestServeDeliversWebhooks(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		got := make(chan *http.Request, 4)
		bodies := make(chan []byte, 4)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- r
			bodies <- b
		}))
		defer rcv.Close()
		data := t.TempDir()
		env = append(env, "OKPAY_MASTER_KEY="+testKey, envWebhookAllowPrivate+"=1")
		n := startServe(t, env, "--data", data)
		defer n.stop()

		opts := sqlstore.Options{DataDir: data}
		for _, kv := range env {
			if u, ok := strings.CutPrefix(kv, "OKPAY_DATABASE_URL="); ok {
				opts.URL = u
			}
		}
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		cfg := config.Default()
		if cfg.MasterKey, err = config.ParseMasterKey(testKey); err != nil {
			t.Fatal(err)
		}
		hooks, err := newWebhooks(cfg, func(k string) string {
			if k == envWebhookAllowPrivate {
				return "1"
			}
			return ""
		}, slog.New(slog.NewTextHandler(io.Discard, nil)), db)
		if err != nil {
			t.Fatal(err)
		}
		owner := webhook.Owner{Merchant: "mch_1", Mode: webhook.ModeTest}
		_, secret, err := hooks.CreateEndpoint(ctx, owner, webhook.EndpointInput{URL: rcv.URL + "/okpay", Events: []string{"refund.created"}})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := webhook.NewEvent(owner, "refund.created", map[string]any{"id": "re_1", "amount": 300}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx sqlstore.Tx) error { return db.EventRecorder(tx).Record(ctx, ev) }); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-got:
			body := <-bodies
			delivered, err := okwebhook.Verify(body, r.Header.Get(okwebhook.SignatureHeader), []string{secret}, time.Minute, time.Now())
			if err != nil || delivered.ID != ev.ID {
				t.Errorf("delivered %s: %v", delivered.ID, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no delivery within 30 s; serve output:\n%s", n.output)
		}
	})
}

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
)

// TestMerchantCreate: `okpay merchant create` opens a merchant owned by
// the account with that email, creating the account the first time and
// reusing it the next; bad input exits non-zero and creates nothing.
func TestMerchantCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		var ids, secrets []string
		for _, name := range []string{"Tea House", "Noodle Bar"} {
			r := okpay(t, env, "merchant", "create", "--data", data, "--owner", "Boss@Example.com", "--name", name)
			if r.code != 0 {
				t.Fatalf("okpay merchant create exited %d\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			id, secret := lines[0], lines[len(lines)-1]
			if !merchant.ValidID(merchant.PrefixMerchant, id) || !strings.HasPrefix(secret, "sk_test_") {
				t.Fatalf("printed %q, want a merchant id first and a test secret key last", r.stdout)
			}
			ids, secrets = append(ids, id), append(secrets, secret)
		}
		if r := okpay(t, env, "merchant", "create", "--data", data, "--owner", "boss@example.com", "--name", "X", "--currency", "XXX"); r.code == 0 {
			t.Errorf("an unknown currency was accepted: %s", r.stdout)
		}
		opts := sqlstore.Options{DataDir: data}
		for _, kv := range env {
			if u, ok := strings.CutPrefix(kv, "OKPAY_DATABASE_URL="); ok {
				opts.URL = u
			}
		}
		db, err := sqlstore.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		uid, err := db.MerchantDirectory().UserByEmail(context.Background(), "boss@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := db.Merchant().Memberships(context.Background(), uid)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].Merchant.ID != ids[0] || ms[1].Merchant.ID != ids[1] || ms[0].Role != merchant.Owner || ms[1].Merchant.Name != "Noodle Bar" {
			t.Errorf("memberships = %+v, want owner of %v", ms, ids)
		}
		// Each printed key is its merchant's test-mode secret key.
		keys := apikey.New(apikey.Options{Store: db.APIKeys()})
		for i, s := range secrets {
			k, err := keys.Authenticate(context.Background(), s)
			if err != nil || k.Owner != (apikey.Owner{Kind: apikey.OwnerMerchant, ID: ids[i]}) || k.Mode != apikey.Test || k.Kind != apikey.Secret {
				t.Errorf("key %d: %+v, %v; want merchant %s's test secret key", i, k, err, ids[i])
			}
		}
	})
}

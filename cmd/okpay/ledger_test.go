package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/sqlstore"
)

// TestBenchThenVerify runs `okpay bench ledger --json` in both modes, checks
// the fields scripts rely on, then `okpay ledger verify` on the database the
// benchmark left; then it breaks one balance behind the ledger's back and
// verify must fail, naming the account.
func TestBenchThenVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		for _, mode := range []string{"batched", "naive"} {
			r := okpay(t, env, "--data", data, "bench", "ledger", "--json", "--mode", mode,
				"--transfers", "300", "--accounts", "10", "--concurrency", "8", "--hot", "0.9")
			if r.code != 0 {
				t.Fatalf("bench %s exited %d\nstdout:\n%s\nstderr:\n%s", mode, r.code, r.stdout, r.stderr)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("bench --json printed %q: %v", r.stdout, err)
			}
			for _, k := range []string{"transfers", "failed", "seconds", "transfers_per_sec", "p50_ms", "p99_ms"} {
				if _, ok := out[k]; !ok {
					t.Errorf("bench --json output lacks %q: %s", k, r.stdout)
				}
			}
			if out["transfers"] != float64(300) || out["failed"] != float64(0) || out["mode"] != mode {
				t.Errorf("bench --json = %s, want 300 transfers, 0 failed, mode %s", r.stdout, mode)
			}
		}
		r := okpay(t, env, "--data", data, "ledger", "verify")
		if r.code != 0 || !strings.Contains(r.stdout, "ledger ok") {
			t.Fatalf("verify after bench: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}

		// Tamper: credit one wallet without a journal entry.
		url := ""
		for _, kv := range env {
			url, _ = strings.CutPrefix(kv, "OKPAY_DATABASE_URL=")
		}
		db, err := sqlstore.Open(context.Background(), sqlstore.Options{URL: url, DataDir: data})
		if err != nil {
			t.Fatal(err)
		}
		var ref string
		if err := db.Read().QueryRow(context.Background(), "SELECT ref FROM ledger_accounts ORDER BY id DESC LIMIT 1").Scan(&ref); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write().Exec(context.Background(), "UPDATE ledger_balances SET credits_posted = credits_posted + 1 WHERE account_id = (SELECT id FROM ledger_accounts WHERE ref = $1)", ref); err != nil {
			t.Fatal(err)
		}
		db.Close()
		r = okpay(t, env, "--data", data, "ledger", "verify")
		if r.code != 1 || !strings.Contains(r.stdout, "does NOT balance") || !strings.Contains(r.stdout, ref) ||
			!strings.Contains(r.stdout, "credits_posted") || !strings.Contains(r.stdout, "posted debits") {
			t.Errorf("verify after tampering: exit %d, stdout:\n%s\nwant exit 1 naming %s, credits_posted and the currency imbalance", r.code, r.stdout, ref)
		}
	})
}

func TestBenchRejectsBadFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d")
	for _, args := range [][]string{
		{"--data", data, "bench", "ledger", "--mode", "fast"},
		{"--data", data, "bench", "ledger", "--hot", "1.5"},
		{"--data", data, "bench", "ledger", "--accounts", "1"},
		{"--data", data, "bench", "ledger", "--transfers", "0"},
		// No scratch database named: refused rather than writing into the
		// default ./okpay-data.
		{"bench", "ledger"},
	} {
		r := okpay(t, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "--") {
			t.Errorf("okpay %v: exit %d, stderr %q; want exit 2 naming the flag", args, r.code, r.stderr)
		}
	}
}

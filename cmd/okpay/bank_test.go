package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
)

// sharedCamt053 is the directory of the shared sample statements, or a
// loud skip.
func sharedCamt053(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "camt053"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("SKIPPING: shared test data %s is missing (expected the shared/ directory beside the repository)", dir)
	}
	return dir
}

// freshTarget is an empty database of the engine env selects (nil:
// SQLite): the environment and the --data directory to run okpay with.
func freshTarget(t *testing.T, env []string) ([]string, string) {
	t.Helper()
	data := t.TempDir()
	if env == nil {
		return nil, data
	}
	return []string{"OKPAY_DATABASE_URL=" + freshPostgres(t)}, data
}

// openTarget opens the database okpay used, for the test to look into.
func openTarget(t *testing.T, env []string, data string) *sqlstore.DB {
	t.Helper()
	url := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "OKPAY_DATABASE_URL="); ok {
			url = v
		}
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{URL: url, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func linesOf(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func withPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// Every sample statement imports; its credit, which carries no deposit
// reference, goes to suspense and is listed for staff; importing it again
// moves nothing. The file that is wrong on purpose is refused, naming the
// file and the line.
func TestImportBankStatementSamples(t *testing.T) {
	dir := sharedCamt053(t)
	samples := []struct {
		file                  string
		statements, debits    int
		unbalanced            bool
		counterparty, remitts string
	}{
		{"camt053.v2.all-balance-types.xml", 1, 0, true, "", `"Transaction Description"`},
		{"camt053.v2.five.decimals.xml", 1, 0, true, "", `"Transaction Description"`},
		{"camt053.v2.minimal.xml", 1, 0, true, "from NAME NAME", `""`},
		{"camt053.v2.minimal.ultimate.xml", 1, 0, true, "from DEBTOR NAME NM", `""`},
		{"camt053.v2.multi.statement.xml", 2, 1, false, "", `"Transaction Description 1"`},
		{"camt053.v2.with-account-name.xml", 1, 0, true, "", `""`},
		{"camt053.v2.with-party-ids.xml", 1, 0, true, "from NAME NAME", `""`},
		{"camt053.v3.xml", 1, 0, true, "from NAME NAME", `""`},
		{"camt053.v4.xml", 1, 0, true, "from NAME NAME", `""`},
		{"camt053.v8.xml", 1, 0, true, "from NAME NAME", `""`},
	}
	eachEngine(t, func(t *testing.T, engine []string) {
		for _, s := range samples {
			t.Run(s.file, func(t *testing.T) {
				env, data := freshTarget(t, engine)
				path := filepath.Join(dir, s.file)
				head := fmt.Sprintf("%s: %d %s, %d %s: ", path, s.statements, plural(s.statements, "statement", "statements"),
					1+s.debits, plural(1+s.debits, "entry", "entries"))

				r := okpay(t, env, "--data", data, "import", "bank-statement", path)
				out := linesOf(r.stdout)
				want := head + fmt.Sprintf("0 credited, 1 to suspense, 0 not enabled, 0 already imported, %d skipped", s.debits)
				if r.code != 0 || out[0] != want {
					t.Fatalf("first import: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0 and first line %q", r.code, r.stdout, r.stderr, want)
				}
				un := withPrefix(out, "unmatched: ")
				if len(un) != 1 || !strings.Contains(un[0], " 8.85 EUR booked 2014-12-31 ") || !strings.Contains(un[0], s.counterparty) ||
					!strings.Contains(un[0], ": no_reference; remittance "+s.remitts) {
					t.Errorf("unmatched lines %q, want the 8.85 EUR credit without a reference %s", un, s.counterparty)
				}
				if got := len(withPrefix(out, "warning: statement ")) > 0 && strings.Contains(r.stdout, "does not add up"); got != s.unbalanced {
					t.Errorf("warned that the statement does not add up: %v, want %v; stdout:\n%s", got, s.unbalanced, r.stdout)
				}

				r = okpay(t, env, "--data", data, "import", "bank-statement", path)
				out = linesOf(r.stdout)
				want = head + fmt.Sprintf("0 credited, 0 to suspense, 0 not enabled, 1 already imported, %d skipped", s.debits)
				if r.code != 0 || out[0] != want || len(withPrefix(out, "unmatched: ")) != 0 {
					t.Errorf("second import: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0, first line %q and nothing unmatched",
						r.code, r.stdout, r.stderr, want)
				}
				if r := okpay(t, env, "--data", data, "ledger", "verify"); r.code != 0 {
					t.Errorf("ledger verify after the imports: exit %d\n%s", r.code, r.stdout)
				}
			})
		}

		env, data := freshTarget(t, engine)
		wrong := filepath.Join(dir, "camt053.v2.wrong.xml")
		for _, sub := range [][]string{{"import", "bank-statement"}, {"reconcile"}} {
			r := okpay(t, env, append(append([]string{"--data", data}, sub...), wrong)...)
			want := wrong + ":3: BkToCstmrStmt: connector: malformed statement: no Stmt element"
			if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
				t.Errorf("okpay %s on the wrong file: exit %d, stdout %q, stderr %q; want exit 1 and %q",
					strings.Join(sub, " "), r.code, r.stdout, r.stderr, want)
			}
		}
		missing := filepath.Join(t.TempDir(), "nope.xml")
		if r := okpay(t, env, "--data", data, "import", "bank-statement", missing); r.code != 1 || !strings.Contains(r.stderr, missing) {
			t.Errorf("missing file: exit %d, stderr %q; want exit 1 naming it", r.code, r.stderr)
		}
	})
}

// A deposit whose transfer carries the customer's reference is credited
// to their wallet; reconcile agrees with the statement that was imported
// and lists what another statement says differently.
func TestImportBankStatementCredits(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		if r := okpay(t, env, "--data", data, "migrate"); r.code != 0 {
			t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
		}
		// A customer with a deposit reference, as the deposit page gives.
		ctx := context.Background()
		db := openTarget(t, env, data)
		wid, ref := wallet.NewWalletID(), connector.NewReference()
		if err := db.Wallet().InBankTx(ctx, func(tx wallet.BankTx) error {
			if err := tx.InsertWallet(ctx, wallet.Wallet{ID: wid, UserID: 1, CreatedAt: db.Now()}); err != nil {
				return err
			}
			return tx.InsertBankReference(ctx, wallet.BankReference{Reference: ref, WalletID: wid, Currency: "EUR", CreatedAt: db.Now()})
		}); err != nil {
			t.Fatal(err)
		}

		dir := t.TempDir()
		write := func(name string, rows ...string) string {
			t.Helper()
			p := filepath.Join(dir, name)
			body := connector.CSVHeader() + "\n" + strings.Join(rows, "\n") + "\n"
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		acct := wallet.SandboxBankAccount.IBAN
		row := func(record, stmt, amount, cd, entryRef, remittance string) string {
			return strings.Join([]string{record, stmt, acct, "2026-11-02", "", amount, "EUR", cd, "", entryRef, "", remittance, "", ""}, ",")
		}
		nov := write("nov.csv",
			row("opening", "S1", "0.00", "CRDT", "", ""),
			row("entry", "S1", "100.00", "CRDT", "E1", "deposit "+ref.Display()),
			row("entry", "S1", "25.00", "CRDT", "E3", "no reference"),
			row("closing", "S1", "125.00", "CRDT", "", ""),
		)
		r := okpay(t, env, "--data", data, "import", "bank-statement", nov)
		want := nov + ": 1 statement, 2 entries: 1 credited, 1 to suspense, 0 not enabled, 0 already imported, 0 skipped"
		if out := linesOf(r.stdout); r.code != 0 || out[0] != want || len(withPrefix(out, "unmatched: ")) != 1 {
			t.Fatalf("import: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0, %q and one unmatched line", r.code, r.stdout, r.stderr, want)
		}
		a, err := db.Ledger().AccountByRef(ctx, wallet.WalletRef(wid, "EUR"))
		if err != nil || a.Balance() != 100_00 {
			t.Errorf("the customer's EUR account: %+v, %v; want a balance of 100.00", a, err)
		}
		if r := okpay(t, env, "--data", data, "ledger", "verify"); r.code != 0 {
			t.Errorf("ledger verify after the import: exit %d\n%s", r.code, r.stdout)
		}

		r = okpay(t, env, "--data", data, "reconcile", nov)
		if out := linesOf(r.stdout); r.code != 0 || out[len(out)-1] != nov+": everything matches the ledger" {
			t.Errorf("reconcile the imported statement: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}

		other := write("other.csv",
			row("opening", "S2", "0.00", "CRDT", "", ""),
			row("entry", "S2", "100.00", "CRDT", "E1", "deposit "+ref.Display()),
			row("entry", "S2", "40.00", "CRDT", "E9", ""),
			row("entry", "S2", "5.00", "DBIT", "E5", "account fee"),
			row("closing", "S2", "135.00", "CRDT", "", ""),
		)
		r = okpay(t, env, "--data", data, "reconcile", other)
		for _, w := range []string{
			"  - not_in_ledger: entry E9: credit of 40.00 EUR booked 2026-11-02: not imported",
			"  - not_in_ledger: entry E5: debit of 5.00 EUR booked 2026-11-02: not imported",
			"  - not_in_statement: entry E3: credit of 25.00 EUR booked 2026-11-02 (statement S1 of " + nov + ") is in the ledger, not in this statement",
			"  - closing_balance: the closing balance is 135.00 EUR; the ledger holds 125.00 EUR at the bank (off by 10.00)",
			other + ": 4 differences between the statements and the ledger",
		} {
			if !strings.Contains(r.stdout, w+"\n") {
				t.Errorf("reconcile the other statement: stdout lacks %q:\n%s", w, r.stdout)
			}
		}
		if r.code != 1 || !strings.Contains(r.stderr, "reconcile: 4 differences between "+other+" and the ledger") {
			t.Errorf("reconcile the other statement: exit %d, stderr %q; want exit 1 counting 4 differences", r.code, r.stderr)
		}

		r = okpay(t, env, "--data", data, "import", "bank-statement", nov)
		want = nov + ": 1 statement, 2 entries: 0 credited, 0 to suspense, 0 not enabled, 2 already imported, 0 skipped"
		if out := linesOf(r.stdout); r.code != 0 || out[0] != want {
			t.Errorf("import again: exit %d, stdout:\n%s\nwant %q", r.code, r.stdout, want)
		}
		if a, err := db.Ledger().AccountByRef(ctx, wallet.WalletRef(wid, "EUR")); err != nil || a.Balance() != 100_00 {
			t.Errorf("after importing again the customer's EUR account: %+v, %v; want 100.00 still", a, err)
		}
	})
}

func TestBankCommandsUsage(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"--data", data, "import", "bank-statement"},
		{"--data", data, "import", "bank-statement", "a.xml", "b.xml"},
		{"--data", data, "reconcile"},
		{"--data", data, "reconcile", "a.xml", "b.xml"},
	} {
		if r := okpay(t, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "FILE") {
			t.Errorf("okpay %v: exit %d, stderr %q; want exit 2 asking for one FILE", args, r.code, r.stderr)
		}
	}
}

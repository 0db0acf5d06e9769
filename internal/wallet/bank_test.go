package wallet_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// camt053Dir holds the shared sample statements (real banks' layouts, from
// the test data of the genkgo/camt library).
const camt053Dir = "../../../shared/testdata/camt053"

func camtSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(camt053Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("SKIPPED: the camt.053 sample statements are missing (%s); the bank import tests did not run", camt053Dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// mustBank returns the bank side of the env's wallet.
func (en *env) mustBank(cfg wallet.BankConfig) *wallet.BankDeposits {
	en.t.Helper()
	b, err := wallet.NewBankDeposits(en.svc, wallet.BankOptions{Config: cfg, Store: en.db.Wallet(), Ledger: en.l})
	if err != nil {
		en.t.Fatalf("NewBankDeposits: %v", err)
	}
	return b
}

// mustDetails returns a user's bank details in a currency.
func mustDetails(t *testing.T, b *wallet.BankDeposits, userID int64, cur string) wallet.BankDetails {
	t.Helper()
	d, err := b.BankDetails(context.Background(), userID, cur)
	if err != nil {
		t.Fatalf("bank details of %d in %s: %v", userID, cur, err)
	}
	return d
}

func (en *env) count(table string) int {
	en.t.Helper()
	var n int
	if err := en.db.Read().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		en.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// tally is the counts of an ImportResult.
type tally struct {
	Statements, Entries, Credited, ToSuspense, NotEnabled, AlreadyImported, Skipped int
}

func tallyOf(r wallet.ImportResult) tally {
	return tally{r.Statements, r.Entries, r.Credited, r.ToSuspense, r.NotEnabled, r.AlreadyImported, r.Skipped}
}

func mustImport(t *testing.T, b *wallet.BankDeposits, name string, data []byte) wallet.ImportResult {
	t.Helper()
	r, err := b.ImportStatement(context.Background(), name, data, "test")
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return r
}

// stmtCSV builds a statement file in the CSV layout, one row per slice of
// record, statement id, booking date, amount, currency, CRDT/DBIT, status,
// entry ref, remittance, counterparty name and IBAN (the account is the
// sandbox's).
func stmtCSV(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(connector.CSVHeader() + "\n")
	w := csv.NewWriter(&buf)
	for _, r := range rows {
		for len(r) < 11 {
			r = append(r, "")
		}
		// record,statement_id,account,booking_date,value_date,amount,currency,credit_debit,status,entry_ref,
		// end_to_end_id,remittance,counterparty_name,counterparty_iban
		if err := w.Write([]string{r[0], r[1], wallet.SandboxBankAccount.IBAN, r[2], r[2], r[3], r[4], r[5], r[6], r[7],
			"", r[8], r[9], r[10]}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

func opening(stmt, date, amount, cur string) []string {
	return []string{"opening", stmt, date, amount, cur, "CRDT"}
}

func closing(stmt, date, amount, cur string) []string {
	return []string{"closing", stmt, date, amount, cur, "CRDT"}
}

func entry(stmt, date, amount, cur, cd, status, ref, remittance, name, iban string) []string {
	return []string{"entry", stmt, date, amount, cur, cd, status, ref, remittance, name, iban}
}

func TestBankDetails(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		b := en.mustBank(wallet.BankConfig{})
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")

		d := mustDetails(t, b, alice, "eur")
		w, err := en.svc.Wallet(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if d.WalletID != w.ID || d.Currency != eur || d.Account != wallet.SandboxBankAccount || !d.Sandbox {
			t.Errorf("details %+v: want alice's wallet %s in EUR at the sandbox account", d, w.ID)
		}
		if d.IBANDisplay != "NL45 OKPY 0123 4567 89" {
			t.Errorf("IBANDisplay = %q", d.IBANDisplay)
		}
		if _, err := connector.ParseIBAN(d.Account.IBAN); err != nil {
			t.Errorf("the sandbox IBAN %s is not a valid IBAN: %v", d.Account.IBAN, err)
		}
		if d.ReferenceDisplay != d.Reference.Display() || len(strings.Fields(d.ReferenceDisplay)) != 4 {
			t.Errorf("ReferenceDisplay = %q for %q", d.ReferenceDisplay, d.Reference)
		}
		if p, err := connector.ParseReference(d.ReferenceDisplay); err != nil || p != d.Reference {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", d.ReferenceDisplay, p, err, d.Reference)
		}

		// The same reference every time; another one per currency and per
		// wallet.
		if again := mustDetails(t, b, alice, "EUR"); again.Reference != d.Reference {
			t.Errorf("second call: reference %s, want %s", again.Reference, d.Reference)
		}
		seen := map[connector.Reference]string{d.Reference: "alice EUR"}
		for _, c := range []struct {
			user int64
			cur  string
		}{{alice, "USD"}, {alice, "JPY"}, {bob, "EUR"}, {bob, "USD"}} {
			got := mustDetails(t, b, c.user, c.cur)
			if prev, dup := seen[got.Reference]; dup {
				t.Errorf("user %d %s got reference %s of %s", c.user, c.cur, got.Reference, prev)
			}
			seen[got.Reference] = c.cur
		}

		// Concurrent first calls agree on one reference.
		carol := en.mustUser("carol@example.com", "")
		refs := make([]connector.Reference, 10)
		errs := make([]error, len(refs))
		var wg sync.WaitGroup
		for i := range refs {
			wg.Go(func() {
				d, err := b.BankDetails(ctx, carol, "GBP")
				refs[i], errs[i] = d.Reference, err
			})
		}
		wg.Wait()
		for i := range refs {
			if errs[i] != nil || refs[i] != refs[0] {
				t.Fatalf("concurrent call %d: %s, %v; call 0 got %s", i, refs[i], errs[i], refs[0])
			}
		}
		if n := en.count("wallet_bank_references"); n != 6 {
			t.Errorf("%d references stored, want 6", n)
		}

		if _, err := b.BankDetails(ctx, alice, "CHF"); !errors.Is(err, wallet.ErrCurrencyNotEnabled) {
			t.Errorf("CHF: %v, want currency_not_enabled", err)
		}

		// A configured account per currency; none for the rest.
		euro := wallet.BankAccount{IBAN: "de89 3704 0044 0532 0130 00", AccountName: " OKPay Europe B.V. ", BankName: "Example Bank", BIC: "cobadeffxxx"}
		eb := en.mustBank(wallet.BankConfig{Accounts: map[string]wallet.BankAccount{"eur": euro}})
		got := mustDetails(t, eb, alice, "EUR")
		want := wallet.BankAccount{IBAN: "DE89370400440532013000", AccountName: "OKPay Europe B.V.", BankName: "Example Bank", BIC: "COBADEFFXXX"}
		if got.Account != want || got.Sandbox || got.IBANDisplay != "DE89 3704 0044 0532 0130 00" || got.Reference != d.Reference {
			t.Errorf("configured EUR account: %+v, want %+v with alice's reference %s", got, want, d.Reference)
		}
		if _, err := eb.BankDetails(ctx, alice, "USD"); !errors.Is(err, wallet.ErrMethodNotAvailable) {
			t.Errorf("USD without an account: %v, want method_not_available", err)
		}

		for name, cfg := range map[string]map[string]wallet.BankAccount{
			"bad IBAN":     {"EUR": {IBAN: "DE89370400440532013001", AccountName: "x"}},
			"bad currency": {"EURO": {IBAN: "DE89370400440532013000", AccountName: "x"}},
			"no name":      {"EUR": {IBAN: "DE89370400440532013000"}},
			"twice":        {"EUR": {IBAN: "DE89370400440532013000", AccountName: "x"}, "eur": {IBAN: "DE89370400440532013000", AccountName: "y"}},
		} {
			if _, err := wallet.NewBankDeposits(en.svc, wallet.BankOptions{Config: wallet.BankConfig{Accounts: cfg},
				Store: en.db.Wallet(), Ledger: en.l}); err == nil {
				t.Errorf("%s: NewBankDeposits accepted %+v", name, cfg)
			}
		}
	})
}

// unbalancedEUR is why most sample statements do not add up: their
// closing balance is a debit in SEK on an EUR account.
const unbalancedEUR = "the closing booked balance -27.00 SEK is not in the statement's currency EUR"

// realStatements are the sample statements and what importing each into
// an empty platform does: its one booked credit carries no deposit
// reference, so it goes to suspense; the debit of the second statement of
// the multi-statement file is recorded and skipped. Unbalanced holds the
// numbers of each statement that does not add up.
var realStatements = []struct {
	file       string
	statements int
	skipped    int
	unbalanced []string
}{
	{"camt053.v2.all-balance-types.xml", 1, 0, []string{
		"statement CAMT0532015012200001 of account CH2801234000123456789 does not add up: " +
			"opening 1.01 + credits 8.85 - debits 0.00 = 9.86 EUR, but the closing balance is 4.04 EUR (off by -5.82)"}},
	{"camt053.v2.five.decimals.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " +
			"opening 18.15 + credits 8.85 - debits 0.00 = 27.00 EUR, but the closing balance is 27.05 EUR (off by 0.05)"}},
	{"camt053.v2.minimal.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
	{"camt053.v2.minimal.ultimate.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
	{"camt053.v2.multi.statement.xml", 2, 1, nil},
	{"camt053.v2.with-account-name.xml", 1, 0, []string{
		"statement 253EURCH2801234000123456789 of account CH2801234000123456789 does not add up: no opening booked balance (OPBD or PRCD)"}},
	{"camt053.v2.with-party-ids.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
	{"camt053.v3.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
	{"camt053.v4.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
	{"camt053.v8.xml", 1, 0, []string{
		"statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 does not add up: " + unbalancedEUR}},
}

func unbalancedWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		if strings.Contains(w, "does not add up") {
			out = append(out, w)
		}
	}
	return out
}

// Every real statement imports (even those that do not add up, with a
// warning giving the numbers); its credit goes to suspense for staff; the
// second import changes nothing.
func TestImportRealStatements(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		for _, rs := range realStatements {
			t.Run(rs.file, func(t *testing.T) {
				data := camtSample(t, rs.file)
				en := newEnv(t, e)
				ctx := context.Background()
				b := en.mustBank(wallet.BankConfig{})

				r := mustImport(t, b, rs.file, data)
				want := tally{Statements: rs.statements, Entries: 1 + rs.skipped, ToSuspense: 1, Skipped: rs.skipped}
				if got := tallyOf(r); got != want {
					t.Errorf("first import: %+v, want %+v", got, want)
				}
				if diff := cmp.Diff(rs.unbalanced, unbalancedWarnings(r.Warnings)); diff != "" {
					t.Errorf("warnings about balances (-want +got):\n%s", diff)
				}
				if got := en.platformBalance(wallet.BankSuspense, eur); got != 8_85 {
					t.Errorf("suspense holds %d, want 885", got)
				}
				if got := en.platformBalance(wallet.Bank, eur); got != -8_85 {
					t.Errorf("bank account balance %d, want -885 (the platform holds 8.85 at its bank)", got)
				}

				// Staff see the credit as the statement has it.
				stmts, err := connector.DecodeStatements(rs.file, data)
				if err != nil {
					t.Fatal(err)
				}
				var credit connector.Entry
				for _, s := range stmts {
					for _, x := range s.Entries {
						if x.Credit {
							credit = x
						}
					}
				}
				un, err := b.Unmatched(ctx, wallet.UnmatchedFilter{})
				if err != nil || len(un) != 1 {
					t.Fatalf("unmatched: %+v, %v; want the one credit", un, err)
				}
				u := un[0]
				if u.Amount != amt(8_85, eur) || u.Status != wallet.BankEntrySuspense || u.Reason != wallet.ReasonNoReference ||
					!u.InLedger || u.EntryRef != credit.Ref || u.Counterparty != credit.CounterpartyName ||
					u.Remittance != credit.Remittance || u.BookingDate.Format(time.DateOnly) != "2014-12-31" ||
					u.File != rs.file || u.ImportedBy != "test" {
					t.Errorf("unmatched entry %+v, want the statement's credit %+v in suspense for want of a reference", u, credit)
				}

				entries, transfers, audits := en.count("wallet_bank_entries"), en.count("ledger_transfers"), en.count("audit_log")
				r = mustImport(t, b, rs.file, data)
				want = tally{Statements: rs.statements, Entries: 1 + rs.skipped, AlreadyImported: 1, Skipped: rs.skipped}
				if got := tallyOf(r); got != want {
					t.Errorf("second import: %+v, want %+v", got, want)
				}
				if got := en.platformBalance(wallet.BankSuspense, eur); got != 8_85 {
					t.Errorf("after the second import suspense holds %d, want 885", got)
				}
				if n := en.count("wallet_bank_entries"); n != entries {
					t.Errorf("the second import left %d entries, want %d", n, entries)
				}
				if n := en.count("ledger_transfers"); n != transfers {
					t.Errorf("the second import left %d ledger transfers, want %d", n, transfers)
				}
				if n := en.count("audit_log"); n != audits+1 {
					t.Errorf("audit records %d after the second import, want %d (one per import)", n, audits+1)
				}
			})
		}
	})
}

// The samples overlap: several hold the same entry of the same account
// (the same bank reference and booking date), and version 08 books at a
// time of day the same day as version 04. Imported one after the other
// into one platform, each entry is moved to suspense once.
func TestImportOverlappingRealStatements(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		b := en.mustBank(wallet.BankConfig{})
		var sum tally
		for _, rs := range realStatements {
			r := mustImport(t, b, rs.file, camtSample(t, rs.file))
			got := tallyOf(r)
			sum.Entries += got.Entries
			sum.ToSuspense += got.ToSuspense
			sum.AlreadyImported += got.AlreadyImported
			sum.Skipped += got.Skipped
			sum.Credited += got.Credited
		}
		// Distinct credits: CH28..#all-balance-types, NL26..253#1 (five
		// files), CH28..253#1, NL26 XXX..EUR (v3), NL26 AAAASESS.. (v4, v8).
		want := tally{Entries: 11, ToSuspense: 5, AlreadyImported: 5, Skipped: 1}
		if sum != want {
			t.Errorf("all samples: %+v, want %+v", sum, want)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 5*8_85 {
			t.Errorf("suspense holds %d, want %d", got, 5*8_85)
		}
	})
}

// The sample that is wrong on purpose is refused, naming the file and the
// place, and changes nothing.
func TestImportMalformedStatement(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		b := en.mustBank(wallet.BankConfig{})
		const file = "camt053.v2.wrong.xml"
		data := camtSample(t, file)
		const want = "camt053.v2.wrong.xml:3: BkToCstmrStmt: connector: malformed statement: " +
			"no Stmt element: a camt.053 message holds at least one statement"
		r, err := b.ImportStatement(ctx, file, data, "test")
		var se *connector.StatementError
		if err == nil || err.Error() != want || !errors.As(err, &se) || se.Line != 3 {
			t.Fatalf("import: %v, want %s", err, want)
		}
		if r.Entries != 0 || r.Statements != 0 {
			t.Errorf("result of a refused file: %+v", r)
		}
		if _, err := b.Reconcile(ctx, file, data); err == nil || err.Error() != want {
			t.Errorf("reconcile: %v, want %s", err, want)
		}

		// A CSV file with one bad row is refused whole too.
		bad := stmtCSV(t,
			entry("S1", "2026-11-02", "10.00", "EUR", "CRDT", "BOOK", "E1", "good", "", ""),
			entry("S1", "2026-11-02", "1,00", "EUR", "CRDT", "BOOK", "E2", "bad amount", "", ""))
		if _, err := b.ImportStatement(ctx, "bad.csv", bad, "test"); err == nil || !strings.HasPrefix(err.Error(), "bad.csv:3: amount: ") {
			t.Errorf("bad CSV: %v, want an error naming bad.csv, line 3 and the amount", err)
		}
		for _, table := range []string{"wallet_bank_entries", "ledger_transfers", "audit_log", "wallet_movements"} {
			if n := en.count(table); n != 0 {
				t.Errorf("%s has %d rows after refused files, want 0", table, n)
			}
		}
	})
}

// bankFixture is a platform with three customers who have deposit
// references: alice and bob in EUR, carol in USD.
type bankFixture struct {
	en                          *env
	b                           *wallet.BankDeposits
	alice, bob, carol           int64
	aliceEUR, bobEUR, carolUSD  wallet.BankDetails
	aliceWallet, bobWallet      wallet.WalletID
	stranger, strangerIBAN, day string
}

func newBankFixture(t *testing.T, e sqlstore.Engine) *bankFixture {
	en := newEnv(t, e)
	f := &bankFixture{en: en, b: en.mustBank(wallet.BankConfig{}), stranger: "Zhang San", strangerIBAN: "DE89370400440532013000",
		day: "2026-11-02"}
	f.alice = en.mustUser("alice@example.com", "")
	f.bob = en.mustUser("bob@example.com", "")
	f.carol = en.mustUser("carol@example.com", "")
	f.aliceEUR = mustDetails(t, f.b, f.alice, "EUR")
	f.bobEUR = mustDetails(t, f.b, f.bob, "EUR")
	f.carolUSD = mustDetails(t, f.b, f.carol, "USD")
	f.aliceWallet, f.bobWallet = f.aliceEUR.WalletID, f.bobEUR.WalletID
	return f
}

// statement is the CSV statement the import tests use: three statements
// (EUR, USD and CHF) with credits to alice (the reference as shown, in
// lower case), bob (with dashes) and carol, a credit without a reference,
// one with carol's USD reference in EUR, a bank charge, a pending credit,
// and a CHF credit the platform cannot hold.
func (f *bankFixture) statement(t *testing.T) []byte {
	d := f.day
	return stmtCSV(t,
		opening("S-EUR-1", "2026-11-01", "1000.00", "EUR"),
		entry("S-EUR-1", d, "100.00", "EUR", "CRDT", "BOOK", "E1", "Deposit "+strings.ToLower(f.aliceEUR.ReferenceDisplay)+" thanks", "Alice Li", "GB82WEST12345698765432"),
		entry("S-EUR-1", d, "50.00", "EUR", "CRDT", "BOOK", "E2", strings.ReplaceAll(f.bobEUR.ReferenceDisplay, " ", "-"), "Bob Wang", ""),
		entry("S-EUR-1", d, "25.00", "EUR", "CRDT", "BOOK", "E3", "for my wallet, sorry no code", f.stranger, f.strangerIBAN),
		entry("S-EUR-1", d, "12.34", "EUR", "CRDT", "BOOK", "E4", string(f.carolUSD.Reference), "Carol Chen", ""),
		entry("S-EUR-1", d, "5.00", "EUR", "DBIT", "BOOK", "E5", "account fee", "Sandbox Bank", ""),
		entry("S-EUR-1", d, "70.00", "EUR", "CRDT", "PDNG", "E6", string(f.aliceEUR.Reference), "Alice Li", ""),
		closing("S-EUR-1", d, "1182.34", "EUR"),
		opening("S-USD-1", "2026-11-01", "0.00", "USD"),
		entry("S-USD-1", d, "20.00", "USD", "CRDT", "BOOK", "U1", "ref "+string(f.carolUSD.Reference), "Carol Chen", ""),
		closing("S-USD-1", d, "20.00", "USD"),
		opening("S-CHF-1", "2026-11-01", "0.00", "CHF"),
		entry("S-CHF-1", d, "30.00", "CHF", "CRDT", "BOOK", "C1", string(f.aliceEUR.Reference), "Alice Li", ""),
		closing("S-CHF-1", d, "30.00", "CHF"),
	)
}

// bankMovement returns the user's one bank deposit movement.
func (f *bankFixture) bankMovement(t *testing.T, userID int64) wallet.Movement {
	t.Helper()
	p, err := f.en.svc.History(context.Background(), wallet.History{UserID: userID, Types: []wallet.Type{wallet.TypeDeposit}})
	if err != nil {
		t.Fatal(err)
	}
	var out []wallet.Movement
	for _, m := range p.Movements {
		if m.Method == wallet.MethodBank {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("user %d has %d bank deposits, want 1: %+v", userID, len(out), out)
	}
	return out[0]
}

func TestImportCSVStatement(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		en.fees.set(wallet.FeeDepositBank, 100, 0) // 1%
		data := f.statement(t)

		r := mustImport(t, b, "nov.csv", data)
		if got, want := tallyOf(r), (tally{Statements: 3, Entries: 8, Credited: 3, ToSuspense: 2, NotEnabled: 1, Skipped: 2}); got != want {
			t.Errorf("import: %+v, want %+v", got, want)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("warnings %q, want none (the statements add up, at the sandbox account)", r.Warnings)
		}
		outcomes := map[string]wallet.ImportOutcome{}
		reasons := map[string]wallet.BankEntryReason{}
		for _, l := range r.Lines {
			outcomes[l.EntryRef], reasons[l.EntryRef] = l.Outcome, l.Reason
		}
		wantOutcomes := map[string]wallet.ImportOutcome{
			"E1": wallet.OutcomeCredited, "E2": wallet.OutcomeCredited, "E3": wallet.OutcomeSuspense,
			"E4": wallet.OutcomeSuspense, "E5": wallet.OutcomeSkipped, "E6": wallet.OutcomeSkipped,
			"U1": wallet.OutcomeCredited, "C1": wallet.OutcomeNotEnabled,
		}
		if diff := cmp.Diff(wantOutcomes, outcomes); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		wantReasons := map[string]wallet.BankEntryReason{
			"E1": "", "E2": "", "U1": "", "E3": wallet.ReasonNoReference, "E4": wallet.ReasonCurrencyMismatch,
			"E5": wallet.ReasonDebit, "E6": wallet.ReasonNotBooked, "C1": wallet.ReasonCurrencyNotEnabled,
		}
		if diff := cmp.Diff(wantReasons, reasons); diff != "" {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}

		// The wallets are credited, less the 1% fee.
		for _, c := range []struct {
			user int64
			cur  money.Currency
			want int64
		}{{f.alice, eur, 99_00}, {f.bob, eur, 49_50}, {f.carol, usd, 19_80}, {f.carol, eur, 0}, {f.alice, usd, 0}} {
			if got := en.available(c.user, c.cur); got != c.want {
				t.Errorf("user %d %s: %d, want %d", c.user, c.cur.Code, got, c.want)
			}
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 37_34 {
			t.Errorf("EUR suspense %d, want 3734 (E3 and E4)", got)
		}
		if got := en.platformBalance(wallet.Bank, eur); got != -187_34 {
			t.Errorf("EUR bank %d, want -18734 (every booked EUR credit)", got)
		}
		if got := en.platformBalance(wallet.FeeRevenue, eur); got != 1_50 {
			t.Errorf("EUR fees %d, want 150", got)
		}

		// Alice sees the deposit in her history like her other deposits.
		m := f.bankMovement(t, f.alice)
		if m.Type != wallet.TypeDeposit || m.Status != wallet.StatusCompleted || m.Amount != amt(100_00, eur) ||
			m.Fee != amt(1_00, eur) || m.Net() != 99_00 || m.MethodDisplay != "Alice Li · GB82 •••• 5432" ||
			m.Note != "Deposit "+strings.ToLower(f.aliceEUR.ReferenceDisplay)+" thanks" || !wallet.ValidBankEntryID(m.ChargeID) {
			t.Errorf("alice's deposit %+v", m)
		}
		var e1 wallet.ImportLine
		for _, l := range r.Lines {
			if l.EntryRef == "E1" {
				e1 = l
			}
		}
		if e1.MovementID != m.ID || e1.WalletID != f.aliceWallet || e1.EntryID != m.ChargeID {
			t.Errorf("line of E1 %+v does not name alice's movement %s", e1, m.ID)
		}

		// Staff see what is left to do: two EUR credits in suspense and the
		// CHF credit outside the ledger.
		un, err := b.Unmatched(ctx, wallet.UnmatchedFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type view struct {
			Ref, Amount, Reference string
			Status                 wallet.BankEntryStatus
			Reason                 wallet.BankEntryReason
			InLedger               bool
		}
		var got []view
		for _, u := range un {
			got = append(got, view{u.EntryRef, u.Amount.String(), u.Reference, u.Status, u.Reason, u.InLedger})
		}
		want := []view{
			{"C1", amt(30_00, currency("CHF")).String(), string(f.aliceEUR.Reference), wallet.BankEntryUnbooked, wallet.ReasonCurrencyNotEnabled, false},
			{"E3", amt(25_00, eur).String(), "", wallet.BankEntrySuspense, wallet.ReasonNoReference, true},
			{"E4", amt(12_34, eur).String(), string(f.carolUSD.Reference), wallet.BankEntrySuspense, wallet.ReasonCurrencyMismatch, true},
		}
		// Same booking date: by id, which is a hash; compare as a set.
		sortViews := cmp.Transformer("sort", func(vs []view) map[string]view {
			m := map[string]view{}
			for _, v := range vs {
				m[v.Ref] = v
			}
			return m
		})
		if diff := cmp.Diff(want, got, sortViews); diff != "" {
			t.Errorf("unmatched (-want +got):\n%s", diff)
		}
		if eurOnly, err := b.Unmatched(ctx, wallet.UnmatchedFilter{Currency: "eur"}); err != nil || len(eurOnly) != 2 {
			t.Errorf("unmatched in EUR: %d entries, %v; want 2", len(eurOnly), err)
		}
		if none, err := b.Unmatched(ctx, wallet.UnmatchedFilter{From: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}); err != nil || len(none) != 0 {
			t.Errorf("unmatched booked from 3 November: %d, %v; want none", len(none), err)
		}
		if _, err := b.Unmatched(ctx, wallet.UnmatchedFilter{Statuses: []wallet.BankEntryStatus{wallet.BankEntryCredited}}); !errors.Is(err, wallet.ErrInvalidFilter) {
			t.Errorf("unmatched filter on credited: %v, want invalid_filter", err)
		}

		// Importing again moves nothing.
		balances := map[string]int64{}
		for _, p := range []wallet.Platform{wallet.Bank, wallet.BankSuspense} {
			balances[string(p)] = en.platformBalance(p, eur)
		}
		r = mustImport(t, b, "nov.csv", data)
		if got, want := tallyOf(r), (tally{Statements: 3, Entries: 8, AlreadyImported: 6, Skipped: 2}); got != want {
			t.Errorf("second import: %+v, want %+v", got, want)
		}
		if got := en.available(f.alice, eur); got != 99_00 {
			t.Errorf("alice after the second import: %d", got)
		}
		for _, p := range []wallet.Platform{wallet.Bank, wallet.BankSuspense} {
			if got := en.platformBalance(p, eur); got != balances[string(p)] {
				t.Errorf("%s after the second import: %d, want %d", p, got, balances[string(p)])
			}
		}

		// The next day's statement overlaps: it repeats E2, books the
		// pending E6, and adds a credit to bob. A wrong amount for E3 is
		// not imported again, and said so.
		next := stmtCSV(t,
			opening("S-EUR-2", f.day, "1182.34", "EUR"),
			entry("S-EUR-2", f.day, "50.00", "EUR", "CRDT", "BOOK", "E2", f.bobEUR.ReferenceDisplay, "Bob Wang", ""),
			entry("S-EUR-2", f.day, "52.00", "EUR", "CRDT", "BOOK", "E3", "for my wallet, sorry no code", f.stranger, ""),
			entry("S-EUR-2", "2026-11-03", "70.00", "EUR", "CRDT", "BOOK", "E6", string(f.aliceEUR.Reference), "Alice Li", ""),
			entry("S-EUR-2", "2026-11-03", "8.00", "EUR", "CRDT", "BOOK", "E7", "OKP "+f.bobEUR.ReferenceDisplay[4:], "Bob Wang", ""),
			closing("S-EUR-2", "2026-11-03", "1362.34", "EUR"),
		)
		r = mustImport(t, b, "nov-3.csv", next)
		if got, want := tallyOf(r), (tally{Statements: 1, Entries: 4, Credited: 2, AlreadyImported: 2}); got != want {
			t.Errorf("overlapping import: %+v, want %+v", got, want)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "entry E3") ||
			!strings.Contains(r.Warnings[0], "credit of 25.00 EUR") || !strings.Contains(r.Warnings[0], "credit of 52.00 EUR") {
			t.Errorf("warnings %q, want one naming E3 with both amounts", r.Warnings)
		}
		if got := en.available(f.alice, eur); got != 99_00+69_30 {
			t.Errorf("alice after the booked E6: %d, want %d", got, 99_00+69_30)
		}
		if got := en.available(f.bob, eur); got != 49_50+7_92 {
			t.Errorf("bob after E7: %d, want %d", got, 49_50+7_92)
		}
	})
}

// Two imports of the same file at once credit every entry once.
func TestImportConcurrently(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		data := f.statement(t)
		const n = 4
		results := make([]wallet.ImportResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = b.ImportStatement(context.Background(), "nov.csv", data, "test") })
		}
		wg.Wait()
		var sum tally
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("import %d: %v", i, errs[i])
			}
			got := tallyOf(r)
			sum.Credited += got.Credited
			sum.ToSuspense += got.ToSuspense
			sum.NotEnabled += got.NotEnabled
			sum.AlreadyImported += got.AlreadyImported
			sum.Skipped += got.Skipped
		}
		if want := (tally{Credited: 3, ToSuspense: 2, NotEnabled: 1, AlreadyImported: 6 * (n - 1), Skipped: 2 * n}); sum != want {
			t.Errorf("%d imports at once: %+v, want %+v", n, sum, want)
		}
		for _, c := range []struct {
			user int64
			cur  money.Currency
			want int64
		}{{f.alice, eur, 100_00}, {f.bob, eur, 50_00}, {f.carol, usd, 20_00}} {
			if got := en.available(c.user, c.cur); got != c.want {
				t.Errorf("user %d %s: %d, want %d", c.user, c.cur.Code, got, c.want)
			}
		}
		if got := en.platformBalance(wallet.Bank, eur); got != -187_34 {
			t.Errorf("EUR bank %d, want -18734", got)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 37_34 {
			t.Errorf("EUR suspense %d, want 3734", got)
		}
		if m := f.bankMovement(t, f.alice); m.Status != wallet.StatusCompleted {
			t.Errorf("alice's deposit %+v", m)
		}
	})
}

// An import cut short by a failure (before the ledger, or after a commit
// whose answer was lost) is finished by importing the file again, or by
// the jobs, and moves the money once.
func TestImportResumes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		one := func(stmt, ref, remittance string) []byte {
			return stmtCSV(t, entry(stmt, f.day, "10.00", "EUR", "CRDT", "BOOK", ref, remittance, "", ""))
		}
		for _, c := range []struct {
			name       string
			drop, lose int
		}{{"dropped", 1, 0}, {"answer lost", 0, 1}} {
			// A deposit: the movement stays pending; importing again
			// completes it.
			data := one("S-"+c.name, "D-"+c.name, string(f.aliceEUR.Reference))
			before := en.available(f.alice, eur)
			en.ledger.failNext(c.drop, c.lose)
			if _, err := b.ImportStatement(ctx, c.name, data, "test"); !errors.Is(err, wallet.ErrUnavailable) {
				t.Fatalf("%s: import %v, want temporarily_unavailable", c.name, err)
			}
			r := mustImport(t, b, c.name, data)
			if got, want := tallyOf(r), (tally{Statements: 1, Entries: 1, AlreadyImported: 1}); got != want {
				t.Errorf("%s: import again: %+v, want %+v", c.name, got, want)
			}
			if got := en.available(f.alice, eur); got != before+10_00 {
				t.Errorf("%s: alice %d, want %d", c.name, got, before+10_00)
			}

			// Money for suspense: not marked posted until the jobs (or
			// another import) finish it.
			data = one("T-"+c.name, "X-"+c.name, "no reference")
			suspense := en.platformBalance(wallet.BankSuspense, eur)
			en.ledger.failNext(c.drop, c.lose)
			if _, err := b.ImportStatement(ctx, c.name, data, "test"); !errors.Is(err, wallet.ErrUnavailable) {
				t.Fatalf("%s: import to suspense %v, want temporarily_unavailable", c.name, err)
			}
			un, err := b.Unmatched(ctx, wallet.UnmatchedFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var id string
			for _, u := range un {
				if u.EntryRef == "X-"+c.name {
					id = u.ID
					if u.InLedger {
						t.Errorf("%s: entry %+v is in the ledger before it was posted", c.name, u)
					}
				}
			}
			en.clock.Add(2 * time.Minute)
			runBankJobs(t, en, b, func() bool {
				u, err := b.UnmatchedByID(ctx, id)
				return err == nil && u.InLedger
			})
			if got := en.platformBalance(wallet.BankSuspense, eur); got != suspense+10_00 {
				t.Errorf("%s: suspense %d, want %d", c.name, got, suspense+10_00)
			}
			if r := mustImport(t, b, c.name, data); r.AlreadyImported != 1 {
				t.Errorf("%s: import after the job: %+v", c.name, r)
			}
			if got := en.platformBalance(wallet.BankSuspense, eur); got != suspense+10_00 {
				t.Errorf("%s: suspense after another import %d, want %d", c.name, got, suspense+10_00)
			}
		}
	})
}

// runBankJobs runs the wallet's and the bank's jobs until done.
func runBankJobs(t *testing.T, en *env, b *wallet.BankDeposits, done func() bool) {
	t.Helper()
	r := jobs.New(en.db.Jobs(), jobs.Options{Now: en.clock.Now, Logger: quiet, PollInterval: 5 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	en.svc.Register(r)
	b.Register(r)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("jobs runner: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not finish in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type auditRow struct {
	Actor          int64
	Action, Target string
}

func (en *env) bankAudits(target string) []auditRow {
	en.t.Helper()
	rows, err := en.db.Read().Query(context.Background(),
		"SELECT actor_id, action, target_id FROM audit_log WHERE target_type = 'bank_entry' AND target_id = $1 ORDER BY id", target)
	if err != nil {
		en.t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.Actor, &r.Action, &r.Target); err != nil {
			en.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestAssignAndReturnUnmatched(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		staff := en.mustUser("agent@example.com", "")
		d := f.day
		mustImport(t, b, "unmatched.csv", stmtCSV(t,
			entry("S", d, "25.00", "EUR", "CRDT", "BOOK", "U1", "money for bob", "Bob's father", ""),
			entry("S", d, "12.34", "EUR", "CRDT", "BOOK", "U2", "wrong account", f.stranger, f.strangerIBAN),
			entry("S", d, "7.00", "EUR", "CRDT", "BOOK", "U3", "who knows", "", ""),
			entry("S", d, "9.00", "EUR", "CRDT", "BOOK", "OK", f.aliceEUR.ReferenceDisplay, "Alice Li", ""),
			entry("T", d, "30.00", "CHF", "CRDT", "BOOK", "U4", "francs", "", ""),
		))
		ids := map[string]string{}
		un, err := b.Unmatched(ctx, wallet.UnmatchedFilter{})
		if err != nil || len(un) != 4 {
			t.Fatalf("unmatched: %d, %v; want 4", len(un), err)
		}
		for _, u := range un {
			ids[u.EntryRef] = u.ID
		}
		suspense, bank := en.platformBalance(wallet.BankSuspense, eur), en.platformBalance(wallet.Bank, eur)
		if suspense != 44_34 || bank != -53_34 {
			t.Fatalf("suspense %d, bank %d; want 4434 and -5334", suspense, bank)
		}

		// Assign U1 to bob (his wallet id as staff type it).
		typed := strings.ToLower(string(f.bobWallet[:5]) + " " + string(f.bobWallet[5:]))
		m, err := b.AssignUnmatched(ctx, ids["U1"], typed, staff, "his father called")
		if err != nil {
			t.Fatalf("assign: %v", err)
		}
		if m.Status != wallet.StatusCompleted || m.Type != wallet.TypeDeposit || m.Method != wallet.MethodBank ||
			m.Amount != amt(25_00, eur) || m.UserID != f.bob || m.ChargeID != ids["U1"] || m.Note != "money for bob" {
			t.Errorf("assigned movement %+v", m)
		}
		if got := f.bankMovement(t, f.bob); got.ID != m.ID {
			t.Errorf("bob's history shows %s, want %s", got.ID, m.ID)
		}
		if got := en.available(f.bob, eur); got != 25_00 {
			t.Errorf("bob %d, want 2500", got)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != suspense-25_00 {
			t.Errorf("suspense %d after the assignment, want %d", got, suspense-25_00)
		}
		u, err := b.UnmatchedByID(ctx, ids["U1"])
		if err != nil || u.Status != wallet.BankEntryAssigned || u.WalletID != f.bobWallet || u.MovementID != m.ID ||
			u.ResolvedBy != staff || u.Note != "his father called" || u.ResolvedAt.IsZero() {
			t.Errorf("assigned entry %+v, %v", u, err)
		}
		if diff := cmp.Diff([]auditRow{{staff, wallet.ActionBankUnmatchedAssigned, ids["U1"]}}, en.bankAudits(ids["U1"])); diff != "" {
			t.Errorf("audit of the assignment (-want +got):\n%s", diff)
		}
		// At most once, whichever way.
		if _, err := b.AssignUnmatched(ctx, ids["U1"], string(f.aliceWallet), staff, ""); !errors.Is(err, wallet.ErrBankEntryResolved) {
			t.Errorf("assign again: %v, want bank_entry_resolved", err)
		}
		if _, err := b.ReturnUnmatched(ctx, ids["U1"], staff, ""); !errors.Is(err, wallet.ErrBankEntryResolved) {
			t.Errorf("return an assigned entry: %v, want bank_entry_resolved", err)
		}

		// Return U2: back to the bank account, for staff to pay back.
		u, err = b.ReturnUnmatched(ctx, ids["U2"], staff, "sent back to sender")
		if err != nil || u.Status != wallet.BankEntryReturned || u.ResolvedBy != staff || u.Note != "sent back to sender" ||
			!u.InLedger || !u.ReturnInLedger {
			t.Fatalf("return: %+v, %v", u, err)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != suspense-25_00-12_34 {
			t.Errorf("suspense %d after the return, want %d", got, suspense-25_00-12_34)
		}
		if got := en.platformBalance(wallet.Bank, eur); got != bank+12_34 {
			t.Errorf("bank %d after the return, want %d", got, bank+12_34)
		}
		if diff := cmp.Diff([]auditRow{{staff, wallet.ActionBankUnmatchedReturned, ids["U2"]}}, en.bankAudits(ids["U2"])); diff != "" {
			t.Errorf("audit of the return (-want +got):\n%s", diff)
		}
		if _, err := b.ReturnUnmatched(ctx, ids["U2"], staff, ""); !errors.Is(err, wallet.ErrBankEntryResolved) {
			t.Errorf("return again: %v, want bank_entry_resolved", err)
		}
		if _, err := b.AssignUnmatched(ctx, ids["U2"], string(f.aliceWallet), staff, ""); !errors.Is(err, wallet.ErrBankEntryResolved) {
			t.Errorf("assign a returned entry: %v, want bank_entry_resolved", err)
		}

		// CHF was never in the ledger: it can be returned, not assigned.
		if _, err := b.AssignUnmatched(ctx, ids["U4"], string(f.aliceWallet), staff, ""); !errors.Is(err, wallet.ErrCurrencyNotEnabled) {
			t.Errorf("assign CHF: %v, want currency_not_enabled", err)
		}
		if u, err := b.ReturnUnmatched(ctx, ids["U4"], staff, "not a currency we hold"); err != nil ||
			u.Status != wallet.BankEntryReturned || u.InLedger || u.ReturnInLedger {
			t.Errorf("return CHF: %+v, %v", u, err)
		}

		// Refusals before anything happens.
		okID := ""
		if all, err := b.Unmatched(ctx, wallet.UnmatchedFilter{Statuses: wallet.BankEntryStatuses[1:5]}); err == nil {
			for _, x := range all {
				if x.EntryRef == "OK" {
					okID = x.ID
				}
			}
		}
		if okID != "" {
			t.Errorf("the credited entry is listed as unmatched")
		}
		for name, c := range map[string]struct {
			id, wallet string
			staff      int64
			note       string
			want       wallet.Code
		}{
			"unknown entry":  {"be_0000000000000000000000000z", string(f.aliceWallet), staff, "", wallet.CodeBankEntryNotFound},
			"not an id":      {"U3", string(f.aliceWallet), staff, "", wallet.CodeBankEntryNotFound},
			"check digit":    {ids["U3"], string(f.aliceWallet[:10]) + string('0'+(f.aliceWallet[10]-'0'+1)%10), staff, "", wallet.CodeWalletIDCheckDigit},
			"unknown wallet": {ids["U3"], string(wallet.NewWalletID()), staff, "", wallet.CodeWalletNotFound},
			"long note":      {ids["U3"], string(f.aliceWallet), staff, strings.Repeat("x", 281), wallet.CodeNoteTooLong},
		} {
			if _, err := b.AssignUnmatched(ctx, c.id, c.wallet, c.staff, c.note); wallet.ErrorCode(err) != c.want {
				t.Errorf("%s: assign %v, want %s", name, err, c.want)
			}
		}
		credited := ""
		for _, l := range mustImport(t, b, "unmatched.csv", stmtCSV(t,
			entry("S", d, "9.00", "EUR", "CRDT", "BOOK", "OK", f.aliceEUR.ReferenceDisplay, "Alice Li", ""))).Lines {
			credited = l.EntryID
		}
		if _, err := b.ReturnUnmatched(ctx, credited, staff, ""); !errors.Is(err, wallet.ErrBankEntryNotFound) {
			t.Errorf("return a credited entry: %v, want bank_entry_not_found", err)
		}
		if _, err := b.AssignUnmatched(ctx, ids["U3"], string(f.aliceWallet), 0, ""); err == nil {
			t.Error("assign without a staff user succeeded")
		}

		resolved, err := b.Unmatched(ctx, wallet.UnmatchedFilter{Statuses: []wallet.BankEntryStatus{wallet.BankEntryAssigned, wallet.BankEntryReturned}})
		if err != nil || len(resolved) != 3 {
			t.Errorf("resolved entries: %d, %v; want U1, U2 and U4", len(resolved), err)
		}
		if open, err := b.Unmatched(ctx, wallet.UnmatchedFilter{}); err != nil || len(open) != 1 || open[0].EntryRef != "U3" {
			t.Errorf("open entries: %+v, %v; want U3 only", open, err)
		}

		// Staff racing over U3: exactly one assignment or return wins.
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if i%2 == 0 {
					_, errs[i] = b.AssignUnmatched(ctx, ids["U3"], string(f.aliceWallet), staff, "race")
				} else {
					_, errs[i] = b.ReturnUnmatched(ctx, ids["U3"], staff, "race")
				}
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("both %d and %d won", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, wallet.ErrBankEntryResolved):
				t.Errorf("racer %d: %v, want bank_entry_resolved", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("nobody won the race")
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 0 {
			t.Errorf("suspense %d after every entry was resolved, want 0", got)
		}
		aliceGot := en.available(f.alice, eur) - 9_00
		if (winner%2 == 0) != (aliceGot == 7_00) {
			t.Errorf("winner %d, alice got %d from U3", winner, aliceGot)
		}
		if got := en.bankAudits(ids["U3"]); len(got) != 1 {
			t.Errorf("audit records of U3: %+v, want one", got)
		}
	})
}

type diffView struct {
	Kind   wallet.DifferenceKind
	Ref    string
	Amount string
}

func diffsOf(r wallet.Reconciliation) [][]diffView {
	var out [][]diffView
	for _, s := range r.Statements {
		var ds []diffView
		for _, d := range s.Differences {
			a := ""
			if d.Amount.Currency.Code != "" {
				a = d.Amount.String()
			}
			ds = append(ds, diffView{d.Kind, d.EntryRef, a})
		}
		out = append(out, ds)
	}
	return out
}

func TestReconcile(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		d := f.day
		first := stmtCSV(t,
			opening("S1", "2026-11-01", "0.00", "EUR"),
			entry("S1", d, "100.00", "EUR", "CRDT", "BOOK", "E1", f.aliceEUR.ReferenceDisplay, "Alice Li", ""),
			entry("S1", d, "25.00", "EUR", "CRDT", "BOOK", "E3", "no reference", f.stranger, ""),
			entry("S1", d, "70.00", "EUR", "CRDT", "PDNG", "E6", "later", "", ""),
			closing("S1", d, "125.00", "EUR"),
		)
		// Before the import every booked entry is missing from the ledger.
		r, err := b.Reconcile(ctx, "s1.csv", first)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]diffView{{
			{wallet.DiffNotInLedger, "E1", amt(100_00, eur).String()},
			{wallet.DiffNotInLedger, "E3", amt(25_00, eur).String()},
			{wallet.DiffClosingBalance, "", amt(125_00, eur).String()},
		}}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" || r.OK() {
			t.Errorf("before the import (-want +got):\n%s", diff)
		}

		mustImport(t, b, "s1.csv", first)
		transfers, entries := en.count("ledger_transfers"), en.count("wallet_bank_entries")
		r, err = b.Reconcile(ctx, "s1.csv", first)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Differences() != 0 {
			t.Errorf("after the import: %+v, want no differences", diffsOf(r))
		}
		s := r.Statements[0]
		if s.LedgerBalance != amt(125_00, eur) || s.Closing != amt(125_00, eur) || s.Account != wallet.SandboxBankAccount.IBAN ||
			s.From.Format(time.DateOnly) != d || s.To.Format(time.DateOnly) != d {
			t.Errorf("statement report %+v", s)
		}

		// A statement of the same day that lacks E3, has a credit never
		// imported and a bank charge, and closes at its own total.
		second := stmtCSV(t,
			opening("S2", "2026-11-01", "0.00", "EUR"),
			entry("S2", d, "100.00", "EUR", "CRDT", "BOOK", "E1", f.aliceEUR.ReferenceDisplay, "Alice Li", ""),
			entry("S2", d, "40.00", "EUR", "CRDT", "BOOK", "E9", "", "", ""),
			entry("S2", d, "5.00", "EUR", "DBIT", "BOOK", "E5", "fee", "", ""),
			closing("S2", d, "135.00", "EUR"),
		)
		r, err = b.Reconcile(ctx, "s2.csv", second)
		if err != nil {
			t.Fatal(err)
		}
		want = [][]diffView{{
			{wallet.DiffNotInLedger, "E9", amt(40_00, eur).String()},
			{wallet.DiffNotInLedger, "E5", amt(5_00, eur).String()},
			{wallet.DiffNotInStatement, "E3", amt(25_00, eur).String()},
			{wallet.DiffClosingBalance, "", amt(10_00, eur).String()},
		}}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" || r.OK() {
			t.Errorf("second statement (-want +got):\n%s", diff)
		}
		closingDiff := r.Statements[0].Differences[3]
		if closingDiff.Statement != amt(135_00, eur) || closingDiff.Ledger != amt(125_00, eur) ||
			closingDiff.Detail != "the closing balance is 135.00 EUR; the ledger holds 125.00 EUR at the bank (off by 10.00)" {
			t.Errorf("closing difference %+v", closingDiff)
		}
		if n, m := en.count("ledger_transfers"), en.count("wallet_bank_entries"); n != transfers || m != entries {
			t.Errorf("reconcile changed the database: %d transfers (was %d), %d entries (was %d)", n, transfers, m, entries)
		}

		// Once imported, the debit stays a difference (the import books
		// none), and so does the new balance.
		mustImport(t, b, "s2.csv", second)
		r, err = b.Reconcile(ctx, "s2.csv", second)
		if err != nil {
			t.Fatal(err)
		}
		want = [][]diffView{{
			{wallet.DiffNotInLedger, "E5", amt(5_00, eur).String()},
			{wallet.DiffNotInStatement, "E3", amt(25_00, eur).String()},
			{wallet.DiffClosingBalance, "", amt(-30_00, eur).String()},
		}}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" {
			t.Errorf("second statement imported (-want +got):\n%s", diff)
		}
		if got := r.Statements[0].Differences[0].Detail; !strings.Contains(got, "a debit") {
			t.Errorf("detail of the debit: %q", got)
		}

		// A statement that does not add up, and one in a currency the
		// platform does not hold.
		odd := stmtCSV(t,
			opening("S3", "2026-11-01", "0.00", "EUR"),
			entry("S3", d, "100.00", "EUR", "CRDT", "BOOK", "E1", f.aliceEUR.ReferenceDisplay, "Alice Li", ""),
			closing("S3", d, "99.00", "EUR"),
			opening("S4", "2026-11-01", "0.00", "CHF"),
			entry("S4", d, "30.00", "CHF", "CRDT", "BOOK", "C1", "", "", ""),
			closing("S4", d, "30.00", "CHF"),
		)
		r, err = b.Reconcile(ctx, "odd.csv", odd)
		if err != nil {
			t.Fatal(err)
		}
		want = [][]diffView{
			{
				{wallet.DiffUnbalanced, "", ""},
				{wallet.DiffNotInStatement, "E3", amt(25_00, eur).String()},
				{wallet.DiffNotInStatement, "E9", amt(40_00, eur).String()},
				{wallet.DiffClosingBalance, "", amt(-66_00, eur).String()},
			},
			{
				{wallet.DiffCurrencyNotEnabled, "", ""},
				{wallet.DiffNotInLedger, "C1", amt(30_00, currency("CHF")).String()},
			},
		}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" {
			t.Errorf("odd statements (-want +got):\n%s", diff)
		}
		if got := r.Statements[0].Differences[0].Detail; got != "opening 0.00 + credits 100.00 - debits 0.00 = 100.00 EUR, but the closing balance is 99.00 EUR (off by -1.00)" {
			t.Errorf("unbalanced detail %q", got)
		}
	})
}

// A real statement, not imported, differs from an empty ledger in each
// credit, each debit and each closing balance; imported, the credit
// agrees and the rest still differs.
func TestReconcileRealStatement(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		b := en.mustBank(wallet.BankConfig{})
		const file = "camt053.v2.multi.statement.xml"
		data := camtSample(t, file)
		r, err := b.Reconcile(ctx, file, data)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]diffView{
			{{wallet.DiffNotInLedger, "253EURNL26VAYB8060476890#1", amt(8_85, eur).String()}, {wallet.DiffClosingBalance, "", amt(27_00, eur).String()}},
			{{wallet.DiffNotInLedger, "254EURNL26VAYB8060476890#1", amt(7_00, eur).String()}, {wallet.DiffClosingBalance, "", amt(20_00, eur).String()}},
		}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" {
			t.Errorf("before the import (-want +got):\n%s", diff)
		}
		mustImport(t, b, file, data)
		r, err = b.Reconcile(ctx, file, data)
		if err != nil {
			t.Fatal(err)
		}
		want = [][]diffView{
			{{wallet.DiffClosingBalance, "", amt(18_15, eur).String()}},
			{{wallet.DiffNotInLedger, "254EURNL26VAYB8060476890#1", amt(7_00, eur).String()}, {wallet.DiffClosingBalance, "", amt(11_15, eur).String()}},
		}
		if diff := cmp.Diff(want, diffsOf(r)); diff != "" {
			t.Errorf("after the import (-want +got):\n%s", diff)
		}
	})
}

// camtStatement is a camt.053.001.08 statement of the sandbox account in
// EUR around entries.
func camtStatement(entries string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-02T18:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-ODD</Id>
      <Acct><Id><IBAN>` + wallet.SandboxBankAccount.IBAN + `</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">26.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-02</Dt></Dt></Bal>
` + entries + `
    </Stmt>
  </BkToCstmrStmt>
</Document>
`)
}

// Credits that carry a valid reference but cannot be told apart, and
// entries the import has no use for, never reach a wallet.
func TestImportOddEntries(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		ref := string(f.aliceEUR.Reference)
		long := strings.Repeat("R", 3000)
		data := camtStatement(`
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>REV-1</AcctSvcrRef>
        <NtryDtls><TxDtls><RmtInf><Ustrd>` + ref + `</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">11.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><RmtInf><Ustrd>` + ref + `</Ustrd></RmtInf></TxDtls>
          <TxDtls><RmtInf><Ustrd>other payer</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>ZERO-1</AcctSvcrRef>
        <NtryDtls><TxDtls><RmtInf><Ustrd>` + ref + `</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-11-02T23:30:00-05:00</DtTm></BookgDt><AcctSvcrRef>` + long + `</AcctSvcrRef>
        <NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>` + ref + `</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls>
      </Ntry>`)
		r := mustImport(t, b, "odd.xml", data)
		if got, want := tallyOf(r), (tally{Statements: 1, Entries: 4, Credited: 1, ToSuspense: 2, Skipped: 1}); got != want {
			t.Errorf("import: %+v, want %+v", got, want)
		}
		reasons := map[string]wallet.BankEntryReason{}
		for _, l := range r.Lines {
			reasons[l.EntryRef[:min(len(l.EntryRef), 8)]] = l.Reason
		}
		want := map[string]wallet.BankEntryReason{"REV-1": wallet.ReasonReversal, "BATCH-1": wallet.ReasonBatchBooking,
			"ZERO-1": wallet.ReasonZeroAmount, "RRRRRRRR": ""}
		if diff := cmp.Diff(want, reasons); diff != "" {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}
		// The structured creditor reference credits alice; the booking
		// date is the bank's own day, not UTC's.
		m := f.bankMovement(t, f.alice)
		if m.Amount != amt(10_00, eur) || m.Status != wallet.StatusCompleted {
			t.Errorf("alice's deposit %+v", m)
		}
		for _, l := range r.Lines {
			if l.Amount.Minor == 10_00 && l.BookingDate.Format(time.DateOnly) != "2026-11-02" {
				t.Errorf("booking date %v, want 2026-11-02", l.BookingDate)
			}
		}
		if again := mustImport(t, b, "odd.xml", data); tallyOf(again) != (tally{Statements: 1, Entries: 4, AlreadyImported: 3, Skipped: 1}) {
			t.Errorf("import again: %+v", tallyOf(again))
		}
		rec, err := b.Reconcile(ctx, "odd.xml", data)
		if err != nil || !rec.OK() {
			t.Errorf("reconcile: %+v, %v; want no differences (the zero entry is none)", diffsOf(rec), err)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 16_00 {
			t.Errorf("suspense %d, want 1600", got)
		}
	})
}

// An assignment or a return whose ledger transfer was cut off is recorded
// (it cannot be made twice) and finished by the jobs.
func TestAssignAndReturnResume(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		f := newBankFixture(t, e)
		en, b := f.en, f.b
		ctx := context.Background()
		staff := en.mustUser("agent@example.com", "")
		r := mustImport(t, b, "u.csv", stmtCSV(t,
			entry("S", f.day, "25.00", "EUR", "CRDT", "BOOK", "U1", "for bob", "", ""),
			entry("S", f.day, "12.34", "EUR", "CRDT", "BOOK", "U2", "unknown", "", "")))
		ids := map[string]string{}
		for _, l := range r.Lines {
			ids[l.EntryRef] = l.EntryID
		}
		bank := en.platformBalance(wallet.Bank, eur)

		en.ledger.failNext(1, 0)
		m, err := b.AssignUnmatched(ctx, ids["U1"], string(f.bobWallet), staff, "")
		if !errors.Is(err, wallet.ErrUnavailable) || m.Status != wallet.StatusPending {
			t.Fatalf("assign with the ledger cut off: %+v, %v; want a pending movement and temporarily_unavailable", m, err)
		}
		if _, err := b.AssignUnmatched(ctx, ids["U1"], string(f.aliceWallet), staff, ""); !errors.Is(err, wallet.ErrBankEntryResolved) {
			t.Errorf("assign again meanwhile: %v, want bank_entry_resolved", err)
		}
		en.ledger.failNext(0, 1)
		u, err := b.ReturnUnmatched(ctx, ids["U2"], staff, "")
		if !errors.Is(err, wallet.ErrUnavailable) || u.Status != wallet.BankEntryReturned || u.ReturnInLedger {
			t.Fatalf("return with the answer lost: %+v, %v", u, err)
		}

		en.clock.Add(2 * time.Minute)
		runBankJobs(t, en, b, func() bool {
			u, err := b.UnmatchedByID(ctx, ids["U2"])
			got, merr := en.svc.Movement(ctx, f.bob, m.ID)
			return err == nil && u.ReturnInLedger && merr == nil && got.Status == wallet.StatusCompleted
		})
		if got := en.available(f.bob, eur); got != 25_00 {
			t.Errorf("bob %d, want 2500", got)
		}
		if got := en.platformBalance(wallet.BankSuspense, eur); got != 0 {
			t.Errorf("suspense %d, want 0", got)
		}
		if got := en.platformBalance(wallet.Bank, eur); got != bank+12_34 {
			t.Errorf("bank %d, want %d", got, bank+12_34)
		}
	})
}

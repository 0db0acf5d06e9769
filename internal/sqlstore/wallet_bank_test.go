package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func TestWalletBankReferences(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		s := db.Wallet()
		insert := func(r wallet.BankReference) error {
			return s.InBankTx(ctx, func(tx wallet.BankTx) error { return tx.InsertBankReference(ctx, r) })
		}
		r := wallet.BankReference{Reference: connector.NewReference(), WalletID: "OK123456786", Currency: "EUR", CreatedAt: clk.Now()}
		if err := insert(r); err != nil {
			t.Fatal(err)
		}
		if err := insert(wallet.BankReference{Reference: r.Reference, WalletID: "OK000000000", Currency: "EUR", CreatedAt: clk.Now()}); !errors.Is(err, wallet.ErrBankReferenceTaken) {
			t.Errorf("another wallet's reference: %v, want ErrBankReferenceTaken", err)
		}
		if err := insert(wallet.BankReference{Reference: connector.NewReference(), WalletID: r.WalletID, Currency: "EUR", CreatedAt: clk.Now()}); !errors.Is(err, wallet.ErrWalletHasBankReference) {
			t.Errorf("a second EUR reference: %v, want ErrWalletHasBankReference", err)
		}
		usd := wallet.BankReference{Reference: connector.NewReference(), WalletID: r.WalletID, Currency: "USD", CreatedAt: clk.Now()}
		if err := insert(usd); err != nil {
			t.Errorf("a USD reference: %v", err)
		}
		for _, got := range []func() (wallet.BankReference, error){
			func() (wallet.BankReference, error) { return s.BankReference(ctx, r.Reference) },
			func() (wallet.BankReference, error) { return s.BankReferenceOf(ctx, r.WalletID, "EUR") },
		} {
			g, err := got()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, g); diff != "" {
				t.Errorf("reference (-want +got):\n%s", diff)
			}
		}
		if _, err := s.BankReference(ctx, connector.NewReference()); !errors.Is(err, wallet.ErrBankReferenceNotFound) {
			t.Errorf("unknown reference: %v", err)
		}
		if _, err := s.BankReferenceOf(ctx, r.WalletID, "GBP"); !errors.Is(err, wallet.ErrBankReferenceNotFound) {
			t.Errorf("no GBP reference: %v", err)
		}
	})
}

func TestWalletBankEntries(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		s := db.Wallet()
		eur := money.MustCurrency("EUR")
		day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
		parent := ledger.NewID()
		full := wallet.BankEntry{
			ID: "be_01h455vb4pex5vsknk084sn02q", Key: "NL45OKPY0123456789|E1|2026-11-02", Account: "NL45OKPY0123456789",
			EntryRef: "E1", BookingDate: day(2), ValueDate: day(3), StatementID: "S1", File: "nov.csv",
			Amount: money.Amount{Minor: 25_00, Currency: eur}, Credit: true, EntryStatus: "BOOK",
			Remittance: "转账 for deposit", CreditorRef: "RF18", EndToEndID: "E2E", CounterpartyName: "Zhang San",
			CounterpartyIBAN: "DE89370400440532013000", Reference: "OKP7M2K9QX4T",
			Status: wallet.BankEntrySuspense, Reason: wallet.ReasonUnknownReference,
			Plan: []ledger.Transfer{{ID: ledger.DeriveID(parent, "suspense"), DebitAccountID: 1, CreditAccountID: 2,
				Amount: 25_00, Currency: "EUR", Code: wallet.TransferBankUnmatched, Metadata: "be_01h455vb4pex5vsknk084sn02q"}},
			ImportedBy: "cli:ops", CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
		}
		insert := func(e wallet.BankEntry) bool {
			t.Helper()
			var ok bool
			if err := s.InBankTx(ctx, func(tx wallet.BankTx) error {
				var err error
				ok, err = tx.InsertBankEntry(ctx, e)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !insert(full) {
			t.Fatal("first insert refused")
		}
		got, err := s.BankEntry(ctx, full.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(full, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		// The same id, or the same key under another id, is not stored again.
		sameKey := full
		sameKey.ID = "be_01h455vb4pex5vsknk084sn02r"
		if insert(full) || insert(sameKey) {
			t.Error("a second insert of the same entry was stored")
		}
		if _, err := s.BankEntry(ctx, sameKey.ID); !errors.Is(err, wallet.ErrBankEntryNotFound) {
			t.Errorf("entry under a taken key: %v, want not found", err)
		}

		others := []wallet.BankEntry{
			{ID: "be_01h455vb4pex5vsknk084sn030", Key: "k2", Account: "NL45OKPY0123456789", EntryRef: "E2", BookingDate: day(1),
				Amount: money.Amount{Minor: 1, Currency: eur}, Credit: true, EntryStatus: "BOOK", Status: wallet.BankEntryCredited,
				MovementID: "mv_x", WalletID: "OK123456786", UserID: 7, CreatedAt: clk.Now(), UpdatedAt: clk.Now()},
			{ID: "be_01h455vb4pex5vsknk084sn031", Key: "k3", Account: "NL45OKPY0123456789", EntryRef: "E3", BookingDate: day(5),
				Amount: money.Amount{Minor: 2, Currency: money.MustCurrency("CHF")}, Credit: true, EntryStatus: "BOOK",
				Status: wallet.BankEntryUnbooked, Reason: wallet.ReasonCurrencyNotEnabled, CreatedAt: clk.Now(), UpdatedAt: clk.Now()},
			{ID: "be_01h455vb4pex5vsknk084sn032", Key: "k4", Account: "DE89370400440532013000", EntryRef: "E4",
				Amount: money.Amount{Minor: 3, Currency: eur}, EntryStatus: "BOOK", Status: wallet.BankEntryIgnored,
				Reason: wallet.ReasonDebit, CreatedAt: clk.Now(), UpdatedAt: clk.Now()},
		}
		for _, o := range others {
			if !insert(o) {
				t.Fatalf("insert %s refused", o.ID)
			}
		}
		refs := func(q wallet.BankEntryQuery) []string {
			t.Helper()
			es, err := s.BankEntries(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, e.EntryRef)
			}
			return out
		}
		for name, c := range map[string]struct {
			q    wallet.BankEntryQuery
			want []string
		}{
			// No booking date sorts first.
			"all":       {wallet.BankEntryQuery{}, []string{"E4", "E2", "E1", "E3"}},
			"open":      {wallet.BankEntryQuery{Statuses: []wallet.BankEntryStatus{wallet.BankEntrySuspense, wallet.BankEntryUnbooked}}, []string{"E1", "E3"}},
			"currency":  {wallet.BankEntryQuery{Currency: "EUR"}, []string{"E4", "E2", "E1"}},
			"account":   {wallet.BankEntryQuery{Account: "NL45OKPY0123456789"}, []string{"E2", "E1", "E3"}},
			"from":      {wallet.BankEntryQuery{From: day(2)}, []string{"E1", "E3"}},
			"to":        {wallet.BankEntryQuery{From: day(1), To: day(2)}, []string{"E2", "E1"}},
			"limit":     {wallet.BankEntryQuery{Limit: 2}, []string{"E4", "E2"}},
			"unmatched": {wallet.BankEntryQuery{Statuses: []wallet.BankEntryStatus{wallet.BankEntryReturned}}, nil},
		} {
			if diff := cmp.Diff(c.want, refs(c.q)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}

		// Resolving is conditional on the status it starts from.
		resolve := func(e wallet.BankEntry, from ...wallet.BankEntryStatus) bool {
			t.Helper()
			var ok bool
			if err := s.InBankTx(ctx, func(tx wallet.BankTx) error {
				var err error
				ok, err = tx.ResolveBankEntry(ctx, e, from...)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		ret := full
		ret.Status, ret.ResolvedBy, ret.ResolvedAt, ret.Note = wallet.BankEntryReturned, 42, clk.Now().Add(time.Hour), "back to sender"
		ret.ReturnPlan = []ledger.Transfer{{ID: ledger.DeriveID(parent, "return"), DebitAccountID: 2, CreditAccountID: 1,
			Amount: 25_00, Currency: "EUR", Code: wallet.TransferBankReturn, Metadata: full.ID}}
		ret.UpdatedAt = ret.ResolvedAt
		if resolve(ret, wallet.BankEntryUnbooked) {
			t.Error("resolved from a status it is not in")
		}
		if !resolve(ret, wallet.BankEntrySuspense, wallet.BankEntryUnbooked) {
			t.Fatal("resolve refused")
		}
		if resolve(ret, wallet.BankEntrySuspense) {
			t.Error("resolved twice")
		}
		got, _ = s.BankEntry(ctx, full.ID)
		if diff := cmp.Diff(ret, got); diff != "" {
			t.Errorf("resolved (-want +got):\n%s", diff)
		}

		// Posting is recorded once per plan; until then the sweep finds it.
		unposted := func() []string {
			t.Helper()
			es, err := s.UnpostedBankEntries(ctx, clk.Now().Add(2*time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, e.ID)
			}
			return out
		}
		if diff := cmp.Diff([]string{full.ID}, unposted()); diff != "" {
			t.Errorf("unposted (-want +got):\n%s", diff)
		}
		mark := func(id string, ret bool) bool {
			t.Helper()
			var ok bool
			if err := s.InBankTx(ctx, func(tx wallet.BankTx) error {
				var err error
				ok, err = tx.MarkBankEntryPosted(ctx, id, ret, clk.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !mark(full.ID, false) || mark(full.ID, false) {
			t.Error("marking the plan posted: want true once, then false")
		}
		if diff := cmp.Diff([]string{full.ID}, unposted()); diff != "" {
			t.Errorf("unposted with the return plan left (-want +got):\n%s", diff)
		}
		if !mark(full.ID, true) || mark(full.ID, true) {
			t.Error("marking the return plan posted: want true once, then false")
		}
		if got := unposted(); len(got) != 0 {
			t.Errorf("unposted after both: %v", got)
		}
		if mark(others[0].ID, false) {
			t.Error("marked an entry without a plan posted")
		}
		got, _ = s.BankEntry(ctx, full.ID)
		if !got.PostedAt.Equal(clk.Now()) || !got.ReturnPostedAt.Equal(clk.Now()) {
			t.Errorf("posted at %v and %v, want %v", got.PostedAt, got.ReturnPostedAt, clk.Now())
		}
	})
}

// The bank transaction writes the audit log, and a rollback takes the
// record back with the change.
func TestWalletBankTxAudit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", newFakeClock().Now)
		ctx := context.Background()
		s := db.Wallet()
		boom := errors.New("boom")
		record := func(action string, fail error) error {
			return s.InBankTx(ctx, func(tx wallet.BankTx) error {
				if err := audit.Record(ctx, tx, audit.Event{ActorID: 9, Action: action, TargetType: "bank_entry", TargetID: "be_x"}); err != nil {
					return err
				}
				return fail
			})
		}
		if err := record("bank_unmatched_returned", nil); err != nil {
			t.Fatal(err)
		}
		if err := record("bank_unmatched_assigned", boom); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		evs, err := db.Audit().AuditEvents(ctx, audit.Query{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Action != "bank_unmatched_returned" || evs[0].ActorID != 9 {
			t.Errorf("audit log %+v, want the committed record only", evs)
		}
	})
}

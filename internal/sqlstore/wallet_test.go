package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func TestWalletStoreWallets(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		s := db.Wallet()
		w := wallet.Wallet{ID: "OK123456786", UserID: 7, CreatedAt: clk.Now()}
		insert := func(w wallet.Wallet) error {
			return s.InTx(ctx, func(tx wallet.Tx) error { return tx.InsertWallet(ctx, w) })
		}
		if err := insert(w); err != nil {
			t.Fatal(err)
		}
		if err := insert(wallet.Wallet{ID: "OK000000000", UserID: 7, CreatedAt: clk.Now()}); !errors.Is(err, wallet.ErrUserHasWallet) {
			t.Errorf("second wallet of a user: %v, want ErrUserHasWallet", err)
		}
		if err := insert(wallet.Wallet{ID: w.ID, UserID: 8, CreatedAt: clk.Now()}); !errors.Is(err, wallet.ErrWalletIDTaken) {
			t.Errorf("a taken id: %v, want ErrWalletIDTaken", err)
		}
		for range 2 { // adding the same accounts again keeps the first
			if err := s.InTx(ctx, func(tx wallet.Tx) error {
				return tx.AddAccounts(ctx, w.ID, map[string]int64{"USD": 1, "EUR": 2})
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.WalletByUser(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		w.Accounts = map[string]int64{"USD": 1, "EUR": 2}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("wallet (-want +got):\n%s", diff)
		}
		if _, err := s.Wallet(ctx, "OK000000000"); !errors.Is(err, wallet.ErrWalletNotFound) {
			t.Errorf("unknown wallet: %v", err)
		}
	})
}

func TestWalletStoreMovementRoundTrip(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		s := db.Wallet()
		usd := money.MustCurrency("USD")
		parent := ledger.NewID()
		m := wallet.Movement{
			ID: "mv_01h455vb4pex5vsknk084sn02q", WalletID: "OK123456786", UserID: 7, Type: wallet.TypeSend,
			Status: wallet.StatusPending, Amount: money.Amount{Minor: 12_34, Currency: usd},
			Fee: money.Amount{Minor: 5, Currency: usd}, FeePayer: wallet.PayerSender,
			Counterparty: wallet.Counterparty{WalletID: "OK000000000", UserID: 8, Display: "b***b@example.com"},
			SelfDisplay:  "a***e@example.com", Note: "午饭", Method: wallet.MethodWallet, PeerID: "mv_x",
			IdempotencyKey: "k", Fingerprint: "fp", Ready: true,
			Plan: []ledger.Transfer{
				{ID: ledger.DeriveID(parent, "send"), DebitAccountID: 1, CreditAccountID: 2, Amount: 12_34, Currency: "USD",
					Code: wallet.TransferSend, Flags: ledger.Linked, Metadata: "mv_01h455vb4pex5vsknk084sn02q"},
				{ID: ledger.DeriveID(parent, "hold"), DebitAccountID: 1, CreditAccountID: 3, Amount: 5, Currency: "USD",
					Code: wallet.TransferFee, Flags: ledger.Pending, Timeout: 3600e9, PendingID: parent},
			},
			CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
		}
		insert := func(m wallet.Movement) bool {
			var ok bool
			if err := s.InTx(ctx, func(tx wallet.Tx) error {
				var err error
				ok, err = tx.InsertMovement(ctx, m)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !insert(m) {
			t.Fatal("insert refused")
		}
		dup := m
		dup.ID = "mv_01h455vb4pex5vsknk084sn02r"
		if insert(dup) {
			t.Errorf("a second movement with the same key was stored")
		}
		dup.IdempotencyKey = ""
		if !insert(dup) {
			t.Errorf("a movement without a key was refused")
		}
		got, err := s.MovementByKey(ctx, 7, "k")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("movement (-want +got):\n%s", diff)
		}

		// Updates are conditional on the version.
		update := func(m wallet.Movement) bool {
			var ok bool
			if err := s.InTx(ctx, func(tx wallet.Tx) error {
				var err error
				ok, err = tx.UpdateMovement(ctx, m)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		done := got
		done.Status, done.PostedAt = wallet.StatusCompleted, clk.Now()
		if !update(done) {
			t.Fatal("update refused")
		}
		if update(done) {
			t.Errorf("an update with a stale version was applied")
		}
		got, _ = s.Movement(ctx, m.ID)
		if got.Status != wallet.StatusCompleted || got.Version != 1 || !got.PostedAt.Equal(clk.Now()) {
			t.Errorf("after update: %+v", got)
		}
		totals, err := s.Totals(ctx, "OK123456786", clk.Now(), clk.Now().Add(1))
		if err != nil || len(totals) != 1 || totals[0] != (wallet.Total{Currency: "USD", Type: wallet.TypeSend, Amount: 12_34, Fee: 5}) {
			t.Errorf("totals: %+v, %v", totals, err)
		}
	})
}

func TestWalletDirectory(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		user := func(email, phone string, st auth.Status) int64 {
			var id int64
			if err := db.Auth().InTx(ctx, func(tx auth.Tx) error {
				var err error
				id, err = tx.CreateUser(ctx, auth.User{Email: email, Phone: phone, Status: st, Role: auth.RoleCustomer, CreatedAt: clk.Now()})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		a := user("a@example.com", "+8613800000001", auth.StatusActive)
		user("b@example.com", "+8613800000002", auth.StatusActive)
		user("c@example.com", "+8613800000002", auth.StatusActive)
		d := user("d@example.com", "+8613800000003", auth.StatusDisabled)
		dir := db.WalletDirectory()
		if p, err := dir.ByEmail(ctx, "a@example.com"); err != nil || p.UserID != a || p.Phone != "+8613800000001" {
			t.Errorf("by email: %+v, %v", p, err)
		}
		if p, err := dir.ByPhone(ctx, "+8613800000001"); err != nil || p.UserID != a {
			t.Errorf("by phone: %+v, %v", p, err)
		}
		for name, err := range map[string]error{
			"shared phone":    walletErrOf(dir.ByPhone(ctx, "+8613800000002")),
			"disabled user":   walletErrOf(dir.ByEmail(ctx, "d@example.com")),
			"disabled by id":  walletErrOf(dir.Person(ctx, d)),
			"unknown email":   walletErrOf(dir.ByEmail(ctx, "x@example.com")),
			"empty phone":     walletErrOf(dir.ByPhone(ctx, "")),
			"unknown user id": walletErrOf(dir.Person(ctx, 999)),
		} {
			if !errors.Is(err, wallet.ErrRecipientNotFound) {
				t.Errorf("%s: %v, want recipient_not_found", name, err)
			}
		}
	})
}

func walletErrOf[T any](_ T, err error) error { return err }

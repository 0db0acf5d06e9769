package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		n, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("second Migrate applied %d migrations, want 0", n)
		}
		ms, _ := sqlstore.Migrations(e)
		var got int
		if err := db.Read().QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != len(ms) {
			t.Errorf("schema_migrations has %d rows, want %d", got, len(ms))
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx sqlstore.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO ledger_accounts (ref, currency, created_at) VALUES ($1, $2, $3)", "a", "USD", 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		var n int
		if err := db.Read().QueryRow(ctx, "SELECT count(*) FROM ledger_accounts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("rolled-back insert left %d rows", n)
		}
	})
}

func TestUniqueViolationByCode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		ctx := context.Background()
		ins := "INSERT INTO ledger_accounts (ref, currency, created_at) VALUES ($1, $2, $3)"
		if _, err := db.Write().Exec(ctx, ins, "a", "USD", 1); err != nil {
			t.Fatal(err)
		}
		_, err := db.Write().Exec(ctx, ins, "a", "USD", 1)
		if !sqlstore.IsUniqueViolation(err) {
			t.Errorf("IsUniqueViolation(%v) = false, want true", err)
		}
		if !sqlstore.IsTransient(err) {
			t.Errorf("IsTransient(unique violation) = false, want true")
		}
		if err := db.Read().QueryRow(ctx, "SELECT id FROM ledger_accounts WHERE ref = 'nope'").Scan(new(int64)); !errors.Is(err, sqlstore.ErrNoRows) {
			t.Errorf("missing row: got %v, want ErrNoRows", err)
		}
	})
}

package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func TestTwoFactorSecretSealedAtRest(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		key := bytes.Repeat([]byte{9}, 32)
		svc, err := twofactor.New(twofactor.Config{MasterKey: key, Store: db.TwoFactor(), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		en, err := svc.BeginEnrolment(ctx, 42, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
		var sealed []byte
		if err := db.Read().QueryRow(ctx, "SELECT sealed FROM twofactor_totp WHERE user_id = $1", 42).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, secret) || bytes.Contains(sealed, []byte(en.Secret)) {
			t.Fatalf("stored secret contains the plaintext")
		}
		box, _ := secretbox.New(key, "totp")
		if got, err := box.Open(sealed, twofactor.AD(42)); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("open with own AD = %x, %v; want the secret", got, err)
		}
		if _, err := box.Open(sealed, twofactor.AD(43)); !errors.Is(err, secretbox.ErrOpen) {
			t.Errorf("open with another user's AD: %v, want ErrOpen", err)
		}

		// Copied into another user's row, the secret is refused, not used.
		if _, err := svc.BeginEnrolment(ctx, 43, "b@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write().Exec(ctx, "UPDATE twofactor_totp SET sealed = $1 WHERE user_id = $2", sealed, 43); err != nil {
			t.Fatal(err)
		}
		code := twofactor.TOTPCode(secret, clk.Now(), twofactor.SHA1, 6, twofactor.Period)
		if _, err := svc.ConfirmEnrolment(ctx, 43, code, twofactor.Meta{}); !errors.Is(err, secretbox.ErrOpen) {
			t.Errorf("confirm with a copied secret: %v, want ErrOpen", err)
		}
	})
}

// The single-use guarantees rest on conditional updates; check them
// directly on both engines.
func TestTwoFactorStoreConditionalUpdates(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := newFakeClock()
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		s := db.TwoFactor()
		check := func(name string, want bool, fn func(tx twofactor.Tx) (bool, error)) {
			t.Helper()
			var got bool
			if err := s.InTx(ctx, func(tx twofactor.Tx) error {
				var err error
				got, err = fn(tx)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		rec := twofactor.TOTPRecord{UserID: 1, Sealed: []byte{1, 2, 3}, CreatedAt: clk.Now()}
		check("put pending", true, func(tx twofactor.Tx) (bool, error) { return tx.PutTOTP(ctx, rec) })
		check("advance pending", false, func(tx twofactor.Tx) (bool, error) { return tx.AdvanceTOTP(ctx, 1, 5) })
		check("enable", true, func(tx twofactor.Tx) (bool, error) { return tx.EnableTOTP(ctx, 1, 5, clk.Now()) })
		check("enable again", false, func(tx twofactor.Tx) (bool, error) { return tx.EnableTOTP(ctx, 1, 6, clk.Now()) })
		check("put over enabled", false, func(tx twofactor.Tx) (bool, error) { return tx.PutTOTP(ctx, rec) })
		check("advance same step", false, func(tx twofactor.Tx) (bool, error) { return tx.AdvanceTOTP(ctx, 1, 5) })
		check("advance", true, func(tx twofactor.Tx) (bool, error) { return tx.AdvanceTOTP(ctx, 1, 6) })
		check("advance back", false, func(tx twofactor.Tx) (bool, error) { return tx.AdvanceTOTP(ctx, 1, 4) })

		id := []byte("challenge-1")
		if err := s.InTx(ctx, func(tx twofactor.Tx) error {
			return tx.InsertChallenge(ctx, twofactor.Challenge{IDHash: id, UserID: 1, ActionHash: []byte("a"),
				CreatedAt: clk.Now(), ExpiresAt: clk.Now().Add(time.Minute)})
		}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= twofactor.MaxFailures; i++ {
			check("fail", true, func(tx twofactor.Tx) (bool, error) {
				n, err := tx.FailChallenge(ctx, id)
				return n == i, err
			})
		}
		check("finish after max failures", false, func(tx twofactor.Tx) (bool, error) { return tx.FinishChallenge(ctx, id, clk.Now()) })
		check("email code on ended", false, func(tx twofactor.Tx) (bool, error) {
			return tx.SetEmailCode(ctx, id, []byte("h"), clk.Now())
		})
		check("challenge ended", true, func(tx twofactor.Tx) (bool, error) {
			c, err := tx.Challenge(ctx, id)
			return c.Ended && c.Failures == twofactor.MaxFailures && c.UserID == 1, err
		})
		check("unknown challenge", true, func(tx twofactor.Tx) (bool, error) {
			_, err := tx.Challenge(ctx, []byte("nope"))
			return errors.Is(err, twofactor.ErrNotFound), nil
		})

		if err := s.InTx(ctx, func(tx twofactor.Tx) error {
			return tx.ReplaceRecoveryCodes(ctx, 1, [][]byte{[]byte("r1"), []byte("r2")}, clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
		check("use recovery", true, func(tx twofactor.Tx) (bool, error) { return tx.UseRecoveryCode(ctx, 1, []byte("r1"), clk.Now()) })
		check("use recovery twice", false, func(tx twofactor.Tx) (bool, error) { return tx.UseRecoveryCode(ctx, 1, []byte("r1"), clk.Now()) })
		check("use recovery of other user", false, func(tx twofactor.Tx) (bool, error) { return tx.UseRecoveryCode(ctx, 2, []byte("r2"), clk.Now()) })
		check("delete", true, func(tx twofactor.Tx) (bool, error) { return tx.DeleteTOTP(ctx, 1) })
		check("recovery gone", true, func(tx twofactor.Tx) (bool, error) {
			n, err := tx.RecoveryCodesLeft(ctx, 1)
			return n == 0, err
		})
	})
}

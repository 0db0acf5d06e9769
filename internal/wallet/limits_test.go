package wallet_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// testLimits are small limits so tests reach them (US cents).
var testLimits = kyc.Limits{
	kyc.Unverified: {SendMonthly: 100_00, WithdrawMonthly: 50_00, Holding: 1_000_00},
	kyc.Verified:   {SendMonthly: 300_00, WithdrawMonthly: 200_00, Holding: 5_000_00},
	kyc.Business:   {SendMonthly: 900_00, WithdrawMonthly: 900_00, Holding: 50_000_00},
}

// withKYC wires the limits of internal/kyc into the wallet.
func withKYC(k **kyc.Service) func(*env, *wallet.Options) {
	return func(en *env, o *wallet.Options) {
		svc, err := kyc.New(kyc.Options{Store: en.db.KYC(), Ledger: en.l, Limits: testLimits,
			MasterKey: bytes.Repeat([]byte{9}, 32), Now: en.clock.Now, Logger: quiet})
		if err != nil {
			en.t.Fatal(err)
		}
		o.Limiter = svc
		*k = svc
	}
}

// raise sets a user's level as a staff approval would.
func raise(t *testing.T, en *env, userID int64, lv kyc.Level) {
	t.Helper()
	err := en.db.KYC().InTx(context.Background(), func(tx kyc.Tx) error {
		_, err := tx.RaiseLevel(context.Background(), userID, lv, "", 1, en.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSendLimitUnderConcurrency: twenty concurrent sends of 10 USD against
// a 100 USD monthly limit: exactly ten go through, the rest are refused as
// over the send limit, and the limit page's numbers agree.
func TestSendLimitUnderConcurrency(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var k *kyc.Service
		en := newEnv(t, e, withKYC(&k))
		alice := en.mustUser(emailOf("alice"), "")
		bob := en.mustUser(emailOf("bob"), "")
		en.mustFund(alice, amt(500_00, usd))
		en.mustFund(alice, amt(80_00, cny))
		bw := en.mustOpen(bob)

		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := en.svc.Send(context.Background(), wallet.SendRequest{UserID: alice, To: string(bw.ID),
					Amount: amt(10_00, usd), IdempotencyKey: fmt.Sprintf("limit-%d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && m.Status == wallet.StatusCompleted:
					ok++
				case wallet.ErrorCode(err) == wallet.CodeSendLimit:
					refused++
				default:
					t.Errorf("send %d: %v (%+v)", i, err, m)
				}
			}()
		}
		wg.Wait()
		if ok != 10 || refused != 10 {
			t.Fatalf("accepted %d, refused %d; want 10 and 10", ok, refused)
		}
		if got := en.available(bob, usd); got != 100_00 {
			t.Errorf("bob received %d cents, want 10000", got)
		}
		left, err := k.Left(context.Background(), alice, kyc.KindSend)
		if err != nil {
			t.Fatal(err)
		}
		if left.Left.Minor != 0 || left.Used.Minor != 100_00 {
			t.Errorf("send limit: used %s, left %s; want 100.00 and 0", left.Used, left.Left)
		}
		// 8 CNY is 1 USD: still over.
		_, err = en.svc.Send(context.Background(), wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(8_00, cny)})
		wantCode(t, "a CNY send over the limit", err, wallet.CodeSendLimit)

		// Verified mid-month: the allowance is topped up by the difference.
		raise(t, en, alice, kyc.Verified)
		en.mustSend(wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(200_00, usd)})
		_, err = en.svc.Send(context.Background(), wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(1, usd)})
		wantCode(t, "a send over the verified limit", err, wallet.CodeSendLimit)

		// A new month starts afresh.
		en.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		en.mustSend(wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(150_00, usd)})
		left, err = k.Left(context.Background(), alice, kyc.KindSend)
		if err != nil {
			t.Fatal(err)
		}
		if left.Left.Minor != 150_00 {
			t.Errorf("December: left %s, want 150.00", left.Left)
		}
	})
}

// TestHoldingLimit: a deposit that would take the balance over the holding
// limit is refused before the card is charged; a payment that would take
// the recipient over theirs is refused and moves nothing; money that
// leaves frees room.
func TestHoldingLimit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var k *kyc.Service
		en := newEnv(t, e, withKYC(&k))
		alice := en.mustUser(emailOf("alice"), "")
		bob := en.mustUser(emailOf("bob"), "")
		raise(t, en, alice, kyc.Business)
		en.mustFund(alice, amt(2_000_00, usd))
		en.mustFund(bob, amt(950_00, usd))
		_, err := en.svc.Deposit(context.Background(), wallet.DepositRequest{UserID: bob, Method: wallet.MethodCard,
			Amount: amt(100_00, usd), Source: cardOK, IdempotencyKey: "over"})
		wantCode(t, "a deposit over the holding limit", err, wallet.CodeHoldingLimit)
		if got := en.card.takenTotal(); got != 2_950_00 {
			t.Errorf("cards charged %d, want 295000 (nothing for the refused deposit)", got)
		}
		bw := en.mustOpen(bob)
		_, err = en.svc.Send(context.Background(), wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(60_00, usd)})
		wantCode(t, "a send over the recipient's holding limit", err, wallet.CodeRecipientHoldingLimit)
		if got := en.available(bob, usd); got != 950_00 {
			t.Errorf("bob holds %d, want 95000", got)
		}
		aw := en.mustOpen(alice)
		en.mustSend(wallet.SendRequest{UserID: bob, To: string(aw.ID), Amount: amt(50_00, usd)})
		en.mustSend(wallet.SendRequest{UserID: alice, To: string(bw.ID), Amount: amt(100_00, usd)})
		hold, err := k.Left(context.Background(), bob, kyc.KindHolding)
		if err != nil {
			t.Fatal(err)
		}
		if hold.Used.Minor != 1_000_00 || hold.Left.Minor != 0 {
			t.Errorf("bob's holding: used %s, left %s; want 1000.00 and 0", hold.Used, hold.Left)
		}
	})
}

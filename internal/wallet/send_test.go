package wallet_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

var _ wallet.StepUp = (*twofactor.Service)(nil)

func TestSendFeeOnSenderAndOnReceiver(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 100, 25) // 1% + 0.25
		alice := en.mustUser("alice.wang@example.com", "+8613800138000")
		bob := en.mustUser("bob@example.com", "+8613900139000")
		bw := en.mustOpen(bob)
		en.mustFund(alice, amt(500_00, usd))

		// Fee on the sender: by email.
		q, err := en.svc.QuoteSend(ctx, wallet.SendRequest{UserID: alice, To: " BOB@example.com ", Amount: amt(100_00, usd)})
		if err != nil {
			t.Fatalf("quote: %v", err)
		}
		if q.Fee != amt(1_25, usd) || q.Debited != amt(101_25, usd) || q.Credited != amt(100_00, usd) ||
			q.FeePayer != wallet.PayerSender || q.To.WalletID != bw.ID || q.To.Display != "b***b@example.com" ||
			q.StepUpRequired || q.Available != amt(500_00, usd) {
			t.Fatalf("quote: %+v", q)
		}
		m := en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(100_00, usd),
			Note: "午饭 lunch", IdempotencyKey: "s1"})
		if m.Type != wallet.TypeSend || m.Fee != amt(1_25, usd) || m.Counterparty.WalletID != bw.ID ||
			m.Counterparty.Display != "b***b@example.com" || len(m.TransferIDs()) != 2 || m.PeerID == "" {
			t.Errorf("send movement: %+v", m)
		}
		if got := en.available(alice, usd); got != 500_00-101_25 {
			t.Errorf("alice %d, want %d", got, 500_00-101_25)
		}
		if got := en.available(bob, usd); got != 100_00 {
			t.Errorf("bob %d, want 10000", got)
		}
		// Bob sees the receiving side, with Alice masked and no fee.
		r, err := en.svc.Movement(ctx, bob, m.PeerID)
		if err != nil || r.Type != wallet.TypeReceive || r.Status != wallet.StatusCompleted || r.Amount != amt(100_00, usd) ||
			!r.Fee.IsZero() || r.Counterparty.Display != "a***g@example.com" || r.PeerID != m.ID || r.Note != "午饭 lunch" {
			t.Errorf("receive movement: %+v, %v", r, err)
		}

		// Fee on the receiver: by phone.
		q, err = en.svc.QuoteSend(ctx, wallet.SendRequest{UserID: alice, To: "+86 139 0013 9000", Amount: amt(50_00, usd),
			FeePayer: wallet.PayerReceiver})
		if err != nil || q.Fee != amt(75, usd) || q.Debited != amt(50_00, usd) || q.Credited != amt(49_25, usd) {
			t.Fatalf("quote, receiver pays: %+v, %v", q, err)
		}
		m = en.mustSend(wallet.SendRequest{UserID: alice, To: "+8613900139000", Amount: amt(50_00, usd),
			FeePayer: wallet.PayerReceiver, IdempotencyKey: "s2"})
		if !m.Fee.IsZero() || m.FeePayer != wallet.PayerReceiver {
			t.Errorf("sender's side when the receiver pays: %+v", m)
		}
		r, _ = en.svc.Movement(ctx, bob, m.PeerID)
		if r.Fee != amt(75, usd) || r.Net() != 49_25 {
			t.Errorf("receiver's side when the receiver pays: %+v (net %d)", r, r.Net())
		}
		if got := en.available(alice, usd); got != 500_00-101_25-50_00 {
			t.Errorf("alice %d", got)
		}
		if got := en.available(bob, usd); got != 100_00+49_25 {
			t.Errorf("bob %d", got)
		}
		if got := en.platformBalance(wallet.FeeRevenue, usd); got != 1_25+75 {
			t.Errorf("fee revenue %d, want 200", got)
		}

		// By wallet id, as typed with spaces and lower case; no fee.
		en.fees.set(wallet.FeeSend, 0, 0)
		aw := en.mustOpen(alice)
		m = en.mustSend(wallet.SendRequest{UserID: bob, To: " ok" + string(aw.ID[2:5]) + " " + string(aw.ID[5:]), Amount: amt(1_00, usd)})
		if m.Counterparty.WalletID != aw.ID || len(m.TransferIDs()) != 1 {
			t.Errorf("send by wallet id: %+v", m)
		}
	})
}

func TestSendRefusals(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 50)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "+8613900139000")
		carol := en.mustUser("carol@example.com", "+8613900139000") // shares bob's phone
		aw := en.mustOpen(alice)
		bw := en.mustOpen(bob)
		en.mustOpen(carol)
		en.mustFund(alice, amt(10_00, usd))
		mistyped := []byte(bw.ID)
		mistyped[5], mistyped[6] = mistyped[6], mistyped[5]
		if mistyped[5] == mistyped[6] {
			mistyped[5] = '0' + (mistyped[5]-'0'+1)%10
		}
		send := func(to string, a int64, payer wallet.Payer) error {
			_, err := en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: to, Amount: amt(a, usd), FeePayer: payer})
			return err
		}
		tests := []struct {
			name string
			err  error
			want wallet.Code
		}{
			{"mistyped wallet id", send(string(mistyped), 1_00, ""), wallet.CodeWalletIDCheckDigit},
			{"malformed wallet id", send("OK12345", 1_00, ""), wallet.CodeInvalidWalletID},
			{"unknown wallet id", send("OK000000000", 1_00, ""), wallet.CodeRecipientNotFound},
			{"unknown email", send("nobody@example.com", 1_00, ""), wallet.CodeRecipientNotFound},
			{"shared phone", send("+8613900139000", 1_00, ""), wallet.CodeRecipientNotFound},
			{"gibberish", send("hello", 1_00, ""), wallet.CodeInvalidRecipient},
			{"to oneself by email", send("alice@example.com", 1_00, ""), wallet.CodeSameWallet},
			{"to oneself by wallet id", send(string(aw.ID), 1_00, ""), wallet.CodeSameWallet},
			{"zero", send("bob@example.com", 0, ""), wallet.CodeInvalidAmount},
			{"negative", send("bob@example.com", -5, ""), wallet.CodeInvalidAmount},
			{"more than the balance", send("bob@example.com", 9_51, ""), wallet.CodeInsufficientFunds},
			{"fee eats it all", send("bob@example.com", 50, wallet.PayerReceiver), wallet.CodeFeeExceedsAmount},
			{"unknown fee payer", send("bob@example.com", 1_00, "bank"), wallet.CodeInvalidFeePayer},
		}
		for _, tt := range tests {
			wantCode(t, tt.name, tt.err, tt.want)
		}
		_, err := en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1_00, currency("CHF"))})
		wantCode(t, "currency not enabled", err, wallet.CodeCurrencyNotEnabled)
		_, err = en.svc.Send(ctx, wallet.SendRequest{UserID: en.mustUser("dora@example.com", ""), To: "bob@example.com", Amount: amt(1_00, usd)})
		wantCode(t, "sender without a wallet", err, wallet.CodeWalletNotFound)
		// Exactly the balance, fee included, goes through.
		en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(9_50, usd)})
		if got := en.available(alice, usd); got != 0 {
			t.Errorf("alice %d, want 0", got)
		}
		var n int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE user_id = $1", alice).Scan(&n); err != nil || n != 2 {
			t.Errorf("alice's movements: %d, %v; refusals must not leave movements (want the deposit and the send)", n, err)
		}
	})
}

// A double-submitted form (the same idempotency key) returns the first
// movement and moves the money once, sequentially and concurrently.
func TestSendDoubleSubmit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 10)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(100_00, eur))
		req := wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(10_00, eur), Note: "rent", IdempotencyKey: "form-1"}
		first := en.mustSend(req)
		second := en.mustSend(req)
		if second.ID != first.ID {
			t.Fatalf("second submit: movement %s, want %s", second.ID, first.ID)
		}

		req.IdempotencyKey = "form-2"
		const n = 20
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := en.svc.Send(ctx, req)
				if err != nil {
					t.Errorf("concurrent submit: %v", err)
					return
				}
				ids[i] = m.ID
			}()
		}
		wg.Wait()
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("concurrent submits gave movements %s and %s", ids[0], ids[i])
			}
		}
		if got := en.available(alice, eur); got != 100_00-2*10_10 {
			t.Errorf("alice %d, want %d: two forms, each sent once", got, 100_00-2*10_10)
		}
		var sends int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE user_id = $1 AND type = 'send'", alice).Scan(&sends); err != nil || sends != 2 {
			t.Errorf("send movements: %d, %v; want 2", sends, err)
		}

		// The same key for another payment is refused, not ignored.
		req.Amount = amt(11_00, eur)
		_, err := en.svc.Send(ctx, req)
		wantCode(t, "same key, other amount", err, wallet.CodeIdempotencyKeyReuse)
	})
}

// 1,000 sends race from one wallet, each for the whole balance less its
// fee: the ledger lets exactly one through.
func TestConcurrentSendsOneWins(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 30)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(100_00, usd))

		const n = 1000
		errs := make([]error, n)
		ms := make([]wallet.Movement, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ms[i], errs[i] = en.svc.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com",
					Amount: amt(100_00-30, usd), IdempotencyKey: fmt.Sprintf("race-%d", i)})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i := range n {
			switch {
			case errs[i] == nil && ms[i].Status == wallet.StatusCompleted:
				won++
			case errors.Is(errs[i], wallet.ErrInsufficientFunds):
			default:
				t.Errorf("send %d: %+v, %v; want completed or insufficient_funds", i, ms[i], errs[i])
			}
		}
		if won != 1 {
			t.Errorf("%d sends succeeded, want exactly 1", won)
		}
		// Sends that passed the balance check before the winner committed
		// were refused by the ledger itself, and say so in the history.
		var refused int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE status = 'failed' AND failure_code = 'insufficient_funds'").Scan(&refused); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d of %d sends were refused by the ledger, the rest before any movement", refused, n-1)
		if got := en.available(alice, usd); got != 0 {
			t.Errorf("alice %d, want 0", got)
		}
		if got := en.available(bob, usd); got != 100_00-30 {
			t.Errorf("bob %d, want %d", got, 100_00-30)
		}
	})
}

func TestLargePaymentsNeedStepUp(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		bw := en.mustOpen(bob)
		en.mustFund(alice, amt(5000_00, usd))
		en.mustFund(alice, amt(5000_00, eur))

		// Under the threshold: no step-up.
		q, err := en.svc.QuoteSend(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(999_99, usd)})
		if err != nil || q.StepUpRequired {
			t.Fatalf("999.99 USD: %+v, %v; want no step-up", q, err)
		}
		// At the threshold, without 2FA: refused, telling to turn it on.
		big := wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1000_00, usd), IdempotencyKey: "big"}
		q, err = en.svc.QuoteSend(ctx, big)
		if err != nil || !q.StepUpRequired || q.TwoFactorEnabled {
			t.Fatalf("1000 USD quote: %+v, %v", q, err)
		}
		_, err = en.svc.Send(ctx, big)
		wantCode(t, "large send without 2FA", err, wallet.CodeTwoFactorRequired)

		en.stepUp.enabled[alice] = true
		_, err = en.svc.Send(ctx, big)
		wantCode(t, "large send without a token", err, wallet.CodeStepUpRequired)
		big.StepUpToken = "forged"
		_, err = en.svc.Send(ctx, big)
		wantCode(t, "large send with a bad token", err, wallet.CodeStepUpFailed)
		// A token for another payment (other amount, payee or payer) is refused.
		for _, a := range []twofactor.Action{
			wallet.SendAction(amt(1000_01, usd), bw.ID, wallet.PayerSender),
			wallet.SendAction(amt(1000_00, usd), "OK000000000", wallet.PayerSender),
			wallet.SendAction(amt(1000_00, usd), bw.ID, wallet.PayerReceiver),
		} {
			big.StepUpToken = en.stepUp.grant(alice, a)
			_, err = en.svc.Send(ctx, big)
			wantCode(t, fmt.Sprintf("token for %v", a.Params), err, wallet.CodeStepUpFailed)
		}
		if got := en.available(alice, usd); got != 5000_00 {
			t.Fatalf("money moved without step-up: %d", got)
		}
		// The quote's action is the one to approve.
		q, _ = en.svc.QuoteSend(ctx, big)
		big.StepUpToken = en.stepUp.grant(alice, q.StepUpAction)
		m := en.mustSend(big)
		// The double submit is answered without spending another token.
		again, err := en.svc.Send(ctx, big)
		if err != nil || again.ID != m.ID {
			t.Errorf("double submit of a stepped-up send: %+v, %v", again, err)
		}
		if got := en.available(alice, usd); got != 4000_00 {
			t.Errorf("alice %d, want 400000", got)
		}

		// Other currencies are converted: 800 EUR is 1,000 USD.
		q, err = en.svc.QuoteSend(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(799_99, eur)})
		if err != nil || q.StepUpRequired {
			t.Errorf("799.99 EUR: %+v, %v", q, err)
		}
		q, err = en.svc.QuoteSend(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(800_00, eur)})
		if err != nil || !q.StepUpRequired || !q.TwoFactorEnabled {
			t.Errorf("800 EUR: %+v, %v", q, err)
		}
	})
}

// The real two-factor service approves a large send once.
func TestLargePaymentWithTwoFactorService(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var tf *twofactor.Service
		en := newEnv(t, e, func(en *env, o *wallet.Options) {
			svc, err := twofactor.New(twofactor.Config{MasterKey: bytes.Repeat([]byte{7}, 32), Store: en.db.TwoFactor(), Now: o.Now})
			if err != nil {
				t.Fatal(err)
			}
			tf = svc
			o.StepUp = svc
		})
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(4000_00, usd))

		enr, err := tf.BeginEnrolment(ctx, alice, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
		code := func() string {
			return twofactor.TOTPCode(secret, en.clock.Now(), twofactor.SHA1, 6, twofactor.Period)
		}
		if _, err := tf.ConfirmEnrolment(ctx, alice, code(), twofactor.Meta{}); err != nil {
			t.Fatal(err)
		}
		req := wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1500_00, usd), IdempotencyKey: "tf"}
		q, err := en.svc.QuoteSend(ctx, req)
		if err != nil || !q.StepUpRequired || !q.TwoFactorEnabled {
			t.Fatalf("quote: %+v, %v", q, err)
		}
		challenge, err := tf.Begin(ctx, alice, q.StepUpAction)
		if err != nil {
			t.Fatal(err)
		}
		en.clock.Add(twofactor.Period)
		res, err := tf.Verify(ctx, challenge, twofactor.MethodTOTP, code(), twofactor.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		req.StepUpToken = res.StepUpToken
		en.mustSend(req)
		req.IdempotencyKey = "tf-again"
		_, err = en.svc.Send(ctx, req)
		wantCode(t, "token used twice", err, wallet.CodeStepUpFailed)
		if got := en.available(alice, usd); got != 2500_00 {
			t.Errorf("alice %d, want 250000", got)
		}
	})
}

func TestMonthlyVolumeReachesFees(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, amt(1000_00, usd))
		en.mustFund(alice, amt(1000_00, eur))
		en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(100_00, usd)})
		en.mustSend(wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(80_00, eur)}) // 100 USD
		if _, err := en.svc.QuoteSend(context.Background(), wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1, usd)}); err != nil {
			t.Fatal(err)
		}
		if got := en.fees.lastVolume(); got != 200_00 {
			t.Errorf("monthly volume %d US cents, want 20000", got)
		}
		// A new month starts from zero.
		en.clock.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if _, err := en.svc.QuoteSend(context.Background(), wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: amt(1, usd)}); err != nil {
			t.Fatal(err)
		}
		if got := en.fees.lastVolume(); got != 0 {
			t.Errorf("volume in a new month %d, want 0", got)
		}
	})
}

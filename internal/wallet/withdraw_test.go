package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// noticeMailer queues a real (plain) message per notice in the caller's
// transaction, so counting mail_outbox rows counts the notices that
// committed.
type noticeMailer struct{ outbox *mail.Outbox }

func (m noticeMailer) QueueWithdrawal(ctx context.Context, tx wallet.WithdrawTx, n wallet.WithdrawalNotice) error {
	to, _, err := tx.UserContact(ctx, n.Withdrawal.UserID)
	if err != nil {
		return err
	}
	_, err = m.outbox.Queue(ctx, tx.Outbox(), mail.Message{To: []mail.Address{{Address: to}},
		Subject: fmt.Sprintf("withdrawal %s %s %s", n.Withdrawal.ID, n.Withdrawal.Status, n.Withdrawal.FailureCode),
		Text:    "notice\n"})
	return err
}

// wenv is a wallet env with withdrawals over the connectors' sandboxes,
// on the platform's default calendar.
type wenv struct {
	*env
	bank, ewallet *connector.BankSandbox
	ew            *connector.EWalletSandbox
	wd            *wallet.Withdrawals
	hook          func(string)
	outbox        *mail.Outbox
}

var testKey = bytes.Repeat([]byte{9}, 32)

func newWithdrawEnv(t *testing.T, e sqlstore.Engine) *wenv {
	t.Helper()
	en := newEnv(t, e)
	cal := calendar.Default()
	cfg := connector.SandboxConfig{Now: en.clock.Now, AddBusinessDays: cal.AddBusinessDays}
	ob, err := mail.NewOutbox(mail.Options{From: mail.Address{Address: "no-reply@okpay.localhost"}, Now: en.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	we := &wenv{env: en, bank: connector.NewBankSandbox(cfg), ew: connector.NewEWalletSandbox(cfg), outbox: ob}
	we.wd = we.restart()
	return we
}

// restart builds the withdrawals anew over the same database and rails,
// as a node that started again would.
func (we *wenv) restart() *wallet.Withdrawals {
	we.t.Helper()
	w, err := wallet.NewWithdrawals(we.svc, wallet.WithdrawOptions{
		Store:           we.db.Wallet(),
		Payers:          map[wallet.Method]wallet.PayoutRail{wallet.MethodBank: adapt.Payer(we.bank), wallet.MethodEWallet: adapt.Payer(we.ew)},
		MasterKey:       testKey,
		Mailer:          noticeMailer{we.outbox},
		AddBusinessDays: calendar.Default().AddBusinessDays,
		Hook:            func(p string) { we.runHook(p) },
	})
	if err != nil {
		we.t.Fatal(err)
	}
	return w
}

func (we *wenv) runHook(p string) {
	if we.hook != nil {
		we.hook(p)
	}
}

func (we *wenv) mustWithdraw(r wallet.WithdrawRequest) wallet.Withdrawal {
	we.t.Helper()
	if r.IdempotencyKey == "" {
		r.IdempotencyKey = fmt.Sprintf("wd-%d", time.Now().UnixNano())
	}
	w, err := we.wd.Withdraw(context.Background(), r)
	if err != nil {
		we.t.Fatalf("withdraw %+v: %v", r, err)
	}
	return w
}

func (we *wenv) get(id string) wallet.Withdrawal {
	we.t.Helper()
	w, err := we.db.Wallet().Withdrawal(context.Background(), id)
	if err != nil {
		we.t.Fatal(err)
	}
	return w
}

func (we *wenv) mustSettle() int {
	we.t.Helper()
	n, err := we.wd.Settle(context.Background())
	if err != nil {
		we.t.Fatal(err)
	}
	return n
}

func (we *wenv) mails(subjectPrefix string) int {
	we.t.Helper()
	var n int
	if err := we.db.Read().QueryRow(context.Background(), "SELECT count(*) FROM mail_outbox WHERE subject LIKE $1",
		subjectPrefix+"%").Scan(&n); err != nil {
		we.t.Fatal(err)
	}
	return n
}

func (we *wenv) held(userID int64, c money.Currency) int64 {
	we.t.Helper()
	b, err := we.svc.Balance(context.Background(), userID, c.Code)
	if err != nil {
		we.t.Fatal(err)
	}
	return b.Pending.Minor
}

func (we *wenv) movement(id string) wallet.Movement {
	we.t.Helper()
	m, err := we.db.Wallet().Movement(context.Background(), id)
	if err != nil {
		we.t.Fatal(err)
	}
	return m
}

const (
	ibanPaid1    = "DE89 3704 0044 0532 0130 00"
	ibanFails    = "DE62370400440532013001"
	ibanReturned = "DE78370400440532013004"
)

// TestWithdrawHoldThenSettle: the money is held at once (shown as held,
// not available), the payout settles on the calendar's next business day
// by the job, which posts the hold once however often it runs; the
// movement completes and counts in the statement.
func TestWithdrawHoldThenSettle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		we := newWithdrawEnv(t, e)
		we.fees.set(wallet.FeeWithdrawalBank, 0, 300)
		u := we.mustUser("li@example.com", "")
		we.mustFund(u, amt(100_00, usd))
		// Friday 2026-11-06 16:00 in Shanghai: the next business day is Monday.
		we.clock.Set(time.Date(2026, 11, 6, 8, 0, 0, 0, time.UTC))
		w := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanPaid1,
			Holder: "  Li   Lei ", Amount: amt(50_00, usd)})
		if w.Status != wallet.WithdrawalProcessing || w.Fee.Minor != 300 || w.PayoutID == "" {
			t.Fatalf("withdrawal = %+v", w)
		}
		if w.Display != "Li Lei · DE89 •••• 3000" {
			t.Errorf("display = %q", w.Display)
		}
		shanghai := calendar.Default().Location()
		if got := w.ExpectedAt.In(shanghai); got.Weekday() != time.Monday || got.Day() != 9 {
			t.Errorf("expected at %v, want Monday 9 November (weekend skipped)", got)
		}
		if got, want := we.available(u, usd), int64(100_00-50_00-300); got != want {
			t.Errorf("available %d, want %d", got, want)
		}
		if got := we.held(u, usd); got != 50_00+300 {
			t.Errorf("held %d, want %d", got, 50_00+300)
		}
		if m := we.movement(w.ID); m.Status != wallet.StatusProcessing || m.Type != wallet.TypeWithdrawal {
			t.Errorf("movement = %s %s", m.Type, m.Status)
		}
		// The account number is not stored in clear.
		var n int
		if err := we.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM wallet_withdrawals
			WHERE display LIKE '%0532013000%' OR plan LIKE '%0532013000%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the IBAN is stored in clear (%d rows, %v)", n, err)
		}
		if bytes.Contains(w.Sealed, []byte("0532013000")) {
			t.Error("the sealed destination holds the IBAN in clear")
		}

		// Saturday: nothing settles.
		we.clock.Set(time.Date(2026, 11, 7, 8, 0, 0, 0, time.UTC))
		if n := we.mustSettle(); n != 0 {
			t.Errorf("settled %d before the date", n)
		}
		// Monday: paid. Settling again changes nothing.
		we.clock.Set(time.Date(2026, 11, 9, 1, 0, 0, 0, time.UTC))
		if n := we.mustSettle(); n != 1 {
			t.Errorf("settled %d, want 1", n)
		}
		if n := we.mustSettle(); n != 0 {
			t.Errorf("a second run settled %d more", n)
		}
		w = we.get(w.ID)
		if w.Status != wallet.WithdrawalCompleted {
			t.Fatalf("status %s, want completed", w.Status)
		}
		if got := we.held(u, usd); got != 0 {
			t.Errorf("still held %d", got)
		}
		if got, want := we.available(u, usd), int64(100_00-50_00-300); got != want {
			t.Errorf("available %d, want %d", got, want)
		}
		m := we.movement(w.ID)
		if m.Status != wallet.StatusCompleted || m.PostedAt.IsZero() || m.Net() != -(50_00+300) {
			t.Errorf("movement %s posted %v net %d", m.Status, m.PostedAt, m.Net())
		}
		st, err := we.svc.Statement(context.Background(), u, 2026, time.November)
		if err != nil {
			t.Fatal(err)
		}
		if l := st.Lines[0]; l.Out.Minor != 50_00 || l.Fees.Minor != 300 || l.Closing.Minor != 100_00-50_00-300 {
			t.Errorf("statement line %+v", l)
		}
		if got := we.platformBalance(wallet.Bank, usd); got != 50_00 {
			t.Errorf("platform bank account credited %d, want 5000 (the payout leaving the bank)", got)
		}
	})
}

// TestWithdrawFailReturnCancel: a payout the bank fails releases the hold
// and tells the customer once; a returned one is paid, then credited back
// (amount and fee) with its own movement and a mail; a pending one can be
// canceled, a settled one cannot; an e-wallet the provider refuses fails
// at once.
func TestWithdrawFailReturnCancel(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		we := newWithdrawEnv(t, e)
		we.fees.set(wallet.FeeWithdrawalBank, 0, 300)
		we.fees.set(wallet.FeeWithdrawalEWallet, 100, 0)
		u := we.mustUser("wang@example.com", "")
		we.mustFund(u, amt(1000_00, usd))
		ctx := context.Background()

		failed := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanFails, Holder: "Wang", Amount: amt(100_00, usd)})
		returned := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanReturned, Holder: "Wang", Amount: amt(200_00, usd)})
		canceled := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodEWallet, Account: "alice@wallet.test", Amount: amt(10_00, usd)})
		refused := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodEWallet, Account: "closed@wallet.test", Amount: amt(10_00, usd)})
		if refused.Status != wallet.WithdrawalFailed || refused.FailureCode != wallet.CodePayoutAccountClosed {
			t.Errorf("closed e-wallet: %s %s", refused.Status, refused.FailureCode)
		}
		if got := we.held(u, usd); got != 100_00+300+200_00+300+10_00+10 {
			t.Errorf("held %d", got)
		}

		c, err := we.wd.Cancel(ctx, u, canceled.ID)
		if err != nil || c.Status != wallet.WithdrawalCanceled {
			t.Fatalf("cancel: %+v, %v", c, err)
		}
		if again, err := we.wd.Cancel(ctx, u, canceled.ID); err != nil || again.Status != wallet.WithdrawalCanceled {
			t.Errorf("cancel again: %s, %v", again.Status, err)
		}
		if _, err := we.wd.Cancel(ctx, u+1, failed.ID); !errors.Is(err, wallet.ErrWithdrawalNotFound) {
			t.Errorf("another user's cancel: %v", err)
		}
		if m := we.movement(canceled.ID); m.Status != wallet.StatusCanceled {
			t.Errorf("canceled movement is %s", m.Status)
		}

		// Three business days later everything has settled; the returned
		// payout came back (paid after 1, back 2 days later).
		for range 6 {
			we.clock.Set(we.clock.Now().Add(24 * time.Hour))
			we.mustSettle()
		}
		if got := we.get(failed.ID); got.Status != wallet.WithdrawalFailed || got.FailureCode != wallet.CodePayoutAccountClosed {
			t.Errorf("failed payout: %s %s", got.Status, got.FailureCode)
		}
		r := we.get(returned.ID)
		if r.Status != wallet.WithdrawalReturned || r.FailureCode != wallet.CodePayoutAccountClosed {
			t.Errorf("returned payout: %s %s", r.Status, r.FailureCode)
		}
		back := we.movement(r.ReturnID())
		if back.Type != wallet.TypeWithdrawalReturn || back.Status != wallet.StatusCompleted || back.Amount.Minor != 200_00+300 {
			t.Errorf("return movement %s %s %d", back.Type, back.Status, back.Amount.Minor)
		}
		if m := we.movement(returned.ID); m.Status != wallet.StatusCompleted {
			t.Errorf("the returned withdrawal's movement is %s, want completed (it was paid)", m.Status)
		}
		// Everything is back but the canceled and failed e-wallet and bank
		// withdrawals' nothing: the balance is whole again.
		if got := we.available(u, usd); got != 1000_00 {
			t.Errorf("available %d, want 100000", got)
		}
		if got := we.held(u, usd); got != 0 {
			t.Errorf("held %d", got)
		}
		if n := we.mails("withdrawal " + failed.ID + " failed"); n != 1 {
			t.Errorf("%d failure mails, want 1", n)
		}
		if n := we.mails("withdrawal " + returned.ID + " returned"); n != 1 {
			t.Errorf("%d return mails, want 1", n)
		}
		if n := we.mails("withdrawal " + refused.ID + " failed"); n != 1 {
			t.Errorf("%d mails for the refused e-wallet, want 1", n)
		}
		if _, err := we.wd.Cancel(ctx, u, returned.ID); !errors.Is(err, wallet.ErrWithdrawalNotCancelable) {
			t.Errorf("cancel a settled withdrawal: %v", err)
		}
		if n := we.mustSettle(); n != 0 {
			t.Errorf("settling again changed %d", n)
		}
	})
}

// TestWithdrawSettleOnceWhenKilled: the settlement job stopped right after
// the ledger step (the process dies before recording it) and started
// again on a new node settles once; two jobs at once settle once.
func TestWithdrawSettleOnceWhenKilled(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		we := newWithdrawEnv(t, e)
		we.fees.set(wallet.FeeWithdrawalBank, 0, 300)
		u := we.mustUser("zhao@example.com", "")
		we.mustFund(u, amt(1000_00, usd))
		paid := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanPaid1, Holder: "Zhao", Amount: amt(100_00, usd)})
		ret := we.mustWithdraw(wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanReturned, Holder: "Zhao", Amount: amt(200_00, usd)})
		we.clock.Set(we.clock.Now().Add(10 * 24 * time.Hour))

		type killed struct{}
		kills := 0
		we.hook = func(p string) {
			if p == "withdraw.moved" {
				kills++
				panic(killed{})
			}
		}
		// Each run dies after its first ledger step; a new node takes over.
		for round := 0; ; round++ {
			if round > 10 {
				t.Fatal("the job never finished")
			}
			died := func() (died bool) {
				defer func() {
					if r := recover(); r != nil {
						if _, ok := r.(killed); !ok {
							panic(r)
						}
						died = true
					}
				}()
				we.mustSettle()
				return false
			}()
			we.wd = we.restart()
			if !died {
				break
			}
			if kills > 6 {
				we.hook = nil
			}
		}
		if kills == 0 {
			t.Fatal("the job was never cut")
		}
		// Two at once, twice more.
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { we.mustSettle() })
		}
		wg.Wait()
		we.mustSettle()

		if got := we.get(paid.ID); got.Status != wallet.WithdrawalCompleted {
			t.Errorf("paid withdrawal is %s", got.Status)
		}
		if got := we.get(ret.ID); got.Status != wallet.WithdrawalReturned {
			t.Errorf("returned withdrawal is %s", got.Status)
		}
		if got, want := we.available(u, usd), int64(1000_00-100_00-300); got != want {
			t.Errorf("available %d, want %d", got, want)
		}
		if n := we.mails("withdrawal " + ret.ID + " returned"); n != 1 {
			t.Errorf("%d return mails, want 1", n)
		}
		// One post per hold, one return per withdrawal.
		var posts, returns int
		err := we.db.Read().QueryRow(context.Background(), `SELECT
			COALESCE(SUM(CASE WHEN flags & $1 <> 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN code = $2 THEN 1 ELSE 0 END), 0) FROM ledger_transfers`,
			int64(ledger.PostPending), int64(wallet.TransferWithdrawalReturn)).Scan(&posts, &returns)
		if err != nil {
			t.Fatal(err)
		}
		if posts != 4 || returns != 2 {
			t.Errorf("%d posts and %d return transfers, want 4 and 2", posts, returns)
		}
	})
}

// TestWithdrawConcurrentWholeBalance: many withdrawals at once, each of
// the whole balance less the fee: exactly one succeeds, the others are
// refused with insufficient_funds, and the books balance.
func TestWithdrawConcurrentWholeBalance(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		we := newWithdrawEnv(t, e)
		we.fees.set(wallet.FeeWithdrawalEWallet, 0, 25)
		u := we.mustUser("qian@example.com", "")
		we.mustFund(u, amt(500_00, usd))
		const n = 1000
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ok, poor int
			other    []error
		)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, err := we.wd.Withdraw(context.Background(), wallet.WithdrawRequest{UserID: u, Method: wallet.MethodEWallet,
					Account: "alice@wallet.test", Amount: amt(500_00-25, usd), IdempotencyKey: fmt.Sprintf("all-%d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, wallet.ErrInsufficientFunds):
					poor++
				default:
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok != 1 || poor != n-1 || len(other) > 0 {
			t.Fatalf("%d succeeded, %d refused insufficient_funds, other errors %v", ok, poor, other)
		}
		if got := we.available(u, usd); got != 0 {
			t.Errorf("available %d, want 0", got)
		}
		if got := we.held(u, usd); got != 500_00 {
			t.Errorf("held %d, want 50000", got)
		}
	})
}

// TestWithdrawBadInput: malformed input is refused with a stable code and
// changes nothing.
func TestWithdrawBadInput(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		we := newWithdrawEnv(t, e)
		u := we.mustUser("sun@example.com", "")
		we.mustFund(u, amt(100_00, usd))
		bank := func(a money.Amount) wallet.WithdrawRequest {
			return wallet.WithdrawRequest{UserID: u, Method: wallet.MethodBank, Account: ibanPaid1, Holder: "Sun", Amount: a}
		}
		for _, tt := range []struct {
			name string
			req  wallet.WithdrawRequest
			want wallet.Code
		}{
			{"zero", bank(amt(0, usd)), wallet.CodeInvalidAmount},
			{"negative", bank(amt(-5, usd)), wallet.CodeInvalidAmount},
			{"huge", bank(amt(math.MaxInt64, usd)), wallet.CodeInsufficientFunds},
			{"currency not held", bank(amt(100, currency("CHF"))), wallet.CodeCurrencyNotEnabled},
			{"no currency", bank(money.Amount{Minor: 100}), wallet.CodeInvalidAmount},
			{"more than the balance", bank(amt(100_01, usd)), wallet.CodeInsufficientFunds},
			{"IBAN check digits", func() wallet.WithdrawRequest {
				r := bank(amt(100, usd))
				r.Account = "DE88370400440532013000"
				return r
			}(), wallet.CodeInvalidPayoutAccount},
			{"IBAN not UTF-8", func() wallet.WithdrawRequest {
				r := bank(amt(100, usd))
				r.Account = "DE89\xff370400440532013000"
				return r
			}(), wallet.CodeInvalidPayoutAccount},
			{"holder not UTF-8", func() wallet.WithdrawRequest {
				r := bank(amt(100, usd))
				r.Holder = "Sun\xc3"
				return r
			}(), wallet.CodeInvalidAccountHolder},
			{"no holder", func() wallet.WithdrawRequest {
				r := bank(amt(100, usd))
				r.Holder = "   "
				return r
			}(), wallet.CodeInvalidAccountHolder},
			{"e-wallet id", wallet.WithdrawRequest{UserID: u, Method: wallet.MethodEWallet, Account: "not an id", Amount: amt(100, usd)}, wallet.CodeInvalidPayoutAccount},
			{"method", wallet.WithdrawRequest{UserID: u, Method: wallet.MethodCard, Account: "4242424242424242", Amount: amt(100, usd)}, wallet.CodeMethodNotAvailable},
		} {
			tt.req.IdempotencyKey = "bad-" + tt.name
			_, err := we.wd.Withdraw(context.Background(), tt.req)
			wantCode(t, tt.name, err, tt.want)
		}
		var n int
		if err := we.db.Read().QueryRow(context.Background(), "SELECT count(*) FROM wallet_withdrawals").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d withdrawals recorded (%v)", n, err)
		}
		if got := we.available(u, usd); got != 100_00 {
			t.Errorf("available %d", got)
		}
	})
}

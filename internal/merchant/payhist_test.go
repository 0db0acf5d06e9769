package merchant_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

// fundBooked credits the payer's wallet like fund, and books the deposit
// movement a card deposit would, so statements can be checked against
// the journal.
func (en *env) fundBooked(userID, minor int64) {
	en.t.Helper()
	ctx := context.Background()
	w, err := en.wallet.Open(ctx, userID)
	if err != nil {
		en.t.Fatal(err)
	}
	cc, err := en.wallet.PlatformAccount(ctx, wallet.CardClearing, "USD")
	if err != nil {
		en.t.Fatal(err)
	}
	res, err := en.l.Submit(ctx, []ledger.Transfer{{ID: ledger.NewID(), DebitAccountID: cc, CreditAccountID: w.Accounts["USD"],
		Amount: minor, Currency: "USD", Code: wallet.TransferDeposit}})
	if err != nil || res[0].Code != ledger.OK {
		en.t.Fatalf("fund: %v %v", res, err)
	}
	now := en.clock.Now().UTC()
	m := wallet.Movement{ID: wallet.MerchantMovementID(fmt.Sprintf("test-fund:%d", en.n.Add(1))), WalletID: w.ID, UserID: userID,
		Type: wallet.TypeDeposit, Status: wallet.StatusCompleted, Amount: amt(minor), Fee: amt(0), Method: wallet.MethodCard,
		CreatedAt: now, UpdatedAt: now, PostedAt: res[0].Timestamp.UTC()}
	err = en.db.Wallet().InTx(ctx, func(tx wallet.Tx) error {
		ok, err := tx.InsertMovement(ctx, m)
		if err == nil && !ok {
			err = errors.New("not inserted")
		}
		return err
	})
	if err != nil {
		en.t.Fatal(err)
	}
}

// journalBalance is an account's posted balance at instant at, summed from
// the ledger's journal (not from its balance columns).
func (en *env) journalBalance(accountID int64, at time.Time) int64 {
	en.t.Helper()
	var credits, debits int64
	err := en.db.Read().QueryRow(context.Background(), `SELECT
			COALESCE(CAST(SUM(CASE WHEN credit_account_id = $1 THEN amount ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN debit_account_id = $1 THEN amount ELSE 0 END) AS BIGINT), 0)
		FROM ledger_transfers
		WHERE (credit_account_id = $1 OR debit_account_id = $1) AND flags & 10 = 0 AND created_at < $2`,
		accountID, at.UnixNano()).Scan(&credits, &debits)
	if err != nil {
		en.t.Fatalf("journal balance: %v", err)
	}
	return credits - debits
}

// history is the payer's whole history, newest first.
func (en *env) history(h wallet.History) []wallet.Movement {
	en.t.Helper()
	p, err := en.wallet.History(context.Background(), h)
	if err != nil {
		en.t.Fatalf("history: %v", err)
	}
	return p.Movements
}

// authorisePayer authorises a manual-capture payment of minor from the
// payer's balance.
func authorisePayer(t *testing.T, en *env, a merchant.Access, payer int64, minor int64, desc string) merchant.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(minor), CaptureMethod: merchant.CaptureManual,
		Description: desc})
	mustOK(t, "create payment", err)
	p, err = en.svc.PayBalance(ctx, merchant.BalancePayment{PaymentID: p.ID, UserID: payer})
	mustOK(t, "pay "+desc, err)
	if p.Status != merchant.RequiresCapture {
		t.Fatalf("payment %s, want requires_capture", p.Status)
	}
	return p
}

// The payer's history shows every balance payment (authorised, captured in
// part, canceled) and refund, with the merchant's name, in filters, search
// and the CSV; the monthly statements add up and agree with the journal,
// a capture counting in the month it posted.
func TestPayhistHistoryAndStatement(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()

		en.clock.Set(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
		en.fundBooked(payer.ID, 200_00)
		en.clock.Set(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
		partial := authorisePayer(t, en, a, payer.ID, 50_00, "=Gift box")
		// Authorised only: the history says so, the statement counts
		// nothing yet.
		mvs := en.history(wallet.History{UserID: payer.ID, Types: []wallet.Type{wallet.TypeMerchantPayment}})
		if len(mvs) != 1 || mvs[0].Status != wallet.StatusProcessing || mvs[0].Amount.Minor != 50_00 ||
			mvs[0].Counterparty.Display != "Tea House" || mvs[0].ChargeID != partial.ID {
			t.Fatalf("history after authorising = %+v", mvs)
		}
		if got := en.available(payer.ID); got != 150_00 {
			t.Errorf("available while held = %d, want 15000", got)
		}

		en.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
		_, err := en.svc.Capture(ctx, a, partial.ID, amt(30_00))
		mustOK(t, "partial capture", err)
		en.clock.Add(time.Minute)
		cs := session(t, en, a, 40_00)
		c, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustOK(t, "checkout", err)
		en.clock.Add(time.Minute)
		canceled := authorisePayer(t, en, a, payer.ID, 20_00, "Teapot")
		_, err = en.svc.Cancel(ctx, a, canceled.ID)
		mustOK(t, "cancel", err)
		en.clock.Add(time.Minute)
		rf, err := en.svc.Refund(ctx, a, merchant.RefundRequest{PaymentID: c.Payment.ID, Amount: amt(15_00)})
		mustOK(t, "refund", err)
		// Resuming or re-running writes nothing twice.
		_, err = en.svc.ResumeRefund(ctx, rf.ID)
		mustOK(t, "resume refund", err)
		_, err = en.svc.Resume(ctx, c.Payment.ID)
		mustOK(t, "resume payment", err)

		// 200 - 30 - 40 + 15
		if got := en.available(payer.ID); got != 145_00 {
			t.Errorf("available = %d, want 14500", got)
		}
		type row struct {
			typ            wallet.Type
			status         wallet.Status
			amount, authed int64
			released       int64
			ref            string
		}
		var got []row
		for _, m := range en.history(wallet.History{UserID: payer.ID}) {
			got = append(got, row{m.Type, m.Status, m.Amount.Minor, m.Authorized.Minor, m.Released().Minor, m.ChargeID})
		}
		want := []row{
			{wallet.TypeMerchantRefund, wallet.StatusCompleted, 15_00, 0, 0, rf.ID},
			{wallet.TypeMerchantPayment, wallet.StatusCanceled, 20_00, 20_00, 0, canceled.ID},
			{wallet.TypeMerchantPayment, wallet.StatusCompleted, 40_00, 40_00, 0, c.Payment.ID},
			{wallet.TypeMerchantPayment, wallet.StatusCompleted, 30_00, 50_00, 20_00, partial.ID},
			{wallet.TypeDeposit, wallet.StatusCompleted, 200_00, 0, 0, ""},
		}
		if len(got) != len(want) {
			t.Fatalf("history = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("history[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		// Filters and search.
		if n := len(en.history(wallet.History{UserID: payer.ID, Types: []wallet.Type{wallet.TypeMerchantRefund}})); n != 1 {
			t.Errorf("refund filter: %d movements, want 1", n)
		}
		if n := len(en.history(wallet.History{UserID: payer.ID, Statuses: []wallet.Status{wallet.StatusCanceled}})); n != 1 {
			t.Errorf("canceled filter: %d movements, want 1", n)
		}
		if n := len(en.history(wallet.History{UserID: payer.ID, Search: "tea house"})); n != 4 {
			t.Errorf("search for the merchant: %d movements, want 4", n)
		}
		if n := len(en.history(wallet.History{UserID: payer.ID, Search: "teapot"})); n != 1 {
			t.Errorf("search for the item: %d movements, want 1", n)
		}

		// The CSV: signed amounts, the net, the merchant, the item with
		// its formula defused.
		var buf bytes.Buffer
		mustOK(t, "csv", en.wallet.ExportCSV(ctx, &buf, wallet.History{UserID: payer.ID}))
		recs, err := csv.NewReader(&buf).ReadAll()
		mustOK(t, "read csv", err)
		byType := map[string][]string{}
		for _, r := range recs[1:] {
			byType[r[2]+"/"+r[3]] = r
		}
		if r := byType["merchant_payment/completed"]; r == nil {
			t.Fatalf("csv has no completed merchant payment:\n%s", recs)
		}
		for key, w := range map[string][3]string{
			"merchant_refund/completed": {"15.00", "15.00", "Tea House"},
			"merchant_payment/canceled": {"-20.00", "0.00", "Tea House"},
		} {
			r := byType[key]
			if r == nil || r[5] != w[0] || r[7] != w[1] || r[8] != w[2] {
				t.Errorf("csv %s = %q, want amount %s net %s counterparty %s", key, r, w[0], w[1], w[2])
			}
		}
		var partialRow []string
		for _, r := range recs[1:] {
			if strings.Contains(r[11], "Gift box") {
				partialRow = r
			}
		}
		if partialRow == nil || partialRow[11] != "'=Gift box" || partialRow[5] != "-30.00" || partialRow[7] != "-30.00" {
			t.Errorf("csv partial capture row = %q, want the note guarded and -30.00", partialRow)
		}

		// Statements: November has the deposit only (the hold is not
		// money spent); December the captures and the refund.
		w, err := en.wallet.Open(ctx, payer.ID)
		mustOK(t, "open", err)
		wantSt := map[time.Month][5]int64{ // opening, in, out, fees, closing
			time.November: {0, 200_00, 0, 0, 200_00},
			time.December: {200_00, 15_00, 70_00, 0, 145_00},
		}
		en.clock.Set(time.Date(2026, 12, 20, 8, 0, 0, 0, time.UTC))
		for _, month := range []time.Month{time.November, time.December} {
			st, err := en.wallet.Statement(ctx, payer.ID, 2026, month)
			mustOK(t, "statement", err)
			if len(st.Lines) != 1 {
				t.Fatalf("statement %s lines = %+v", month, st.Lines)
			}
			l := st.Lines[0]
			gotSt := [5]int64{l.Opening.Minor, l.In.Minor, l.Out.Minor, l.Fees.Minor, l.Closing.Minor}
			if gotSt != wantSt[month] {
				t.Errorf("statement %s = %v, want %v", month, gotSt, wantSt[month])
			}
			if jb := en.journalBalance(w.Accounts["USD"], st.To); jb != l.Closing.Minor {
				t.Errorf("%s: closing %d, but the journal gives %d", month, l.Closing.Minor, jb)
			}
			if jb := en.journalBalance(w.Accounts["USD"], st.From); jb != l.Opening.Minor {
				t.Errorf("%s: opening %d, but the journal gives %d", month, l.Opening.Minor, jb)
			}
		}
	})
}

// testLimits: an unverified payer may send 100 USD a month.
var testLimits = kyc.Limits{
	kyc.Unverified: {SendMonthly: 100_00, WithdrawMonthly: 50_00, Holding: 1_000_00},
	kyc.Verified:   {SendMonthly: 300_00, WithdrawMonthly: 200_00, Holding: 5_000_00},
	kyc.Business:   {SendMonthly: 900_00, WithdrawMonthly: 900_00, Holding: 50_000_00},
}

func withLimits(k **kyc.Service) func(*env, *wallet.Options) {
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

func sendLeft(t *testing.T, k *kyc.Service, userID int64) int64 {
	t.Helper()
	u, err := k.Left(context.Background(), userID, kyc.KindSend)
	mustOK(t, "left", err)
	return u.Left.Minor
}

// Twenty concurrent checkouts of 10 USD against a 100 USD monthly send
// limit: exactly ten are paid, the others are refused as over the limit
// and move nothing.
func TestPayhistSendLimitUnderConcurrency(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var k *kyc.Service
		en := newEnvWith(t, e, withLimits(&k))
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 500_00)
		var sessions []merchant.Session
		for range 20 {
			sessions = append(sessions, session(t, en, a, 10_00))
		}
		var wg sync.WaitGroup
		errs := make([]error, len(sessions))
		for i, cs := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
			}()
		}
		wg.Wait()
		var paid, refused int
		for i, err := range errs {
			switch {
			case err == nil:
				paid++
			case errors.Is(err, merchant.ErrSendLimit):
				refused++
			default:
				t.Errorf("checkout %d: %v", i, err)
			}
		}
		if paid != 10 || refused != 10 {
			t.Errorf("paid %d, refused %d; want 10 and 10", paid, refused)
		}
		if got := en.available(payer.ID); got != 400_00 {
			t.Errorf("available = %d, want 40000", got)
		}
		if got := sendLeft(t, k, payer.ID); got != 0 {
			t.Errorf("send limit left = %d, want 0", got)
		}
		done := en.history(wallet.History{UserID: payer.ID, Statuses: []wallet.Status{wallet.StatusCompleted}})
		if len(done) != 10 {
			t.Errorf("%d completed payments in history, want 10", len(done))
		}
		for _, m := range en.history(wallet.History{UserID: payer.ID, Statuses: []wallet.Status{wallet.StatusFailed}}) {
			if m.FailureCode != wallet.CodeSendLimit {
				t.Errorf("failed movement %s code %s, want %s", m.ID, m.FailureCode, wallet.CodeSendLimit)
			}
		}
	})
}

// An authorisation takes room under the limit; canceling gives it back,
// a partial capture keeps only the captured share.
func TestPayhistCancelGivesLimitBack(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var k *kyc.Service
		en := newEnvWith(t, e, withLimits(&k))
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 500_00)

		first := authorisePayer(t, en, a, payer.ID, 60_00, "Kettle")
		if got := sendLeft(t, k, payer.ID); got != 40_00 {
			t.Errorf("left while authorised = %d, want 4000", got)
		}
		second, err := en.svc.CreatePayment(ctx, a, merchant.PaymentRequest{Amount: amt(50_00), CaptureMethod: merchant.CaptureManual})
		mustOK(t, "create", err)
		_, err = en.svc.PayBalance(ctx, merchant.BalancePayment{PaymentID: second.ID, UserID: payer.ID})
		mustErr(t, "over the limit", err, merchant.ErrSendLimit)
		if p, _ := en.svc.Payment(ctx, a, second.ID); p.Status != merchant.RequiresPaymentMethod {
			t.Errorf("refused payment is %s", p.Status)
		}
		_, err = en.svc.Cancel(ctx, a, first.ID)
		mustOK(t, "cancel", err)
		if got := sendLeft(t, k, payer.ID); got != 100_00 {
			t.Errorf("left after cancel = %d, want 10000", got)
		}
		p, err := en.svc.PayBalance(ctx, merchant.BalancePayment{PaymentID: second.ID, UserID: payer.ID})
		mustOK(t, "pay after cancel", err)
		_, err = en.svc.Capture(ctx, a, p.ID, amt(20_00))
		mustOK(t, "partial capture", err)
		if got := sendLeft(t, k, payer.ID); got != 80_00 {
			t.Errorf("left after capturing 20 of 50 = %d, want 8000", got)
		}
		if got := en.available(payer.ID); got != 480_00 {
			t.Errorf("available = %d, want 48000", got)
		}
	})
}

// fakeScreener freezes users: Screen refuses them when screen is set,
// Admit (inside the transaction) always.
type fakeScreener struct {
	mu     sync.Mutex
	frozen map[int64]bool
	screen bool
}

func (f *fakeScreener) Screen(_ context.Context, o wallet.Outgoing) (wallet.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.screen && f.frozen[o.UserID] {
		return wallet.Verdict{}, wallet.ErrOutgoingFrozen
	}
	// A hold the rules would ask for is not applied to merchant payments.
	return wallet.Verdict{Hold: true, Reasons: []string{"new_payee"}}, nil
}

func (f *fakeScreener) Admit(_ context.Context, _ wallet.Tx, m wallet.Movement, v wallet.Verdict) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen[m.UserID] {
		return wallet.ErrOutgoingFrozen
	}
	if v.Hold {
		return errors.New("a merchant payment was asked to hold")
	}
	return nil
}

// A payer whose outgoing payments are frozen is refused, whether the
// freeze is seen before anything is written or only inside the
// transaction that records the authorisation; nothing moves or shows.
func TestPayhistFrozenPayerRefused(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		sc := &fakeScreener{frozen: map[int64]bool{}}
		en := newEnvWith(t, e, func(_ *env, o *wallet.Options) {})
		en.wallet.SetScreener(sc)
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 100_00)
		sc.frozen[payer.ID] = true
		for _, early := range []bool{true, false} {
			sc.screen = early
			cs := session(t, en, a, 10_00)
			c, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
			mustErr(t, fmt.Sprintf("frozen (seen early %v)", early), err, merchant.ErrPayerFrozen)
			if c.Payment.Status != merchant.RequiresPaymentMethod {
				t.Errorf("payment %s after a frozen payer, want requires_payment_method", c.Payment.Status)
			}
			if p, _ := en.svc.Payment(ctx, a, c.Payment.ID); p.Status != merchant.RequiresPaymentMethod || p.Attempt != 0 {
				t.Errorf("stored payment %s attempt %d, want untouched", p.Status, p.Attempt)
			}
		}
		if got := en.available(payer.ID); got != 100_00 {
			t.Errorf("available = %d, want 10000", got)
		}
		if n := len(en.history(wallet.History{UserID: payer.ID})); n != 0 {
			t.Errorf("%d movements for a refused payer, want none", n)
		}
		sc.frozen[payer.ID] = false
		cs := session(t, en, a, 10_00)
		_, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustOK(t, "pay once unfrozen", err)
		if got := en.available(payer.ID); got != 90_00 {
			t.Errorf("available = %d, want 9000", got)
		}
	})
}

// A balance payment whose ledger answers are lost stays processing in the
// payer's history; the sweep finishes it, and the payer sees one payment,
// counted once against the limit.
func TestPayhistLostAnswerResumedOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		var k *kyc.Service
		en := newEnvWith(t, e, withLimits(&k))
		ctx := context.Background()
		_, a := en.merchant(merchant.Live)
		payer := en.user()
		en.fund(payer.ID, 100_00)
		cs := session(t, en, a, 25_00)

		en.lossy.lose.Store(true)
		_, err := en.svc.PaySessionBalance(ctx, cs.ID, payer.ID, "")
		mustErr(t, "lost answer", err, merchant.ErrUnavailable)
		en.lossy.lose.Store(false)
		mvs := en.history(wallet.History{UserID: payer.ID})
		if len(mvs) != 1 || mvs[0].Status != wallet.StatusProcessing {
			t.Fatalf("history after a lost answer = %+v, want one processing payment", mvs)
		}

		en.clock.Add(merchant.SweepEvery + time.Second)
		mustOK(t, "sweep", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		mustOK(t, "sweep again", en.svc.HandleSweep(ctx, jobs.Claimed{}))
		mvs = en.history(wallet.History{UserID: payer.ID})
		if len(mvs) != 1 || mvs[0].Status != wallet.StatusCompleted || mvs[0].Amount.Minor != 25_00 {
			t.Fatalf("history after the sweep = %+v, want one completed payment of 2500", mvs)
		}
		if got := en.available(payer.ID); got != 75_00 {
			t.Errorf("available = %d, want 7500", got)
		}
		if got := sendLeft(t, k, payer.ID); got != 75_00 {
			t.Errorf("send limit left = %d, want 7500 (counted once)", got)
		}
	})
}

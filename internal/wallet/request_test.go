package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func TestMoneyRequestLifecycle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		en.fees.set(wallet.FeeSend, 0, 20)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		carol := en.mustUser("carol@example.com", "")
		en.mustFund(bob, amt(100_00, usd))

		due := en.clock.Now().Add(7 * 24 * time.Hour)
		r, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "bob@example.com",
			Amount: amt(30_00, usd), Note: "电影票 movie", DueAt: due, IdempotencyKey: "r1"})
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		if !wallet.ValidRequestID(r.ID) || r.Status != wallet.RequestOpen || r.PayerID != bob ||
			r.PayerDisplay != "b***b@example.com" || r.RequesterDisplay != "a***e@example.com" || !r.DueAt.Equal(due) {
			t.Fatalf("request: %+v", r)
		}
		again, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "bob@example.com",
			Amount: amt(30_00, usd), DueAt: due, IdempotencyKey: "r1"})
		if err != nil || again.ID != r.ID {
			t.Errorf("request again: %+v, %v; want the first", again, err)
		}
		// Only its parties see a request naming a payer.
		if _, err := en.svc.Request(ctx, carol, r.ID); !errors.Is(err, wallet.ErrRequestNotFound) {
			t.Errorf("carol sees bob's request: %v", err)
		}
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: carol, RequestID: r.ID})
		wantCode(t, "a stranger pays", err, wallet.CodeRequestNotFound)
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: alice, RequestID: r.ID})
		wantCode(t, "the requester pays", err, wallet.CodeSameWallet)

		made, err := en.svc.Requests(ctx, wallet.RequestList{UserID: alice})
		if err != nil || len(made.Requests) != 1 || made.Requests[0].ID != r.ID {
			t.Errorf("made: %+v, %v", made, err)
		}
		recv, err := en.svc.Requests(ctx, wallet.RequestList{UserID: bob, Received: true})
		if err != nil || len(recv.Requests) != 1 || recv.Requests[0].ID != r.ID {
			t.Errorf("received: %+v, %v", recv, err)
		}

		q, err := en.svc.QuotePayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r.ID})
		if err != nil || q.Amount != amt(30_00, usd) || q.Fee != amt(20, usd) || q.Debited != amt(30_20, usd) {
			t.Errorf("quote: %+v, %v", q, err)
		}
		m, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r.ID, IdempotencyKey: "p1"})
		if err != nil || m.Type != wallet.TypeRequestPayment || m.RequestID != r.ID || m.Status != wallet.StatusCompleted {
			t.Fatalf("pay: %+v, %v", m, err)
		}
		// The double submit returns the payment; another payment is refused.
		if m2, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r.ID, IdempotencyKey: "p1"}); err != nil || m2.ID != m.ID {
			t.Errorf("pay again, same key: %+v, %v", m2, err)
		}
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: r.ID, IdempotencyKey: "p2"})
		wantCode(t, "pay twice", err, wallet.CodeRequestAlreadyPaid)
		r, _ = en.svc.Request(ctx, alice, r.ID)
		if r.Status != wallet.RequestPaid || r.PaymentID != m.ID || r.PaidAt.IsZero() {
			t.Errorf("paid request: %+v", r)
		}
		recvd, _ := en.svc.Movement(ctx, alice, m.PeerID)
		if recvd.Type != wallet.TypeReceive || recvd.RequestID != r.ID || recvd.Amount != amt(30_00, usd) {
			t.Errorf("requester's movement: %+v", recvd)
		}
		if got := en.available(alice, usd); got != 30_00 {
			t.Errorf("alice %d, want 3000", got)
		}
		_, err = en.svc.CancelRequest(ctx, alice, r.ID)
		wantCode(t, "cancel a paid request", err, wallet.CodeRequestAlreadyPaid)

		// A link request anyone may pay; a payment that fails frees it.
		link, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(500_00, usd)})
		if err != nil || link.PayerID != 0 {
			t.Fatalf("link request: %+v, %v", link, err)
		}
		if _, err := en.svc.Request(ctx, carol, link.ID); err != nil {
			t.Errorf("carol cannot see a link request: %v", err)
		}
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: bob, RequestID: link.ID})
		wantCode(t, "pay without the money", err, wallet.CodeInsufficientFunds)
		link, _ = en.svc.Request(ctx, alice, link.ID)
		if link.Status != wallet.RequestOpen {
			t.Errorf("after a failed payment: %+v, want open", link)
		}
		// Cancelled, it cannot be paid.
		if link, err = en.svc.CancelRequest(ctx, alice, link.ID); err != nil || link.Status != wallet.RequestCancelled {
			t.Errorf("cancel: %+v, %v", link, err)
		}
		if _, err := en.svc.CancelRequest(ctx, bob, link.ID); !errors.Is(err, wallet.ErrRequestNotFound) {
			t.Errorf("cancel by another user: %v", err)
		}
		en.mustFund(carol, amt(600_00, usd))
		_, err = en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: carol, RequestID: link.ID})
		wantCode(t, "pay a cancelled request", err, wallet.CodeRequestCancelled)

		// Refusals at creation.
		_, err = en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "alice@example.com", Amount: amt(1, usd)})
		wantCode(t, "request from oneself", err, wallet.CodeSameWallet)
		_, err = en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(1, usd), DueAt: en.clock.Now().Add(-time.Hour)})
		wantCode(t, "due in the past", err, wallet.CodeInvalidDueDate)
		_, err = en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, From: "OK000000001", Amount: amt(1, usd)})
		wantCode(t, "mistyped payer", err, wallet.CodeWalletIDCheckDigit)

		// Listing pages through.
		for i := range 5 {
			if _, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(int64(i+1), usd)}); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		cursor := ""
		for {
			p, err := en.svc.Requests(ctx, wallet.RequestList{UserID: alice, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Requests {
				seen = append(seen, r.ID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 7 {
			t.Errorf("paged through %d requests, want 7", len(seen))
		}
		open, _ := en.svc.Requests(ctx, wallet.RequestList{UserID: alice, Statuses: []wallet.RequestStatus{wallet.RequestOpen}})
		if len(open.Requests) != 5 {
			t.Errorf("open requests: %d, want 5", len(open.Requests))
		}
	})
}

// Many users pay one link request at once: exactly one payment moves
// money; the others are told it is paid or being paid.
func TestConcurrentPaysOfOneRequest(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		alice := en.mustUser("alice@example.com", "")
		r, err := en.svc.RequestMoney(ctx, wallet.CreateRequest{UserID: alice, Amount: amt(25_00, usd), Note: "split the bill"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 30
		payers := make([]int64, n)
		for i := range payers {
			payers[i] = en.mustUser(fmt.Sprintf("payer%d@example.com", i), "")
			en.mustFund(payers[i], amt(30_00, usd))
		}
		// One payer also double-submits from two tabs.
		payers = append(payers, payers[0], payers[0])

		errs := make([]error, len(payers))
		ms := make([]string, len(payers))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, p := range payers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				m, err := en.svc.PayRequest(ctx, wallet.PayRequestInput{UserID: p, RequestID: r.ID, IdempotencyKey: fmt.Sprintf("pay-%d", i)})
				errs[i], ms[i] = err, m.ID
			}()
		}
		close(start)
		wg.Wait()
		paid := 0
		for i, err := range errs {
			switch wallet.ErrorCode(err) {
			case "":
				paid++
			case wallet.CodeRequestAlreadyPaid, wallet.CodeRequestInProgress:
			case wallet.CodeInsufficientFunds:
				// Payer 0's other tabs may find the balance already spent
				// by the tab that paid, before they reach the request.
				if payers[i] != payers[0] {
					t.Errorf("pay %d: %v", i, err)
				}
			default:
				t.Errorf("pay %d: %v", i, err)
			}
		}
		if paid != 1 {
			t.Errorf("%d payments succeeded, want exactly 1", paid)
		}
		if got := en.available(alice, usd); got != 25_00 {
			t.Errorf("alice received %d, want 2500", got)
		}
		r, _ = en.svc.Request(ctx, alice, r.ID)
		if r.Status != wallet.RequestPaid {
			t.Errorf("request: %+v", r)
		}
		var payments int
		if err := en.db.Read().QueryRow(ctx, "SELECT count(*) FROM wallet_movements WHERE request_id = $1 AND type = 'request_payment' AND status = 'completed'", r.ID).Scan(&payments); err != nil || payments != 1 {
			t.Errorf("completed payments of the request: %d, %v", payments, err)
		}
	})
}

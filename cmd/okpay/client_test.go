package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/httpapi/apitest"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	okclient "github.com/okpay/okpay/pkg/okpay"
)

// TestGoClientWallet: the Go client on a customer's key against the
// running program reads the balance, sends (a retry with the same
// Idempotency-Key sends once), reads the transfer back, walks the history
// page by page, and gets a refusal as *okpay.Error with the table's
// code; every answer fits the served document. On both engines.
func TestGoClientWallet(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		env, data, _, _, l, svc := servicesOn(t, env, time.Now().UTC())
		ctx := context.Background()
		user := func(email string) int64 {
			u, err := svc.accounts.CreateUser(ctx, auth.CreateUserRequest{Email: email, Password: "client journey phrase", Role: auth.RoleCustomer, Locale: "en", ActorRole: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		a, b := user("a@example.com"), user("b@example.com")
		if _, err := svc.wallet.Deposit(ctx, wallet.DepositRequest{UserID: a, Method: wallet.MethodCard, Amount: money.Amount{Minor: 100_00, Currency: money.MustCurrency("USD")},
			Source: &connector.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, IdempotencyKey: "client-journey"}); err != nil {
			t.Fatal(err)
		}
		bw, err := svc.wallet.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.apikeys.Create(ctx, apikey.CreateRequest{Owner: apikey.UserOwner(a), Mode: apikey.Live, Scopes: []apikey.Scope{apikey.ScopeRead, apikey.ScopeSend}})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()

		n := startServe(t, env, "--data", data)
		doc, err := apitest.Fetch(client, n.url)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recordingTransport{}
		c := okclient.New(n.url, key.Secret, okclient.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}))
		bal, err := c.GetBalance(ctx)
		if err != nil || len(bal.Available) == 0 || bal.Available[0] != (okclient.BalanceAmount{Amount: 100_00, Currency: "USD"}) {
			t.Fatalf("balance = %+v, %v", bal, err)
		}
		send := okclient.TransferParams{Amount: 10_00, Currency: "USD", To: string(bw.ID), Note: "books"}
		first, err := c.CreateTransfer(ctx, send, okclient.WithIdempotencyKey("books-1"))
		if err != nil || first.Status != "completed" {
			t.Fatalf("send = %+v, %v", first, err)
		}
		again, err := c.CreateTransfer(ctx, send, okclient.WithIdempotencyKey("books-1"))
		if err != nil || again.ID != first.ID {
			t.Errorf("the retry answered %+v, %v; want transfer %s again", again, err, first.ID)
		}
		if got, err := c.GetTransfer(ctx, first.ID); err != nil || got.Amount != 10_00 || got.To.WalletID != string(bw.ID) {
			t.Errorf("transfer read back: %+v, %v", got, err)
		}
		for i := range 3 { // more movements, so the history has pages
			if _, err := c.CreateTransfer(ctx, okclient.TransferParams{Amount: int64(1_00 + i), Currency: "USD", To: string(bw.ID)}); err != nil {
				t.Fatal(err)
			}
		}
		var types []string
		for m, err := range c.AllHistory(ctx, 2) {
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, m.Type)
		}
		if len(types) != 5 || types[4] != "deposit" || types[0] != "send" {
			t.Errorf("history walked: %v, want four sends then the deposit", types)
		}
		_, err = c.CreateTransfer(ctx, okclient.TransferParams{Amount: 500_00, Currency: "USD", To: string(bw.ID)})
		var e *okclient.Error
		if !okclient.IsCode(err, "insufficient_funds") || !errors.As(err, &e) || e.Status != 402 || e.Type != "refused_error" || e.RequestID == "" {
			t.Errorf("an overdraft: %#v", err)
		}
		if bal, err := c.GetBalance(ctx); err != nil || bal.Available[0].Amount >= 90_00 || bal.Available[0].Amount < 80_00 {
			t.Errorf("balance after the sends: %+v, %v", bal, err)
		}
		for _, x := range rec.all() {
			if err := doc.Check(x.method, x.path, x.status, x.body); err != nil {
				t.Error(err)
			}
		}
		if code := n.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM; output:\n%s", code, n.output)
		}
	})
}

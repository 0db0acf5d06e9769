package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func newClock() *clock.Settable {
	return clock.NewSettable(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
}

type env struct {
	db    *sqlstore.DB
	store ledger.Store
	l     *ledger.Ledger
	clock *clock.Settable
}

// newEnv opens a fresh ledger on engine e. When the test ends the ledger is
// closed and verified: no test passes on a ledger that does not balance.
func newEnv(t *testing.T, e sqlstore.Engine) *env {
	t.Helper()
	c := newClock()
	db := sqltest.NewDB(t, e, "ledger", c.Now)
	return newEnvOn(t, db, db.Ledger(), c)
}

func newEnvOn(t *testing.T, db *sqlstore.DB, store ledger.Store, c *clock.Settable) *env {
	t.Helper()
	l := ledger.New(store, ledger.Options{Now: c.Now})
	t.Cleanup(func() {
		l.Close()
		mustVerify(t, db.Ledger())
	})
	return &env{db: db, store: store, l: l, clock: c}
}

func mustVerify(t testing.TB, s ledger.Store) {
	t.Helper()
	r, err := ledger.Verify(context.Background(), s)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, p := range r.Problems {
		t.Errorf("verify: %s", p)
	}
}

func (e *env) mustAccount(t testing.TB, ref, cur string, flags ledger.AccountFlags) int64 {
	t.Helper()
	a, err := e.l.CreateAccount(context.Background(), ledger.Account{Ref: ref, Currency: cur, Flags: flags})
	if err != nil {
		t.Fatalf("create account %s: %v", ref, err)
	}
	return a.ID
}

func (e *env) mustSubmit(t testing.TB, ts ...ledger.Transfer) []ledger.Code {
	t.Helper()
	res, err := e.l.Submit(context.Background(), ts)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	codes := make([]ledger.Code, len(res))
	for i, r := range res {
		codes[i] = r.Code
	}
	return codes
}

func (e *env) balance(t testing.TB, id int64) ledger.Account {
	t.Helper()
	a, err := e.l.Account(context.Background(), id)
	if err != nil {
		t.Fatalf("account %d: %v", id, err)
	}
	return a
}

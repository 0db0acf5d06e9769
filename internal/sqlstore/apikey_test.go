package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// allowAll approves any step-up (the store tests are about storage).
type allowAll struct{}

func (allowAll) Enabled(context.Context, int64) (bool, error) { return true, nil }
func (allowAll) UseStepUp(context.Context, int64, string, twofactor.Action) error {
	return nil
}

// TestAPIKeysStoredAsHashes: a key's secret is never stored, only its
// hash; lists show the prefix and last four; revocation and last use.
func TestAPIKeysStoredAsHashes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := clock.NewSettable(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		keys := apikey.New(apikey.Options{Store: db.APIKeys(), StepUp: allowAll{}, Now: clk.Now})
		owner := apikey.UserOwner(7)
		c, err := keys.Create(ctx, apikey.CreateRequest{Owner: owner, Mode: apikey.Live, Name: "books", Scopes: []apikey.Scope{"send", "read", "read"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Secret, "sk_live_") || len(c.Secret) != len("sk_live_")+52 || !strings.HasPrefix(c.Key.ID, "key_") {
			t.Errorf("secret %q, id %q", c.Secret, c.Key.ID)
		}
		var stored int
		if err := db.Read().QueryRow(ctx, "SELECT count(*) FROM api_keys WHERE hash = $1 AND hash <> $2 AND public = ''", apikey.Hash(c.Secret), c.Secret).Scan(&stored); err != nil || stored != 1 {
			t.Fatalf("stored hash rows = %d, %v", stored, err)
		}
		var leaked int
		if err := db.Read().QueryRow(ctx, "SELECT count(*) FROM api_keys WHERE hash = $1 OR name = $1 OR last4 = $1 OR prefix = $1", c.Secret).Scan(&leaked); err != nil || leaked != 0 {
			t.Errorf("the secret is stored in the clear (%d rows, %v)", leaked, err)
		}
		list, err := keys.List(ctx, owner)
		if err != nil || len(list) != 1 {
			t.Fatalf("List = %v, %v", list, err)
		}
		k := list[0]
		if k.Masked() != "sk_live_…"+c.Secret[len(c.Secret)-4:] || k.Name != "books" || len(k.Scopes) != 2 || !k.Has("read") || !k.Has("send") || !k.LastUsedAt.IsZero() {
			t.Errorf("listed key %+v", k)
		}
		if other, _ := keys.List(ctx, apikey.UserOwner(8)); len(other) != 0 {
			t.Errorf("user 8 lists %d keys of user 7", len(other))
		}

		clk.Add(time.Hour)
		got, err := keys.Authenticate(ctx, c.Secret)
		if err != nil || got.ID != k.ID || !got.LastUsedAt.Equal(clk.Now()) {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		if k, _ = keys.Key(ctx, owner, k.ID); !k.LastUsedAt.Equal(clk.Now()) {
			t.Errorf("last used %v, want %v", k.LastUsedAt, clk.Now())
		}
		for _, bad := range []string{"", "sk_live_x", strings.ToUpper(c.Secret), c.Secret + "a", "sk_test_" + c.Secret[8:]} {
			if _, err := keys.Authenticate(ctx, bad); !errors.Is(err, apikey.ErrMalformed) && !errors.Is(err, apikey.ErrNotFound) {
				t.Errorf("Authenticate(%q) = %v", bad, err)
			}
		}
		if err := keys.Revoke(ctx, apikey.UserOwner(8), k.ID); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("another owner revokes: %v", err)
		}
		if err := keys.Revoke(ctx, owner, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Authenticate(ctx, c.Secret); !errors.Is(err, apikey.ErrRevoked) {
			t.Errorf("revoked key authenticates: %v", err)
		}
		if err := keys.SetDailyLimit(ctx, owner, k.ID, money.Amount{Minor: 1, Currency: money.MustCurrency("USD")}, "t"); !errors.Is(err, apikey.ErrRevoked) {
			t.Errorf("limit on a revoked key: %v", err)
		}
		if err := keys.Revoke(ctx, owner, k.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		page, err := audit.List(ctx, db.Audit(), audit.Filter{TargetType: "user", TargetID: "7", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range page.Events {
			actions = append(actions, ev.Action)
			if ev.ActorID != 7 || ev.Details["key"] != k.ID {
				t.Errorf("audit event %+v", ev)
			}
			for _, v := range ev.Details {
				if strings.Contains(v, c.Secret[8:]) {
					t.Errorf("the audit log holds the secret: %+v", ev)
				}
			}
		}
		if strings.Join(actions, " ") != "api_key_revoked api_key_created" {
			t.Errorf("audit log of the key: %v, want one creation and one revocation", actions)
		}
		m, err := keys.Create(ctx, apikey.CreateRequest{Owner: apikey.Owner{Kind: apikey.OwnerMerchant, ID: "acct_9"}, Mode: apikey.Test, Kind: apikey.Publishable})
		if err != nil || !strings.HasPrefix(m.Secret, "pk_test_") || m.Key.Public != m.Secret {
			t.Errorf("publishable key %+v, %v", m, err)
		}
		if err := keys.SetDailyLimit(ctx, m.Key.Owner, m.Key.ID, money.Amount{}, "t"); !errors.Is(err, apikey.ErrInvalid) {
			t.Errorf("limit on a merchant key: %v", err)
		}
		for _, r := range []apikey.CreateRequest{
			{Owner: owner, Mode: "staging"},
			{Owner: apikey.Owner{Kind: "admin", ID: "1"}, Mode: apikey.Live},
			{Owner: owner, Mode: apikey.Live, Scopes: []apikey.Scope{"Read All"}},
			{Owner: owner, Mode: apikey.Live, Name: strings.Repeat("名", 101)},
		} {
			if _, err := keys.Create(ctx, r); !errors.Is(err, apikey.ErrInvalid) {
				t.Errorf("Create(%+v) = %v, want ErrInvalid", r, err)
			}
		}
	})
}

// TestAPIKeyDailySpendIsAtomic: many concurrent spends against one limit
// take exactly what fits, on both engines.
func TestAPIKeyDailySpendIsAtomic(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		clk := clock.NewSettable(time.Date(2026, 12, 1, 15, 59, 0, 0, time.UTC))
		db := sqltest.NewDB(t, e, "sqlstore", clk.Now)
		ctx := context.Background()
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		keys := apikey.New(apikey.Options{Store: db.APIKeys(), StepUp: allowAll{}, Location: shanghai, Now: clk.Now})
		owner := apikey.UserOwner(7)
		c, err := keys.Create(ctx, apikey.CreateRequest{Owner: owner, Mode: apikey.Live, Scopes: []apikey.Scope{"send"}})
		if err != nil {
			t.Fatal(err)
		}
		cny := money.MustCurrency("CNY")
		if err := keys.SetDailyLimit(ctx, owner, c.Key.ID, money.Amount{Minor: 100_00, Currency: cny}, "t"); err != nil {
			t.Fatal(err)
		}
		k, _ := keys.Key(ctx, owner, c.Key.ID)
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 1, Currency: money.MustCurrency("USD")}); !errors.Is(err, apikey.ErrLimitCurrency) {
			t.Errorf("spend in another currency: %v", err)
		}
		const n = 30
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ok, full int
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := keys.Spend(ctx, k, money.Amount{Minor: 7_00, Currency: cny})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, apikey.ErrDailyLimit):
					full++
				default:
					t.Errorf("spend: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 14 || full != n-14 { // 14 × 7.00 = 98.00 ≤ 100.00 < 105.00
			t.Errorf("accepted %d, refused %d; want 14 and %d", ok, full, n-14)
		}
		spent, err := keys.SpentToday(ctx, k)
		if err != nil || spent.Minor != 98_00 {
			t.Errorf("spent %v, %v; want 98.00", spent, err)
		}
		sp, err := keys.Spend(ctx, k, money.Amount{Minor: 2_00, Currency: cny})
		if err != nil {
			t.Fatalf("2.00 more fits: %v", err)
		}
		if err := keys.Unspend(ctx, sp); err != nil {
			t.Fatal(err)
		}
		if spent, _ := keys.SpentToday(ctx, k); spent.Minor != 98_00 {
			t.Errorf("after giving back: %v", spent)
		}
		// 16:00 UTC is midnight in Shanghai: a new day.
		clk.Add(time.Minute)
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 100_00, Currency: cny}); err != nil {
			t.Errorf("a new platform day: %v", err)
		}
		// Lowering the limit applies at once.
		if err := keys.SetDailyLimit(ctx, owner, k.ID, money.Amount{Minor: 50_00, Currency: cny}, "t"); err != nil {
			t.Fatal(err)
		}
		clk.Add(24 * time.Hour)
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 60_00, Currency: cny}); !errors.Is(err, apikey.ErrDailyLimit) {
			t.Errorf("over the lowered limit: %v", err)
		}
		// Another currency starts its own count; back in CNY, what was
		// counted in CNY today still counts.
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 40_00, Currency: cny}); err != nil {
			t.Fatal(err)
		}
		usd := money.MustCurrency("USD")
		if err := keys.SetDailyLimit(ctx, owner, k.ID, money.Amount{Minor: 10_00, Currency: usd}, "t"); err != nil {
			t.Fatal(err)
		}
		k, _ = keys.Key(ctx, owner, k.ID)
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 10_00, Currency: usd}); err != nil {
			t.Errorf("a fresh USD count: %v", err)
		}
		if err := keys.SetDailyLimit(ctx, owner, k.ID, money.Amount{Minor: 50_00, Currency: cny}, "t"); err != nil {
			t.Fatal(err)
		}
		k, _ = keys.Key(ctx, owner, k.ID)
		if spent, _ := keys.SpentToday(ctx, k); spent.Minor != 40_00 {
			t.Errorf("back in CNY: spent %v, want 40.00", spent)
		}
		if _, err := keys.Spend(ctx, k, money.Amount{Minor: 11_00, Currency: cny}); !errors.Is(err, apikey.ErrDailyLimit) {
			t.Errorf("40 + 11 over 50: %v", err)
		}
		if err := keys.SetDailyLimit(ctx, owner, k.ID, money.Amount{}, "t"); err != nil {
			t.Fatal(err)
		}
		k, _ = keys.Key(ctx, owner, k.ID)
		if sp, err := keys.Spend(ctx, k, money.Amount{Minor: 1e9, Currency: cny}); err != nil || sp.KeyID != "" {
			t.Errorf("without a limit: %+v, %v", sp, err)
		}
	})
}

// TestIdempotencyClaimsOncePerKey: of many concurrent claims of one key
// exactly one wins; a saved response is returned; expired records are
// replaced; the purge forgets old ones.
func TestIdempotencyClaimsOncePerKey(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		db := sqltest.NewDB(t, e, "sqlstore", nil)
		ctx := context.Background()
		store := db.APIIdempotency()
		now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		day, stale := now.Add(-24*time.Hour), now.Add(-2*time.Minute)
		k := httpapi.IdempotencyKey{Owner: apikey.Owner{Kind: "merchant", ID: "acct_1"}, Livemode: true, Key: "abc"}
		const n = 12
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := store.Claim(ctx, k, "h1", now, day, stale)
				if err != nil {
					t.Errorf("claim: %v", err)
				}
				mu.Lock()
				if ok {
					wins++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent claims won, want 1", wins)
		}
		if err := store.Save(ctx, k, 201, []byte(`{"id":"x"}`)); err != nil {
			t.Fatal(err)
		}
		s, ok, err := store.Claim(ctx, k, "h2", now.Add(time.Hour), day.Add(time.Hour), stale.Add(time.Hour))
		if err != nil || ok || !s.Done || s.Status != 201 || string(s.Body) != `{"id":"x"}` || s.RequestHash != "h1" {
			t.Errorf("claim of a done key = %+v, %v, %v", s, ok, err)
		}
		// The test mode and another owner have their own keys.
		for _, other := range []httpapi.IdempotencyKey{
			{Owner: k.Owner, Livemode: false, Key: "abc"},
			{Owner: apikey.Owner{Kind: "merchant", ID: "acct_2"}, Livemode: true, Key: "abc"},
		} {
			if _, ok, err := store.Claim(ctx, other, "h1", now, day, stale); err != nil || !ok {
				t.Errorf("claim %+v = %v, %v; want a fresh claim", other, ok, err)
			}
		}
		later := now.Add(25 * time.Hour)
		if _, ok, err := store.Claim(ctx, k, "h3", later, later.Add(-24*time.Hour), later.Add(-2*time.Minute)); err != nil || !ok {
			t.Errorf("claim after 25 hours = %v, %v; want the expired key replaced", ok, err)
		}
		if err := store.Release(ctx, k); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := store.Claim(ctx, k, "h4", later, later.Add(-24*time.Hour), later.Add(-2*time.Minute)); !ok {
			t.Error("a released key cannot be claimed again")
		}
		purged, err := store.Purge(ctx, later.Add(-24*time.Hour))
		if err != nil || purged != 2 {
			t.Errorf("Purge = %d, %v; want the 2 other keys of a day ago", purged, err)
		}
	})
}

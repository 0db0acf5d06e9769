package walletapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/httpapi/walletapi"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
)

func transferBody(to string, amount int64) map[string]any {
	return map[string]any{"amount": amount, "currency": "USD", "to": to, "note": "lunch"}
}

// TestTransferReplayedWithTheSameKeyMovesMoneyOnce: the same POST sent
// again answers the saved response with Idempotent-Replayed, moves no more
// money; another body under the key is refused; after 24 hours and the
// purge the key is free again.
func TestTransferReplayedWithTheSameKeyMovesMoneyOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(100_00))
		_, secret := en.mustKey(alice, apikey.ScopeRead, apikey.ScopeSend)

		first := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 10_00), post(secret, "order-1"))
		wantStatus(t, "first POST", first, 200)
		if first.str("object") != "transfer" || first.str("status") != "completed" || !strings.HasPrefix(first.str("id"), "tr_") {
			t.Fatalf("first POST answered %s", first.raw)
		}
		if first.header.Get(httpapi.HeaderReplayed) != "" {
			t.Errorf("a first request says it was replayed")
		}
		afterFirst := en.available(alice)
		if want := int64(100_00 - 10_00 - 50); afterFirst != want { // the fee: 0.30 + 1%, at least 0.50
			t.Errorf("available after one transfer = %d, want %d", afterFirst, want)
		}

		again := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 10_00), post(secret, "order-1"))
		wantStatus(t, "replayed POST", again, 200)
		if again.header.Get(httpapi.HeaderReplayed) != "true" {
			t.Errorf("replay: Idempotent-Replayed = %q, want true", again.header.Get(httpapi.HeaderReplayed))
		}
		if string(again.raw) != string(first.raw) {
			t.Errorf("replay answered\n%s\nwant the first response\n%s", again.raw, first.raw)
		}
		if got := en.available(alice); got != afterFirst {
			t.Errorf("available after the replay = %d, want %d (money moved twice)", got, afterFirst)
		}
		if n := len(en.sends(alice)); n != 1 {
			t.Errorf("alice has %d sends, want 1", n)
		}

		other := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 11_00), post(secret, "order-1"))
		wantError(t, "same key, other body", other, 400, httpapi.CodeIdempotencyKeyReused)
		if typ := other.body["error"].(map[string]any)["type"]; typ != httpapi.TypeIdempotency {
			t.Errorf("error type %v, want %s", typ, httpapi.TypeIdempotency)
		}

		// Another owner's key may use the same Idempotency-Key freely.
		en.mustFund(bob, usdAmt(20_00))
		_, bobSecret := en.mustKey(bob, apikey.ScopeSend)
		bobs := en.call("POST", "/v1/transfers", transferBody("alice@example.com", 1_00), post(bobSecret, "order-1"))
		wantStatus(t, "bob's POST with alice's Idempotency-Key", bobs, 200)

		// 23 hours later the key still replays; after 24 hours and the
		// purge, it is forgotten.
		en.clock.Add(23 * time.Hour)
		late := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 10_00), post(secret, "order-1"))
		if late.header.Get(httpapi.HeaderReplayed) != "true" || late.str("id") != first.str("id") {
			t.Errorf("23 hours later: %s, want the replayed first response", late.raw)
		}
		en.clock.Add(2 * time.Hour)
		n, err := en.api.Purge(context.Background())
		if err != nil || n < 1 {
			t.Fatalf("Purge = %d, %v; want at least alice's key gone", n, err)
		}
		fresh := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 11_00), post(secret, "order-1"))
		wantStatus(t, "the key reused after 25 hours for a new transfer", fresh, 200)
		if fresh.header.Get(httpapi.HeaderReplayed) != "" || fresh.str("id") == first.str("id") {
			t.Errorf("after expiry: %s, want a new transfer", fresh.raw)
		}
		if n := len(en.sends(alice)); n != 2 {
			t.Errorf("alice has %d sends, want 2", n)
		}
	})
}

// TestConcurrentDuplicatesNeverSendTwice: the same POST sent eight times
// at once sends once; every answer is the transfer or 409
// idempotency_key_in_use.
func TestConcurrentDuplicatesNeverSendTwice(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(100_00))
		_, secret := en.mustKey(alice, apikey.ScopeSend)
		const n = 8
		results := make([]res, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = en.call("POST", "/v1/transfers", transferBody("bob@example.com", 5_00), post(secret, "dup-1"))
			}()
		}
		close(start)
		wg.Wait()
		ids := map[string]bool{}
		conflicts := 0
		for _, r := range results {
			switch r.status {
			case 200:
				ids[r.str("id")] = true
			case 409:
				wantError(t, "concurrent duplicate", r, 409, httpapi.CodeIdempotencyKeyInUse)
				conflicts++
			default:
				t.Errorf("concurrent duplicate answered %d %s", r.status, r.raw)
			}
		}
		if len(ids) != 1 {
			t.Errorf("the duplicates answered %d different transfers, want 1: %v", len(ids), ids)
		}
		if got := len(en.sends(alice)); got != 1 {
			t.Errorf("alice has %d sends, want 1", got)
		}
		if got, want := en.available(alice), int64(100_00-5_00-50); got != want {
			t.Errorf("available = %d, want %d", got, want)
		}
		t.Logf("%d answered the transfer, %d in use", n-conflicts, conflicts)
		// The in-use answer is what a client retries on; once the first
		// finished, the retry gets the transfer.
		retry := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 5_00), post(secret, "dup-1"))
		if retry.status != 200 || !ids[retry.str("id")] {
			t.Errorf("retry after the race: %d %s", retry.status, retry.raw)
		}
	})
}

// TestInFlightKeyIsInUse: while the first request with a key has not
// finished, a second gets 409 idempotency_key_in_use (shown
// deterministically by a claim that never finishes).
func TestInFlightKeyIsInUse(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(50_00))
		_, secret := en.mustKey(alice, apikey.ScopeSend)
		body := `{"amount":100,"currency":"USD","to":"bob@example.com"}`
		// Claim the key as a first request still running would.
		k := httpapi.IdempotencyKey{Owner: apikey.UserOwner(alice), Livemode: true, Key: "slow-1"}
		now := en.clock.Now()
		hash := requestHashForTest("POST", "/v1/transfers", body)
		if _, ok, err := en.db.APIIdempotency().Claim(context.Background(), k, hash, now, now.Add(-24*time.Hour), now.Add(-time.Minute)); err != nil || !ok {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		r := en.call("POST", "/v1/transfers", body, post(secret, "slow-1"))
		wantError(t, "while the first runs", r, 409, httpapi.CodeIdempotencyKeyInUse)
		// A node that died mid-request frees the key after a while.
		en.clock.Add(3 * time.Minute)
		r = en.call("POST", "/v1/transfers", body, post(secret, "slow-1"))
		wantStatus(t, "after the first's node died", r, 200)
	})
}

func requestHashForTest(method, path, body string) string {
	return httpapi.RequestHash(method, path, []byte(body))
}

// TestHistoryPagesBothWaysWithoutGapsOrRepeats walks a few hundred
// movements forwards with starting_after and back with ending_before.
func TestHistoryPagesBothWaysWithoutGapsOrRepeats(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(2000_00))
		ctx := context.Background()
		const sends = 260
		// Four sends per instant, so pages cut through equal times too.
		for i := range sends {
			if i%4 == 0 {
				en.clock.Add(time.Second)
			}
			if _, err := en.wallet.Send(ctx, wallet.SendRequest{UserID: alice, To: "bob@example.com", Amount: usdAmt(1),
				IdempotencyKey: fmt.Sprintf("s-%d", i)}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		all, err := en.wallet.History(ctx, wallet.History{UserID: alice, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for p := all; ; {
			for _, m := range p.Movements {
				want = append(want, m.ID)
			}
			if p.Next == "" {
				break
			}
			if p, err = en.wallet.History(ctx, wallet.History{UserID: alice, Limit: 200, Cursor: p.Next}); err != nil {
				t.Fatal(err)
			}
		}
		if len(want) != sends+1 {
			t.Fatalf("alice has %d movements, want %d", len(want), sends+1)
		}
		_, secret := en.mustKey(alice, apikey.ScopeRead)
		var forward []string
		path := "/v1/history?limit=7"
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatal("forward paging does not end")
			}
			r := en.call("GET", path, nil, bearer(secret))
			wantStatus(t, path, r, 200)
			data := r.body["data"].([]any)
			for _, d := range data {
				forward = append(forward, d.(map[string]any)["id"].(string))
			}
			if r.body["has_more"] != true {
				break
			}
			path = "/v1/history?limit=7&starting_after=" + forward[len(forward)-1]
		}
		if !equal(forward, want) {
			t.Fatalf("forward: %d ids, want %d; first difference at %d", len(forward), len(want), firstDiff(forward, want))
		}
		// Backwards from the oldest: each page is the one before (newer
		// than) the first movement of the page after it.
		oldest := want[len(want)-1]
		backward := []string{oldest}
		path = "/v1/history?limit=9&ending_before=" + oldest
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatal("backward paging does not end")
			}
			r := en.call("GET", path, nil, bearer(secret))
			wantStatus(t, path, r, 200)
			data := r.body["data"].([]any)
			page := make([]string, len(data))
			for j, d := range data {
				page[j] = d.(map[string]any)["id"].(string)
			}
			backward = append(page, backward...)
			if r.body["has_more"] != true {
				break
			}
			path = "/v1/history?limit=9&ending_before=" + page[0]
		}
		if !equal(backward, want) {
			t.Fatalf("backward: %d ids, want %d; first difference at %d", len(backward), len(want), firstDiff(backward, want))
		}
		// Default and bounds of limit.
		r := en.call("GET", "/v1/history", nil, bearer(secret))
		if n := len(r.body["data"].([]any)); n != httpapi.DefaultLimit || r.body["has_more"] != true || r.str("object") != "list" || r.str("url") != "/v1/history" {
			t.Errorf("first page: %d items, has_more %v, object %q, url %q", n, r.body["has_more"], r.str("object"), r.str("url"))
		}
		for _, bad := range []string{"0", "101", "ten"} {
			wantError(t, "limit="+bad, en.call("GET", "/v1/history?limit="+bad, nil, bearer(secret)), 400, httpapi.CodeParameterInvalid)
		}
		both := en.call("GET", "/v1/history?starting_after="+want[3]+"&ending_before="+want[1], nil, bearer(secret))
		wantError(t, "both cursors", both, 400, httpapi.CodeParameterInvalid)
	})
}

func equal(a, b []string) bool { return firstDiff(a, b) < 0 }

func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestKeysCanDoOnlyWhatTheyMay: scopes, revocation, cookies and other
// users' data.
func TestKeysCanDoOnlyWhatTheyMay(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		bob := en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(100_00))
		en.mustFund(bob, usdAmt(30_00))
		readKey, readSecret := en.mustKey(alice, apikey.ScopeRead)
		_, sendSecret := en.mustKey(alice, apikey.ScopeSend, apikey.ScopeRead)
		_, bobSecret := en.mustKey(bob, apikey.ScopeRead, apikey.ScopeSend)

		r := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), post(readSecret, "k1"))
		wantError(t, "a read key sends", r, 403, httpapi.CodeInsufficientScope)
		if n := len(en.sends(alice)); n != 0 {
			t.Errorf("a read key's attempt left %d sends", n)
		}
		bal := en.call("GET", "/v1/balance", nil, bearer(readSecret))
		wantStatus(t, "balance with a read key", bal, 200)
		if !strings.Contains(string(bal.raw), `{"amount":10000,"currency":"USD"}`) || bal.body["livemode"] != true {
			t.Errorf("balance: %s", bal.raw)
		}
		// Basic auth with the key as the user works as well.
		req, _ := http.NewRequest("GET", en.srv.URL+"/v1/balance", nil)
		req.SetBasicAuth(readSecret, "")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("basic auth: %v %v", resp.StatusCode, err)
		} else {
			resp.Body.Close()
		}

		sent := en.call("POST", "/v1/transfers", transferBody("bob@example.com", 2_00), post(sendSecret, "k2"))
		wantStatus(t, "send", sent, 200)
		id := sent.str("id")
		got := en.call("GET", "/v1/transfers/"+id, nil, bearer(readSecret))
		if got.status != 200 || got.str("id") != id || got.str("status") != "completed" {
			t.Errorf("GET own transfer: %d %s", got.status, got.raw)
		}

		// Bob's key sees none of it.
		wantError(t, "bob reads alice's transfer", en.call("GET", "/v1/transfers/"+id, nil, bearer(bobSecret)), 404, httpapi.CodeResourceMissing)
		movement := sent.str("movement")
		wantError(t, "bob pages from alice's movement", en.call("GET", "/v1/history?starting_after="+movement, nil, bearer(bobSecret)), 404, httpapi.CodeResourceMissing)
		bh := en.call("GET", "/v1/history?limit=100", nil, bearer(bobSecret))
		if strings.Contains(string(bh.raw), movement) {
			t.Errorf("bob's history shows alice's movement %s", movement)
		}
		bb := en.call("GET", "/v1/balance", nil, bearer(bobSecret))
		if !strings.Contains(string(bb.raw), `{"amount":3200,"currency":"USD"}`) {
			t.Errorf("bob's balance: %s", bb.raw)
		}

		// Revoked: refused at once.
		if err := en.keys.Revoke(context.Background(), apikey.UserOwner(alice), readKey.ID); err != nil {
			t.Fatal(err)
		}
		wantError(t, "revoked key", en.call("GET", "/v1/balance", nil, bearer(readSecret)), 401, httpapi.CodeAPIKeyRevoked)
		// Another user cannot revoke alice's keys.
		_, otherSecret := en.mustKey(alice, apikey.ScopeRead)
		otherKey, _ := en.keys.Authenticate(context.Background(), otherSecret)
		if err := en.keys.Revoke(context.Background(), apikey.UserOwner(bob), otherKey.ID); err != apikey.ErrNotFound {
			t.Errorf("bob revokes alice's key: %v, want ErrNotFound", err)
		}

		// Cookies never authenticate: a session cookie and a form token,
		// without a key, are refused.
		cookies := map[string]string{"Cookie": "okpay_session=" + sendSecret + "; okpay_csrf=x", "Idempotency-Key": "k3"}
		wantError(t, "cookies only", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), cookies), 401, httpapi.CodeAPIKeyMissing)

		// A key-authenticated POST from another site's page is not
		// blocked by the web pages' cross-site check: the API needs no
		// CSRF protection, since a browser never sends the key by itself.
		cross := post(sendSecret, "k4")
		cross["Origin"] = "https://evil.example"
		cross["Sec-Fetch-Site"] = "cross-site"
		wantStatus(t, "cross-site POST with a key", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), cross), 200)
	})
}

// TestDailyLimitHoldsUnderConcurrentSends: twenty sends of 1.00 at once
// under a daily limit of 10.00 are accepted exactly ten times; refusals
// give their amount back; the limit is per platform day.
func TestDailyLimitHoldsUnderConcurrentSends(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		alice := en.mustUser("alice@example.com", "")
		en.mustUser("bob@example.com", "")
		en.mustFund(alice, usdAmt(500_00))
		k, secret := en.mustKey(alice, apikey.ScopeSend)
		ctx := context.Background()
		owner := apikey.UserOwner(alice)
		limit := usdAmt(10_00)
		if err := en.keys.SetDailyLimit(ctx, owner, k.ID, limit, "wrong"); err != apikey.ErrStepUpRefused {
			t.Fatalf("limit without a step-up: %v, want ErrStepUpRefused", err)
		}
		tok := en.stepUp.grant(apikey.DailyLimitAction(k.ID, limit))
		if err := en.keys.SetDailyLimit(ctx, owner, k.ID, limit, tok); err != nil {
			t.Fatal(err)
		}
		// A refused send (no such recipient) uses none of the limit.
		r := en.call("POST", "/v1/transfers", transferBody("nobody@example.com", 5_00), post(secret, "refused"))
		wantError(t, "unknown recipient", r, 400, "recipient_not_found")

		const n = 20
		results := make([]res, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), post(secret, fmt.Sprintf("c-%d", i)))
			}()
		}
		close(start)
		wg.Wait()
		ok, refused := 0, 0
		for _, r := range results {
			switch {
			case r.status == 200:
				ok++
				if s := r.str("status"); s != "completed" && s != "held" {
					t.Errorf("accepted transfer in status %q", s)
				}
			case r.code() == "daily_limit_exceeded" && r.status == 402:
				refused++
			default:
				t.Errorf("concurrent send: %d %s", r.status, r.raw)
			}
		}
		if ok != 10 || refused != 10 {
			t.Errorf("accepted %d and refused %d, want 10 and 10", ok, refused)
		}
		if got := len(en.sends(alice)); got != 10 {
			t.Errorf("alice has %d sends, want 10", got)
		}
		spent, err := en.keys.SpentToday(ctx, k)
		if err == nil {
			k2, _ := en.keys.Key(ctx, owner, k.ID)
			spent, err = en.keys.SpentToday(ctx, k2)
		}
		if err != nil || spent.Minor != 10_00 {
			t.Errorf("spent today = %v, %v; want 10.00", spent, err)
		}
		// Another key of the same user has its own limit (none).
		_, other := en.mustKey(alice, apikey.ScopeSend)
		wantStatus(t, "another key", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), post(other, "o-1")), 200)
		// The next platform day (Asia/Shanghai-like +8) starts afresh.
		en.clock.Add(24 * time.Hour)
		wantStatus(t, "next day", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1_00), post(secret, "next-day")), 200)
	})
}

// TestDailyLimitCountsOtherCurrenciesAtTheRate: a limit in CNY counts a
// USD send at the current rate (7 CNY per USD here); a limit of zero stops
// the key from sending.
func TestDailyLimitCountsOtherCurrenciesAtTheRate(t *testing.T) {
	en := newEnv(t, sqlstore.SQLite)
	alice := en.mustUser("alice@example.com", "")
	en.mustUser("bob@example.com", "")
	en.mustFund(alice, usdAmt(100_00))
	k, secret := en.mustKey(alice, apikey.ScopeSend)
	ctx := context.Background()
	owner := apikey.UserOwner(alice)
	set := func(limit money.Amount) {
		t.Helper()
		if err := en.keys.SetDailyLimit(ctx, owner, k.ID, limit, en.stepUp.grant(apikey.DailyLimitAction(k.ID, limit))); err != nil {
			t.Fatal(err)
		}
	}
	set(money.Amount{Minor: 100_00, Currency: money.MustCurrency("CNY")})
	wantStatus(t, "10 USD = 70 CNY", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 10_00), post(secret, "x1")), 200)
	wantError(t, "another 70 CNY", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 10_00), post(secret, "x2")), 402, walletapi.CodeDailyLimit)
	wantStatus(t, "4 USD = 28 CNY still fits", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 4_00), post(secret, "x3")), 200)
	set(money.Amount{Minor: 0, Currency: usd})
	wantError(t, "a zero limit", en.call("POST", "/v1/transfers", transferBody("bob@example.com", 1), post(secret, "x4")), 402, walletapi.CodeDailyLimit)
}

package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/web"
)

var secretRE = regexp.MustCompile(`sk_live_[a-z2-7]{52}`)

func challengeOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `name="challenge" value="`)
	if i < 0 {
		t.Fatalf("no challenge on the page:\n%s", body)
	}
	c := body[i+len(`name="challenge" value="`):]
	return c[:strings.IndexByte(c, '"')]
}

// TestAPIKeysPage: a customer creates a key (its secret shown once),
// sets its daily limit behind the second factor, and revokes it; another
// customer can touch none of it.
func TestAPIKeysPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{})
	keys := apikey.New(apikey.Options{Store: st.db.APIKeys(), Now: clk.Now})
	ctx := context.Background()
	u := st.mustSignUp(t, "lin@example.com", "correct horse battery", "en")
	session := st.mustLogin(t, u.Email, "correct horse battery")
	const ip = "192.0.2.1:1000"

	page := bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys", cookies: []*http.Cookie{session}}))
	if !strings.Contains(page, `id="apikeys-empty"`) || !strings.Contains(page, "API keys") {
		t.Fatalf("empty page:\n%s", page)
	}
	none := post(t, st.handler, "/settings/api-keys", url.Values{"name": {"script"}}, ip, session)
	if body := bodyOf(t, none); none.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose at least one thing") || !strings.Contains(body, `value="script"`) {
		t.Errorf("create without a scope = %d:\n%s", none.StatusCode, body)
	}
	created := post(t, st.handler, "/settings/api-keys", url.Values{"name": {"accounting"}, "scope_read": {"1"}, "scope_send": {"1"}}, ip, session)
	body := bodyOf(t, created)
	secret := secretRE.FindString(body)
	if created.StatusCode != http.StatusOK || secret == "" || !strings.Contains(body, "shown only once") || created.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create = %d, secret %q:\n%s", created.StatusCode, secret, body)
	}
	k, err := keys.Authenticate(ctx, secret)
	if err != nil || !k.Has(apikey.ScopeRead) || !k.Has(apikey.ScopeSend) || k.Mode != apikey.Live || k.Name != "accounting" {
		t.Fatalf("the shown secret authenticates %+v, %v", k, err)
	}
	page = bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys", cookies: []*http.Cookie{session}}))
	if strings.Contains(page, secret) || !strings.Contains(page, k.Masked()) {
		t.Errorf("the list shows the secret again, or not the masked key %s", k.Masked())
	}

	form := bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys?limit=" + k.ID, cookies: []*http.Cookie{session}}))
	if !strings.Contains(form, `id="apikey-limit-form"`) || !strings.Contains(form, `action="/settings/api-keys/`+k.ID+`/limit"`) {
		t.Fatalf("the limit form:\n%s", form)
	}
	limitURL := "/settings/api-keys/" + k.ID + "/limit"
	no2fa := post(t, st.handler, limitURL, url.Values{"amount": {"50.00"}, "currency": {"USD"}}, ip, session)
	if body := bodyOf(t, no2fa); no2fa.StatusCode != http.StatusForbidden || !strings.Contains(body, "two-factor authentication") {
		t.Errorf("limit without 2FA = %d:\n%s", no2fa.StatusCode, body)
	}
	bad := post(t, st.handler, limitURL, url.Values{"amount": {"lots"}, "currency": {"USD"}}, ip, session)
	if body := bodyOf(t, bad); bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter an amount") {
		t.Errorf("limit of %q = %d", "lots", bad.StatusCode)
	}
	secret2FA := st.mustEnableTOTP(t, clk, u)
	ask := post(t, st.handler, limitURL, url.Values{"amount": {"50.00"}, "currency": {"USD"}}, ip, session)
	askBody := bodyOf(t, ask)
	if ask.StatusCode != http.StatusOK || !strings.Contains(askBody, `id="apikey-limit-form"`) {
		t.Fatalf("limit asks for the code = %d:\n%s", ask.StatusCode, askBody)
	}
	challenge := challengeOf(t, askBody)
	wrong := post(t, st.handler, limitURL, url.Values{"amount": {"50.00"}, "currency": {"USD"}, "challenge": {challenge}, "code": {"000000"}}, ip, session)
	if wrong.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a wrong code = %d, want 422", wrong.StatusCode)
	}
	// The code approves 50.00 USD; a form changed to 5000.00 is not
	// approved by it.
	other := post(t, st.handler, limitURL, url.Values{"amount": {"5000.00"}, "currency": {"USD"}, "challenge": {challenge}, "code": {code(secret2FA, clk)}}, ip, session)
	if body := bodyOf(t, other); other.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "for a different limit") {
		t.Fatalf("a code for 50.00 used for 5000.00 = %d:\n%s", other.StatusCode, body)
	}
	if k, _ := keys.Key(ctx, apikey.UserOwner(u.ID), k.ID); k.HasDailyLimit() {
		t.Fatalf("a code for 50.00 set the limit to %v", k.DailyLimit)
	}
	clk.Add(30e9)
	ask = post(t, st.handler, limitURL, url.Values{"amount": {"50.00"}, "currency": {"USD"}}, ip, session)
	challenge = challengeOf(t, bodyOf(t, ask))
	ok := post(t, st.handler, limitURL, url.Values{"amount": {"50.00"}, "currency": {"USD"}, "challenge": {challenge}, "code": {code(secret2FA, clk)}}, ip, session)
	if ok.StatusCode != http.StatusSeeOther || ok.Header.Get("Location") != "/settings/api-keys?done=limit" {
		t.Fatalf("limit with the right code = %d:\n%s", ok.StatusCode, bodyOf(t, ok))
	}
	k, _ = keys.Key(ctx, apikey.UserOwner(u.ID), k.ID)
	if !k.HasDailyLimit() || k.DailyLimit.Minor != 50_00 || k.DailyLimit.Currency.Code != "USD" {
		t.Errorf("daily limit = %+v, want 50.00 USD", k.DailyLimit)
	}
	page = bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys?done=limit", cookies: []*http.Cookie{session}}))
	if !strings.Contains(page, "of US$50.00 used today") && !strings.Contains(page, "50.00 used today") {
		t.Errorf("the list does not show the limit:\n%s", page)
	}

	// Another customer can neither change nor revoke it.
	v := st.mustSignUp(t, "wu@example.com", "correct horse battery", "zh-CN")
	vs := st.mustLogin(t, v.Email, "correct horse battery")
	if r := post(t, st.handler, limitURL, url.Values{"none": {"1"}}, ip, vs); r.StatusCode != http.StatusNotFound {
		t.Errorf("another user's limit change = %d, want 404", r.StatusCode)
	}
	post(t, st.handler, "/settings/api-keys/"+k.ID+"/revoke", url.Values{}, ip, vs)
	if _, err := keys.Authenticate(ctx, secret); err != nil {
		t.Fatalf("another user revoked the key: %v", err)
	}
	zh := bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys", cookies: []*http.Cookie{vs}}))
	if !strings.Contains(zh, "您还没有 API 密钥") {
		t.Errorf("the Chinese page:\n%s", zh)
	}

	rv := post(t, st.handler, "/settings/api-keys/"+k.ID+"/revoke", url.Values{}, ip, session)
	if rv.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d", rv.StatusCode)
	}
	if _, err := keys.Authenticate(ctx, secret); err != apikey.ErrRevoked {
		t.Errorf("after revoking: %v, want ErrRevoked", err)
	}
	page = bodyOf(t, do(t, st.handler, request{target: "/settings/api-keys?done=revoked", cookies: []*http.Cookie{session}}))
	if !strings.Contains(page, "Revoked") || !strings.Contains(page, "was revoked") {
		t.Errorf("the list does not show the key revoked")
	}
	// The changes are security events the customer can review.
	history := bodyOf(t, do(t, st.handler, request{target: "/settings/sessions", cookies: []*http.Cookie{session}}))
	for _, want := range []string{"API key created", "API key daily send limit changed", "API key revoked"} {
		if !strings.Contains(history, want) {
			t.Errorf("the security history lacks %q", want)
		}
	}
}

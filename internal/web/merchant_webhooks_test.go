package web_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/web"
	"github.com/okpay/okpay/internal/webhook"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
)

// merchantsByUser is the merchant side of the webhook pages: who acts for
// which merchant, and who may change things.
type merchantsByUser struct {
	mu sync.Mutex
	m  map[int64]struct {
		id   string
		edit bool
	}
}

func (f *merchantsByUser) set(user int64, id string, edit bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[user] = struct {
		id   string
		edit bool
	}{id, edit}
}

func (f *merchantsByUser) WebhookAccess(_ context.Context, user int64, merchantID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.m[user]
	if !ok || a.id != merchantID {
		return false, web.ErrNoMerchant
	}
	return a.edit, nil
}

type publicNames map[string]string

func (p publicNames) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := p[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// shopReceiver answers deliveries with the status set.
type shopReceiver struct {
	mu     sync.Mutex
	status int
	got    []*http.Request
	bodies [][]byte
}

func (s *shopReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.got, s.bodies = append(s.got, r), append(s.bodies, b)
	status := s.status
	s.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, `<script>alert("shop")</script> answer`)
}

// newTestWebhooks is the webhook service on a database of its own, with
// the address guard on as in production: shop.example resolves to a public
// address, and the transport takes every connection to rcv, served over
// TLS on loopback.
func newTestWebhooks(t *testing.T, now func() time.Time, rcv http.Handler) (*webhook.Service, *sqlstore.DB) {
	t.Helper()
	srv := httptest.NewTLSServer(rcv)
	t.Cleanup(srv.Close)
	whdb := sqltest.NewDB(t, sqlstore.SQLite, "web", now)
	box, err := secretbox.New(testMasterKey, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := webhook.New(webhook.Options{Store: whdb.Webhooks(), Box: box, Now: now,
		Resolver: publicNames{"shop.example": "93.184.216.34"},
		Logger:   slog.New(slog.DiscardHandler),
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
			},
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test server's own certificate
		}})
	if err != nil {
		t.Fatal(err)
	}
	return hooks, whdb
}

func newMerchantsByUser() *merchantsByUser {
	return &merchantsByUser{m: map[int64]struct {
		id   string
		edit bool
	}{}}
}

func (s *shopReceiver) received() ([]*http.Request, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got), slices.Clone(s.bodies)
}

// TestMerchantWebhooksPage: a merchant's developer adds an endpoint (the
// secret shown once), a private address is refused in the reader's
// language, deliveries and their attempts are listed with the shop's
// answer shown as text, a resend reaches the shop, the secret is rotated
// and the endpoint disabled; a viewer only reads, and another merchant
// sees and changes nothing.
func TestMerchantWebhooksPage(t *testing.T) {
	clk := clock.NewSettable(stackTime)
	ctx := context.Background()
	rcv := &shopReceiver{status: http.StatusInternalServerError}
	hooks, whdb := newTestWebhooks(t, clk.Now, rcv)
	deliverAll := func() {
		t.Helper()
		for range 10 {
			cs, err := whdb.Jobs().Claim(ctx, "test", []string{webhook.DeliverJob}, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 {
				return
			}
			for _, c := range cs {
				if err := hooks.Deliver(ctx, c); err != nil {
					t.Fatal(err)
				}
				if err := whdb.Jobs().Complete(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	merchants := newMerchantsByUser()
	st := newStack(t, clk.Now, "http://okpay.test", web.Options{Webhooks: hooks, WebhookMerchants: merchants})
	dev := st.mustSignUp(t, "dev@shop.example", "correct horse battery", "en")
	viewer := st.mustSignUp(t, "viewer@shop.example", "correct horse battery", "en")
	rival := st.mustSignUp(t, "owner@rival.example", "correct horse battery", "zh-CN")
	outsider := st.mustSignUp(t, "li@example.com", "correct horse battery", "en")
	merchants.set(dev.ID, "mch_shop", true)
	merchants.set(viewer.ID, "mch_shop", false)
	merchants.set(rival.ID, "mch_rival", true)
	devC := st.mustLogin(t, dev.Email, "correct horse battery")
	viewerC := st.mustLogin(t, viewer.Email, "correct horse battery")
	rivalC := st.mustLogin(t, rival.Email, "correct horse battery")
	outsiderC := st.mustLogin(t, outsider.Email, "correct horse battery")
	get := func(c *http.Cookie, target string) (int, string) {
		t.Helper()
		resp := do(t, st.handler, request{target: target, cookies: []*http.Cookie{c}})
		return resp.StatusCode, bodyOf(t, resp)
	}
	send := func(c *http.Cookie, target string, form url.Values) (*http.Response, string) {
		t.Helper()
		resp := post(t, st.handler, target, form, "192.0.2.1:1000", c)
		return resp, bodyOf(t, resp)
	}

	if code, _ := get(outsiderC, "/merchant/mch_shop/webhooks"); code != http.StatusForbidden {
		t.Errorf("a user of no merchant gets the page with %d", code)
	}
	if code, page := get(rivalC, "/merchant/mch_shop/webhooks"); code != http.StatusForbidden || strings.Contains(page, "webhook-add") {
		t.Errorf("another merchant's owner gets this merchant's page with %d", code)
	}
	if code, page := get(devC, "/merchant/mch_shop/webhooks"); code != http.StatusOK || !strings.Contains(page, "No endpoints in this mode yet.") || !strings.Contains(page, `id="webhook-add"`) {
		t.Fatalf("empty page: %d\n%s", code, page)
	}

	// Refusals, in the reader's language; nothing is stored.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"mode": {"test"}, "url": {"http://10.0.0.1/hook"}, "events": {"*"}}, "private or local network"},
		{url.Values{"mode": {"test"}, "url": {"http://169.254.169.254/latest"}, "events": {"*"}}, "private or local network"},
		{url.Values{"mode": {"test"}, "url": {"https://shop.example/hook"}}, "Select at least one event type"},
		{url.Values{"mode": {"test"}, "url": {"https://nowhere.example/hook"}, "events": {"*"}}, "could not be found"},
		{url.Values{"mode": {"live"}, "url": {"http://shop.example/hook"}, "events": {"*"}}, "must use https://"},
	} {
		resp, page := send(devC, "/merchant/mch_shop/webhooks", c.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.want) || !strings.Contains(page, "Nothing was changed.") {
			t.Errorf("create %v: %d, want 422 saying %q\n%s", c.form, resp.StatusCode, c.want, page)
		}
		// The message is next to its field too, and what was typed is kept.
		field := regexp.MustCompile(`(?s)<p class="field-error" id="webhook-(url|events)-error">([^<]*)</p>`).FindStringSubmatch(page)
		if field == nil || !strings.Contains(field[2], c.want) || !strings.Contains(page, `value="`+c.form.Get("url")+`"`) {
			t.Errorf("create %v: no field error saying %q, or the url typed is lost", c.form, c.want)
		}
	}
	if eps, _ := hooks.Endpoints(ctx, webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeTest}); len(eps) != 0 {
		t.Fatalf("refused forms stored %d endpoints", len(eps))
	}

	resp, page := send(devC, "/merchant/mch_shop/webhooks", url.Values{"mode": {"test"}, "url": {"https://shop.example/okpay"},
		"description": {"main shop"}, "events": {"payment_intent.succeeded", "charge.refunded"}})
	secret := regexp.MustCompile(`id="webhook-secret-value">(whsec_[0-9a-z]+)<`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || secret == nil {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	_, page = get(devC, "/merchant/mch_shop/webhooks?mode=test")
	if strings.Contains(page, secret[1]) || !strings.Contains(page, "https://shop.example/okpay") || !strings.Contains(page, "main shop") ||
		!strings.Contains(page, "old one valid 24 more hours") {
		t.Errorf("the page after creating shows the secret again, or not the endpoint:\n%s", page)
	}
	epID := regexp.MustCompile(`id="endpoint-(we_[0-9a-z]+)"`).FindStringSubmatch(page)[1]

	// A viewer reads but changes nothing; another merchant sees nothing.
	if _, page := get(viewerC, "/merchant/mch_shop/webhooks"); !strings.Contains(page, epID) || strings.Contains(page, `id="webhook-add"`) || strings.Contains(page, "/disable") {
		t.Errorf("the viewer's page:\n%s", page)
	}
	if resp, _ := send(viewerC, "/merchant/mch_shop/webhooks/"+epID+"/disable", url.Values{"mode": {"test"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer disables: %d", resp.StatusCode)
	}
	if _, page := get(rivalC, "/merchant/mch_rival/webhooks"); strings.Contains(page, epID) || !strings.Contains(page, "该模式下还没有接收地址。") {
		t.Errorf("another merchant's page:\n%s", page)
	}
	if resp, _ := send(rivalC, "/merchant/mch_rival/webhooks/"+epID+"/disable", url.Values{"mode": {"test"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant disables: %d", resp.StatusCode)
	}

	// An event, answered 500 by the shop.
	ev, err := webhook.NewEvent(webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeTest}, "payment_intent.succeeded",
		map[string]any{"id": "pi_1", "amount": 1250}, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := whdb.InTx(ctx, func(tx sqlstore.Tx) error { return whdb.EventRecorder(tx).Record(ctx, ev) }); err != nil {
		t.Fatal(err)
	}
	deliverAll()
	reqs, bodies := rcv.received()
	if len(reqs) != 1 {
		t.Fatalf("the shop got %d requests", len(reqs))
	}
	if _, err := okwebhook.Verify(bodies[0], reqs[0].Header.Get("OKPay-Signature"), []string{secret[1]}, time.Minute, clk.Now()); err != nil {
		t.Errorf("the secret shown does not verify the delivery: %v", err)
	}
	_, page = get(devC, "/merchant/mch_shop/webhooks")
	row := regexp.MustCompile(`(?s)<tr data-delivery="(\d+)" data-status="pending">.*?</tr>`).FindStringSubmatch(page)
	if row == nil || strings.Count(row[0], "HTTP 500") != 1 || !strings.Contains(row[0], ev.ID) || !strings.Contains(row[0], "Retrying") {
		t.Fatalf("delivery row:\n%s", page)
	}
	code, page := get(viewerC, "/merchant/mch_shop/webhooks/deliveries/"+row[1]+"?mode=test")
	if code != http.StatusOK || !strings.Contains(page, `data-attempt="1"`) || strings.Contains(page, `<script>alert("shop")`) ||
		!strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, ev.ID) || strings.Contains(page, `id="delivery-resend"`) {
		t.Errorf("the viewer's delivery page: %d\n%s", code, page)
	}
	if code, _ := get(rivalC, "/merchant/mch_rival/webhooks/deliveries/"+row[1]); code != http.StatusNotFound {
		t.Errorf("another merchant reads the delivery: %d", code)
	}

	// The shop is fixed; the developer resends.
	rcv.mu.Lock()
	rcv.status = http.StatusOK
	rcv.mu.Unlock()
	resp, _ = send(devC, "/merchant/mch_shop/webhooks/deliveries/"+row[1]+"/resend", url.Values{"mode": {"test"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=resent") {
		t.Fatalf("resend: %d %s", resp.StatusCode, loc)
	}
	deliverAll()
	if _, page := get(devC, loc); !strings.Contains(page, "queued to be sent again") || !strings.Contains(page, `data-status="succeeded"`) || !strings.Contains(page, "HTTP 200") {
		t.Errorf("the resent delivery:\n%s", page)
	}
	if reqs, bodies := rcv.received(); len(reqs) != 2 || string(bodies[1]) != string(ev.Payload) {
		t.Errorf("the shop got %d requests; the resend must carry the same event", len(reqs))
	}

	// Event types, rotation, disabling.
	if resp, page := send(devC, "/merchant/mch_shop/webhooks/"+epID+"/events", url.Values{"mode": {"test"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Select at least one event type") {
		t.Errorf("saving no event type: %d", resp.StatusCode)
	}
	if resp, _ := send(devC, "/merchant/mch_shop/webhooks/"+epID+"/events", url.Values{"mode": {"test"}, "events": {"dispute.created"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("saving event types: %d", resp.StatusCode)
	}
	resp, page = send(devC, "/merchant/mch_shop/webhooks/"+epID+"/rotate", url.Values{"mode": {"test"}})
	rotated := regexp.MustCompile(`id="webhook-secret-value">(whsec_[0-9a-z]+)<`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || rotated == nil || rotated[1] == secret[1] || !strings.Contains(page, "signed with both the old and the new secret") {
		t.Errorf("rotate: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := send(devC, "/merchant/mch_shop/webhooks/"+epID+"/disable", url.Values{"mode": {"test"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disable: %d", resp.StatusCode)
	}
	if _, page := get(devC, "/merchant/mch_shop/webhooks?mode=test&done=disabled"); !strings.Contains(page, `data-status="disabled"`) || !strings.Contains(page, "<code>dispute.created</code>") ||
		!strings.Contains(page, "it gets no new events") {
		t.Errorf("after disabling:\n%s", page)
	}
	if resp, page := send(devC, "/merchant/mch_shop/webhooks/deliveries/"+row[1]+"/resend", url.Values{"mode": {"test"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Enable it before resending") {
		t.Errorf("resend to a disabled endpoint: %d\n%s", resp.StatusCode, page)
	}
	if _, page := get(devC, "/merchant/mch_shop/webhooks?mode=live"); strings.Contains(page, epID) {
		t.Errorf("the test endpoint shows in live mode")
	}
}

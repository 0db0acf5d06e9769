package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
)

// fakeResolver answers from a table; a name not in it does not resolve.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

var names = fakeResolver{
	"shop.example":     {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
	"intranet.example": {"10.1.2.3"},
	"mixed.example":    {"93.184.216.34", "192.168.1.10"},
	"meta.example":     {"169.254.169.254"},
	"v6local.example":  {"fd00:ec2::254"},
}

func TestCheckURLRefusesInternalAddresses(t *testing.T) {
	ctx := context.Background()
	strict := webhook.Guard{}
	tests := []struct {
		url  string
		r    webhook.Resolver
		want error
	}{
		{"http://127.0.0.1/hook", names, webhook.ErrForbiddenAddress},
		{"http://127.0.0.1:8080/hook", names, webhook.ErrForbiddenAddress},
		{"http://10.0.0.1/hook", names, webhook.ErrForbiddenAddress},
		{"http://172.16.5.4/hook", names, webhook.ErrForbiddenAddress},
		{"http://192.168.0.1/hook", names, webhook.ErrForbiddenAddress},
		{"http://[::1]/hook", names, webhook.ErrForbiddenAddress},
		{"http://[::ffff:127.0.0.1]/hook", names, webhook.ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/", names, webhook.ErrForbiddenAddress},
		{"http://100.64.0.1/hook", names, webhook.ErrForbiddenAddress},
		{"http://0.0.0.0/hook", names, webhook.ErrForbiddenAddress},
		{"http://[fe80::1]/hook", names, webhook.ErrForbiddenAddress},
		{"http://[fd00:ec2::254]/hook", names, webhook.ErrForbiddenAddress},
		{"http://[64:ff9b::a00:1]/hook", names, webhook.ErrForbiddenAddress}, // NAT64 of 10.0.0.1
		{"http://[2002:a00:1::1]/hook", names, webhook.ErrForbiddenAddress},  // 6to4 of 10.0.0.1
		{"http://localhost/hook", nil, webhook.ErrForbiddenAddress},          // the system resolver
		{"http://LocalHost:9000/hook", nil, webhook.ErrForbiddenAddress},
		{"http://intranet.example/hook", names, webhook.ErrForbiddenAddress},
		{"http://mixed.example/hook", names, webhook.ErrForbiddenAddress},
		{"http://meta.example/hook", names, webhook.ErrForbiddenAddress},
		{"http://v6local.example/hook", names, webhook.ErrForbiddenAddress},
		{"http://nowhere.example/hook", names, webhook.ErrUnresolvable},
		{"ftp://shop.example/hook", names, webhook.ErrInvalidURL},
		{"/hook", names, webhook.ErrInvalidURL},
		{"http://user:pass@shop.example/hook", names, webhook.ErrInvalidURL},
		{"http://shop.example/hook#x", names, webhook.ErrInvalidURL},
		{"http://shop.example:0/hook", names, webhook.ErrInvalidURL},
		{"http://shop.example/" + strings.Repeat("a", 2100), names, webhook.ErrInvalidURL},
		{"https://shop.example/hook", names, nil},
		{"http://shop.example:8443/okpay?x=1", names, nil},
		{"https://93.184.216.34/hook", names, nil},
		{"https://[2606:2800:220:1:248:1893:25c8:1946]/hook", names, nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := strict.CheckURL(ctx, tt.r, shop, tt.url)
			if !errors.Is(err, tt.want) {
				t.Errorf("CheckURL(%q) = %v, want %v", tt.url, err, tt.want)
			}
		})
	}

	live := webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeLive}
	if _, err := strict.CheckURL(ctx, names, live, "http://shop.example/hook"); !errors.Is(err, webhook.ErrInsecureURL) {
		t.Errorf("live http endpoint: %v, want ErrInsecureURL", err)
	}
	dev := webhook.Guard{AllowPrivate: true}
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.0.0.1/hook"} {
		if _, err := dev.CheckURL(ctx, names, live, u); err != nil {
			t.Errorf("with the development flag, %s: %v", u, err)
		}
	}
	if got, _ := strict.CheckURL(ctx, names, shop, " HTTPS://Shop.Example/Hook "); got != "https://shop.example/Hook" {
		t.Errorf("normalised url = %q", got)
	}
}

// TestDialControl checks the address the dialer is about to connect to,
// after DNS: this is what stops a name that resolves inward only at
// delivery time.
func TestDialControl(t *testing.T) {
	strict := webhook.Guard{}
	for _, tt := range []struct {
		network, addr string
		ok            bool
	}{
		{"tcp4", "127.0.0.1:80", false},
		{"tcp4", "10.0.0.1:443", false},
		{"tcp6", "[::1]:443", false},
		{"tcp4", "169.254.169.254:80", false},
		{"tcp6", "[fd00:ec2::254]:80", false},
		{"tcp6", "[::ffff:192.168.1.1]:80", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"tcp4", "100.100.100.200:80", false}, // CGNAT (and a cloud metadata address)
		{"udp4", "93.184.216.34:53", false},
		{"tcp4", "not-an-address", false},
		{"tcp4", "93.184.216.34:443", true},
		{"tcp6", "[2606:2800:220:1:248:1893:25c8:1946]:443", true},
	} {
		err := strict.Control(tt.network, tt.addr, nil)
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("Control(%s, %s) = %v, want ok=%v", tt.network, tt.addr, err, tt.ok)
		}
	}
	if err := (webhook.Guard{AllowPrivate: true}).Control("tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("with the development flag: %v", err)
	}
}

// TestRebindingRefusedAtDelivery: a host name that resolved to a public
// address when the endpoint was saved resolves to loopback when the event
// is sent. The dialer refuses; the attempt is logged and nothing arrives.
func TestRebindingRefusedAtDelivery(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		v := newEnv(t, e, func(o *webhook.Options) {
			o.AllowPrivateNetworks = false
			o.Resolver = fakeResolver{"localhost": {"93.184.216.34"}} // only when saving
		})
		port := v.rcv.srv.URL[strings.LastIndex(v.rcv.srv.URL, ":"):]
		ep, _, err := v.svc.CreateEndpoint(v.ctx, shop, webhook.EndpointInput{URL: "http://localhost" + port + "/hook", Events: []string{"*"}})
		if err != nil {
			t.Fatalf("endpoint resolving to a public address refused: %v", err)
		}
		ev := v.record(shop, "dispute.created", map[string]string{"id": "dp_1"}, false)
		v.settle()
		d, log := v.delivery(shop, ev, ep)
		if len(log) != 1 || log[0].Error != "address is not public" || log[0].Status != 0 || d.Status != webhook.Pending {
			t.Errorf("delivery %+v, log %+v: want a pending delivery whose attempt was refused", d, log)
		}
		if n := len(v.rcv.requests()); n != 0 {
			t.Errorf("the loopback receiver got %d requests", n)
		}
	})
}

func TestCreateEndpointRefusesInternalURLs(t *testing.T) {
	db := sqltest.NewDB(t, sqlstore.SQLite, "webhook", func() time.Time { return start })
	svc, err := webhook.New(webhook.Options{Store: db.Webhooks(), Box: mustBox(t), Now: func() time.Time { return start }, Resolver: names})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://127.0.0.1/", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "http://intranet.example/"} {
		if _, _, err := svc.CreateEndpoint(context.Background(), shop, webhook.EndpointInput{URL: u, Events: []string{"*"}}); !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CreateEndpoint(%s) = %v, want ErrForbiddenAddress", u, err)
		}
	}
	e, _, err := svc.CreateEndpoint(context.Background(), shop, webhook.EndpointInput{URL: "https://shop.example/hook", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateEndpoint(context.Background(), shop, e.ID, webhook.EndpointUpdate{URL: ptr("http://192.168.1.1/")}); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Errorf("UpdateEndpoint to a private address: %v, want ErrForbiddenAddress", err)
	}
	if eps, _ := svc.Endpoints(context.Background(), shop); len(eps) != 1 || eps[0].URL != "https://shop.example/hook" {
		t.Errorf("endpoints after the refusals: %+v", eps)
	}
	var _ http.RoundTripper = webhook.NewTransport(webhook.Guard{}, time.Second)
}

func ptr[T any](v T) *T { return &v }

package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/secretbox"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/webhook"
	okwebhook "github.com/okpay/okpay/pkg/okpay/webhook"
)

var (
	start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	shop  = webhook.Owner{Merchant: "mch_shop", Mode: webhook.ModeTest}
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// env is the webhook service on a real database, a settable clock shared
// by the store, the service and a running jobs runner, and a loopback
// receiver.
type env struct {
	t   *testing.T
	ctx context.Context
	db  *sqlstore.DB
	clk *clock.Settable
	svc *webhook.Service
	run *jobs.Runner
	rcv *receiver
}

func newEnv(t *testing.T, e sqlstore.Engine, tweak ...func(*webhook.Options)) *env {
	t.Helper()
	clk := clock.NewSettable(start)
	db := sqltest.NewDB(t, e, "webhook", clk.Now)
	o := webhook.Options{
		Store: db.Webhooks(), Box: mustBox(t), Now: clk.Now, Logger: quiet,
		AllowPrivateNetworks: true, // the receiver is on loopback
		Timeout:              300 * time.Millisecond,
	}
	for _, f := range tweak {
		f(&o)
	}
	svc, err := webhook.New(o)
	if err != nil {
		t.Fatal(err)
	}
	run := jobs.New(db.Jobs(), jobs.Options{Now: clk.Now, Logger: quiet, PollInterval: 5 * time.Millisecond, Concurrency: 4})
	svc.Register(run)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	rcv := newReceiver(t, clk.Now)
	rcv.clk = clk
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runner: %v", err)
		}
	})
	return &env{t: t, ctx: context.Background(), db: db, clk: clk, svc: svc, run: run, rcv: rcv}
}

func mustBox(tb testing.TB) *secretbox.Box {
	tb.Helper()
	b, err := secretbox.New(bytes.Repeat([]byte{9}, 32), "webhook")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// endpoint creates an endpoint of owner at the receiver's path.
func (v *env) endpoint(owner webhook.Owner, path string, events ...string) (webhook.Endpoint, string) {
	v.t.Helper()
	e, secret, err := v.svc.CreateEndpoint(v.ctx, owner, webhook.EndpointInput{URL: v.rcv.srv.URL + path, Events: events})
	if err != nil {
		v.t.Fatalf("CreateEndpoint: %v", err)
	}
	return e, secret
}

var errRollback = errors.New("test: roll back")

// record records an event of typ about obj in a transaction that also
// writes a job of its own (standing for the change the event tells of),
// and rolls it back when rollback is set.
func (v *env) record(owner webhook.Owner, typ string, obj any, rollback bool) webhook.Event {
	v.t.Helper()
	ev, err := webhook.NewEvent(owner, typ, obj, v.clk.Now())
	if err != nil {
		v.t.Fatalf("NewEvent: %v", err)
	}
	err = v.db.InTx(v.ctx, func(tx sqlstore.Tx) error {
		if err := sqlstore.EnqueueJobs(v.ctx, tx, v.clk.Now(), jobs.Job{Kind: "test.change"}); err != nil {
			return err
		}
		if err := v.db.EventRecorder(tx).Record(v.ctx, ev); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback && !errors.Is(err, errRollback) || !rollback && err != nil {
		v.t.Fatalf("record %s: %v", typ, err)
	}
	v.run.Notify()
	return ev
}

// settle waits until the runner has run every delivery and notice job
// due at the clock's time.
func (v *env) settle() {
	v.t.Helper()
	for range 3000 {
		js, err := v.db.Jobs().List(v.ctx, webhook.DeliverJob)
		if err != nil {
			v.t.Fatal(err)
		}
		notices, err := v.db.Jobs().List(v.ctx, webhook.DisabledNoticeJob)
		if err != nil {
			v.t.Fatal(err)
		}
		js = append(js, notices...)
		busy := slices.ContainsFunc(js, func(j jobs.Record) bool {
			return j.State == jobs.StateRunning || j.State == jobs.StateAvailable && !j.RunAt.After(v.clk.Now())
		})
		if !busy {
			return
		}
		v.run.Notify()
		time.Sleep(2 * time.Millisecond)
	}
	v.t.Fatal("delivery jobs still due after 3000 polls")
}

// advance moves the clock to until, stopping at every delivery job due on
// the way and letting it run.
func (v *env) advance(until time.Time) {
	v.t.Helper()
	v.settle()
	for range 1000 {
		js, err := v.db.Jobs().List(v.ctx, webhook.DeliverJob)
		if err != nil {
			v.t.Fatal(err)
		}
		next := until
		for _, j := range js {
			if j.State == jobs.StateAvailable && j.RunAt.Before(next) {
				next = j.RunAt
			}
		}
		if next.Before(v.clk.Now()) {
			next = v.clk.Now()
		}
		v.clk.Set(next)
		v.settle()
		if !next.Before(until) {
			return
		}
	}
	v.t.Fatal("advance: more than 1000 steps")
}

// delivery returns the only delivery of ev to endpoint e, with its log.
func (v *env) delivery(owner webhook.Owner, ev webhook.Event, e webhook.Endpoint) (webhook.Delivery, []webhook.Attempt) {
	v.t.Helper()
	ds, err := v.svc.Deliveries(v.ctx, owner, webhook.DeliveryFilter{EventID: ev.ID, EndpointID: e.ID})
	if err != nil {
		v.t.Fatal(err)
	}
	if len(ds) != 1 {
		v.t.Fatalf("%d deliveries of %s to %s, want 1", len(ds), ev.ID, e.ID)
	}
	d, as, err := v.svc.Delivery(v.ctx, owner, ds[0].ID)
	if err != nil {
		v.t.Fatal(err)
	}
	return d, as
}

// receiver is a shop's webhook endpoint on loopback. Its answer is set by
// the test: a status with a body, or hanging until the client gives up.
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	hang   bool
	got    []request
	// slow moves the test clock on while a request is answered.
	slow time.Duration
	clk  *clock.Settable
}

type request struct {
	path   string
	header http.Header
	body   []byte
	at     time.Time // on the test clock
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	r := &receiver{status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, request{path: req.URL.Path, header: req.Header.Clone(), body: body, at: now()})
		status, hang, slow := r.status, r.hang, r.slow
		r.mu.Unlock()
		if slow > 0 {
			r.clk.Add(slow)
		}
		if hang {
			<-req.Context().Done() // until the sender's timeout closes the connection
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status)+" from the shop")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) answer(status int, hang bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.hang = status, hang
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// verified verifies every request received at path with secrets, at the
// time it arrived, and returns their events in arrival order.
func (r *receiver) verified(t *testing.T, path string, secrets ...string) []okwebhook.Event {
	t.Helper()
	var out []okwebhook.Event
	for _, q := range r.requests() {
		if q.path != path {
			continue
		}
		ev, err := okwebhook.Verify(q.body, q.header.Get(okwebhook.SignatureHeader), secrets, time.Minute, q.at)
		if err != nil {
			t.Fatalf("request to %s does not verify: %v (header %q)", path, err, q.header.Get(okwebhook.SignatureHeader))
		}
		out = append(out, ev)
	}
	return out
}

func ids(evs []okwebhook.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

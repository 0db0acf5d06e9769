package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v3"
)

// apiBench is a load generator for a running node's /v1 API: concurrent
// clients POST the same body with a fresh Idempotency-Key each, so every
// request creates an object (a payment intent, by default).
type apiBench struct {
	URL         string // the full endpoint, e.g. http://127.0.0.1:8080/v1/payment_intents
	Key         string // the secret API key
	Body        []byte
	Requests    int
	Concurrency int
	Client      *http.Client
}

// apiBenchResult is what a run measured.
type apiBenchResult struct {
	URL         string  `json:"url"`
	Requests    int     `json:"requests"`
	Failed      int     `json:"failed"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	PerSec      float64 `json:"requests_per_sec"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	// FirstError is the first failure's status and body, to see why.
	FirstError string `json:"first_error,omitempty"`
}

// run sends b.Requests requests from b.Concurrency workers and times each
// one; a request fails unless it is answered 2xx.
func (b apiBench) run(ctx context.Context) apiBenchResult {
	lat := make([]time.Duration, b.Requests)
	var next, failed atomic.Int64
	var firstErr sync.Once
	res := apiBenchResult{URL: b.URL, Requests: b.Requests, Concurrency: b.Concurrency}
	start := time.Now()
	var wg sync.WaitGroup
	for range b.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.Requests || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := b.one(ctx)
				lat[i] = time.Since(t)
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { res.FirstError = err.Error() })
				}
			}
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Failed = int(failed.Load())
	slices.Sort(lat)
	res.PerSec = float64(b.Requests-res.Failed) / res.Seconds
	res.P50ms = float64(percentile(lat, 0.50).Microseconds()) / 1000
	res.P99ms = float64(percentile(lat, 0.99).Microseconds()) / 1000
	return res
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// one sends one request under a fresh Idempotency-Key.
func (b apiBench) one(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(b.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.Key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "bench-"+strings.ToLower(rand.Text()))
	resp, err := b.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func (a *app) benchAPICommand() *cli.Command {
	return &cli.Command{
		Name:  "api",
		Usage: "load a running node's /v1 API with concurrent POSTs and report throughput and latency",
		Description: "Sends --requests POSTs of --body to --url from --concurrency clients, each\n" +
			"with a fresh Idempotency-Key, so each creates an object (by default a\n" +
			"payment intent). The key is read from --key or OKPAY_BENCH_KEY; use a\n" +
			"test-mode key of a scratch merchant (okpay merchant create prints one).\n" +
			"scripts/bench-api.sh starts a node on each engine and runs this.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/v1/payment_intents", Usage: "the endpoint to POST to"},
			&cli.StringFlag{Name: "key", Usage: "secret API key (env OKPAY_BENCH_KEY)"},
			&cli.StringFlag{Name: "body", Value: `{"amount":1000,"currency":"cny","description":"bench"}`, Usage: "the JSON body"},
			&cli.IntFlag{Name: "requests", Value: 20_000, Usage: "how many requests"},
			&cli.IntFlag{Name: "concurrency", Value: 64, Usage: "how many concurrent clients"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
		},
		Action: a.benchAPI,
	}
}

func (a *app) benchAPI(ctx context.Context, cmd *cli.Command) error {
	key := cmd.String("key")
	if key == "" {
		key = a.getenv("OKPAY_BENCH_KEY")
	}
	u, err := url.Parse(cmd.String("url"))
	switch {
	case key == "":
		return cli.Exit("bench api needs a secret key: --key or OKPAY_BENCH_KEY", 2)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return cli.Exit(fmt.Sprintf("--url must be an http(s) URL, not %q", cmd.String("url")), 2)
	case !json.Valid([]byte(cmd.String("body"))):
		return cli.Exit("--body must be JSON", 2)
	case cmd.Int("requests") <= 0 || cmd.Int("concurrency") <= 0:
		return cli.Exit("need --requests > 0 and --concurrency > 0", 2)
	}
	conc := int(cmd.Int("concurrency"))
	b := apiBench{URL: u.String(), Key: key, Body: []byte(cmd.String("body")), Requests: int(cmd.Int("requests")),
		Concurrency: conc, Client: &http.Client{Timeout: time.Minute,
			Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}}
	res := b.run(ctx)
	if cmd.Bool("json") {
		out, _ := json.Marshal(res)
		fmt.Fprintln(a.stdout, string(out))
	} else {
		fmt.Fprintf(a.stdout, "%s: %d requests (%d failed) in %.2fs = %.0f/s, p50 %.2f ms, p99 %.2f ms (concurrency %d)\n",
			res.URL, res.Requests, res.Failed, res.Seconds, res.PerSec, res.P50ms, res.P99ms, res.Concurrency)
	}
	if res.Failed > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d requests failed; the first: %s", res.Failed, res.Requests, res.FirstError), 1)
	}
	return nil
}

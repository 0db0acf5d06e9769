// Command shop is an example shop that takes payments with OKPay through
// the Go client: see package shop. Run, against a development okpay serve
// (with OKPAY_WEBHOOK_ALLOW_PRIVATE=1 so it may call back to localhost):
//
//	okpay merchant create --owner me@example.com --name "Tea shop"   # prints sk_test_… last
//	go run ./examples/shop -okpay http://127.0.0.1:8080 -key sk_test_… -register
//
// -register creates the webhook endpoint and prints its secret; pass it as
// -webhook-secret (or OKPAY_WEBHOOK_SECRET) from then on. Every flag can
// also come from the environment: OKPAY_URL, OKPAY_SECRET_KEY,
// OKPAY_WEBHOOK_SECRET, SHOP_ADDR, SHOP_BASE_URL.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/okpay/okpay/examples/shop/shop"
	"github.com/okpay/okpay/pkg/okpay"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	addr := flag.String("addr", env("SHOP_ADDR", "127.0.0.1:8081"), "address to listen on")
	base := flag.String("base", env("SHOP_BASE_URL", ""), "the shop's public URL (default http://ADDR)")
	okpayURL := flag.String("okpay", env("OKPAY_URL", "http://127.0.0.1:8080"), "OKPay's URL")
	key := flag.String("key", env("OKPAY_SECRET_KEY", ""), "the merchant's secret key (sk_test_…)")
	secret := flag.String("webhook-secret", env("OKPAY_WEBHOOK_SECRET", ""), "the webhook endpoint's secret (whsec_…)")
	register := flag.Bool("register", false, "create the webhook endpoint at OKPay and print its secret")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *key == "" {
		fmt.Fprintln(os.Stderr, "shop: give the merchant's secret key with -key or OKPAY_SECRET_KEY")
		os.Exit(2)
	}
	if *base == "" {
		*base = "http://" + *addr
	}
	if *register {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := shop.Register(ctx, okpay.New(*okpayURL, *key), *base)
		if err != nil {
			fmt.Fprintln(os.Stderr, "shop: register the webhook endpoint:", err)
			os.Exit(1)
		}
		fmt.Println(s)
		*secret = s
	}
	if *secret == "" {
		fmt.Fprintln(os.Stderr, "shop: give the webhook secret with -webhook-secret or OKPAY_WEBHOOK_SECRET (or -register)")
		os.Exit(2)
	}
	s := shop.New(shop.Config{OKPayURL: *okpayURL, SecretKey: *key, WebhookSecret: *secret, BaseURL: *base, Logger: log})
	log.Info("shop listening", "addr", *addr, "okpay", *okpayURL)
	srv := &http.Server{Addr: *addr, Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

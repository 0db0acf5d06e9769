package main

import (
	"log/slog"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/httpapi/merchantapi"
	"github.com/okpay/okpay/internal/httpapi/walletapi"
	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/server"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet/adapt"
	"github.com/okpay/okpay/internal/web"
)

// newAPIKeys is the API key service: customers' and merchants' keys,
// with daily limits counted in the platform's calendar days and changed
// behind the owner's second factor.
func newAPIKeys(cfg config.Config, db *sqlstore.DB, second *twofactor.Service) *apikey.Service {
	return apikey.New(apikey.Options{Store: db.APIKeys(), StepUp: second, Location: cfg.Calendar.Location(), Now: cfg.Now})
}

// apiRegistry collects the /v1 routes. A package that serves part of the
// API adds its routes here (walletapi.Register, and the like).
func apiRegistry(cfg config.Config, svc services, site *web.Site) *httpapi.Registry {
	reg := httpapi.NewRegistry()
	site.RegisterAPI(reg) // GET /v1/verify, served by the site without a key
	walletapi.Register(reg, walletapi.Options{Wallet: svc.wallet, Keys: svc.apikeys, Rates: adapt.Rates(svc.rates), Now: cfg.Now})
	merchantapi.Register(reg, merchantapi.Options{Merchants: svc.merchant, Webhooks: svc.webhooks, BaseURL: cfg.BaseURL, Now: cfg.Now})
	return reg
}

// mountAPI mounts the JSON API at /v1 (with /v1/openapi.json and the
// reference page /docs/api) and registers the purge of old
// Idempotency-Keys with the job runner.
func mountAPI(srv *server.Server, runner *jobs.Runner, cfg config.Config, log *slog.Logger, db *sqlstore.DB, svc services, site *web.Site) error {
	api, err := httpapi.New(apiRegistry(cfg, svc, site), httpapi.Options{
		Keys: svc.apikeys, Idempotency: db.APIIdempotency(), Logger: log, Now: cfg.Now, BaseURL: cfg.BaseURL,
	})
	if err != nil {
		return err
	}
	api.Mount(srv)
	api.Register(runner)
	return nil
}

package main

import (
	"log/slog"
	"time"
	_ "time/tzdata" // the platform time zone works on hosts without zoneinfo

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/server"
	"github.com/okpay/okpay/internal/web"
)

// Until internal/config carries them, the web pages use the package's
// defaults for these: the platform time zone (web.DefaultTimeZone), the
// official domain and the support address shown on every page.

// useDevClock makes, in development, the application clock real time plus
// an offset that /dev/clock moves, so end-to-end tests can reach a
// lockout's expiry or a settlement day. It must run before anything takes
// cfg.Now. In production it returns nil and leaves cfg.Now alone.
func useDevClock(cfg *config.Config) *clock.Offset {
	if cfg.Env != config.Development {
		return nil
	}
	real := cfg.Now
	if real == nil {
		real = time.Now
	}
	c := clock.NewOffset(real)
	cfg.Now = c.Now
	return c
}

// mountWeb mounts the web pages on srv: the home page, the language
// switcher, the error pages for everything no other handler serves, and in
// development the /dev/clock helper (loopback clients only).
func mountWeb(srv *server.Server, cfg config.Config, log *slog.Logger, dev *clock.Offset) error {
	o := web.Options{
		Logger:      log,
		Now:         cfg.Now,
		Development: cfg.Env == config.Development,
	}
	if dev != nil {
		o.DevClock = dev
	}
	site, err := web.New(o)
	if err != nil {
		return err
	}
	site.Mount(srv)
	return nil
}

package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/sqlstore"
)

// newHelp builds the help centre and loads the articles the release
// ships that the database does not have yet (published; an article
// already there, possibly edited by staff, is left alone). Both
// `okpay migrate` and `okpay serve` run it; nodes starting together
// load each article once.
func newHelp(ctx context.Context, log *slog.Logger, db *sqlstore.DB, now func() time.Time) (*helpcenter.Service, error) {
	h := helpcenter.New(helpcenter.Options{Store: db.Help(), Now: now})
	n, err := h.Seed(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		log.Info("help centre articles loaded", "added", n)
	}
	return h, nil
}

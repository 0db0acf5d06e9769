package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/sqlstore"
)

// openStore opens the database cfg names and brings its schema up to date.
// Every command that touches the database starts here; the caller closes
// the DB.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.DB, error) {
	db, _, err := openAndMigrate(ctx, cfg, log)
	return db, err
}

// openAndMigrate is openStore that also reports how many migrations it
// applied.
func openAndMigrate(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.DB, int, error) {
	log.Info("opening database", "engine", cfg.Engine(), "location", cfg.DatabaseLocation())
	db, err := sqlstore.Open(ctx, cfg.StoreOptions())
	if err != nil {
		return nil, 0, fmt.Errorf("open store: %w", err)
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, n, fmt.Errorf("migrate %s database: %w", cfg.Engine(), err)
	}
	log.Info("database ready", "engine", db.Engine(), "migrations_applied", n)
	return db, n, nil
}

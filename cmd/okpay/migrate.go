package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"
)

func (a *app) migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "apply pending database migrations and exit",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			cfg, log, err := a.load(cmd)
			if err != nil {
				return err
			}
			db, n, err := openAndMigrate(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := newHelp(ctx, log, db, cfg.Now); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintf(a.stdout, "applied 0 migrations: the %s database at %s is up to date\n", cfg.Engine(), cfg.DatabaseLocation())
				return nil
			}
			fmt.Fprintf(a.stdout, "applied %d %s to the %s database at %s\n", n, plural(n, "migration", "migrations"), cfg.Engine(), cfg.DatabaseLocation())
			return nil
		},
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/ledger"
)

func (a *app) ledgerCommand() *cli.Command {
	return &cli.Command{
		Name:  "ledger",
		Usage: "inspect the double-entry ledger",
		Commands: []*cli.Command{{
			Name:  "verify",
			Usage: "recompute every balance from the journal and check that the books balance",
			Description: "Exit status 0 when every stored balance matches the journal, no constrained\n" +
				"balance is negative and per currency debits equal credits; 1 with a list of\n" +
				"every discrepancy otherwise.",
			Action: func(ctx context.Context, cmd *cli.Command) error {
				cfg, log, err := a.load(cmd)
				if err != nil {
					return err
				}
				db, err := openStore(ctx, cfg, log)
				if err != nil {
					return err
				}
				defer db.Close()
				return a.verify(ctx, db.Ledger())
			},
		}},
	}
}

// verify prints the verdict on the ledger and fails when it does not hold.
func (a *app) verify(ctx context.Context, store ledger.Store) error {
	r, err := ledger.Verify(ctx, store)
	if err != nil {
		return err
	}
	if r.OK() {
		fmt.Fprintf(a.stdout, "ledger ok: %d accounts in %d currencies match the journal; debits equal credits\n", r.Accounts, r.Currencies)
		return nil
	}
	fmt.Fprintf(a.stdout, "ledger does NOT balance: %d %s\n", len(r.Problems), plural(len(r.Problems), "discrepancy", "discrepancies"))
	for _, p := range r.Problems {
		fmt.Fprintf(a.stdout, "  - %s\n", p)
	}
	return cli.Exit("ledger verify failed", 1)
}

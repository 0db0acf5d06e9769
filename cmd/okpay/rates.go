package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/fx"
)

// importRatesCommand is `okpay import rates FILE`: it stores the exchange
// rates of a European Central Bank reference-rate file (daily, 90-day or
// complete history) in the database. It belongs under the `import`
// command.
func (a *app) importRatesCommand() *cli.Command {
	return &cli.Command{
		Name:      "rates",
		Usage:     "import exchange rates from a European Central Bank reference-rate XML file",
		ArgsUsage: "FILE",
		Description: "FILE has the layout of the ECB's eurofxref-daily.xml (or the 90-day and full\n" +
			"history files): rates per 1 EUR, one <Cube time=...> per day. Importing a day\n" +
			"that is already stored changes nothing; a rate that differs from the stored\n" +
			"one for the same day is refused, and then nothing from the file is stored.\n" +
			"Exit status 0 when the file was imported (or was already), 1 otherwise.",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return cli.Exit(fmt.Sprintf("import rates: want exactly one FILE, got %d %s (see %s --help)",
					cmd.Args().Len(), plural(cmd.Args().Len(), "argument", "arguments"), cmd.FullName()), 2)
			}
			path := cmd.Args().First()
			cfg, log, err := a.load(cmd)
			if err != nil {
				return err
			}
			// Parse before touching the database: a malformed file
			// changes nothing anywhere.
			days, err := parseRatesFile(path)
			if err != nil {
				return err
			}
			db, err := openStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})
			res, err := svc.Import(ctx, days)
			if err != nil {
				return fmt.Errorf("import rates from %s: %w", path, err)
			}
			fmt.Fprintf(a.stdout, "%s: %s, %d %s: %d imported (%d new %s), %d already present\n",
				path, dayRange(days), res.Rates, plural(res.Rates, "rate", "rates"),
				res.NewRates, res.NewDays, plural(res.NewDays, "day", "days"), res.ExistingRates())
			return nil
		},
	}
}

func parseRatesFile(path string) ([]fx.Day, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("import rates: %w", err)
	}
	defer f.Close()
	days, err := fx.ParseECB(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return days, nil
}

// dayRange describes the days of a file: "1 day (2026-11-20)" or
// "62 days (2026-08-24 to 2026-11-20)". days is sorted and not empty.
func dayRange(days []fx.Day) string {
	first, last := days[0].Date.Format(time.DateOnly), days[len(days)-1].Date.Format(time.DateOnly)
	if len(days) == 1 {
		return "1 day (" + first + ")"
	}
	return fmt.Sprintf("%d days (%s to %s)", len(days), first, last)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/ledger/ledgerbench"
)

func (a *app) benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure parts of okpay",
		Commands: []*cli.Command{{
			Name:  "ledger",
			Usage: "drive the ledger in-process with concurrent transfers and report throughput",
			Description: "Creates fresh funded accounts in the database (--data or --database-url),\n" +
				"submits random transfers between them, prints the result and then verifies\n" +
				"the whole ledger. --mode naive commits each transfer in its own transaction\n" +
				"(the usual design), batched goes through the batch committer.",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "transfers", Value: 100_000, Usage: "how many transfers to submit"},
				&cli.IntFlag{Name: "accounts", Value: 10_000, Usage: "how many wallets to spread them over"},
				&cli.IntFlag{Name: "concurrency", Value: 256, Usage: "how many concurrent submitters"},
				&cli.Float64Flag{Name: "hot", Usage: "fraction of transfers that credit one single account"},
				&cli.StringFlag{Name: "mode", Value: "batched", Usage: "batched or naive"},
				&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
			},
			Action: a.benchLedger,
		}, a.benchAPICommand()},
	}
}

func (a *app) benchLedger(ctx context.Context, cmd *cli.Command) error {
	cfg, log, err := a.load(cmd)
	if err != nil {
		return err
	}
	// The benchmark writes thousands of accounts and transfers: it never
	// picks a database by default, where it might be the real one.
	if !cmd.IsSet("data") && !cmd.IsSet("database-url") {
		return cli.Exit("bench ledger writes thousands of accounts and transfers: name a scratch database with --data DIR or --database-url URL", 2)
	}
	mode := cmd.String("mode")
	if mode != "batched" && mode != "naive" {
		return cli.Exit(fmt.Sprintf("--mode must be batched or naive, not %q", mode), 2)
	}
	bc := ledgerbench.Config{
		Transfers:   int(cmd.Int("transfers")),
		Accounts:    int(cmd.Int("accounts")),
		Concurrency: int(cmd.Int("concurrency")),
		Hot:         cmd.Float64("hot"),
		Naive:       mode == "naive",
		Seed:        1,
	}
	if bc.Transfers <= 0 || bc.Accounts < 2 || bc.Concurrency <= 0 || bc.Hot < 0 || bc.Hot > 1 {
		return cli.Exit("need --transfers > 0, --accounts >= 2, --concurrency > 0 and 0 <= --hot <= 1", 2)
	}
	// The naive mode runs one transaction per submitter at once: give it
	// connections to do so (PostgreSQL only; SQLite has one writer).
	cfg.PoolSize = min(bc.Concurrency, 64)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(bc.Transfers, progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("transfers"), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
		bc.Progress = func(done int) { bar.Set(done) }
		defer bar.Finish()
	}

	l := ledger.New(db.Ledger(), ledger.Options{Logger: log})
	res, runErr := ledgerbench.Run(ctx, l, bc)
	l.Close()
	if bc.Progress != nil {
		bc.Progress(bc.Transfers)
	}
	out := struct {
		Engine string `json:"engine"`
		ledgerbench.Result
	}{string(db.Engine()), res}
	if cmd.Bool("json") {
		b, _ := json.Marshal(out)
		fmt.Fprintln(a.stdout, string(b))
	} else {
		fmt.Fprintf(a.stdout, "%s %s: %d transfers (%d failed) in %.2fs = %.0f transfers/s, p50 %.2f ms, p99 %.2f ms (%d accounts, concurrency %d, hot %.2f)\n",
			out.Engine, res.Mode, res.Transfers, res.Failed, res.Seconds, res.TransfersPerSec, res.P50ms, res.P99ms,
			res.Accounts, res.Concurrency, res.Hot)
	}
	if runErr != nil {
		return runErr
	}
	if cmd.Bool("json") {
		// stdout holds only the JSON; the verdict goes to the log.
		r, err := ledger.Verify(ctx, db.Ledger())
		if err != nil {
			return err
		}
		if !r.OK() {
			for _, p := range r.Problems {
				log.Error("ledger verify", "problem", p)
			}
			return cli.Exit("ledger verify failed after the benchmark", 1)
		}
		log.Info("ledger verified", "accounts", r.Accounts)
		return nil
	}
	return a.verify(ctx, db.Ledger())
}

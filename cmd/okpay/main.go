// Command okpay is the whole payment platform in one program: `okpay serve`
// runs the web UI, API and background work; the other subcommands do admin
// work against the same database (migrate, ledger verify, bench, ...).
//
// Settings come from defaults, then OKPAY_* environment variables, then
// flags (see internal/config). Logs go to stderr; a command's own output
// (counts, reports) goes to stdout.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/config"
)

func main() { os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr)) }

// run is the whole program behind main, callable from tests: it returns the
// exit status instead of exiting.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// SIGINT or SIGTERM cancels ctx: serve shuts down gracefully, long
	// admin commands stop between steps. A second signal kills at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	a := &app{getenv: os.Getenv, stdout: stdout, stderr: stderr}
	err := a.root().Run(ctx, args)
	if err == nil {
		return 0
	}
	// Several config problems come as one multi-line error: indent the
	// rest under the first.
	fmt.Fprintf(stderr, "okpay: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return 1
}

// app is what every subcommand shares: the environment and the output
// streams. It holds no configuration: each command builds its Config with
// a.load once its flags are parsed.
type app struct {
	getenv func(string) string
	stdout io.Writer // the command's output
	stderr io.Writer // logs and errors
}

// commands lists okpay's subcommands, one constructor per file. To add one,
// write a method on *app in its own file and add it here, e.g.
//
//	a.ledgerCommand(), // ledger.go: okpay ledger verify
//	a.benchCommand(),  // bench.go:  okpay bench ledger
//
// A command's Action starts with a.load(cmd) for its Config and logger and,
// if it needs the database, openStore(ctx, cfg, log).
func (a *app) commands() []*cli.Command {
	return []*cli.Command{
		a.serveCommand(),
		a.migrateCommand(),
		a.ledgerCommand(),
		a.benchCommand(),
		a.mailCommand(),
		a.userCommand(),
		a.merchantCommand(),
		{Name: "import", Usage: "load data files into the database", Commands: []*cli.Command{a.importRatesCommand(), a.importBankStatementCommand()}},
		a.reconcileCommand(),
		a.versionCommand(),
	}
}

func (a *app) root() *cli.Command {
	root := &cli.Command{
		Name:    "okpay",
		Usage:   "an online payment platform in one program",
		Suggest: true,
		Version: versionString(),
		Description: "Settings come from flags, else OKPAY_* environment variables, else defaults.\n" +
			"Environment only: OKPAY_ENV (development|production), OKPAY_MASTER_KEY (32 bytes,\n" +
			"hex or base64; required in production), OKPAY_SMTP_RELAY (required in production).",
		Writer:    a.stdout,
		ErrWriter: a.stderr,
		// run reports errors and chooses the exit status; the library
		// must not exit the process.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "`DIR` holding the SQLite database and, in development, the master key (env OKPAY_DATA_DIR, default ./okpay-data)"},
			&cli.StringFlag{Name: "database-url", Usage: "postgres:// `URL` to use PostgreSQL instead of SQLite (env OKPAY_DATABASE_URL)"},
			&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (env OKPAY_LOG_LEVEL, default info)"},
			&cli.StringFlag{Name: "log-format", Usage: "text or json (env OKPAY_LOG_FORMAT, default text)"},
		},
		Commands: a.commands(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return cli.Exit(fmt.Sprintf("unknown command %q (see okpay --help)", cmd.Args().First()), 2)
			}
			return cli.ShowRootCommandHelp(cmd)
		},
	}
	// Usage errors: one line on stderr and exit status 2, not the help
	// text followed by the error twice.
	root.Walk(func(c *cli.Command) error {
		c.OnUsageError = func(ctx context.Context, cmd *cli.Command, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("%v (see %s --help)", err, cmd.FullName()), 2)
		}
		return nil
	})
	return root
}

// load builds the command's Config (defaults, then OKPAY_* variables, then
// the flags given on the command line) and a logger to stderr.
func (a *app) load(cmd *cli.Command) (config.Config, *slog.Logger, error) {
	flag := func(name string) *string {
		if !cmd.IsSet(name) {
			return nil
		}
		v := cmd.String(name)
		return &v
	}
	cfg, err := config.Load(a.getenv, config.Flags{
		HTTPAddr:    flag("http"),
		DataDir:     flag("data"),
		DatabaseURL: flag("database-url"),
		LogLevel:    flag("log-level"),
		LogFormat:   flag("log-format"),
		SMTPAddr:    flag("smtp"),
	})
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, cfg.NewLogger(a.stderr), nil
}

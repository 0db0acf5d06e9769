package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// importBankStatementCommand is `okpay import bank-statement FILE`: it
// imports the platform bank's statement, crediting deposits by their
// reference and booking the rest to suspense for staff. It belongs under
// the `import` command.
func (a *app) importBankStatementCommand() *cli.Command {
	return &cli.Command{
		Name:      "bank-statement",
		Usage:     "import a bank statement (camt.053 XML or CSV): credit deposits by their reference, the rest to suspense",
		ArgsUsage: "FILE",
		Description: "FILE is an ISO 20022 camt.053 statement (versions 001.02 to 001.08) or OKPay's\n" +
			"statement CSV. Each booked credit whose remittance information holds a customer's\n" +
			"deposit reference is deposited into their wallet; any other booked credit is\n" +
			"moved to the suspense account and listed for staff (unmatched). Debits and\n" +
			"entries not booked are recorded and move no money. Entries imported before\n" +
			"(the same file again, or an overlapping statement) move nothing again. A\n" +
			"statement that does not add up is imported with a warning (see okpay reconcile).\n" +
			"Exit status 0 when the file was imported, 1 when it cannot be read (the message\n" +
			"names the file and the place, and nothing was changed) or the import failed.",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			path, data, b, done, err := a.openStatement(ctx, cmd, "import bank-statement")
			if err != nil {
				return err
			}
			defer done()
			res, err := b.ImportStatement(ctx, path, data, a.bankActor())
			printImport(a.stdout, res)
			if err != nil {
				return fmt.Errorf("%w (importing the file again carries on where it stopped)", err)
			}
			return nil
		},
	}
}

// openStatement reads and decodes the statement FILE, wholly, before it
// opens the database (a malformed file changes nothing anywhere), then
// opens the bank deposits; done closes them.
func (a *app) openStatement(ctx context.Context, cmd *cli.Command, name string) (path string, data []byte, b *wallet.BankDeposits, done func(), err error) {
	if path, err = bankFileArg(cmd, name); err != nil {
		return
	}
	cfg, log, err := a.load(cmd)
	if err != nil {
		return
	}
	if data, err = readBankStatement(path); err != nil {
		return
	}
	if _, err = connector.DecodeStatements(path, data); err != nil {
		return
	}
	b, done, err = openBankDeposits(ctx, cfg, log)
	return
}

// reconcileCommand is `okpay reconcile FILE`: it compares a bank
// statement with the ledger and lists every difference.
func (a *app) reconcileCommand() *cli.Command {
	return &cli.Command{
		Name:      "reconcile",
		Usage:     "compare a bank statement with the ledger and list every difference",
		ArgsUsage: "FILE",
		Description: "FILE is a bank statement as for okpay import bank-statement. For each statement\n" +
			"it lists the booked entries whose money the ledger does not have (not imported,\n" +
			"or debits, which the import does not book), the bank credits in the ledger for\n" +
			"the statement's account and period that the file lacks, whether the statement\n" +
			"adds up, and how its closing balance compares with what the ledger holds at the\n" +
			"bank. It changes nothing. Exit status 0 when everything matches, 1 when there\n" +
			"are differences or the file cannot be read.",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			path, data, b, done, err := a.openStatement(ctx, cmd, "reconcile")
			if err != nil {
				return err
			}
			defer done()
			r, err := b.Reconcile(ctx, path, data)
			if err != nil {
				return err
			}
			printReconciliation(a.stdout, r)
			if n := r.Differences(); n > 0 {
				return cli.Exit(fmt.Sprintf("reconcile: %d %s between %s and the ledger", n,
					plural(n, "difference", "differences"), path), 1)
			}
			return nil
		},
	}
}

// bankFileArg is the one FILE argument of the bank commands.
func bankFileArg(cmd *cli.Command, name string) (string, error) {
	if cmd.Args().Len() != 1 {
		return "", cli.Exit(fmt.Sprintf("%s: want exactly one FILE, got %d %s (see %s --help)", name,
			cmd.Args().Len(), plural(cmd.Args().Len(), "argument", "arguments"), cmd.FullName()), 2)
	}
	return cmd.Args().First(), nil
}

// maxBankStatement is read of a file at most; the decoder refuses files
// above its own limit (64 MiB), so one byte more is enough to say so.
const maxBankStatement = 64<<20 + 1

func readBankStatement(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // names the file
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBankStatement))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// bankActor names who imports, for the entries and the audit log.
func (a *app) bankActor() string {
	if u := a.getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// openBankDeposits opens the database and the ledger and builds the
// wallet's bank side on them; done closes them. The wallet has no deposit
// rails here and takes no development rates: reconcile must change
// nothing, and the import only needs the fee schedule (deposit_bank) and
// the stored rates its volume tiers are counted in.
func openBankDeposits(ctx context.Context, cfg config.Config, log *slog.Logger) (*wallet.BankDeposits, func(), error) {
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	l := ledger.New(db.Ledger(), ledger.Options{Now: cfg.Now, Logger: log})
	done := func() {
		l.Close()
		db.Close()
	}
	svc, err := wallet.New(wallet.Options{
		Store:     db.Wallet(),
		Ledger:    l,
		Fees:      adapt.Fees(fees.Default()),
		Rates:     adapt.Rates(fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})),
		Directory: db.WalletDirectory(),
		StepUp:    bankNoStepUp{},
		Now:       cfg.Now,
		Logger:    log,
	})
	if err != nil {
		done()
		return nil, nil, err
	}
	b, err := wallet.NewBankDeposits(svc, wallet.BankOptions{Store: db.Wallet(), Ledger: l})
	if err != nil {
		done()
		return nil, nil, err
	}
	return b, done, nil
}

// bankNoStepUp is the wallet.StepUp of the bank commands, which make no
// payments that need one: it refuses.
type bankNoStepUp struct{}

func (bankNoStepUp) Enabled(context.Context, int64) (bool, error) { return false, nil }

func (bankNoStepUp) UseStepUp(context.Context, int64, string, twofactor.Action) error {
	return twofactor.ErrStepUpRefused
}

// printImport writes what an import did: the counts, the warnings, and
// the entries it left for staff.
func printImport(w io.Writer, r wallet.ImportResult) {
	if r.File == "" {
		return
	}
	fmt.Fprintf(w, "%s: %d %s, %d %s: %d credited, %d to suspense, %d not enabled, %d already imported, %d skipped\n",
		r.File, r.Statements, plural(r.Statements, "statement", "statements"), r.Entries, plural(r.Entries, "entry", "entries"),
		r.Credited, r.ToSuspense, r.NotEnabled, r.AlreadyImported, r.Skipped)
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	for _, l := range r.Lines {
		if l.Outcome != wallet.OutcomeSuspense && l.Outcome != wallet.OutcomeNotEnabled {
			continue
		}
		from := l.Counterparty
		if from == "" {
			from = "(no name)"
		}
		fmt.Fprintf(w, "unmatched: %s %s %s booked %s from %s: %s; remittance %q\n", l.EntryID, l.Amount.Decimal(),
			l.Amount.Currency.Code, bankDay(l.BookingDate), from, l.Reason, l.Remittance)
	}
}

// printReconciliation writes a reconciliation, a paragraph per statement.
func printReconciliation(w io.Writer, r wallet.Reconciliation) {
	for _, s := range r.Statements {
		period := ""
		if !s.From.IsZero() {
			period = ", " + bankDay(s.From) + " to " + bankDay(s.To)
		}
		head := fmt.Sprintf("%s: statement %s (account %s, %s%s)", r.File, s.StatementID, s.Account, s.Currency.Code, period)
		if len(s.Differences) == 0 {
			fmt.Fprintf(w, "%s: matches the ledger (closing balance %s %s)\n", head, s.Closing.Decimal(), s.Closing.Currency.Code)
			continue
		}
		fmt.Fprintf(w, "%s: %d %s\n", head, len(s.Differences), plural(len(s.Differences), "difference", "differences"))
		for _, d := range s.Differences {
			if d.EntryRef != "" {
				fmt.Fprintf(w, "  - %s: entry %s: %s\n", d.Kind, d.EntryRef, d.Detail)
			} else {
				fmt.Fprintf(w, "  - %s: %s\n", d.Kind, d.Detail)
			}
		}
	}
	if n := r.Differences(); n > 0 {
		fmt.Fprintf(w, "%s: %d %s between the statements and the ledger\n", r.File, n, plural(n, "difference", "differences"))
	} else {
		fmt.Fprintf(w, "%s: everything matches the ledger\n", r.File)
	}
}

func bankDay(t time.Time) string {
	if t.IsZero() {
		return "(no date)"
	}
	return t.Format(time.DateOnly)
}

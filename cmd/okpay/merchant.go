package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/wallet/adapt"
)

// newMerchant builds the merchant service: payments into the ledger, the
// payer's wallet and the platform accounts through the wallet, the
// merchant payment fee from the published schedule, large balance
// payments confirmed with the second factor, and cards through the
// connector's card sandbox (no card network can be reached from here).
// Its events go nowhere until the webhook service is connected with
// SetEvents.
func newMerchant(cfg config.Config, db *sqlstore.DB, l *ledger.Ledger, w *wallet.Service, second merchant.StepUp) (*merchant.Service, error) {
	return merchant.New(merchant.Options{
		Config:    merchant.Config{Currencies: w.Config().Currencies, LargePayment: w.Config().LargePayment},
		Store:     db.Merchant(),
		Ledger:    l,
		Wallets:   merchant.FromWallet(w),
		Directory: db.MerchantDirectory(),
		Fees:      merchant.ScheduleFees(fees.Default()),
		StepUp:    second,
		Rates:     adapt.Rates(fx.New(fx.Options{Store: db.FX(), Now: cfg.Now})),
		Card:      connector.NewCardSandbox(connector.SandboxConfig{Now: cfg.Now}),
		Now:       cfg.Now,
	})
}

// merchantCommand is `okpay merchant create`: a merchant, and its owner's
// account when there is none with that email.
func (a *app) merchantCommand() *cli.Command {
	return &cli.Command{
		Name:  "merchant",
		Usage: "manage merchant accounts",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create a merchant owned by EMAIL (creating that customer account if needed); prints the merchant id, and a test-mode secret key on the last line",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "owner", Usage: "the owner's `EMAIL`", Required: true},
				&cli.StringFlag{Name: "name", Usage: "the business `NAME`", Required: true},
				&cli.StringFlag{Name: "country", Usage: "ISO country code", Value: "CN"},
				&cli.StringFlag{Name: "currency", Usage: "default currency", Value: "CNY"},
				&cli.StringFlag{Name: "support-email", Usage: "support address shoppers see (default: the owner's)"},
			},
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
				l := ledger.New(db.Ledger(), ledger.Options{Now: cfg.Now, Logger: log})
				defer l.Close()
				accounts := auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.ProductionArgon2, 0),
					Mailer: noMailer{}, Now: cfg.Now})
				email, err := auth.NormalizeEmail(cmd.String("owner"))
				if err != nil {
					return cli.Exit(fmt.Sprintf("--owner: %v", err), 2)
				}
				ownerID, err := db.MerchantDirectory().UserByEmail(ctx, email)
				if errors.Is(err, merchant.ErrUserNotFound) {
					// No password: the owner sets one by password reset.
					u, cerr := accounts.CreateUser(ctx, auth.CreateUserRequest{Email: email, Role: auth.RoleCustomer,
						Locale: "zh-CN", ActorRole: "cli"})
					if cerr != nil {
						return cerr
					}
					ownerID, err = u.ID, nil
				}
				if err != nil {
					return err
				}
				w, err := newWallet(ctx, cfg, log, db, l, noStepUp{}, nil)
				if err != nil {
					return err
				}
				svc, err := newMerchant(cfg, db, l, w, noStepUp{})
				if err != nil {
					return err
				}
				support := cmd.String("support-email")
				if support == "" {
					support = email
				}
				m, err := svc.Create(ctx, merchant.CreateRequest{OwnerUserID: ownerID, Name: cmd.String("name"),
					Country: cmd.String("country"), Currency: cmd.String("currency"), SupportEmail: support})
				if err != nil {
					return cli.Exit(fmt.Sprintf("merchant create: %v", err), 1)
				}
				fmt.Fprintln(a.stdout, m.ID)
				// A test-mode secret key, so the merchant can start at once;
				// the secret is shown here only (OKPay keeps its hash).
				key, err := newAPIKeys(cfg, db, nil).Create(ctx, apikey.CreateRequest{
					Owner: apikey.Owner{Kind: apikey.OwnerMerchant, ID: m.ID}, Mode: apikey.Test, Name: "okpay merchant create"})
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "test-mode secret key (shown once):")
				fmt.Fprintln(a.stdout, key.Secret)
				return nil
			},
		}},
	}
}

// noStepUp is the step-up of commands, which pay nothing.
type noStepUp struct{}

func (noStepUp) Enabled(context.Context, int64) (bool, error) { return false, nil }
func (noStepUp) UseStepUp(context.Context, int64, string, twofactor.Action) error {
	return twofactor.ErrStepUpRefused
}

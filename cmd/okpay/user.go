package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/auth"
)

// userCommand is `okpay user create`: staff accounts from the command line.
func (a *app) userCommand() *cli.Command {
	return &cli.Command{
		Name:  "user",
		Usage: "manage user accounts",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create a user (staff) with a role; prints the new user's id",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "email", Usage: "the user's `EMAIL`", Required: true},
				&cli.StringFlag{Name: "role", Usage: "customer, agent, supervisor or admin", Value: "agent"},
				&cli.StringFlag{Name: "locale", Usage: "zh-CN or en", Value: "zh-CN"},
				&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from the first line of stdin (else none: the user sets one by password reset)"},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				role, err := auth.ParseRole(cmd.String("role"))
				if err != nil {
					return cli.Exit(fmt.Sprintf("--role: %v", err), 2)
				}
				var password string
				if cmd.Bool("password-stdin") {
					if password, err = readPasswordLine(os.Stdin); err != nil {
						return err
					}
				}
				cfg, log, err := a.load(cmd)
				if err != nil {
					return err
				}
				db, err := openStore(ctx, cfg, log)
				if err != nil {
					return err
				}
				defer db.Close()
				svc := auth.New(auth.Options{Store: db.Auth(), Hasher: auth.NewArgon2(auth.ProductionArgon2, 0),
					Mailer: noMailer{}, Now: cfg.Now})
				u, err := svc.CreateUser(ctx, auth.CreateUserRequest{Email: cmd.String("email"), Password: password,
					Role: role, Locale: cmd.String("locale"), ActorRole: "cli"})
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, u.ID)
				return nil
			},
		}},
	}
}

func readPasswordLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 8192)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// noMailer is the auth.Mailer of commands that send no mail (user
// create): it refuses, so a change that would need one fails loudly.
// okpay serve uses web.Mailer, whose texts are in the message catalogues.
type noMailer struct{}

func (noMailer) Send(_ context.Context, _ auth.Tx, x auth.Mail) error {
	return fmt.Errorf("mail %s: this command sends no mail", x.Kind)
}

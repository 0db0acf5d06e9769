package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/okpay/okpay/internal/auth"
	okmail "github.com/okpay/okpay/internal/mail"
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
					Mailer: authMailer{}, Now: cfg.Now})
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

// authMailer is auth.Mailer over the mail outbox: plain text and HTML in
// the user's language (zh-CN or en). With no Outbox it refuses to send,
// which suits commands that send no mail (user create).
// TODO(web): move the texts into the message catalogues of internal/web.
type authMailer struct {
	Outbox  *okmail.Outbox
	BaseURL string // e.g. http://localhost:8080
}

func (m authMailer) Send(ctx context.Context, tx auth.Tx, x auth.Mail) error {
	if m.Outbox == nil {
		return fmt.Errorf("mail %s: no outbox configured", x.Kind)
	}
	subject, text, link := authMailText(x, strings.TrimRight(m.BaseURL, "/"))
	body := html.EscapeString(text)
	if link != "" {
		body = strings.Replace(body, html.EscapeString(link), `<a href="`+html.EscapeString(link)+`">`+html.EscapeString(link)+`</a>`, 1)
	}
	return m.Outbox.Queue(ctx, tx.Outbox(), okmail.Message{
		To: []okmail.Address{{Address: x.To}}, Subject: subject, Text: text,
		HTML:     "<!doctype html><html><body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">" + body + "</pre></body></html>",
		Language: x.Locale,
	})
}

func authMailText(x auth.Mail, base string) (subject, text, link string) {
	en := x.Locale == "en"
	when := x.Expires.UTC().Format("2006-01-02 15:04 UTC")
	switch x.Kind {
	case auth.MailVerifyEmail:
		link = base + "/verify?token=" + x.Token
		if en {
			return "Confirm your email for OKPay", "Welcome to OKPay. Confirm your email address by opening this link:\n\n" + link + "\n\nThe link works once and expires at " + when + ". If you did not sign up, ignore this email.\n", link
		}
		return "确认您的 OKPay 邮箱", "欢迎使用 OKPay。请打开以下链接确认您的邮箱地址：\n\n" + link + "\n\n该链接仅能使用一次，将于 " + when + " 过期。如果您没有注册，请忽略本邮件。\n", link
	case auth.MailResetPassword:
		link = base + "/password/reset?token=" + x.Token
		if en {
			return "Reset your OKPay password", "Someone asked to reset the password of your OKPay account. To choose a new one, open:\n\n" + link + "\n\nThe link works once and expires at " + when + ". If it was not you, ignore this email: your password stays the same.\n", link
		}
		return "重置您的 OKPay 密码", "有人申请重置您的 OKPay 账户密码。如需设置新密码，请打开：\n\n" + link + "\n\n该链接仅能使用一次，将于 " + when + " 过期。如果不是您本人操作，请忽略本邮件，您的密码不会改变。\n", link
	case auth.MailPasswordChanged:
		if en {
			return "Your OKPay password was changed", "The password of your OKPay account was changed and every session was signed out. If this was not you, contact support at once.\n", ""
		}
		return "您的 OKPay 密码已更改", "您的 OKPay 账户密码已更改，所有登录会话均已退出。如果不是您本人操作，请立即联系客服。\n", ""
	default: // auth.MailNewDevice
		if en {
			return "New sign-in to your OKPay account", "Your OKPay account was signed in from a new device (" + x.Agent + ", " + x.IP + "). If this was not you, reset your password and sign out everywhere.\n", ""
		}
		return "您的 OKPay 账户在新设备登录", "您的 OKPay 账户刚刚在新设备上登录（" + x.Agent + "，" + x.IP + "）。如果不是您本人操作，请重置密码并退出所有设备。\n", ""
	}
}

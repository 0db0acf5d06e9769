package wallet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web"
)

// newDormancy is the dormant-account fees over the env's database, with
// notices written by the web mailer into the real mail outbox.
func (en *env) newDormancy() *wallet.Dormancy {
	en.t.Helper()
	outbox, err := okmail.NewOutbox(okmail.Options{From: okmail.Address{Name: "OKPay", Address: "no-reply@okpay.test"}, Now: en.clock.Now})
	if err != nil {
		en.t.Fatal(err)
	}
	mailer, err := web.NewMailer(web.MailerOptions{Outbox: outbox, BaseURL: "https://okpay.test"})
	if err != nil {
		en.t.Fatal(err)
	}
	d, err := wallet.NewDormancy(en.svc, wallet.DormancyOptions{Store: en.db.Wallet(), Mailer: mailer})
	if err != nil {
		en.t.Fatal(err)
	}
	return d
}

// mustSignIn records a sign-in (a new session), as the login page does.
func (en *env) mustSignIn(userID int64) {
	en.t.Helper()
	err := en.db.Auth().InTx(context.Background(), func(tx auth.Tx) error {
		now := en.clock.Now()
		_, err := tx.InsertSession(context.Background(), auth.Session{Hash: []byte(fmt.Sprintf("s-%d-%d", userID, now.UnixNano())),
			UserID: userID, CreatedAt: now, LastSeenAt: now})
		return err
	})
	if err != nil {
		en.t.Fatal(err)
	}
}

func (en *env) mustUserIn(email, locale string) int64 {
	en.t.Helper()
	var id int64
	err := en.db.Auth().InTx(context.Background(), func(tx auth.Tx) error {
		var err error
		id, err = tx.CreateUser(context.Background(), auth.User{Email: email, Status: auth.StatusActive,
			Role: auth.RoleCustomer, Locale: locale, CreatedAt: en.clock.Now()})
		return err
	})
	if err != nil {
		en.t.Fatal(err)
	}
	return id
}

type sentMail struct {
	subject string
	at      time.Time
}

// mailsTo lists the outbox's messages to an address, oldest first.
func (en *env) mailsTo(addr string) []sentMail {
	en.t.Helper()
	rows, err := en.db.Read().Query(context.Background(), `SELECT subject, created_at FROM mail_outbox WHERE rcpt_to LIKE $1 ORDER BY id`, "%"+addr+"%")
	if err != nil {
		en.t.Fatal(err)
	}
	defer rows.Close()
	var out []sentMail
	for rows.Next() {
		var m sentMail
		var at int64
		if err := rows.Scan(&m.subject, &at); err != nil {
			en.t.Fatal(err)
		}
		m.at = time.Unix(0, at)
		out = append(out, m)
	}
	return out
}

// TestDormantFees36Months runs the dormancy job through 36 simulated
// months, twice or more in each: notices come once and a month before the
// first fee, fees never take a balance below zero, activity stops them,
// and a month is charged once however often the job runs.
func TestDormantFees36Months(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e, realFees)
		ctx := context.Background()
		d := en.newDormancy()
		start := en.clock.Now()
		mei := en.mustUserIn("mei@example.com", "zh-CN")
		bob := en.mustUserIn("bob@example.com", "en")
		ann := en.mustUserIn("ann@example.com", "en")
		en.mustFund(mei, amt(5_00, usd))
		en.mustFund(mei, amt(100, jpy))
		en.mustFund(bob, amt(30_00, eur))
		en.mustFund(ann, amt(10_00, usd))

		type fee struct {
			month  int
			amount money.Amount
		}
		fees := map[int64][]fee{}
		charged := map[string]bool{}
		for month := 0; month < 36; month++ {
			for i, day := range []int{1, 11, 11} {
				en.clock.Set(start.AddDate(0, month, day))
				if month == 20 && i == 1 {
					en.mustSignIn(bob) // bob comes back for a moment
				}
				if i == 0 {
					en.mustSignIn(ann) // ann uses the account every month
				}
				run, err := d.Run(ctx)
				if err != nil {
					t.Fatalf("month %d day %d: %v", month, day, err)
				}
				for _, m := range run.Fees {
					if m.Status != wallet.StatusCompleted || m.Type != wallet.TypeFee || m.Method != wallet.MethodDormantFee {
						t.Fatalf("month %d: fee movement %+v", month, m)
					}
					k := fmt.Sprintf("%d/%d/%s", m.UserID, month, m.Amount.Currency.Code)
					if charged[k] {
						t.Fatalf("month %d day %d: %s charged twice", month, day, k)
					}
					charged[k] = true
					fees[m.UserID] = append(fees[m.UserID], fee{month, m.Amount})
				}
				for _, u := range []int64{mei, bob, ann} {
					bs, err := en.svc.Balances(ctx, u)
					if err != nil {
						t.Fatal(err)
					}
					for _, b := range bs {
						if b.Balance.Minor < 0 || b.Available.Minor < 0 {
							t.Fatalf("month %d: user %d has %v", month, u, b)
						}
					}
				}
			}
		}

		// Mei never comes back: notice in month 11, fees from month 12
		// until nothing is left, the last one capped at the balance.
		want := []fee{{12, amt(2_00, usd)}, {12, amt(100, jpy)}, {13, amt(2_00, usd)}, {14, amt(1_00, usd)}}
		if fmt.Sprint(fees[mei]) != fmt.Sprint(want) {
			t.Errorf("mei's fees %v, want %v", fees[mei], want)
		}
		if en.available(mei, usd) != 0 || en.available(mei, jpy) != 0 {
			t.Errorf("mei ends with %d USD and %d JPY, want nothing", en.available(mei, usd), en.available(mei, jpy))
		}
		mails := en.mailsTo("mei@example.com")
		if len(mails) != 1 || mails[0].subject != "OKPay 提醒：您的账户即将收取休眠账户管理费" {
			t.Fatalf("mei's mail: %+v", mails)
		}
		if first := start.AddDate(0, 12, 1); first.Sub(mails[0].at) < 28*24*time.Hour {
			t.Errorf("mei's notice at %v, the first fee at %v: less than a month before", mails[0].at, first)
		}

		// Bob: fees in months 12 to 20 (charged on the 1st, before he
		// signed in on the 11th); dormant again eleven months after that:
		// a new notice, and fees again a month later.
		var months []int
		var total int64
		for _, f := range fees[bob] {
			months = append(months, f.month)
			total += f.amount.Minor
		}
		if fmt.Sprint(months) != fmt.Sprint([]int{12, 13, 14, 15, 16, 17, 18, 19, 20, 33, 34, 35}) {
			t.Errorf("bob charged in months %v", months)
		}
		if en.available(bob, eur) != 30_00-total || total != 24_00 {
			t.Errorf("bob has %d EUR after %d in fees", en.available(bob, eur), total)
		}
		mails = en.mailsTo("bob@example.com")
		if len(mails) != 2 || mails[0].subject != "OKPay: a monthly fee will start on your inactive account" {
			t.Fatalf("bob's mail: %+v", mails)
		}
		for i, first := range []time.Time{start.AddDate(0, 12, 1), start.AddDate(0, 33, 1)} {
			if first.Sub(mails[i].at) < 28*24*time.Hour {
				t.Errorf("bob's notice %d at %v, its first fee at %v", i, mails[i].at, first)
			}
		}
		// Ann is active: no notice, no fee.
		if len(fees[ann]) != 0 || len(en.mailsTo("ann@example.com")) != 0 || en.available(ann, usd) != 10_00 {
			t.Errorf("ann: fees %v, mail %v", fees[ann], en.mailsTo("ann@example.com"))
		}
		// History shows the fees like any other movement.
		page, err := en.svc.History(ctx, wallet.History{UserID: mei, Types: []wallet.Type{wallet.TypeFee}})
		if err != nil || len(page.Movements) != 4 {
			t.Fatalf("mei's fee history: %+v, %v", page, err)
		}
		if got := page.Movements[0]; got.Amount != amt(1_00, usd) || got.MethodDisplay != "dormant_monthly "+start.AddDate(0, 14, 1).Format("2006-01") {
			t.Errorf("mei's last fee in history: %+v", got)
		}
	})
}

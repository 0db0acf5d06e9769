package wallet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/okpay/okpay/internal/jobs"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
)

// Dormancy charges the monthly maintenance fee of dormant accounts (FEE-4).
// It is safe for concurrent use.
//
// # Rules
//
//   - Activity is what the customer does: opening the wallet, signing in
//     (a session started), and every movement they start (deposit, send,
//     paying a request, exchange). Money received and fees charged are not
//     activity.
//   - An account is dormant once it has had no activity for
//     DormancyConfig.Inactive (12 months). A month before the first fee
//     (after Inactive − Notice of inactivity) the customer is sent a notice
//     by email, in their language, through the mail outbox in the
//     transaction that records it. The first fee is charged no sooner than
//     Notice after the notice was sent, so a notice always comes a month
//     before the first fee, however late the job ran.
//   - Then, each calendar month (in the platform's time zone) the account
//     stays dormant, the schedule's dormant_monthly fee is charged in every
//     currency with an available balance, as a movement of type fee
//     (method dormant_fee) shown in history and statements.
//   - Any activity stops it: the fees stop, and if the account becomes
//     dormant again later, a new notice comes first.
//
// # Never below zero
//
// The fee is a ledger transfer flagged BalancingDebit from the wallet's
// account, which the ledger clamps to what is available inside its commit:
// a balance is never taken below zero, even when the customer spends at
// the same moment. The fee movement records what actually moved.
//
// # Once per month
//
// The fee movement's id, and its transfer's, are derived from the user, the
// calendar month and the currency: running the job twice in a month, on two
// nodes, or after a crash charges once. The notice is recorded once per
// dormancy (user and last activity), in the transaction that queues its
// mail.
type Dormancy struct {
	s      *Service
	cfg    DormancyConfig
	store  DormancyStore
	mailer DormancyMailer
	log    *slog.Logger
}

// DormancyConfig sets the dormancy periods.
type DormancyConfig struct {
	// Inactive is how many months without activity make an account
	// dormant (default 12).
	Inactive int
	// Notice is how many months before the first fee the notice is sent
	// (default 1).
	Notice int
}

// DormancyOptions are a Dormancy's dependencies.
type DormancyOptions struct {
	Config DormancyConfig
	Store  DormancyStore
	Mailer DormancyMailer
}

// DormantAccount is a customer without recent activity.
type DormantAccount struct {
	UserID   int64
	WalletID WalletID
	Email    string
	Locale   string
	// LastActivity is the latest of the wallet's opening, the last
	// sign-in and the last movement the customer started.
	LastActivity time.Time
}

// DormancyNotice is the notice of one dormancy, sent once.
type DormancyNotice struct {
	UserID int64
	// ActivityAt is the last activity before the dormancy.
	ActivityAt time.Time
	SentAt     time.Time
	// FeesFrom is when the monthly fee starts unless there is activity.
	FeesFrom time.Time
}

// ErrDormancyNoticeNotFound: no notice for that dormancy yet.
var ErrDormancyNoticeNotFound = errors.New("wallet: dormancy notice not found")

// DormancyStore is what Dormancy keeps; sqlstore implements it.
type DormancyStore interface {
	// Inactive lists customers with a wallet and no activity at or after
	// since, by user id, after afterUser, at most limit.
	Inactive(ctx context.Context, since time.Time, afterUser int64, limit int) ([]DormantAccount, error)
	// DormancyNotice returns the notice of the dormancy that followed
	// activityAt. Errors: ErrDormancyNoticeNotFound.
	DormancyNotice(ctx context.Context, userID int64, activityAt time.Time) (DormancyNotice, error)
	// InDormancyTx runs fn in one transaction.
	InDormancyTx(ctx context.Context, fn func(DormancyTx) error) error
}

// DormancyTx is the store inside one transaction.
type DormancyTx interface {
	// InsertDormancyNotice records n; false when that dormancy's notice is
	// recorded already.
	InsertDormancyNotice(ctx context.Context, n DormancyNotice) (bool, error)
	// Outbox queues mail in this transaction.
	Outbox() mail.OutboxTx
}

// DormancyMailer writes the notice in the customer's language (the web
// layer's catalogues) to the outbox.
type DormancyMailer interface {
	// QueueDormancyNotice queues the notice to a, telling the monthly fee
	// in each currency the customer holds (fees).
	QueueDormancyNotice(ctx context.Context, tx mail.OutboxTx, a DormantAccount, n DormancyNotice, fees []money.Amount) error
}

// FeeDormantMonthly is the fee kind of the dormant-account fee
// (internal/fees).
const FeeDormantMonthly = "dormant_monthly"

// MethodDormantFee marks the fee movements of dormant accounts.
const MethodDormantFee Method = "dormant_fee"

// DormancyJob is the periodic job that sends notices and charges fees.
const DormancyJob = "wallet.dormancy"

// DormancyEvery is DormancyJob's period.
const DormancyEvery = 6 * time.Hour

// NewDormancy returns the dormant-account fees of the wallet s.
func NewDormancy(s *Service, o DormancyOptions) (*Dormancy, error) {
	if s == nil || o.Store == nil || o.Mailer == nil {
		return nil, errors.New("wallet: NewDormancy needs the wallet, a store and a mailer")
	}
	c := o.Config
	if c.Inactive <= 0 {
		c.Inactive = 12
	}
	if c.Notice <= 0 {
		c.Notice = 1
	}
	if c.Notice >= c.Inactive {
		return nil, fmt.Errorf("wallet: the dormancy notice (%d months) must come after some inactivity (%d months)", c.Notice, c.Inactive)
	}
	return &Dormancy{s: s, cfg: c, store: o.Store, mailer: o.Mailer, log: s.log}, nil
}

// Register adds the job's handler and its period to r.
func (d *Dormancy) Register(r *jobs.Runner) {
	r.Register(DormancyJob, d.Handle)
	r.Periodic(DormancyJob, DormancyEvery, nil)
}

// Handle is the handler of DormancyJob.
func (d *Dormancy) Handle(ctx context.Context, _ jobs.Claimed) error {
	_, err := d.Run(ctx)
	return err
}

// DormancyRun says what one run did.
type DormancyRun struct {
	Notices int
	// Fees are the fee movements charged by this run (completed or failed).
	Fees []Movement
}

// Run sends the notices and charges the fees due now. Running it again
// (in the same month) sends and charges nothing more.
func (d *Dormancy) Run(ctx context.Context) (DormancyRun, error) {
	ctx = context.WithoutCancel(ctx)
	now := d.s.nowUTC()
	since := now.AddDate(0, -(d.cfg.Inactive - d.cfg.Notice), 0)
	var run DormancyRun
	var errs []error
	var after int64
	for {
		as, err := d.store.Inactive(ctx, since, after, 200)
		if err != nil {
			return run, fmt.Errorf("wallet: dormancy: %w", err)
		}
		for _, a := range as {
			if err := d.one(ctx, a, now, &run); err != nil {
				errs = append(errs, err)
			}
		}
		if len(as) < 200 {
			break
		}
		after = as[len(as)-1].UserID
	}
	if len(errs) > 0 {
		// The failed ones are retried by the next run (or the job's retry).
		return run, fmt.Errorf("wallet: dormancy: %d accounts failed, first: %w", len(errs), errs[0])
	}
	return run, nil
}

// one sends a's notice, or charges this month's fee once it is due.
func (d *Dormancy) one(ctx context.Context, a DormantAccount, now time.Time, run *DormancyRun) error {
	a.LastActivity = a.LastActivity.UTC()
	n, err := d.store.DormancyNotice(ctx, a.UserID, a.LastActivity)
	if errors.Is(err, ErrDormancyNoticeNotFound) {
		return d.notify(ctx, a, now, run)
	}
	if err != nil {
		return err
	}
	if now.Before(n.FeesFrom) {
		return nil
	}
	w, err := d.s.Wallet(ctx, a.UserID)
	if err != nil {
		return err
	}
	for _, c := range d.s.currencies {
		m, charged, err := d.charge(ctx, w, c, now)
		if err != nil {
			return err
		}
		if charged {
			run.Fees = append(run.Fees, m)
		}
	}
	return nil
}

// notify records the notice of a's dormancy and queues its mail, once.
func (d *Dormancy) notify(ctx context.Context, a DormantAccount, now time.Time, run *DormancyRun) error {
	n := DormancyNotice{UserID: a.UserID, ActivityAt: a.LastActivity, SentAt: now,
		FeesFrom: a.LastActivity.AddDate(0, d.cfg.Inactive, 0)}
	if earliest := now.AddDate(0, d.cfg.Notice, 0); n.FeesFrom.Before(earliest) {
		n.FeesFrom = earliest
	}
	fees, err := d.fees(ctx, a.UserID)
	if err != nil {
		return err
	}
	return d.store.InDormancyTx(ctx, func(tx DormancyTx) error {
		ok, err := tx.InsertDormancyNotice(ctx, n)
		if err != nil || !ok {
			return err
		}
		run.Notices++
		return d.mailer.QueueDormancyNotice(ctx, tx.Outbox(), a, n, fees)
	})
}

// fees lists the monthly fee in each currency the user holds money in.
func (d *Dormancy) fees(ctx context.Context, userID int64) ([]money.Amount, error) {
	bs, err := d.s.Balances(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []money.Amount
	for _, b := range bs {
		if b.Available.Minor <= 0 {
			continue
		}
		fee, err := d.s.fees.Quote(FeeDormantMonthly, money.Amount{Minor: 1 << 40, Currency: b.Currency}, 0)
		if err != nil || fee.Minor <= 0 {
			continue // no fee published in this currency
		}
		out = append(out, fee)
	}
	return out, nil
}

// charge charges this month's fee in c, once: the movement's id is
// derived from the user, the month and the currency.
func (d *Dormancy) charge(ctx context.Context, w Wallet, c money.Currency, now time.Time) (Movement, bool, error) {
	s := d.s
	parent := dormantParent(w.UserID, c.Code, now, s.cfg.Location)
	id := derivedMovementID(parent, "dormant_fee")
	if m, err := s.store.Movement(ctx, id); err == nil {
		if m.Status == StatusPending {
			m, err = s.resume(ctx, m.ID, false)
			return m, false, err
		}
		return m, false, nil // charged this month already
	} else if !errors.Is(err, ErrMovementNotFound) {
		return Movement{}, false, err
	}
	bal, err := s.balance(ctx, w, c)
	if err != nil {
		return Movement{}, false, err
	}
	if bal.Available.Minor <= 0 {
		return Movement{}, false, nil
	}
	// With cap_at_amount, the schedule never asks for more than the
	// balance read here; the ledger clamps to what is there at commit.
	fee, err := s.fees.Quote(FeeDormantMonthly, bal.Available, 0)
	if err != nil || fee.Minor <= 0 || fee.Currency != c {
		return Movement{}, false, nil // no fee published in this currency
	}
	revenue, err := s.platformAccount(ctx, FeeRevenue, c.Code)
	if err != nil {
		return Movement{}, false, err
	}
	t := s.nowUTC()
	m := Movement{ID: id, WalletID: w.ID, UserID: w.UserID, Type: TypeFee, Status: StatusPending,
		Amount: fee, Fee: money.Amount{Currency: c}, Method: MethodDormantFee,
		MethodDisplay: FeeDormantMonthly + " " + monthOfTime(now, s.cfg.Location), Ready: true, CreatedAt: t, UpdatedAt: t}
	m.Plan = []ledger.Transfer{{ID: ledger.DeriveID(parent, "fee"), DebitAccountID: w.Accounts[c.Code],
		CreditAccountID: revenue, Amount: fee.Minor, Currency: c.Code, Code: TransferDormantFee,
		Flags: ledger.BalancingDebit, Metadata: m.ID}}
	m, created, err := s.insert(ctx, m, nil)
	if err != nil {
		return Movement{}, false, err
	}
	if !created {
		return m, false, nil
	}
	m, err = s.settle(ctx, m)
	if ErrorCode(err) == CodeInsufficientFunds {
		// Spent meanwhile: nothing was there to charge.
		return m, true, nil
	}
	return m, err == nil, err
}

// monthOfTime names t's calendar month in loc: "2027-03".
func monthOfTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01") }

// dormantParent is the 128-bit parent of a user's fee in a currency and
// month: time-ordered by the month's start, the rest derived from the user
// and currency.
func dormantParent(userID int64, currency string, t time.Time, loc *time.Location) ledger.ID {
	start, _ := monthOf(t, loc)
	var base ledger.ID
	binary.BigEndian.PutUint64(base[:8], uint64(start.UnixMilli())<<16)
	return ledger.DeriveID(base, fmt.Sprintf("dormant:%d:%s:%s", userID, currency, monthOfTime(t, loc)))
}

// moved sets the Amount of a movement whose transfer was a balancing
// debit to what the ledger moved.
func moved(m Movement, res []ledger.Result) Movement {
	for i, t := range m.Plan {
		if t.Flags&ledger.BalancingDebit != 0 && i < len(res) && res[i].Amount > 0 {
			m.Amount.Minor = res[i].Amount
		}
	}
	return m
}

package risk

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/wallet"
)

// The rules, by the stable names cases and pages carry.
const (
	// RuleVelocity: Config.VelocityCount or more outgoing payments were
	// made within Config.VelocityWindow before this one.
	RuleVelocity = "velocity"
	// RuleUnusualAmount: the amount is at least Config.AmountFloor and
	// either the user has fewer than Config.MinHistory recent completed
	// payments in the currency, or it is more than Config.AmountMultiple
	// times their median.
	RuleUnusualAmount = "unusual_amount"
	// RuleNewDevice: the browser was first signed in from less than
	// Config.NewDeviceAge ago (or is not one the user signed in from).
	RuleNewDevice = "new_device"
	// RuleNewPayee: the user has never paid this payee before.
	RuleNewPayee = "new_payee"
)

// Rules lists every rule, in the order reasons are given.
var Rules = []string{RuleVelocity, RuleUnusualAmount, RuleNewDevice, RuleNewPayee}

// Facts are what the rules look at, gathered for one outgoing payment.
type Facts struct {
	// Amount and Floor are in minor units of the payment's currency.
	Amount int64
	Floor  int64
	// Recent counts the outgoing payments made within the velocity window
	// before this one.
	Recent int
	// Past are the user's recent completed outgoing amounts in the
	// currency (the history the usual amount is taken from).
	Past []int64
	// PaidBefore: the user has paid this payee before.
	PaidBefore bool
	// DeviceKnown: the request came with a device cookie. DeviceAge is
	// how long ago the user first signed in with it (zero when it is not
	// theirs).
	DeviceKnown bool
	DeviceAge   time.Duration
}

// Evaluate applies the rules to f. It returns every rule that fired as
// Reasons, and holds the payment when
//
//	velocity  OR  (unusual_amount AND (new_payee OR new_device))
//
// so a large payment to someone the user has paid before from a browser
// they have used for days goes through, and so does a small payment to
// a new payee from a new phone; a burst of payments is held whatever
// their amounts.
func Evaluate(c Config, f Facts) wallet.Verdict {
	c = c.withDefaults()
	fired := map[string]bool{
		RuleVelocity:      f.Recent >= c.VelocityCount,
		RuleUnusualAmount: unusual(c, f),
		RuleNewDevice:     f.DeviceKnown && f.DeviceAge < c.NewDeviceAge,
		RuleNewPayee:      !f.PaidBefore,
	}
	var v wallet.Verdict
	for _, r := range Rules {
		if fired[r] {
			v.Reasons = append(v.Reasons, r)
		}
	}
	v.Hold = fired[RuleVelocity] || fired[RuleUnusualAmount] && (fired[RuleNewPayee] || fired[RuleNewDevice])
	return v
}

func unusual(c Config, f Facts) bool {
	if f.Amount < f.Floor {
		return false
	}
	if len(f.Past) < c.MinHistory {
		return true
	}
	usual := median(f.Past)
	if usual > math.MaxInt64/c.AmountMultiple {
		return false
	}
	return f.Amount > usual*c.AmountMultiple
}

// median is the middle amount (the lower middle of an even count), so
// one earlier large payment does not make every later one look usual.
func median(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// Screen implements wallet.Screener: a frozen user's payment is refused,
// anything else is judged by the rules (Evaluate).
func (s *Service) Screen(ctx context.Context, o wallet.Outgoing) (wallet.Verdict, error) {
	fz, err := s.store.Freeze(ctx, o.UserID)
	if err != nil {
		return wallet.Verdict{}, err
	}
	if fz.Frozen {
		return wallet.Verdict{}, frozen(o.UserID)
	}
	f, err := s.facts(ctx, o)
	if err != nil {
		return wallet.Verdict{}, err
	}
	return Evaluate(s.cfg, f), nil
}

func frozen(userID int64) error {
	e := *wallet.ErrOutgoingFrozen
	e.Detail = "user " + itoa(userID)
	return &e
}

// facts gathers what the rules need about o.
func (s *Service) facts(ctx context.Context, o wallet.Outgoing) (Facts, error) {
	now := s.nowUTC()
	f := Facts{Amount: o.Amount.Minor}
	floor := s.cfg.AmountFloor
	if floor.Currency != o.Amount.Currency {
		conv, err := s.rates.Convert(ctx, floor, o.Amount.Currency, now)
		if err != nil {
			return Facts{}, err
		}
		floor = conv
	}
	f.Floor = floor.Minor
	var err error
	if f.Recent, err = s.store.OutgoingSince(ctx, o.UserID, now.Add(-s.cfg.VelocityWindow)); err != nil {
		return Facts{}, err
	}
	if f.Past, err = s.store.PastAmounts(ctx, o.UserID, o.Amount.Currency.Code, now.Add(-s.cfg.HistoryWindow), s.cfg.HistorySize); err != nil {
		return Facts{}, err
	}
	if o.Payee != "" {
		if f.PaidBefore, err = s.store.PaidBefore(ctx, o.UserID, o.Payee); err != nil {
			return Facts{}, err
		}
	}
	if o.Device != "" {
		f.DeviceKnown = true
		first, found, err := s.devices.DeviceFirstSeen(ctx, o.UserID, o.Device)
		if err != nil {
			return Facts{}, err
		}
		if found && !first.After(now) {
			f.DeviceAge = now.Sub(first)
		}
	}
	return f, nil
}

// ActionHoldOpened is the audit action of a payment held by the rules
// (actor: the system).
const ActionHoldOpened = "risk_hold_opened"

// Admit implements wallet.Screener: inside the transaction that inserts
// m, it refuses a frozen user's payment, and records a hold's case, its
// audit record and the user's email.
func (s *Service) Admit(ctx context.Context, wtx wallet.Tx, m wallet.Movement, v wallet.Verdict) error {
	tx, err := s.store.WalletTx(wtx)
	if err != nil {
		return err
	}
	isFrozen, err := tx.LockOutgoing(ctx, m.UserID)
	if err != nil {
		return err
	}
	if isFrozen {
		return frozen(m.UserID)
	}
	if !v.Hold {
		return nil
	}
	now := s.nowUTC()
	c := Case{ID: newCaseID(), Kind: KindHold, UserID: m.UserID, MovementID: m.ID, Status: CaseOpen,
		Reasons: slices.Clone(v.Reasons), Amount: m.Amount, Payee: payeeOf(m), CreatedAt: now, UpdatedAt: now}
	ok, err := tx.InsertCase(ctx, c)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("risk: a hold exists already for movement " + m.ID)
	}
	if err := audit.Record(ctx, tx, audit.Event{ActorRole: "system", Action: ActionHoldOpened, TargetType: "movement",
		TargetID: m.ID, Details: map[string]string{"case": c.ID, "user": itoa(m.UserID), "amount": m.Amount.Decimal(),
			"currency": m.Amount.Currency.Code, "reasons": joinReasons(c.Reasons)}}); err != nil {
		return err
	}
	return s.notify.Notify(ctx, tx, Notice{Kind: NoticeHeld, Case: c})
}

func payeeOf(m wallet.Movement) string {
	if m.Type == wallet.TypeWithdrawal {
		return m.MethodDisplay // the destination, masked
	}
	p := m.Counterparty.Display
	if m.Counterparty.WalletID != "" {
		if p != "" {
			p += " "
		}
		p += string(m.Counterparty.WalletID)
	}
	return p
}

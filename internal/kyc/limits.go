package kyc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Ledger account codes of the limits' accounts.
const (
	AccountControl   uint16 = 140 + iota // kyc:control:USD, the other side of every limit transfer
	AccountAllowance                     // a user's allowance for one kind and month
	AccountHolding                       // a user's holding room
)

// ControlRef is the ledger ref of the limits' control account.
const ControlRef = "kyc:control:USD"

// AllowanceRef is the ledger ref of a user's allowance of kind in the
// month of t (in loc): "kyc:send:42:2026-11".
func AllowanceRef(k Kind, userID int64, t time.Time, loc *time.Location) string {
	return "kyc:" + string(k) + ":" + strconv.FormatInt(userID, 10) + ":" + t.In(loc).Format("2006-01")
}

// HoldingRef is the ledger ref of a user's holding room: "kyc:holding:42".
func HoldingRef(userID int64) string { return "kyc:holding:" + strconv.FormatInt(userID, 10) }

// refID is a fixed id for a ledger ref, the parent of its funding
// transfers' ids.
func refID(ref string) ledger.ID {
	sum := sha256.Sum256([]byte("okpay kyc " + ref))
	var id ledger.ID
	copy(id[:], sum[:16])
	return id
}

// limitAccounts creates the limits' ledger accounts on first use.
type limitAccounts struct {
	ledger Ledger
	ids    sync.Map // ref -> id
}

func (a *limitAccounts) get(ctx context.Context, ref string, code uint16, flags ledger.AccountFlags) (int64, error) {
	if id, ok := a.ids.Load(ref); ok {
		return id.(int64), nil
	}
	acc, err := a.ledger.CreateAccount(ctx, ledger.Account{Ref: ref, Currency: USD.Code, Code: code, Flags: flags})
	if err != nil {
		return 0, fmt.Errorf("kyc: account %s: %w", ref, err)
	}
	a.ids.Store(ref, acc.ID)
	return acc.ID, nil
}

// account returns a limit account's id with its funding up to level done:
// one transfer per level reached, each the difference to the level below,
// with an id derived from the account and the level, so it is funded once
// and topped up when the level rises.
func (s *Service) account(ctx context.Context, ref string, code uint16, k Kind, lv Level) (ledger.Account, error) {
	control, err := s.accts.get(ctx, ControlRef, AccountControl, 0)
	if err != nil {
		return ledger.Account{}, err
	}
	id, err := s.accts.get(ctx, ref, code, ledger.DebitsMustNotExceedCredits)
	if err != nil {
		return ledger.Account{}, err
	}
	var fund []ledger.Transfer
	var prev int64
	for _, l := range Levels {
		if lv.Below(l) {
			break
		}
		amount := s.limits[l].of(k) - prev
		prev = s.limits[l].of(k)
		if amount <= 0 {
			continue
		}
		fund = append(fund, ledger.Transfer{
			ID: ledger.DeriveID(refID(ref), "fund:"+string(l)), DebitAccountID: control, CreditAccountID: id,
			Amount: amount, Currency: USD.Code, Code: wallet.TransferLimitFund, Metadata: ref,
		})
	}
	if _, done := s.funded.Load(ref + "|" + string(lv)); !done {
		res, err := s.ledger.Submit(ctx, fund)
		if err != nil {
			return ledger.Account{}, fmt.Errorf("kyc: fund %s: %w", ref, err)
		}
		for i, r := range res {
			// A changed limits table finds an allowance funded under the
			// old one: it keeps it (see the package comment).
			if !r.Code.Done() && r.Code != ledger.ExistsWithDifferentFields {
				return ledger.Account{}, fmt.Errorf("kyc: fund %s at %s: %s", ref, fund[i].Metadata, r.Code)
			}
		}
		s.funded.Store(ref+"|"+string(lv), true)
	}
	return s.ledger.Account(ctx, id)
}

// LimitTransfers implements wallet.Limiter: a send debits the sender's
// send allowance of the month and credits their holding room back; a
// withdrawal the same with the withdrawal allowance; money received debits
// the holding room. It refuses early when the allowance or room left is
// plainly too small.
func (s *Service) LimitTransfers(ctx context.Context, m wallet.LimitMove) ([]ledger.Transfer, error) {
	if m.USD.Currency != USD || m.USD.Minor <= 0 {
		return nil, fmt.Errorf("kyc: limit transfers need a positive USD amount, got %s", m.USD)
	}
	lv, err := s.Level(ctx, m.UserID)
	if err != nil {
		return nil, err
	}
	control, err := s.accts.get(ctx, ControlRef, AccountControl, 0)
	if err != nil {
		return nil, err
	}
	step := func(s string) ledger.ID {
		return ledger.DeriveID(m.Parent, "limit:"+s+":"+strconv.FormatInt(m.UserID, 10))
	}
	holding, err := s.account(ctx, HoldingRef(m.UserID), AccountHolding, KindHolding, lv)
	if err != nil {
		return nil, err
	}
	release := ledger.Transfer{ID: step("release"), DebitAccountID: control, CreditAccountID: holding.ID,
		Amount: m.USD.Minor, Currency: USD.Code, Code: wallet.TransferLimitRelease, Metadata: HoldingRef(m.UserID)}
	switch m.Kind {
	case wallet.LimitSend, wallet.LimitWithdraw:
		k, code, refusal := KindSend, wallet.TransferLimitSend, wallet.CodeSendLimit
		if m.Kind == wallet.LimitWithdraw {
			k, code, refusal = KindWithdraw, wallet.TransferLimitWithdraw, wallet.CodeWithdrawLimit
		}
		ref := AllowanceRef(k, m.UserID, m.At, s.loc)
		a, err := s.account(ctx, ref, AccountAllowance, k, lv)
		if err != nil {
			return nil, err
		}
		if a.Available() < m.USD.Minor {
			return nil, limitErr(refusal, "%s: %d left, needs %d", ref, a.Available(), m.USD.Minor)
		}
		return []ledger.Transfer{{ID: step(string(k)), DebitAccountID: a.ID, CreditAccountID: control,
			Amount: m.USD.Minor, Currency: USD.Code, Code: code, Metadata: ref}, release}, nil
	case wallet.LimitReceive:
		if holding.Available() < m.USD.Minor {
			refusal := wallet.CodeHoldingLimit
			return nil, limitErr(refusal, "%s: %d room, needs %d", HoldingRef(m.UserID), holding.Available(), m.USD.Minor)
		}
		return []ledger.Transfer{{ID: step("holding"), DebitAccountID: holding.ID, CreditAccountID: control,
			Amount: m.USD.Minor, Currency: USD.Code, Code: wallet.TransferLimitHolding, Metadata: HoldingRef(m.UserID)}}, nil
	}
	return nil, fmt.Errorf("kyc: unknown limit kind %q", m.Kind)
}

func limitErr(c wallet.Code, format string, args ...any) error {
	e := *wallet.ErrorFor(c)
	e.Detail = fmt.Sprintf(format, args...)
	return &e
}

// Usage is one limit as the user sees it.
type Usage struct {
	Kind Kind
	// Limit is the level's limit; Used what counted against it (this
	// month for send and withdraw; for holding, the room taken); Left
	// what remains. All in USD.
	Limit, Used, Left money.Amount
}

// Overview is a user's level and every limit with what is left.
type Overview struct {
	Level Level
	// Next is the level above (empty at the top) and NextLimit its limits.
	Next      Level
	NextLimit Limit
	Usage     []Usage
	// Month is the first day of the month the allowances count.
	Month time.Time
}

// Overview returns the user's level and limits with what is left this
// month. It reads the ledger and writes nothing: an allowance not yet
// funded this month has all of its limit left.
func (s *Service) Overview(ctx context.Context, userID int64) (Overview, error) {
	lv, err := s.Level(ctx, userID)
	if err != nil {
		return Overview{}, err
	}
	now := s.now().In(s.loc)
	o := Overview{Level: lv, Month: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.loc)}
	for i, l := range Levels {
		if l == lv && i+1 < len(Levels) {
			o.Next, o.NextLimit = Levels[i+1], s.limits[Levels[i+1]]
		}
	}
	for _, k := range Kinds {
		u, err := s.usage(ctx, userID, lv, k, now)
		if err != nil {
			return Overview{}, err
		}
		o.Usage = append(o.Usage, u)
	}
	return o, nil
}

// Left returns what is left of one limit for the user now.
func (s *Service) Left(ctx context.Context, userID int64, k Kind) (Usage, error) {
	lv, err := s.Level(ctx, userID)
	if err != nil {
		return Usage{}, err
	}
	return s.usage(ctx, userID, lv, k, s.now())
}

func (s *Service) usage(ctx context.Context, userID int64, lv Level, k Kind, now time.Time) (Usage, error) {
	limit := s.limits[lv].of(k)
	ref := HoldingRef(userID)
	if k != KindHolding {
		ref = AllowanceRef(k, userID, now, s.loc)
	}
	var used int64
	a, err := s.ledger.AccountByRef(ctx, ref)
	switch {
	case errors.Is(err, ledger.ErrAccountNotFound):
	case err != nil:
		return Usage{}, fmt.Errorf("kyc: %s: %w", ref, err)
	default:
		// What funding credited, less what is available, is what was
		// used (for holding: room taken, net of money that left).
		var funded int64
		for _, l := range Levels {
			t, err := s.ledger.Transfer(ctx, ledger.DeriveID(refID(ref), "fund:"+string(l)))
			if errors.Is(err, ledger.ErrTransferNotFound) {
				continue
			}
			if err != nil {
				return Usage{}, fmt.Errorf("kyc: %s: %w", ref, err)
			}
			funded += t.Amount
		}
		used = max(0, funded-a.Available())
	}
	amt := func(n int64) money.Amount { return money.Amount{Minor: n, Currency: USD} }
	return Usage{Kind: k, Limit: amt(limit), Used: amt(used), Left: amt(max(0, limit-used))}, nil
}

package wallet

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// Statement is a wallet's monthly statement (WAL-6).
type Statement struct {
	WalletID WalletID
	Year     int
	Month    time.Month
	// From and To are the month's bounds in the platform's time zone.
	From, To time.Time
	// Lines has one line per currency with a balance or activity, in
	// configuration order.
	Lines []StatementLine
}

// StatementLine is one currency of a statement. Opening + In - Out - Fees
// = Closing, and Closing is the ledger balance at the end of the month.
// Movements count in the month the ledger committed them.
type StatementLine struct {
	Currency money.Currency
	Opening  money.Amount
	// In is deposits and money received, before fees.
	In money.Amount
	// Out is money sent and requests paid, before fees.
	Out money.Amount
	// Fees is every fee the wallet paid.
	Fees    money.Amount
	Closing money.Amount
}

// Statement returns the user's statement for a calendar month in the
// platform's time zone. Errors: ErrWalletNotFound, ErrInvalidFilter.
func (s *Service) Statement(ctx context.Context, userID int64, year int, month time.Month) (Statement, error) {
	if month < time.January || month > time.December || year < 2000 || year > 9999 {
		return Statement{}, refuse(CodeInvalidFilter, "month %d-%d", year, month)
	}
	w, err := s.store.WalletByUser(ctx, userID)
	if err != nil {
		return Statement{}, storeErr("wallet", err)
	}
	from, to := monthOf(time.Date(year, month, 1, 12, 0, 0, 0, s.cfg.Location), s.cfg.Location)
	before, err := s.store.Totals(ctx, w.ID, time.Time{}, from)
	if err != nil {
		return Statement{}, unavailable("statement", err)
	}
	during, err := s.store.Totals(ctx, w.ID, from, to)
	if err != nil {
		return Statement{}, unavailable("statement", err)
	}
	type sums struct{ opening, in, out, fees int64 }
	per := map[string]*sums{}
	get := func(c string) *sums {
		if per[c] == nil {
			per[c] = &sums{}
		}
		return per[c]
	}
	var overflow error
	add := func(v *int64, n int64) {
		if r, err := money.AddInt64(*v, n); err != nil {
			overflow = err
		} else {
			*v = r
		}
	}
	for _, t := range before {
		add(&get(t.Currency).opening, netOf(t.Type, t.Amount, t.Fee))
	}
	for _, t := range during {
		x := get(t.Currency)
		switch {
		case t.Type == TypeFee:
			add(&x.fees, t.Amount)
		case t.Type.Inflow():
			add(&x.in, t.Amount)
		default:
			add(&x.out, t.Amount)
		}
		add(&x.fees, t.Fee)
	}
	st := Statement{WalletID: w.ID, Year: year, Month: month, From: from.In(s.cfg.Location), To: to.In(s.cfg.Location)}
	for _, c := range s.currencies {
		x, ok := per[c.Code]
		if !ok {
			continue
		}
		closing := x.opening
		add(&closing, x.in)
		add(&closing, -x.out)
		add(&closing, -x.fees)
		a := func(n int64) money.Amount { return money.Amount{Minor: n, Currency: c} }
		if x.opening == 0 && x.in == 0 && x.out == 0 && x.fees == 0 {
			continue
		}
		st.Lines = append(st.Lines, StatementLine{Currency: c, Opening: a(x.opening), In: a(x.in), Out: a(x.out),
			Fees: a(x.fees), Closing: a(closing)})
	}
	if overflow != nil {
		return Statement{}, unavailable("statement", overflow)
	}
	return st, nil
}

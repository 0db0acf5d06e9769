package merchant

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Reports (MER-6) sum a merchant's payments and refunds per day and
// currency over a period: volume (what was captured), fees, refunds and
// net (volume less fees and refunds), which is exactly what those
// payments and refunds moved on the merchant's balance account. Days are
// calendar days of the platform's time zone; a day with nothing still
// has its row, at zero, so charts and tables show every day. Test and
// live mode are separate reports, as they are separate books.
//
// The numbers come from the payment and refund records (captured_at and a
// succeeded refund's time), never from a cached total, so a report is
// always what the records say now.
type Reports struct {
	s     *Service
	store ReportStore
	loc   *time.Location
}

// ReportStore reads what a report sums; sqlstore implements it.
type ReportStore interface {
	// ReportEntries lists, oldest first, the merchant's captured payments
	// (captured in [from, to)) and succeeded refunds (succeeded in
	// [from, to)) in one mode.
	ReportEntries(ctx context.Context, merchantID string, live bool, from, to time.Time) ([]ReportEntry, error)
}

// Entry kinds.
const (
	EntryPayment = "payment"
	EntryRefund  = "refund"
)

// ReportEntry is one payment or refund as a report counts it.
type ReportEntry struct {
	Kind        string // EntryPayment or EntryRefund
	ID          string // pi_... or re_...
	At          time.Time
	Amount      money.Amount // captured, or refunded
	Fee         money.Amount // the payment's fee (zero for a refund)
	Description string       // the payment's description or the refund's reason
}

// Net is what the entry moved on the merchant's balance.
func (e ReportEntry) Net() int64 {
	if e.Kind == EntryRefund {
		return -e.Amount.Minor
	}
	return e.Amount.Minor - e.Fee.Minor
}

// ReportDay is one day's totals in one currency.
type ReportDay struct {
	Day      time.Time // midnight of the day in the platform's zone
	Currency money.Currency
	Payments int // how many payments were captured
	Refunds  int // how many refunds succeeded
	Volume   money.Amount
	Fees     money.Amount
	Refunded money.Amount
	Net      money.Amount
}

// ReportCurrency is one currency's days and totals.
type ReportCurrency struct {
	Currency money.Currency
	Days     []ReportDay // every day of the period, oldest first
	Total    ReportDay   // the period's totals (Day is the first day)
}

// Report is a merchant's report for one period and mode.
type Report struct {
	MerchantID string
	Mode       Mode
	// From and To are the first and last day (midnight, platform zone).
	From, To time.Time
	// Currencies are those with any activity in the period, plus the
	// merchant's default currency, in the configured order.
	Currencies []ReportCurrency
	// Entries are the payments and refunds summed, oldest first.
	Entries []ReportEntry
}

// MaxReportDays is the longest period a report covers.
const MaxReportDays = 366

// ErrInvalidPeriod: the period is reversed or longer than MaxReportDays.
var ErrInvalidPeriod = errors.New("merchant: invalid report period")

// NewReports returns the reports of s over store, with days in loc (the
// platform's time zone; nil: UTC).
func NewReports(s *Service, store ReportStore, loc *time.Location) (*Reports, error) {
	if s == nil || store == nil {
		return nil, errors.New("merchant: NewReports needs the service and a store")
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Reports{s: s, store: store, loc: loc}, nil
}

// Location is the time zone of the report's days.
func (r *Reports) Location() *time.Location { return r.loc }

// Day is midnight of t's day in the platform's zone.
func (r *Reports) Day(t time.Time) time.Time {
	y, m, d := t.In(r.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, r.loc)
}

// DefaultPeriod is the last 30 days, today included.
func (r *Reports) DefaultPeriod() (from, to time.Time) {
	to = r.Day(r.s.nowUTC())
	return to.AddDate(0, 0, -29), to
}

// Report sums the merchant's payments and refunds from the first day to
// the last (both included, as days of the platform's zone) in the
// access's mode. Every role may read it. Errors: ErrInvalidPeriod,
// ErrUnavailable.
func (r *Reports) Report(ctx context.Context, a Access, from, to time.Time) (Report, error) {
	from, to = r.Day(from), r.Day(to)
	if to.Before(from) || days(from, to) > MaxReportDays {
		return Report{}, ErrInvalidPeriod
	}
	m, err := r.s.store.Merchant(ctx, a.MerchantID)
	if err != nil {
		return Report{}, storeErr("merchant", err)
	}
	end := to.AddDate(0, 0, 1)
	es, err := r.store.ReportEntries(ctx, a.MerchantID, a.Mode.Live(), from.UTC(), end.UTC())
	if err != nil {
		return Report{}, unavailable("report", err)
	}
	rep := Report{MerchantID: a.MerchantID, Mode: a.Mode, From: from, To: to, Entries: es}
	n := days(from, to)
	byCur := map[string]*ReportCurrency{}
	get := func(c money.Currency) *ReportCurrency {
		if rc, ok := byCur[c.Code]; ok {
			return rc
		}
		rc := &ReportCurrency{Currency: c, Days: make([]ReportDay, n)}
		zero := money.Amount{Currency: c}
		for i := range rc.Days {
			rc.Days[i] = ReportDay{Day: from.AddDate(0, 0, i), Currency: c, Volume: zero, Fees: zero, Refunded: zero, Net: zero}
		}
		rc.Total = ReportDay{Day: from, Currency: c, Volume: zero, Fees: zero, Refunded: zero, Net: zero}
		byCur[c.Code] = rc
		return rc
	}
	get(m.Currency)
	index := make(map[int64]int, n)
	for i := 0; i < n; i++ {
		index[from.AddDate(0, 0, i).Unix()] = i
	}
	for _, e := range es {
		rc := get(e.Amount.Currency)
		i, ok := index[r.Day(e.At).Unix()]
		if !ok {
			continue // the store's bounds are UTC instants; never trust them twice
		}
		for _, d := range []*ReportDay{&rc.Days[i], &rc.Total} {
			if e.Kind == EntryRefund {
				d.Refunds++
				d.Refunded.Minor += e.Amount.Minor
			} else {
				d.Payments++
				d.Volume.Minor += e.Amount.Minor
				d.Fees.Minor += e.Fee.Minor
			}
			d.Net.Minor += e.Net()
		}
	}
	order := r.s.cfg.Currencies
	for _, code := range order {
		if rc, ok := byCur[code]; ok {
			rep.Currencies = append(rep.Currencies, *rc)
			delete(byCur, code)
		}
	}
	rest := make([]string, 0, len(byCur))
	for code := range byCur {
		rest = append(rest, code)
	}
	slices.Sort(rest)
	for _, code := range rest {
		rep.Currencies = append(rep.Currencies, *byCur[code])
	}
	return rep, nil
}

// days counts the days from from to to, both included (both midnights of
// the same zone; a day of 23 or 25 hours counts as one).
func days(from, to time.Time) int {
	n := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		n++
		if n > MaxReportDays+1 {
			break
		}
	}
	return n
}

// CSVHeader is the header row of a report's CSV.
var CSVHeader = []string{"date", "currency", "type", "id", "description", "volume", "fees", "refunds", "net"}

// WriteCSV writes the report as CSV: every payment and refund (type
// "payment" or "refund", with its id and description), then one "total"
// row per day and currency with the same numbers the page shows, and one
// "period_total" row per currency. Amounts are decimals in the currency's
// minor units; dates are days of the platform's zone. Text a spreadsheet
// would run as a formula is defused (wallet.CSVSafe).
func (r *Reports) WriteCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	dec := func(a money.Amount) string { return a.Decimal() }
	for _, e := range rep.Entries {
		zero := money.Amount{Currency: e.Amount.Currency}
		vol, fee, ref := e.Amount, e.Fee, zero
		if e.Kind == EntryRefund {
			vol, fee, ref = zero, zero, e.Amount
		}
		net := money.Amount{Minor: e.Net(), Currency: e.Amount.Currency}
		if err := cw.Write([]string{r.Day(e.At).Format(time.DateOnly), e.Amount.Currency.Code, e.Kind, e.ID,
			wallet.CSVSafe(e.Description), dec(vol), dec(fee), dec(ref), dec(net)}); err != nil {
			return err
		}
	}
	for _, rc := range rep.Currencies {
		for _, d := range rc.Days {
			if err := cw.Write([]string{d.Day.Format(time.DateOnly), rc.Currency.Code, "total",
				"", "", dec(d.Volume), dec(d.Fees), dec(d.Refunded),
				dec(d.Net)}); err != nil {
				return err
			}
		}
		t := rc.Total
		if err := cw.Write([]string{rep.From.Format(time.DateOnly) + ".." + rep.To.Format(time.DateOnly), rc.Currency.Code,
			"period_total", "", "", dec(t.Volume), dec(t.Fees),
			dec(t.Refunded), dec(t.Net)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

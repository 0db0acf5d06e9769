package fees

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/okpay/okpay/internal/money"
)

//go:embed default.json
var defaultJSON []byte

// maxScheduleSize bounds a schedule file; the default is a few kilobytes.
const maxScheduleSize = 1 << 20

// Schedule is a loaded, validated fee schedule. It is immutable.
type Schedule struct {
	effective string
	entries   []entry
	byKind    map[Kind]int
}

type entry struct {
	kind           Kind
	payer          Payer
	payerMayChoose bool
	rounding       money.Rounding
	capAtAmount    bool
	tiers          []Tier
	rules          []Rule
	byCurrency     map[string]int
}

// The JSON layout. Every number is a string in plain decimal notation, so
// that no value ever passes through a float; amounts are in major units of
// their currency ("0.30" USD), percentages in percent ("2.9").
type scheduleJSON struct {
	// Effective is the date the schedule applies from (YYYY-MM-DD), for
	// the fee page; optional.
	Effective string      `json:"effective"`
	Entries   []entryJSON `json:"entries"`
}

type entryJSON struct {
	Kind           string     `json:"kind"`
	Payer          string     `json:"payer"`            // "sender" (default) or "receiver"
	PayerMayChoose bool       `json:"payer_may_choose"` // the other party may be chosen to pay
	Rounding       string     `json:"rounding"`         // of the percentage part; "half_up" by default
	CapAtAmount    bool       `json:"cap_at_amount"`    // the fee never exceeds the amount
	Tiers          []tierJSON `json:"tiers"`
	Currencies     []ruleJSON `json:"currencies"`
}

type tierJSON struct {
	FromVolumeUSD string `json:"from_volume_usd"`
	Percent       string `json:"percent"`
}

type ruleJSON struct {
	Currency string  `json:"currency"`
	Fixed    *string `json:"fixed"`
	Min      *string `json:"min"`
	Max      *string `json:"max"`
}

var defaultSchedule = sync.OnceValue(func() *Schedule {
	s, err := Load(bytes.NewReader(defaultJSON))
	if err != nil {
		// default.json is part of the program; its test loads it.
		panic(fmt.Sprintf("fees: the embedded default.json does not load: %v", err))
	}
	return s
})

// Default returns the schedule embedded in the program (default.json). The
// same *Schedule is returned every time; it is immutable.
func Default() *Schedule { return defaultSchedule() }

// DefaultJSON returns a copy of the embedded default schedule's JSON: a
// starting point for an operator's own file.
func DefaultJSON() []byte { return bytes.Clone(defaultJSON) }

// LoadFile loads the schedule in the JSON file at path (see Load). Errors
// name the file.
func LoadFile(path string) (*Schedule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fees: %w", err)
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Load reads and validates a schedule in the JSON layout of default.json.
// Errors match ErrInvalidSchedule and name the entry, and within it the
// tier or currency, that is wrong: unknown fields, numbers that are not
// strings, unknown or repeated kinds and currencies, negative amounts or
// percentages, percentages over 100, amounts finer than their currency's
// minor unit, tiers that do not start at 0 or do not ascend, a maximum
// below the minimum, a fixed part or limits on the "*" currency.
func Load(r io.Reader) (*Schedule, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxScheduleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read: %w", ErrInvalidSchedule, err)
	}
	if len(data) > maxScheduleSize {
		return nil, fmt.Errorf("%w: larger than %d KiB", ErrInvalidSchedule, maxScheduleSize>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc scheduleJSON
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSchedule, jsonProblem(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the schedule", ErrInvalidSchedule)
	}
	s, err := build(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchedule, err)
	}
	return s, nil
}

// jsonProblem describes a decoding error with its line where it can.
func jsonProblem(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Sprintf("line %d: %s must be a %s (write numbers as strings, e.g. \"2.9\")", line(data, off), te.Field, te.Type)
		}
	}
	if off >= 0 {
		return fmt.Sprintf("line %d: %v", line(data, off), err)
	}
	return err.Error()
}

func line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func build(doc scheduleJSON) (*Schedule, error) {
	s := &Schedule{effective: doc.Effective, byKind: map[Kind]int{}}
	if doc.Effective != "" {
		if _, err := time.Parse(time.DateOnly, doc.Effective); err != nil {
			return nil, fmt.Errorf("effective %q is not a date YYYY-MM-DD", doc.Effective)
		}
	}
	if len(doc.Entries) == 0 {
		return nil, errors.New("no entries")
	}
	for i, ej := range doc.Entries {
		e, err := buildEntry(ej)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%q): %w", i+1, ej.Kind, err)
		}
		if _, dup := s.byKind[e.kind]; dup {
			return nil, fmt.Errorf("entry %d (%q): kind given twice", i+1, ej.Kind)
		}
		s.byKind[e.kind] = len(s.entries)
		s.entries = append(s.entries, e)
	}
	return s, nil
}

func validKind(k string) bool {
	if k == "" || len(k) > 64 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func buildEntry(ej entryJSON) (entry, error) {
	if !validKind(ej.Kind) {
		return entry{}, errors.New("kind must be snake_case, such as \"transfer\"")
	}
	e := entry{kind: Kind(ej.Kind), payer: Payer(ej.Payer), payerMayChoose: ej.PayerMayChoose,
		capAtAmount: ej.CapAtAmount, byCurrency: map[string]int{}}
	switch e.payer {
	case "":
		e.payer = Sender
	case Sender, Receiver:
	default:
		return entry{}, fmt.Errorf("payer %q must be \"sender\" or \"receiver\"", ej.Payer)
	}
	var err error
	if e.rounding, err = parseRounding(ej.Rounding); err != nil {
		return entry{}, err
	}

	if len(ej.Tiers) == 0 {
		return entry{}, errors.New("no tiers: give at least one, from_volume_usd \"0\"")
	}
	for i, tj := range ej.Tiers {
		t := Tier{Index: i}
		v, err := money.Parse(tj.FromVolumeUSD, usd)
		if err != nil {
			return entry{}, fmt.Errorf("tiers[%d]: from_volume_usd: %w", i, err)
		}
		if v.Minor < 0 {
			return entry{}, fmt.Errorf("tiers[%d]: from_volume_usd %s is negative", i, tj.FromVolumeUSD)
		}
		t.FromUSD = v.Minor
		switch {
		case i == 0 && t.FromUSD != 0:
			return entry{}, fmt.Errorf("tiers[0]: the first tier must start at from_volume_usd \"0\", not %s", tj.FromVolumeUSD)
		case i > 0 && t.FromUSD <= e.tiers[i-1].FromUSD:
			return entry{}, fmt.Errorf("tiers[%d]: from_volume_usd %s does not ascend (previous tier from %s)",
				i, tj.FromVolumeUSD, ej.Tiers[i-1].FromVolumeUSD)
		}
		if t.Percent, err = ParsePercent(tj.Percent); err != nil {
			return entry{}, fmt.Errorf("tiers[%d]: %w", i, err)
		}
		if i > 0 {
			e.tiers[i-1].ToUSD = t.FromUSD
		}
		e.tiers = append(e.tiers, t)
	}

	if len(ej.Currencies) == 0 {
		return entry{}, errors.New("no currencies: list them, or \"*\" for any")
	}
	for i, rj := range ej.Currencies {
		r, err := buildRule(rj)
		if err != nil {
			return entry{}, fmt.Errorf("currencies[%d] (%q): %w", i, rj.Currency, err)
		}
		if _, dup := e.byCurrency[r.Currency]; dup {
			return entry{}, fmt.Errorf("currencies[%d] (%q): currency given twice", i, rj.Currency)
		}
		e.byCurrency[r.Currency] = len(e.rules)
		e.rules = append(e.rules, r)
	}
	return e, nil
}

func parseRounding(s string) (money.Rounding, error) {
	if s == "" {
		return money.RoundHalfUp, nil
	}
	for _, m := range []money.Rounding{money.RoundHalfUp, money.RoundHalfEven, money.RoundUp, money.RoundDown} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("rounding %q must be half_up, half_even, up or down", s)
}

func buildRule(rj ruleJSON) (Rule, error) {
	if rj.Currency == AnyCurrency {
		if rj.Fixed != nil || rj.Min != nil || rj.Max != nil {
			return Rule{}, errors.New("the \"*\" currency takes no fixed, min or max: they are amounts in one currency")
		}
		return Rule{Currency: AnyCurrency}, nil
	}
	c, err := money.Lookup(rj.Currency)
	if err != nil || c.Code != rj.Currency {
		return Rule{}, fmt.Errorf("currency must be an upper-case ISO 4217 code the platform knows, or \"*\"")
	}
	r := Rule{Currency: c.Code, Fixed: money.Amount{Currency: c}, Min: money.Amount{Currency: c}, Max: money.Amount{Currency: c}}
	for _, f := range []struct {
		name string
		s    *string
		dst  *money.Amount
	}{{"fixed", rj.Fixed, &r.Fixed}, {"min", rj.Min, &r.Min}, {"max", rj.Max, &r.Max}} {
		if f.s == nil {
			continue
		}
		a, err := money.Parse(*f.s, c)
		if err != nil {
			return Rule{}, fmt.Errorf("%s: %w", f.name, err)
		}
		if a.Minor < 0 {
			return Rule{}, fmt.Errorf("%s %s is negative", f.name, *f.s)
		}
		*f.dst = a
	}
	r.HasMax = rj.Max != nil
	if r.HasMax && r.Max.Minor < r.Min.Minor {
		return Rule{}, fmt.Errorf("max %s is below min %s", r.Max.Decimal(), r.Min.Decimal())
	}
	return r, nil
}

// Effective returns the date the schedule applies from, as written in it
// (YYYY-MM-DD), or "".
func (s *Schedule) Effective() string { return s.effective }

// Kinds lists the schedule's kinds in its order.
func (s *Schedule) Kinds() []Kind {
	out := make([]Kind, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.kind
	}
	return out
}

// Bound names the limit that decided a fee, if any.
type Bound string

const (
	BoundNone   Bound = ""       // percentage plus fixed part
	BoundMin    Bound = "min"    // raised to the minimum
	BoundMax    Bound = "max"    // lowered to the cap
	BoundAmount Bound = "amount" // lowered to the amount itself
)

// Quote is the fee on one amount, with what a page or a receipt needs to
// explain it.
type Quote struct {
	Kind Kind
	// Amount is the amount the fee is on.
	Amount money.Amount
	// Fee is what is charged, in the amount's currency.
	Fee money.Amount
	// Payer is the entry's default payer; PayerMayChoose whether Split
	// accepts the other.
	Payer          Payer
	PayerMayChoose bool
	// Tier is the volume tier applied, and Percent its percentage.
	Tier    Tier
	Percent Percent
	// Rule is the currency rule applied (Currency AnyCurrency for "*").
	// Fixed, Min and Max repeat its limits in the amount's currency.
	Rule            Rule
	Fixed, Min, Max money.Amount
	HasMax          bool
	CapAtAmount     bool
	Rounding        money.Rounding
	// PercentPart is Amount × Percent rounded with Rounding.
	PercentPart money.Amount
	// Bound is the limit that decided Fee, if any.
	Bound Bound
}

// Quote returns the fee of kind on amount for a payer whose monthly volume
// is monthlyVolumeUSD US cents (the volume of whoever pays: the caller
// knows who that is before quoting). See the package documentation for the
// arithmetic.
//
// Errors: ErrUnknownKind, ErrNotOffered, ErrInvalidAmount (negative amount
// or volume, unknown currency), money.ErrOverflow.
func (s *Schedule) Quote(kind Kind, amount money.Amount, monthlyVolumeUSD int64) (Quote, error) {
	i, ok := s.byKind[kind]
	if !ok {
		return Quote{}, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	e := &s.entries[i]
	c, err := money.Lookup(amount.Currency.Code)
	if err != nil || c != amount.Currency {
		return Quote{}, fmt.Errorf("%w: currency %+v", ErrInvalidAmount, amount.Currency)
	}
	if amount.Minor < 0 {
		return Quote{}, fmt.Errorf("%w: %s fee on a negative amount %v", ErrInvalidAmount, kind, amount)
	}
	if monthlyVolumeUSD < 0 {
		return Quote{}, fmt.Errorf("%w: negative monthly volume %d", ErrInvalidAmount, monthlyVolumeUSD)
	}
	ri, ok := e.byCurrency[c.Code]
	if !ok {
		if ri, ok = e.byCurrency[AnyCurrency]; !ok {
			return Quote{}, fmt.Errorf("%w: no %s fee is published for %s", ErrNotOffered, kind, c.Code)
		}
	}
	rule := e.rules[ri]
	zero := money.Amount{Currency: c}
	q := Quote{Kind: kind, Amount: amount, Payer: e.payer, PayerMayChoose: e.payerMayChoose,
		Rule: rule, Fixed: zero, Min: zero, Max: zero, HasMax: rule.HasMax,
		CapAtAmount: e.capAtAmount, Rounding: e.rounding}
	if rule.Currency != AnyCurrency {
		q.Fixed, q.Min, q.Max = rule.Fixed, rule.Min, rule.Max
	}
	q.Tier = e.tiers[0]
	for _, t := range e.tiers[1:] {
		if monthlyVolumeUSD >= t.FromUSD {
			q.Tier = t
		}
	}
	q.Percent = q.Tier.Percent

	if q.PercentPart, err = q.Percent.of(amount, e.rounding); err != nil {
		return Quote{}, fmt.Errorf("fees: %s fee on %v: %w", kind, amount, err)
	}
	fee, err := money.AddInt64(q.PercentPart.Minor, q.Fixed.Minor)
	if err != nil {
		return Quote{}, fmt.Errorf("fees: %s fee on %v: %w", kind, amount, err)
	}
	if fee < q.Min.Minor {
		fee, q.Bound = q.Min.Minor, BoundMin
	}
	if q.HasMax && fee > q.Max.Minor {
		fee, q.Bound = q.Max.Minor, BoundMax
	}
	if e.capAtAmount && fee > amount.Minor {
		fee, q.Bound = amount.Minor, BoundAmount
	}
	q.Fee = money.Amount{Minor: fee, Currency: c}
	return q, nil
}

// Split is how a quoted fee moves money between the sender, the receiver
// and the platform, in minor units of the quote's currency.
type Split struct {
	// Payer is who bears the fee.
	Payer Payer
	// Debit leaves the sender, Credit reaches the receiver, Revenue is the
	// platform's. Debit == Credit + Revenue.
	Debit, Credit, Revenue int64
}

// Split applies the fee with payer bearing it ("" for the entry's
// default): a sender pays Amount + Fee and the receiver gets Amount; a
// receiver gets Amount − Fee of the Amount the sender pays.
//
// Errors: ErrPayerNotAllowed (the entry lets nobody choose, or payer is
// neither), ErrFeeExceedsAmount (the receiver pays and the fee is not less
// than the amount), money.ErrOverflow.
func (q Quote) Split(payer Payer) (Split, error) {
	if payer == "" {
		payer = q.Payer
	}
	switch {
	case payer != Sender && payer != Receiver:
		return Split{}, fmt.Errorf("%w: %q", ErrPayerNotAllowed, payer)
	case payer != q.Payer && !q.PayerMayChoose:
		return Split{}, fmt.Errorf("%w: the %s fee is paid by the %s", ErrPayerNotAllowed, q.Kind, q.Payer)
	}
	a, fee := q.Amount.Minor, q.Fee.Minor
	if a < 0 || fee < 0 {
		return Split{}, fmt.Errorf("%w: negative amount or fee in %+v", ErrInvalidAmount, q)
	}
	if payer == Receiver {
		if fee >= a {
			return Split{}, fmt.Errorf("%w: the receiver would pay %v of %v", ErrFeeExceedsAmount, q.Fee, q.Amount)
		}
		return Split{Payer: Receiver, Debit: a, Credit: a - fee, Revenue: fee}, nil
	}
	debit, err := money.AddInt64(a, fee)
	if err != nil {
		return Split{}, fmt.Errorf("fees: %v plus fee %v: %w", q.Amount, q.Fee, err)
	}
	return Split{Payer: Sender, Debit: debit, Credit: a, Revenue: fee}, nil
}

// Row is one line of the published schedule: one kind, one currency rule,
// one volume tier.
type Row struct {
	Kind           Kind
	Payer          Payer
	PayerMayChoose bool
	CapAtAmount    bool
	Rounding       money.Rounding
	// Currency is the rule's code, or AnyCurrency ("every other
	// currency": percentage only, Fixed, Min and Max zero without a
	// currency).
	Currency string
	// Tier gives the volume range (FromUSD up to ToUSD, US cents; ToUSD 0
	// for no upper end) and the percentage.
	Tier Tier
	// Fixed, Min and Max are the rule's, Max only when HasMax.
	Fixed, Min, Max money.Amount
	HasMax          bool
	// Tiers is how many tiers the kind has: 1 means the volume does not
	// matter and a page need not show it.
	Tiers int
}

// Table returns every line of the schedule, for the public fee page: kinds
// in the schedule's order, then currencies in the order the entry lists
// them, then tiers from the lowest volume.
func (s *Schedule) Table() []Row {
	var rows []Row
	for _, e := range s.entries {
		for _, r := range e.rules {
			for _, t := range e.tiers {
				rows = append(rows, Row{
					Kind: e.kind, Payer: e.payer, PayerMayChoose: e.payerMayChoose, CapAtAmount: e.capAtAmount,
					Rounding: e.rounding, Currency: r.Currency, Tier: t,
					Fixed: r.Fixed, Min: r.Min, Max: r.Max, HasMax: r.HasMax, Tiers: len(e.tiers),
				})
			}
		}
	}
	return rows
}

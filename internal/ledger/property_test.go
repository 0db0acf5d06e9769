package ledger_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// balances are an account's four balance columns.
type balances struct {
	DebitsPending, DebitsPosted, CreditsPending, CreditsPosted int64
}

func balancesOf(a ledger.Account) balances {
	return balances{a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted}
}

// model is the reference the ledger is checked against: what the package
// documentation promises, written as plainly as possible, one transfer at a
// time in commit order.
type model struct {
	modelState
	// last is the newest timestamp the ledger handed out (fresh results
	// must come after it).
	last *time.Time
	// problems are broken promises about Result timestamps.
	problems []string
}

// modelState is what a failed linked chain rolls back.
type modelState struct {
	accounts map[int64]modelAccount
	// recorded holds every transfer id answered before, with the
	// transfer as recorded (post and void filled in from their hold) and
	// OK or the refusal.
	recorded map[ledger.ID]modelRecord
	// resolved holds the holds already posted or voided.
	resolved map[ledger.ID]bool
}

type modelAccount struct {
	flags ledger.AccountFlags
	bal   balances
}

type modelRecord struct {
	t    ledger.Transfer
	code ledger.Code
}

func newModel(last *time.Time) *model {
	return &model{
		modelState: modelState{
			accounts: map[int64]modelAccount{},
			recorded: map[ledger.ID]modelRecord{},
			resolved: map[ledger.ID]bool{},
		},
		last: last,
	}
}

func (s modelState) clone() modelState {
	return modelState{accounts: maps.Clone(s.accounts), recorded: maps.Clone(s.recorded), resolved: maps.Clone(s.resolved)}
}

func (m *model) addAccount(id int64, flags ledger.AccountFlags) {
	m.accounts[id] = modelAccount{flags: flags}
}

// available is what a constrained account could still spend.
func (m *model) available(id int64) int64 {
	b := m.accounts[id].bal
	return b.CreditsPosted - b.DebitsPosted - b.DebitsPending
}

func (m *model) problemf(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// fresh accepts the timestamp of a result the ledger decided now: it must
// be later than every timestamp handed out before.
func (m *model) fresh(t ledger.Transfer, got ledger.Result) time.Time {
	if !got.Timestamp.After(*m.last) {
		m.problemf("transfer %v: timestamp %v is not after the previous one %v", t.ID, got.Timestamp, *m.last)
	}
	*m.last = got.Timestamp
	return got.Timestamp
}

// replayed checks the timestamp of an answer given before: the first one.
func (m *model) replayed(t ledger.Transfer, got ledger.Result, want time.Time) {
	if !got.Timestamp.Equal(want) {
		m.problemf("transfer %v answered again with timestamp %v, want the first answer's %v", t.ID, got.Timestamp, want)
	}
}

// submit is one Submit call: got are the ledger's results (the model reads
// only their timestamps, which fix the commit order and the time). It
// returns the codes the model expects.
func (m *model) submit(ts []ledger.Transfer, got []ledger.Result) []ledger.Code {
	want := make([]ledger.Code, len(ts))
	for start := 0; start < len(ts); {
		end := start
		for end < len(ts)-1 && ts[end].Flags&ledger.Linked != 0 {
			end++
		}
		m.chain(ts[start:end+1], got[start:end+1], want[start:end+1])
		start = end + 1
	}
	return want
}

// chain commits a linked chain (or a single transfer) all or nothing.
func (m *model) chain(ts []ledger.Transfer, got []ledger.Result, want []ledger.Code) {
	if len(ts) == 1 && ts[0].Flags&ledger.Linked == 0 {
		t := ts[0]
		want[0] = m.one(&t, got[0])
		m.refuse(t, want[0])
		return
	}
	before := m.modelState.clone()
	failed, allExist := false, true
	for i := range ts {
		t := ts[i]
		if i == len(ts)-1 && t.Flags&ledger.Linked != 0 {
			m.fresh(t, got[i])
			want[i] = ledger.LinkedEventChainOpen
		} else {
			want[i] = m.one(&t, got[i])
		}
		failed = failed || want[i] != ledger.OK
		allExist = allExist && want[i] == ledger.Exists
	}
	if !failed || allExist {
		return
	}
	m.modelState = before
	for i := range ts {
		if want[i] == ledger.OK {
			want[i] = ledger.LinkedEventFailed
		}
	}
	for i := range ts {
		t := ts[i]
		m.normalize(&t)
		// Refused now: a retry must get this answer and this time back.
		t.Timestamp = got[i].Timestamp
		m.refuse(t, want[i])
	}
}

// refuse remembers a refusal, so that the id gets the same answer again.
func (m *model) refuse(t ledger.Transfer, c ledger.Code) {
	switch c {
	case ledger.OK, ledger.Exists, ledger.ExistsWithDifferentFields, ledger.IDMustNotBeZero:
		return
	}
	if _, ok := m.recorded[t.ID]; !ok {
		m.recorded[t.ID] = modelRecord{t: t, code: c}
	}
}

// hold returns the committed pending transfer id, if there is one.
func (m *model) hold(id ledger.ID) (ledger.Transfer, bool) {
	r, ok := m.recorded[id]
	if !ok || r.code != ledger.OK || r.t.Flags&ledger.Pending == 0 {
		return ledger.Transfer{}, false
	}
	return r.t, true
}

// normalize fills the fields a post or void may leave out from its hold.
func (m *model) normalize(t *ledger.Transfer) {
	if t.Flags&(ledger.PostPending|ledger.VoidPending) == 0 {
		return
	}
	p, ok := m.hold(t.PendingID)
	if !ok {
		return
	}
	if t.DebitAccountID == 0 {
		t.DebitAccountID = p.DebitAccountID
	}
	if t.CreditAccountID == 0 {
		t.CreditAccountID = p.CreditAccountID
	}
	if t.Currency == "" {
		t.Currency = p.Currency
	}
	if t.Amount == 0 {
		t.Amount = p.Amount
	}
	if t.Code == 0 {
		t.Code = p.Code
	}
}

func sameRequest(a, b ledger.Transfer) bool {
	a.Timestamp, b.Timestamp = time.Time{}, time.Time{}
	return a == b
}

// one answers a single transfer and applies it when it is OK.
func (m *model) one(t *ledger.Transfer, got ledger.Result) ledger.Code {
	if t.ID.IsZero() {
		m.fresh(*t, got)
		return ledger.IDMustNotBeZero
	}
	raw := *t
	m.normalize(t)
	if r, ok := m.recorded[t.ID]; ok {
		// The same request gets the first answer, even when the hold it
		// names was committed after that answer.
		if !sameRequest(r.t, *t) && !sameRequest(r.t, raw) {
			m.fresh(*t, got)
			return ledger.ExistsWithDifferentFields
		}
		m.replayed(*t, got, r.t.Timestamp)
		if r.code == ledger.OK {
			return ledger.Exists
		}
		return r.code
	}
	t.Timestamp = m.fresh(*t, got)
	if c := m.validate(*t); c != ledger.OK {
		return c
	}
	return m.apply(*t)
}

const kinds = ledger.Pending | ledger.PostPending | ledger.VoidPending

// validate covers the refusals the generator can provoke, in the order the
// ledger checks them.
func (m *model) validate(t ledger.Transfer) ledger.Code {
	kind := t.Flags & kinds
	if kind == ledger.PostPending || kind == ledger.VoidPending {
		p, ok := m.hold(t.PendingID)
		switch {
		case !ok:
			return ledger.PendingNotFound
		case t.DebitAccountID != p.DebitAccountID || t.CreditAccountID != p.CreditAccountID || t.Currency != p.Currency:
			return ledger.PendingFieldsMismatch
		case m.resolved[t.PendingID]:
			return ledger.PendingAlreadyResolved
		case t.Amount <= 0 || t.Amount > p.Amount || (kind == ledger.VoidPending && t.Amount != p.Amount):
			return ledger.PendingAmountExceeded
		case kind == ledger.PostPending && p.Timeout > 0 && !t.Timestamp.Before(p.Timestamp.Add(p.Timeout)):
			return ledger.PendingExpired
		}
	}
	if t.Amount <= 0 {
		return ledger.AmountMustBePositive
	}
	if t.DebitAccountID == t.CreditAccountID {
		return ledger.AccountsMustBeDifferent
	}
	return ledger.OK
}

// apply moves the money, unless that would overdraw a constrained account.
func (m *model) apply(t ledger.Transfer) ledger.Code {
	d, c := m.accounts[t.DebitAccountID], m.accounts[t.CreditAccountID]
	switch t.Flags & kinds {
	case ledger.Pending:
		d.bal.DebitsPending += t.Amount
		c.bal.CreditsPending += t.Amount
	case 0:
		d.bal.DebitsPosted += t.Amount
		c.bal.CreditsPosted += t.Amount
	case ledger.PostPending:
		p, _ := m.hold(t.PendingID)
		d.bal.DebitsPending -= p.Amount
		c.bal.CreditsPending -= p.Amount
		d.bal.DebitsPosted += t.Amount
		c.bal.CreditsPosted += t.Amount
	case ledger.VoidPending:
		p, _ := m.hold(t.PendingID)
		d.bal.DebitsPending -= p.Amount
		c.bal.CreditsPending -= p.Amount
	}
	// Resolving a hold spends nothing new, so it is never refused for funds.
	grows := t.Flags&(ledger.PostPending|ledger.VoidPending) == 0
	if grows && d.flags&ledger.DebitsMustNotExceedCredits != 0 &&
		d.bal.DebitsPending+d.bal.DebitsPosted > d.bal.CreditsPosted {
		return ledger.InsufficientFunds
	}
	m.accounts[t.DebitAccountID], m.accounts[t.CreditAccountID] = d, c
	m.recorded[t.ID] = modelRecord{t: t, code: ledger.OK}
	if t.Flags&(ledger.PostPending|ledger.VoidPending) != 0 {
		m.resolved[t.PendingID] = true
	}
	return ledger.OK
}

// replayConcurrent feeds the model single-transfer submissions that ran at
// the same time, in the order the ledger committed them (by timestamp), and
// returns the expected code of each, in the order of ts.
func (m *model) replayConcurrent(ts []ledger.Transfer, got []ledger.Result) []ledger.Code {
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return got[order[a]].Timestamp.Before(got[order[b]].Timestamp) })
	want := make([]ledger.Code, len(ts))
	for _, i := range order {
		want[i] = m.submit(ts[i:i+1], got[i:i+1])[0]
	}
	return want
}

// submitConcurrently submits each transfer on its own goroutine, all
// released at once, and returns each one's result.
func submitConcurrently(l *ledger.Ledger, ts []ledger.Transfer) ([]ledger.Result, []error) {
	res := make([]ledger.Result, len(ts))
	errs := make([]error, len(ts))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := l.Submit(context.Background(), ts[i:i+1])
			if err == nil && len(r) != 1 {
				err = fmt.Errorf("%d results for one transfer", len(r))
			}
			if err == nil {
				res[i] = r[0]
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	return res, errs
}

func codesOf(res []ledger.Result) []ledger.Code {
	out := make([]ledger.Code, len(res))
	for i, r := range res {
		out[i] = r.Code
	}
	return out
}

// rapidChecks makes rapid.Check in this test run n cases, unless the run
// chose a count itself (-rapid.checks or RAPID_CHECKS). Every iteration
// commits dozens of batches on a real database, so rapid's default of 100
// would make the test slow under -race.
func rapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil || os.Getenv("RAPID_CHECKS") != "" {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if set {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

// propRun is one rapid iteration: fresh accounts on the shared ledger, the
// model of them, and what was submitted so far (to resubmit).
type propRun struct {
	rt      *rapid.T
	e       *env
	m       *model
	bank    int64
	wallets []int64 // wallets[0] is always constrained
	all     []int64
	history []ledger.Transfer   // every transfer submitted, as submitted
	holds   []ledger.Transfer   // every hold submitted, committed or not
	multi   [][]ledger.Transfer // every submission of several transfers
}

func (p *propRun) account(ref string, flags ledger.AccountFlags) int64 {
	a, err := p.e.l.CreateAccount(context.Background(), ledger.Account{Ref: ref, Currency: "USD", Flags: flags})
	if err != nil {
		p.rt.Fatalf("create account %s: %v", ref, err)
	}
	p.m.addAccount(a.ID, flags)
	p.all = append(p.all, a.ID)
	return a.ID
}

func (p *propRun) pick(ids []int64, label string) int64 {
	return rapid.SampledFrom(ids).Draw(p.rt, label)
}

// other picks an account other than id.
func (p *propRun) other(id int64, label string) int64 {
	var rest []int64
	for _, a := range p.all {
		if a != id {
			rest = append(rest, a)
		}
	}
	return p.pick(rest, label)
}

func (p *propRun) constrained() []int64 {
	var out []int64
	for _, id := range p.wallets {
		if p.m.accounts[id].flags&ledger.DebitsMustNotExceedCredits != 0 {
			out = append(out, id)
		}
	}
	return out
}

// resolution builds a post or void of an earlier hold (possibly refused,
// already resolved or expired) or of an id that is no hold at all.
func (p *propRun) resolution(flags ledger.TransferFlags) ledger.Transfer {
	t := ledger.Transfer{ID: ledger.NewID(), Flags: flags}
	target := rapid.IntRange(0, 9).Draw(p.rt, "target")
	switch {
	case len(p.holds) == 0 || target == 0:
		t.PendingID = ledger.NewID() // no such transfer
		return t
	case target == 1 && len(p.history) > 0:
		t.PendingID = rapid.SampledFrom(p.history).Draw(p.rt, "not a hold").ID
		return t
	}
	h := p.holds[len(p.holds)-1] // often the newest, maybe in this very submission
	if target > 3 {
		h = rapid.SampledFrom(p.holds).Draw(p.rt, "hold")
	}
	return p.resolve(h, flags)
}

// resolve builds a post or void of hold h.
func (p *propRun) resolve(h ledger.Transfer, flags ledger.TransferFlags) ledger.Transfer {
	t := ledger.Transfer{ID: ledger.NewID(), Flags: flags, PendingID: h.ID}
	switch rapid.IntRange(0, 4).Draw(p.rt, "amount kind") {
	case 0: // all of it, implied
	case 1:
		t.Amount = h.Amount
	case 2:
		t.Amount = rapid.Int64Range(1, h.Amount).Draw(p.rt, "part")
	case 3:
		t.Amount = h.Amount + 1
	case 4:
		// Spelled out in full, or with the wrong debit account.
		t.DebitAccountID, t.CreditAccountID, t.Currency, t.Amount = h.DebitAccountID, h.CreditAccountID, h.Currency, h.Amount
		if rapid.IntRange(0, 2).Draw(p.rt, "mismatch") == 0 {
			t.DebitAccountID = h.CreditAccountID
		}
	}
	return t
}

// genHold draws a hold, some of them with a timeout.
func (p *propRun) genHold() ledger.Transfer {
	from := p.pick(p.all, "from")
	t := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: p.other(from, "to"),
		Amount: rapid.Int64Range(1, 400).Draw(p.rt, "amount"), Currency: "USD", Code: 3, Flags: ledger.Pending,
		Timeout: rapid.SampledFrom([]time.Duration{0, time.Minute, time.Minute, time.Hour}).Draw(p.rt, "timeout")}
	p.holds = append(p.holds, t)
	p.history = append(p.history, t)
	return t
}

// genOne draws one transfer: new money movements, holds, resolutions and
// resubmissions of earlier ids.
func (p *propRun) genOne(label string) ledger.Transfer {
	kind := rapid.SampledFrom([]string{
		"deposit", "deposit", "transfer", "transfer", "overdraft", "hold", "hold",
		"post", "post", "void", "retry", "retry", "retry changed",
	}).Draw(p.rt, label)
	amount := func() int64 { return rapid.Int64Range(1, 400).Draw(p.rt, "amount") }
	var t ledger.Transfer
	switch kind {
	case "deposit":
		t = ledger.Transfer{ID: ledger.NewID(), DebitAccountID: p.bank, CreditAccountID: p.pick(p.wallets, "to"),
			Amount: amount(), Currency: "USD", Code: 1}
	case "transfer":
		from := p.pick(p.all, "from")
		t = ledger.Transfer{ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: p.other(from, "to"),
			Amount: amount(), Currency: "USD", Code: 2}
	case "overdraft":
		from := p.pick(p.constrained(), "from")
		t = ledger.Transfer{ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: p.other(from, "to"),
			Amount: max(p.m.available(from), 0) + rapid.Int64Range(1, 50).Draw(p.rt, "excess"), Currency: "USD", Code: 2}
	case "hold":
		return p.genHold()
	case "post":
		t = p.resolution(ledger.PostPending)
	case "void":
		t = p.resolution(ledger.VoidPending)
	case "retry", "retry changed":
		if len(p.history) == 0 {
			return p.genOne(label)
		}
		earlier := p.history
		if rapid.Bool().Draw(p.rt, "recent") {
			earlier = earlier[max(len(earlier)-4, 0):]
		}
		t = rapid.SampledFrom(earlier).Draw(p.rt, "earlier")
		if kind == "retry changed" {
			t.Amount += rapid.Int64Range(1, 100).Draw(p.rt, "more")
		}
	}
	if t.Flags&ledger.Pending != 0 {
		p.holds = append(p.holds, t)
	}
	p.history = append(p.history, t)
	return t
}

// run submits ts in one call and checks every code against the model.
func (p *propRun) run(step string, ts []ledger.Transfer) {
	got, err := p.e.l.Submit(context.Background(), ts)
	if err != nil {
		p.rt.Fatalf("%s: submit: %v", step, err)
	}
	if len(got) != len(ts) {
		p.rt.Fatalf("%s: %d results for %d transfers", step, len(got), len(ts))
	}
	want := p.m.submit(ts, got)
	if diff := cmp.Diff(want, codesOf(got)); diff != "" {
		p.rt.Fatalf("%s: results (-want +got):\n%s\ntransfers: %+v", step, diff, ts)
	}
	if len(ts) > 1 {
		p.multi = append(p.multi, ts)
	}
}

// runConcurrent submits each transfer from its own goroutine at once and
// checks the codes against the model replayed in commit order.
func (p *propRun) runConcurrent(name string, ts []ledger.Transfer) {
	got, errs := submitConcurrently(p.e.l, ts)
	for j, err := range errs {
		if err != nil {
			p.rt.Fatalf("%s: submit %d: %v", name, j, err)
		}
	}
	want := p.m.replayConcurrent(ts, got)
	if diff := cmp.Diff(want, codesOf(got)); diff != "" {
		p.rt.Fatalf("%s: results in commit order (-want +got):\n%s\ntransfers: %+v", name, diff, ts)
	}
}

func (p *propRun) step(i int) {
	step := rapid.SampledFrom([]string{
		"single", "single", "single", "single", "batch", "reversed batch", "chain", "chain", "chain again",
		"concurrent", "concurrent", "hold race", "clock", "clock",
	}).Draw(p.rt, "step")
	name := fmt.Sprintf("step %d (%s)", i, step)
	switch step {
	case "single":
		p.run(name, []ledger.Transfer{p.genOne("kind")})
	case "batch", "reversed batch":
		n := rapid.IntRange(2, 4).Draw(p.rt, "size")
		ts := make([]ledger.Transfer, n)
		for j := range ts {
			ts[j] = p.genOne("kind")
		}
		if step == "reversed batch" {
			// Posts and voids may now come before their hold.
			slices.Reverse(ts)
		}
		p.run(name, ts)
	case "chain":
		n := rapid.IntRange(2, 3).Draw(p.rt, "size")
		open := rapid.IntRange(0, 7).Draw(p.rt, "open") == 0
		ts := make([]ledger.Transfer, n)
		for j := range ts {
			ts[j] = p.genOne("kind")
			if j < n-1 || open {
				ts[j].Flags |= ledger.Linked
			} else {
				ts[j].Flags &^= ledger.Linked
			}
		}
		p.run(name, ts)
	case "chain again":
		if len(p.multi) == 0 {
			p.run(name, []ledger.Transfer{p.genOne("kind")})
		} else {
			p.run(name, rapid.SampledFrom(p.multi).Draw(p.rt, "earlier"))
		}
	case "concurrent":
		n := rapid.IntRange(2, 6).Draw(p.rt, "goroutines")
		ts := make([]ledger.Transfer, 0, n)
		ids := map[ledger.ID]bool{}
		for len(ts) < n {
			// One id per goroutine: the same id twice at once has no
			// single right answer per caller.
			if t := p.genOne("kind"); !ids[t.ID] {
				ids[t.ID] = true
				ts = append(ts, t)
			}
		}
		p.runConcurrent(name, ts)
	case "hold race":
		// A hold and its post or void sent at once: either may commit
		// first, and a retry of a resolution refused before its hold
		// existed must still get its first answer.
		h := p.genHold()
		flags := rapid.SampledFrom([]ledger.TransferFlags{ledger.PostPending, ledger.VoidPending}).Draw(p.rt, "resolution")
		r := p.resolve(h, flags)
		p.history = append(p.history, r)
		p.runConcurrent(name, []ledger.Transfer{h, r})
	case "clock":
		p.e.clock.Add(rapid.SampledFrom([]time.Duration{time.Second, 30 * time.Second, 2 * time.Minute, 2 * time.Hour}).Draw(p.rt, "advance"))
	}
	if len(p.m.problems) > 0 {
		p.rt.Fatalf("%s: %v", name, p.m.problems)
	}
	for _, id := range p.all {
		a, err := p.e.l.Account(context.Background(), id)
		if err != nil {
			p.rt.Fatalf("%s: account %d: %v", name, id, err)
		}
		if diff := cmp.Diff(p.m.accounts[id].bal, balancesOf(a)); diff != "" {
			p.rt.Fatalf("%s: account %d balances (-want +got):\n%s", name, id, diff)
		}
	}
}

// TestLedgerMatchesModel runs random sequences of transfers, holds, posts,
// voids, retries, linked chains and concurrent submissions against both
// engines and checks every result code, every balance and the journal
// against a reference model.
func TestLedgerMatchesModel(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		e := newEnv(t, eng)
		rapidChecks(t, 30)
		var last time.Time
		runs := 0
		rapid.Check(t, func(rt *rapid.T) {
			runs++
			p := &propRun{rt: rt, e: e, m: newModel(&last)}
			prefix := fmt.Sprintf("prop:%d:", runs)
			p.bank = p.account(prefix+"bank", 0)
			for j := range 3 {
				flags := wallet
				if j > 0 && rapid.IntRange(0, 2).Draw(rt, "unconstrained") == 0 {
					flags = 0
				}
				p.wallets = append(p.wallets, p.account(prefix+"wallet:"+strconv.Itoa(j), flags))
			}
			steps := rapid.IntRange(1, 20).Draw(rt, "steps")
			for i := range steps {
				p.step(i)
			}
			r, err := ledger.Verify(context.Background(), e.db.Ledger())
			if err != nil {
				rt.Fatalf("verify: %v", err)
			}
			if len(r.Problems) > 0 {
				rt.Fatalf("verify: %v", r.Problems)
			}
		})
	})
}

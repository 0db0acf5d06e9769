package ledger

import (
	"encoding/json"
	"math"
	"time"

	"github.com/okpay/okpay/internal/jobs"
)

// batch validates and applies one batch of submissions in memory, in
// submission order, against the locked account rows. It knows nothing of the
// database: commit loads its inputs and writes its outputs.
type batch struct {
	loaded   *Loaded
	pendings map[ID]Transfer // pending transfers referenced, stored or new
	recorded map[ID]Recorded // ids seen in this batch
	resolved map[ID]TransferFlags
	stamp    func() int64

	out     []Transfer
	refused []Recorded
	touched map[int64]*Account

	chaining bool     // applying a linked chain: keep undo
	undo     []func() // how to take the chain back
}

func newBatch(loaded *Loaded, pendings map[ID]Transfer, stamp func() int64) *batch {
	return &batch{
		loaded:   loaded,
		pendings: pendings,
		recorded: make(map[ID]Recorded),
		resolved: make(map[ID]TransferFlags),
		stamp:    stamp,
		touched:  make(map[int64]*Account),
	}
}

// submit applies one caller's transfers and returns their results.
func (b *batch) submit(ts []Transfer) []Result {
	res := make([]Result, len(ts))
	for start := 0; start < len(ts); {
		end := start
		for end < len(ts)-1 && ts[end].Flags&Linked != 0 {
			end++
		}
		b.chain(ts[start:end+1], res[start:end+1])
		start = end + 1
	}
	return res
}

// chain applies a linked chain (or a single transfer) all or nothing.
func (b *batch) chain(ts []Transfer, res []Result) {
	if len(ts) == 1 && ts[0].Flags&Linked == 0 {
		t := ts[0]
		res[0] = b.one(&t)
		b.refuse(&t, res[0].Code)
		return
	}
	b.chaining, b.undo = true, b.undo[:0]
	mark := len(b.out)
	failed, allExist := false, true
	for i := range ts {
		t := ts[i]
		if i == len(ts)-1 && t.Flags&Linked != 0 {
			res[i] = Result{Code: LinkedEventChainOpen, Timestamp: time.Unix(0, b.stamp())}
		} else {
			res[i] = b.one(&t)
		}
		failed = failed || res[i].Code != OK
		allExist = allExist && res[i].Code == Exists
	}
	if failed && !allExist {
		for i := len(b.undo) - 1; i >= 0; i-- {
			b.undo[i]()
		}
		b.out = b.out[:mark]
		for i := range ts {
			if res[i].Code == OK {
				res[i].Code = LinkedEventFailed
			}
		}
		for i := range ts {
			t := ts[i]
			b.normalize(&t)
			// A retry answers with the recorded time: when it was refused.
			t.Timestamp = res[i].Timestamp
			b.refuse(&t, res[i].Code)
		}
	}
	b.chaining = false
}

// refuse keeps a refusal so the same id gets the same answer later.
func (b *batch) refuse(t *Transfer, c Code) {
	switch c {
	case OK, Exists, ExistsWithDifferentFields, IDMustNotBeZero:
		return
	}
	if _, seen := b.lookup(t.ID); seen {
		return
	}
	r := Recorded{Transfer: *t, Code: c}
	b.refused = append(b.refused, r)
	b.recorded[t.ID] = r
}

func (b *batch) lookup(id ID) (Recorded, bool) {
	if r, ok := b.recorded[id]; ok {
		return r, true
	}
	r, ok := b.loaded.Recorded[id]
	return r, ok
}

// normalize fills a post or void from its pending transfer, so a retry that
// names only the pending id compares equal to what was recorded.
func (b *batch) normalize(t *Transfer) {
	if t.Flags&(PostPending|VoidPending) == 0 {
		return
	}
	p, ok := b.pendings[t.PendingID]
	if !ok || p.Flags&Pending == 0 {
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

// one validates and applies a single transfer.
func (b *batch) one(t *Transfer) Result {
	ts := b.stamp()
	res := func(c Code) Result { return Result{Code: c, Timestamp: time.Unix(0, ts)} }
	if t.ID.IsZero() {
		return res(IDMustNotBeZero)
	}
	raw := *t
	b.normalize(t)
	if r, ok := b.lookup(t.ID); ok {
		// A post or void refused before its hold existed was recorded as
		// sent, not filled in: the same request must still match it.
		if !sameFields(&r.Transfer, t) && !sameFields(&r.Transfer, &raw) {
			return res(ExistsWithDifferentFields)
		}
		if r.Code == OK {
			return Result{Code: Exists, Timestamp: r.Transfer.Timestamp, Amount: r.Transfer.Amount}
		}
		return Result{Code: r.Code, Timestamp: r.Transfer.Timestamp}
	}
	t.Timestamp = time.Unix(0, ts)
	if c := b.validate(t, ts); c != OK {
		return res(c)
	}
	r := res(b.apply(t))
	if r.Code == OK {
		r.Amount = t.Amount
	}
	return r
}

const kindFlags = Pending | PostPending | VoidPending

func (b *batch) validate(t *Transfer, ts int64) Code {
	kind := t.Flags & kindFlags
	if t.Flags&^(Linked|kindFlags|BalancingDebit) != 0 || (kind != 0 && kind&(kind-1) != 0) || t.Timeout < 0 {
		return InvalidFlags
	}
	if t.Flags&BalancingDebit != 0 && kind != 0 {
		return InvalidFlags
	}
	if len(t.Metadata) > MaxMetadata {
		return MetadataTooLong
	}
	if t.Timeout != 0 && kind != Pending {
		return TimeoutRequiresPending
	}
	if kind == PostPending || kind == VoidPending {
		p, ok := b.pendings[t.PendingID]
		if !ok || p.Flags&Pending == 0 || t.PendingID.IsZero() {
			return PendingNotFound
		}
		if t.DebitAccountID != p.DebitAccountID || t.CreditAccountID != p.CreditAccountID ||
			t.Currency != p.Currency {
			return PendingFieldsMismatch
		}
		if _, done := b.resolved[t.PendingID]; done {
			return PendingAlreadyResolved
		}
		if _, done := b.loaded.Resolved[t.PendingID]; done {
			return PendingAlreadyResolved
		}
		if t.Amount > p.Amount || t.Amount <= 0 || (kind == VoidPending && t.Amount != p.Amount) {
			return PendingAmountExceeded
		}
		if kind == PostPending && p.Timeout > 0 && ts >= p.Timestamp.Add(p.Timeout).UnixNano() {
			return PendingExpired
		}
	} else if !t.PendingID.IsZero() {
		return InvalidFlags
	}
	if t.Amount <= 0 {
		return AmountMustBePositive
	}
	if t.DebitAccountID == t.CreditAccountID {
		return AccountsMustBeDifferent
	}
	dr, cr := b.loaded.Accounts[t.DebitAccountID], b.loaded.Accounts[t.CreditAccountID]
	if dr == nil || cr == nil {
		return AccountNotFound
	}
	if t.Currency != dr.Currency || t.Currency != cr.Currency {
		return CurrencyMismatch
	}
	return OK
}

// apply moves the balances of a validated transfer, refusing it when a
// balance constraint or int64 would break.
func (b *batch) apply(t *Transfer) Code {
	dr, cr := b.loaded.Accounts[t.DebitAccountID], b.loaded.Accounts[t.CreditAccountID]
	if t.Flags&BalancingDebit != 0 {
		if dr.Flags&DebitsMustNotExceedCredits == 0 {
			return InvalidFlags
		}
		avail := dr.CreditsPosted - dr.DebitsPosted - dr.DebitsPending
		if avail <= 0 {
			return InsufficientFunds
		}
		t.Amount = min(t.Amount, avail)
	}
	d, c := *dr, *cr
	var ok bool
	switch t.Flags & kindFlags {
	case Pending:
		ok = add(&d.DebitsPending, t.Amount) && add(&c.CreditsPending, t.Amount)
	case 0:
		ok = add(&d.DebitsPosted, t.Amount) && add(&c.CreditsPosted, t.Amount)
	case PostPending:
		p := b.pendings[t.PendingID]
		ok = add(&d.DebitsPending, -p.Amount) && add(&c.CreditsPending, -p.Amount) &&
			add(&d.DebitsPosted, t.Amount) && add(&c.CreditsPosted, t.Amount)
	case VoidPending:
		p := b.pendings[t.PendingID]
		ok = add(&d.DebitsPending, -p.Amount) && add(&c.CreditsPending, -p.Amount)
	}
	if !ok {
		return Overflow
	}
	// Posting or voiding a hold never raises a total, so only new
	// movements are checked against the constraints.
	grows := t.Flags&(PostPending|VoidPending) == 0
	if grows && d.Flags&DebitsMustNotExceedCredits != 0 {
		total := d.DebitsPending
		if !add(&total, d.DebitsPosted) {
			return Overflow
		}
		if total > d.CreditsPosted {
			return InsufficientFunds
		}
	}
	if grows && c.Flags&CreditsMustNotExceedDebits != 0 {
		total := c.CreditsPending
		if !add(&total, c.CreditsPosted) {
			return Overflow
		}
		if total > c.DebitsPosted {
			return ExceedsDebits
		}
	}

	if b.chaining {
		prevD, prevC := *dr, *cr
		b.undo = append(b.undo, func() { *dr, *cr = prevD, prevC })
	}
	*dr, *cr = d, c
	b.touched[dr.ID], b.touched[cr.ID] = dr, cr
	b.out = append(b.out, *t)
	b.record(t.ID, Recorded{Transfer: *t, Code: OK})
	switch t.Flags & kindFlags {
	case Pending:
		b.setPending(t.ID, *t)
	case PostPending, VoidPending:
		b.setResolved(t.PendingID, t.Flags&kindFlags)
	}
	return OK
}

func (b *batch) record(id ID, r Recorded) {
	prev, had := b.recorded[id]
	b.recorded[id] = r
	if b.chaining {
		b.undo = append(b.undo, func() {
			if had {
				b.recorded[id] = prev
			} else {
				delete(b.recorded, id)
			}
		})
	}
}

func (b *batch) setPending(id ID, t Transfer) {
	b.pendings[id] = t
	if b.chaining {
		b.undo = append(b.undo, func() { delete(b.pendings, id) })
	}
}

func (b *batch) setResolved(id ID, how TransferFlags) {
	b.resolved[id] = how
	if b.chaining {
		b.undo = append(b.undo, func() { delete(b.resolved, id) })
	}
}

// add adds n to *v unless that overflows or leaves it negative.
func add(v *int64, n int64) bool {
	if (n > 0 && *v > math.MaxInt64-n) || (n < 0 && *v < math.MinInt64-n) {
		return false
	}
	*v += n
	return *v >= 0
}

// ExpireJob is the job kind that voids a pending transfer at its timeout.
const ExpireJob = "ledger.expire_pending"

type expireArgs struct {
	PendingID ID `json:"pending_id"`
}

// writes turns the batch into what the store records.
func (b *batch) writes() *Writes {
	w := &Writes{Transfers: b.out, Refused: b.refused}
	for _, a := range b.touched {
		w.Accounts = append(w.Accounts, a)
	}
	for i := range b.out {
		t := &b.out[i]
		if t.Flags&Pending != 0 && t.Timeout > 0 {
			args, _ := json.Marshal(expireArgs{PendingID: t.ID})
			w.Jobs = append(w.Jobs, jobs.Job{
				Kind:      ExpireJob,
				Args:      args,
				RunAt:     t.Timestamp.Add(t.Timeout),
				UniqueKey: ExpireJob + ":" + t.ID.String(),
			})
		}
	}
	return w
}

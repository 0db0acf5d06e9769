package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// Environment of a TestTwoNodesChild process.
const (
	envTwoNodesChild = "OKPAY_TWONODES_CHILD" // the node's index, 0 or 1
	envSharedBase    = "OKPAY_TWONODES_BASE"  // the id the shared transfers' ids derive from
)

const (
	nodeWorkers = 16
	nodeShared  = 128 // transfers both nodes submit, with the same ids and fields
	nodePrivate = 24  // random submissions of each worker of each node
	nodeFunding = 4000
)

// TestTwoNodes runs two ledger processes on one PostgreSQL schema, both
// submitting between the same few accounts, some of the same transfers, and
// conflicting resolutions of the same holds. One process must never undo
// or repeat what the other did.
func TestTwoNodes(t *testing.T) {
	sqltest.PostgresURL(t, "ledger") // skips, loudly, without PostgreSQL
	tg := sqltest.New(t, sqlstore.Postgres, "ledger")
	db := sqltest.Open(t, tg, time.Now)
	e := newEnvOn(t, db, db.Ledger(), clock.NewSettable(time.Now()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	base := ledger.NewID()
	var nodes [2]*child
	var logs [2]*childLog
	ready := make(chan struct{}, 2)
	var wg sync.WaitGroup
	readErrs := make([]error, 2)
	for i := range nodes {
		nodes[i] = startChild(t, ctx, "^TestTwoNodesChild$", append(targetEnv(tg),
			envTwoNodesChild+"="+strconv.Itoa(i), envSharedBase+"="+hexID(base),
			envSeed+"="+strconv.Itoa(100+i))...)
		logs[i] = newChildLog()
		wg.Go(func() {
			signalled := false
			readErrs[i] = nodes[i].read(logs[i], func() {
				if logs[i].ready && !signalled {
					signalled = true
					ready <- struct{}{}
				}
			})
			if !signalled {
				ready <- struct{}{}
			}
		})
	}
	// Start both at once, so that they race from their first account.
	<-ready
	<-ready
	for _, n := range nodes {
		fmt.Fprintln(n.stdin, "go")
		n.stdin.Close()
	}
	wg.Wait()
	for i, n := range nodes {
		if st := n.wait(); !st.Success() || !logs[i].done || readErrs[i] != nil || len(logs[i].errs) > 0 {
			errs := logs[i].errs[:min(3, len(logs[i].errs))]
			n.fail(t, logs[i], fmt.Sprintf("node %d: ended with %v, finished %t, output error %v, %d failed submits, the first: %q",
				i, st, logs[i].done, readErrs[i], len(logs[i].errs), errs))
		}
		t.Logf("node %d sent %d transfers: %d answered ok, %d otherwise", i, len(logs[i].sent), len(logs[i].ok), len(logs[i].res))
	}

	a := mustAccountSet(t, context.Background(), e.l) // the accounts the nodes made
	e.checkTwoNodes(t, base, a, logs)
}

// answer is what a node was told about a transfer.
type answer struct {
	sent bool
	code ledger.Code
}

func (e *env) checkTwoNodes(t *testing.T, base ledger.ID, a accountSet, logs [2]*childLog) {
	t.Helper()
	ctx := context.Background()
	answers := map[ledger.ID][2]answer{}
	all := map[ledger.ID]ledger.Transfer{}
	for n, log := range logs {
		for id, tr := range log.sent {
			all[id] = tr
			as := answers[id]
			c, refused := log.res[id]
			if !log.ok[id] && !refused {
				t.Fatalf("node %d finished without an answer for %s", n, id)
			}
			as[n] = answer{sent: true, code: c} // OK is the zero Code
			answers[id] = as
		}
	}

	// The journal holds exactly the transfers some node was told are
	// done, each once, and none that was refused.
	done := map[ledger.ID]bool{}
	both, bothDone, okOn := 0, 0, [2]int{}
	for id, as := range answers {
		if as[0].sent && as[1].sent {
			both++
			oks := 0
			for _, x := range as {
				if x.code == ledger.OK {
					oks++
				}
			}
			if as[0].code.Done() {
				bothDone++
			}
			for n, x := range as {
				if x.code == ledger.OK {
					okOn[n]++
				}
			}
			switch {
			case as[0].code.Done() || as[1].code.Done():
				if oks != 1 || !as[0].code.Done() || !as[1].code.Done() {
					t.Errorf("transfer %s sent by both nodes was answered %v and %v, want one ok and one exists", id, as[0].code, as[1].code)
				}
			case as[0].code != as[1].code:
				t.Errorf("transfer %s sent by both nodes was refused with %v and %v", id, as[0].code, as[1].code)
			}
		}
		for _, x := range as {
			if x.sent && x.code.Done() {
				done[id] = true
			}
		}
	}
	if both < nodeShared || bothDone < nodeShared/2 {
		t.Errorf("%d transfers were sent by both nodes and %d of them done; want at least %d and %d", both, bothDone, nodeShared, nodeShared/2)
	}
	t.Logf("%d transfers sent by both nodes: %d done (ok on node 0: %d, on node 1: %d), %d refused alike",
		both, bothDone, okOn[0], okOn[1], both-bothDone)
	rows, err := e.db.Read().Query(ctx, "SELECT id, count(*) FROM ledger_transfers GROUP BY id")
	if err != nil {
		t.Fatal(err)
	}
	journal := map[ledger.ID]bool{}
	for rows.Next() {
		var b []byte
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			t.Fatal(err)
		}
		var id ledger.ID
		copy(id[:], b)
		journal[id] = true
		if n != 1 {
			t.Errorf("transfer %s is in ledger_transfers %d times", id, n)
		}
		if !done[id] {
			t.Errorf("transfer %s is in the journal but no node was told it is done", id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for id := range done {
		if !journal[id] {
			t.Errorf("transfer %s was answered done but is not in the journal", id)
		}
	}
	for id := range answers {
		if !done[id] && e.countRows(t, "ledger_rejections", id) != 1 {
			t.Errorf("transfer %s was refused but its refusal is not recorded once", id)
		}
	}

	// A hold one node posts while the other voids it is resolved once.
	var raced, posted int
	for i := 0; i < nodeShared; i++ {
		hold := ledger.DeriveID(base, fmt.Sprintf("shared/%d", i))
		if !journal[hold] || all[hold].Flags&ledger.Pending == 0 {
			continue
		}
		post, void := answers[ledger.DeriveID(hold, "post")], answers[ledger.DeriveID(hold, "void")]
		if !void[1].sent {
			continue // both posted the same: checked above
		}
		raced++
		if post[0].code == ledger.OK {
			posted++
		}
		if (post[0].code == ledger.OK) == (void[1].code == ledger.OK) ||
			(post[0].code != ledger.PendingAlreadyResolved && void[1].code != ledger.PendingAlreadyResolved) {
			t.Errorf("hold %s: post answered %v, void answered %v; want one ok, the other pending_already_resolved", hold, post[0].code, void[1].code)
		}
	}
	if raced == 0 {
		t.Errorf("no hold was posted by one node while voided by the other")
	}
	t.Logf("%d holds posted by one node while voided by the other: the post won %d times", raced, posted)

	// Money is conserved: what the wallets hold is what the bank paid in.
	var deposited int64
	for id := range done {
		if tr := all[id]; tr.DebitAccountID == a.bank && tr.Flags&ledger.Pending == 0 {
			deposited += tr.Amount
		}
	}
	var held int64
	for _, id := range append([]int64{a.hot}, a.wallets...) {
		w := e.balance(t, id)
		held += w.Balance()
		if w.Balance() < 0 || w.Available() < 0 {
			t.Errorf("wallet %s is overdrawn: balance %d, available %d", w.Ref, w.Balance(), w.Available())
		}
	}
	if bank := e.balance(t, a.bank); held != deposited || bank.Balance() != -deposited {
		t.Errorf("wallets hold %d and the bank's balance is %d, but %d was deposited", held, bank.Balance(), deposited)
	}
	mustVerify(t, e.db.Ledger())
}

// sharedOp is a transfer both nodes submit. A hold is then resolved: both
// nodes post it with the same transfer, or (race) node 0 posts it while
// node 1 voids it.
type sharedOp struct {
	tr   ledger.Transfer
	race bool
}

// sharedOps are the same on both nodes.
func (a accountSet) sharedOps(base ledger.ID) []sharedOp {
	r := rand.New(rand.NewPCG(7, 7))
	ops := make([]sharedOp, nodeShared)
	for i := range ops {
		x := a.wallets[r.IntN(len(a.wallets))]
		y := a.wallets[(slices.Index(a.wallets, x)+1+r.IntN(len(a.wallets)-1))%len(a.wallets)]
		tr := ledger.Transfer{ID: ledger.DeriveID(base, fmt.Sprintf("shared/%d", i)), Currency: "USD", Amount: 1 + r.Int64N(300)}
		switch i % 4 {
		case 0:
			tr.DebitAccountID, tr.CreditAccountID, tr.Code, tr.Amount = a.bank, x, codeDeposit, 100+r.Int64N(500)
		case 1:
			tr.DebitAccountID, tr.CreditAccountID, tr.Code = x, a.hot, codePayment
		case 2:
			tr.DebitAccountID, tr.CreditAccountID, tr.Code = x, y, codePayment
		case 3:
			tr.DebitAccountID, tr.CreditAccountID, tr.Code = x, a.hot, codeHold
			tr.Flags, tr.Timeout = ledger.Pending, time.Hour
		}
		ops[i] = sharedOp{tr: tr, race: i%8 == 3}
	}
	return ops
}

// TestTwoNodesChild is one node of TestTwoNodes; run alone it does
// nothing.
func TestTwoNodesChild(t *testing.T) {
	node := os.Getenv(envTwoNodesChild)
	if node == "" {
		return
	}
	base, err := ledger.ParseID(os.Getenv(envSharedBase))
	if err != nil {
		t.Fatalf("%s: %v", envSharedBase, err)
	}
	seed := childSeed(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, childTarget().Options(time.Now))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	l := ledger.New(db.Ledger(), ledger.Options{})
	defer l.Close()
	out := &lineWriter{w: os.Stdout}
	out.printf("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("wait for go: %v", err)
	}

	a := mustAccountSet(t, ctx, l) // both nodes at once: idempotent by ref
	if _, err := submitLogged(ctx, l, out, a.funding(nodeFunding)); err != nil {
		t.Fatalf("fund wallets: %v", err)
	}
	shared := a.sharedOps(base)
	var wg sync.WaitGroup
	for g := range nodeWorkers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			mine := []sharedOp{}
			for i := g; i < len(shared); i += nodeWorkers {
				mine = append(mine, shared[i])
			}
			for i := range nodePrivate {
				a.randomOp(ctx, l, out, r)
				if i%3 == 0 && len(mine) > 0 {
					submitShared(ctx, l, out, node, mine[0])
					mine = mine[1:]
				}
			}
			for _, op := range mine {
				submitShared(ctx, l, out, node, op)
			}
		})
	}
	wg.Wait()
	out.printf("done")
}

func submitShared(ctx context.Context, l *ledger.Ledger, out *lineWriter, node string, op sharedOp) {
	res, err := submitLogged(ctx, l, out, []ledger.Transfer{op.tr})
	if err != nil || op.tr.Flags&ledger.Pending == 0 || !res[0].Code.Done() {
		return
	}
	hold := op.tr
	post := ledger.Transfer{ID: ledger.DeriveID(hold.ID, "post"), DebitAccountID: hold.DebitAccountID,
		CreditAccountID: hold.CreditAccountID, Amount: hold.Amount / 2, Currency: hold.Currency,
		Code: hold.Code, Flags: ledger.PostPending, PendingID: hold.ID}
	if post.Amount == 0 {
		post.Amount = hold.Amount
	}
	if op.race && node == "1" {
		post = ledger.Transfer{ID: ledger.DeriveID(hold.ID, "void"), Flags: ledger.VoidPending, PendingID: hold.ID}
	}
	submitLogged(ctx, l, out, []ledger.Transfer{post})
}

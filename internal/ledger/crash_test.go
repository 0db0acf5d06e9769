package ledger_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// The crash and two-node tests re-execute this test binary as child
// processes that run a ledger under load. A child reports on stdout, one
// write per line, so that a child killed mid-way leaves whole lines or none:
//
//	sent <id> <group> <i> <n> <transfer as JSON>  before the Submit of a group of n
//	ok <id>                                        the caller was answered OK
//	res <id> <code>                                the caller was answered another code
//	err <group> <error>                            Submit returned an error
//	kill <point> <n>                               about to SIGKILL itself
//	ready, done                                    set up; finished its work
//
// A group is one Submit call; a transfer is only submitted once all of its
// group's sent lines are out, so a group missing lines was never submitted.

// Environment of a child process.
const (
	envCrashChild = "OKPAY_CRASH_CHILD" // the kill point
	envCrashAt    = "OKPAY_CRASH_AT"    // kill at the n-th time the point is reached
	envEngine     = "OKPAY_CHILD_ENGINE"
	envURL        = "OKPAY_CHILD_URL"
	envSchema     = "OKPAY_CHILD_SCHEMA"
	envDataDir    = "OKPAY_CHILD_DATADIR"
	envSeed       = "OKPAY_CHILD_SEED"
)

// crashRuns are the child runs of TestCrash, in order, on one database:
// each point at least twice, killed at its at-th occurrence.
var crashRuns = []struct {
	point string
	at    int
}{
	{"loaded", 3}, {"written", 4}, {"committed", 5},
	{"loaded", 9}, {"written", 7}, {"committed", 10},
	{"committed", 3}, {"loaded", 6}, {"written", 10},
}

const (
	crashWorkers = 24  // goroutines submitting in a child
	crashOps     = 150 // submissions per goroutine, far more than a child lives for
)

// TestCrash kills a loaded ledger process at each of the committer's fixed
// points and checks, after each death, that every answered transfer is
// exactly as its caller was told, that retrying any id sent can never move
// money twice, and that the ledger still balances.
func TestCrash(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqlstore.Engine) {
		tg := sqltest.New(t, eng, "ledger")
		db := sqltest.Open(t, tg, time.Now)
		e := newEnvOn(t, db, db.Ledger(), clock.NewSettable(time.Now()))
		var all []sentGroup
		outcome := map[ledger.ID]ledger.Code{} // what a retry answers from now on
		for i, run := range crashRuns {
			name := fmt.Sprintf("%d_%s_%d", i, run.point, run.at)
			ok := t.Run(name, func(t *testing.T) {
				log := runCrashChild(t, tg, run.point, run.at, uint64(i+1))
				e.checkCrash(t, run.point, log, outcome)
				all = append(all, log.groups...)
			})
			if !ok {
				return
			}
		}
		// Every id ever sent has now been retried at least once, so no
		// retry may move money again.
		res := e.resubmit(t, all)
		bad := 0
		for gi, g := range all {
			for i, tr := range g.ts {
				if got, want := res[gi][i].Code, outcome[tr.ID]; got != want && bad < 10 {
					bad++
					t.Errorf("final retry of %s: got %v, want %v", tr.ID, got, want)
				}
			}
		}
		if len(all) < 100 {
			t.Errorf("the children sent %d groups in all; the test meant to load the ledger", len(all))
		}
	})
}

// runCrashChild runs one child to its death at point and returns what it
// said.
func runCrashChild(t *testing.T, tg sqltest.Target, point string, at int, seed uint64) *childLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	c := startChild(t, ctx, "^TestCrashChild$", append(targetEnv(tg),
		envCrashChild+"="+point, envCrashAt+"="+strconv.Itoa(at), envSeed+"="+strconv.FormatUint(seed, 10))...)
	c.stdin.Close()
	log := newChildLog()
	if err := c.read(log, nil); err != nil {
		t.Errorf("child output: %v", err)
	}
	st := c.wait()
	ws, _ := st.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		c.fail(t, log, fmt.Sprintf("child ended with %v, want death by SIGKILL at %q", st, point))
	}
	if want := fmt.Sprintf("%s %d", point, at); log.kill != want {
		c.fail(t, log, fmt.Sprintf("child's kill line is %q, want %q", log.kill, want))
	}
	t.Logf("child killed at %s #%d after %v and %d groups sent: %d transfers answered ok, %d otherwise, %d unanswered",
		point, at, time.Since(start).Round(time.Millisecond), len(log.groups), len(log.ok), len(log.res), log.unanswered())
	return log
}

// checkCrash checks the database after a child's death and retries every
// group it sent, recording in outcome what each id answers from now on.
func (e *env) checkCrash(t *testing.T, point string, log *childLog, outcome map[ledger.ID]ledger.Code) {
	t.Helper()
	ctx := context.Background()
	if len(log.errs) > 0 {
		t.Errorf("child's Submit failed: %v", log.errs)
	}

	// What the killed process left behind, before anything is retried.
	type state struct {
		rows    int // in the journal
		refused bool
		refusal ledger.Code
	}
	before := map[ledger.ID]state{}
	lost := 0 // unanswered, yet committed
	for _, g := range log.groups {
		for _, tr := range g.ts {
			var s state
			s.rows = e.countRows(t, "ledger_transfers", tr.ID)
			s.refusal, s.refused = e.refusal(t, tr.ID)
			before[tr.ID] = s
			if !log.answered(tr.ID) && (s.rows > 0 || s.refused) {
				lost++
			}
		}
	}
	// Killed after the commit, the last batch is in the database though
	// none of its callers heard of it.
	if point == "committed" && lost == 0 {
		t.Errorf("killed after a commit, yet no unanswered transfer is in the database")
	}

	// (a) Every transfer answered OK is in the journal exactly once, as
	// sent; every refusal answered was recorded and moved nothing.
	for id := range log.ok {
		sent := log.sent[id]
		got, err := e.l.Transfer(ctx, id)
		if err != nil {
			t.Errorf("transfer %s was answered ok but: %v", id, err)
		} else if !sameAsSent(sent, got) {
			t.Errorf("transfer %s was answered ok but the journal holds %+v, sent %+v", id, got, sent)
		}
		if n := before[id].rows; n != 1 {
			t.Errorf("transfer %s was answered ok and is in ledger_transfers %d times, want 1", id, n)
		}
	}
	for id, c := range log.res {
		s := before[id]
		if c == ledger.Exists {
			if s.rows != 1 {
				t.Errorf("transfer %s was answered exists and is in ledger_transfers %d times, want 1", id, s.rows)
			}
			continue
		}
		if s.rows != 0 {
			t.Errorf("transfer %s was refused (%v) but is in ledger_transfers %d times", id, c, s.rows)
		}
		if !s.refused {
			t.Errorf("transfer %s was refused (%v) but no refusal is recorded", id, c)
		} else if s.refusal != c {
			t.Errorf("transfer %s was refused (%v) but the refusal recorded is %v", id, c, s.refusal)
		}
	}

	// (b) Retrying every group sent answers what its callers were told:
	// Exists for OK, the same refusal for a refusal. Ids the crash left
	// unanswered answer what the crash left in the database, or, when it
	// left nothing, get committed or refused now, for the first time.
	res := e.resubmit(t, log.groups)
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for gi, g := range log.groups {
		for i, tr := range g.ts {
			got, s := res[gi][i].Code, before[tr.ID]
			switch c, refused := log.res[tr.ID]; {
			case log.ok[tr.ID]:
				if got != ledger.Exists {
					report("retry of %s (answered ok): got %v, want exists", tr.ID, got)
				}
			case refused:
				if got != c {
					report("retry of %s (answered %v): got %v", tr.ID, c, got)
				}
			case s.rows > 0:
				if got != ledger.Exists {
					report("retry of %s (unanswered, in the journal): got %v, want exists", tr.ID, got)
				}
			case s.refused:
				if got != s.refusal {
					report("retry of %s (unanswered, refused with %v): got %v", tr.ID, s.refusal, got)
				}
			default:
				if got == ledger.Exists || got == ledger.ExistsWithDifferentFields {
					report("retry of %s (unanswered, nowhere in the database): got %v", tr.ID, got)
				}
			}
			if got == ledger.OK {
				got = ledger.Exists
			}
			outcome[tr.ID] = got
		}
	}

	// (c) The journal still reproduces every balance.
	mustVerify(t, e.db.Ledger())
}

// countRows counts the rows of table with the id, straight from the
// database.
func (e *env) countRows(t testing.TB, table string, id ledger.ID) int {
	t.Helper()
	var n int
	if err := e.db.Read().QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE id = $1", id[:]).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// refusal returns the refusal recorded for id, if any.
func (e *env) refusal(t testing.TB, id ledger.ID) (ledger.Code, bool) {
	t.Helper()
	var c int64
	err := e.db.Read().QueryRow(context.Background(), "SELECT result FROM ledger_rejections WHERE id = $1", id[:]).Scan(&c)
	if errors.Is(err, sqlstore.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("read refusal: %v", err)
	}
	return ledger.Code(c), true
}

// resubmit submits every group again, exactly as sent, from many
// goroutines so that the retries share batches, and returns the results in
// the order of groups.
func (e *env) resubmit(t testing.TB, groups []sentGroup) [][]ledger.Result {
	t.Helper()
	out := make([][]ledger.Result, len(groups))
	errs := make([]error, len(groups))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = e.l.Submit(context.Background(), groups[i].ts)
			}
		})
	}
	for i := range groups {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("resubmit: %v", err)
	}
	return out
}

// sameAsSent reports whether stored is the transfer sent, allowing the
// fields a post or void may leave to its pending transfer.
func sameAsSent(sent, stored ledger.Transfer) bool {
	resolves := sent.Flags&(ledger.PostPending|ledger.VoidPending) != 0
	same := func(a, b int64) bool { return a == b || (resolves && a == 0) }
	return sent.ID == stored.ID && sent.Flags == stored.Flags && sent.PendingID == stored.PendingID &&
		sent.Timeout == stored.Timeout && sent.Metadata == stored.Metadata &&
		same(sent.DebitAccountID, stored.DebitAccountID) && same(sent.CreditAccountID, stored.CreditAccountID) &&
		same(sent.Amount, stored.Amount) && same(int64(sent.Code), int64(stored.Code)) &&
		(sent.Currency == stored.Currency || (resolves && sent.Currency == ""))
}

// TestCrashChild is the child process of TestCrash; run alone it does
// nothing. It loads the ledger until the Hook kills it at the point.
func TestCrashChild(t *testing.T) {
	point := os.Getenv(envCrashChild)
	if point == "" {
		return
	}
	at, err := strconv.Atoi(os.Getenv(envCrashAt))
	if err != nil || at <= 0 {
		t.Fatalf("%s: %q", envCrashAt, os.Getenv(envCrashAt))
	}
	seed := childSeed(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, childTarget().Options(time.Now))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	out := &lineWriter{w: os.Stdout}
	var armed atomic.Bool
	var hits atomic.Int64
	l := ledger.New(db.Ledger(), ledger.Options{Hook: func(p string) {
		if p == point && armed.Load() && hits.Add(1) == int64(at) {
			// Give any caller answered too early the time to say so.
			time.Sleep(50 * time.Millisecond)
			out.printf("kill %s %d", p, at)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never return into the batch
		}
	}})
	a := mustAccountSet(t, ctx, l)
	if _, err := submitLogged(ctx, l, out, a.funding(5000)); err != nil {
		t.Fatalf("fund wallets: %v", err)
	}
	armed.Store(true)
	var wg sync.WaitGroup
	for g := range crashWorkers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			for range crashOps {
				a.randomOp(ctx, l, out, r)
			}
		})
	}
	wg.Wait()
	// Alive here means the point was never reached: the parent fails.
	out.printf("done")
}

// accountSet is the fixed set of accounts the children load: an
// unconstrained bank that funds constrained wallets, and one hot wallet
// that many transfers credit.
type accountSet struct {
	bank, hot int64
	wallets   []int64
}

const numWallets = 5

func mustAccountSet(t testing.TB, ctx context.Context, l *ledger.Ledger) accountSet {
	t.Helper()
	create := func(ref string, flags ledger.AccountFlags) int64 {
		a, err := l.CreateAccount(ctx, ledger.Account{Ref: ref, Currency: "USD", Flags: flags})
		if err != nil {
			t.Fatalf("create account %s: %v", ref, err)
		}
		return a.ID
	}
	a := accountSet{bank: create("bank:USD", 0), hot: create("wallet:hot:USD", wallet)}
	for i := range numWallets {
		a.wallets = append(a.wallets, create(fmt.Sprintf("wallet:%d:USD", i), wallet))
	}
	return a
}

// Transfer codes of the load.
const (
	codeDeposit = 1 + iota
	codePayment
	codeRefund
	codeFee
	codeHold
)

// funding deposits amount from the bank into every wallet.
func (a accountSet) funding(amount int64) []ledger.Transfer {
	var ts []ledger.Transfer
	for _, w := range a.wallets {
		ts = append(ts, ledger.Transfer{ID: ledger.NewID(), DebitAccountID: a.bank, CreditAccountID: w,
			Amount: amount, Currency: "USD", Code: codeDeposit})
	}
	return ts
}

// randomOp submits one random piece of load: deposits, payments between
// wallets and into the hot wallet, refunds out of it, overdrafts, linked
// pairs, and holds that are then posted or voided.
func (a accountSet) randomOp(ctx context.Context, l *ledger.Ledger, out *lineWriter, r *rand.Rand) {
	pick := func() int64 { return a.wallets[r.IntN(len(a.wallets))] }
	other := func(x int64) int64 {
		for {
			if y := pick(); y != x {
				return y
			}
		}
	}
	move := func(dr, cr, amount int64, code uint16) ledger.Transfer {
		return ledger.Transfer{ID: ledger.NewID(), DebitAccountID: dr, CreditAccountID: cr,
			Amount: amount, Currency: "USD", Code: code}
	}
	amount := func(n int) int64 { return 1 + r.Int64N(int64(n)) }
	x := pick()
	var ts []ledger.Transfer
	switch p := r.IntN(100); {
	case p < 12:
		ts = append(ts, move(a.bank, x, 100+amount(900), codeDeposit))
	case p < 42:
		ts = append(ts, move(x, a.hot, amount(300), codePayment))
	case p < 57:
		ts = append(ts, move(x, other(x), amount(500), codePayment))
	case p < 62:
		ts = append(ts, move(x, other(x), 1_000_000+amount(1000), codePayment)) // overdraft
	case p < 70:
		ts = append(ts, move(a.hot, x, amount(200), codeRefund))
	case p < 85:
		// A payment and its fee, together or not at all; a quarter of
		// them overdraw.
		pay := move(x, other(x), amount(400), codePayment)
		if r.IntN(4) == 0 {
			pay.Amount += 1_000_000
		}
		pay.Flags = ledger.Linked
		ts = append(ts, pay, move(pay.CreditAccountID, a.hot, amount(50), codeFee))
	default:
		hold := move(x, a.hot, amount(300), codeHold)
		hold.Flags = ledger.Pending
		res, err := submitLogged(ctx, l, out, []ledger.Transfer{hold})
		if err != nil || res[0].Code != ledger.OK {
			return
		}
		if r.IntN(2) == 0 {
			post := hold
			post.ID, post.Flags, post.PendingID, post.Amount = ledger.DeriveID(hold.ID, "post"), ledger.PostPending, hold.ID, amount(int(hold.Amount))
			ts = append(ts, post)
		} else {
			// A void that names only the hold: the ledger fills in the rest.
			ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(hold.ID, "void"), Flags: ledger.VoidPending, PendingID: hold.ID})
		}
	}
	submitLogged(ctx, l, out, ts)
}

// submitLogged submits ts as one group, saying so on out before and after.
func submitLogged(ctx context.Context, l *ledger.Ledger, out *lineWriter, ts []ledger.Transfer) ([]ledger.Result, error) {
	group := hexID(ts[0].ID)
	for i, tr := range ts {
		b, err := json.Marshal(tr)
		if err != nil {
			panic(err)
		}
		out.printf("sent %s %s %d %d %s", hexID(tr.ID), group, i, len(ts), b)
	}
	res, err := l.Submit(ctx, ts)
	if err != nil {
		out.printf("err %s %s", group, strings.ReplaceAll(err.Error(), "\n", " "))
		return nil, err
	}
	for i, r := range res {
		if r.Code == ledger.OK {
			out.printf("ok %s", hexID(ts[i].ID))
		} else {
			out.printf("res %s %s", hexID(ts[i].ID), r.Code)
		}
	}
	return res, nil
}

func hexID(id ledger.ID) string { return hex.EncodeToString(id[:]) }

// lineWriter writes whole lines, each in one write.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (lw *lineWriter) printf(format string, args ...any) {
	b := fmt.Appendf(nil, format+"\n", args...)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.w.Write(b)
}

// sentGroup is one Submit call of a child.
type sentGroup struct {
	ts []ledger.Transfer
}

// childLog is what a child said.
type childLog struct {
	groups  []sentGroup // complete groups, in the order sent
	sent    map[ledger.ID]ledger.Transfer
	partial map[string][]ledger.Transfer // group -> transfers, while its lines arrive
	ok      map[ledger.ID]bool
	res     map[ledger.ID]ledger.Code
	errs    []string
	kill    string
	ready   bool
	done    bool
	other   []string // anything else, such as the child's test failures
}

func newChildLog() *childLog {
	return &childLog{
		sent:    map[ledger.ID]ledger.Transfer{},
		partial: map[string][]ledger.Transfer{},
		ok:      map[ledger.ID]bool{},
		res:     map[ledger.ID]ledger.Code{},
	}
}

var codeByName = func() map[string]ledger.Code {
	m := map[string]ledger.Code{}
	for c := ledger.Code(0); c.String() != "unknown"; c++ {
		m[c.String()] = c
	}
	return m
}()

// add reads one line.
func (c *childLog) add(line string) error {
	f := strings.SplitN(line, " ", 6)
	id := func(s string) (ledger.ID, error) { return ledger.ParseID(s) }
	switch {
	case f[0] == "sent" && len(f) == 6:
		var tr ledger.Transfer
		if err := json.Unmarshal([]byte(f[5]), &tr); err != nil {
			return fmt.Errorf("%q: %w", line, err)
		}
		i, err1 := strconv.Atoi(f[3])
		n, err2 := strconv.Atoi(f[4])
		if err := errors.Join(err1, err2); err != nil || hexID(tr.ID) != f[1] || i != len(c.partial[f[2]]) {
			return fmt.Errorf("bad line %q", line)
		}
		if _, dup := c.sent[tr.ID]; dup {
			return fmt.Errorf("id %s sent twice", tr.ID)
		}
		c.sent[tr.ID] = tr
		c.partial[f[2]] = append(c.partial[f[2]], tr)
		if len(c.partial[f[2]]) == n {
			c.groups = append(c.groups, sentGroup{ts: c.partial[f[2]]})
			delete(c.partial, f[2])
		}
	case (f[0] == "ok" && len(f) == 2) || (f[0] == "res" && len(f) == 3):
		v, err := id(f[1])
		if err != nil {
			return err
		}
		if _, ok := c.sent[v]; !ok {
			return fmt.Errorf("answer for %s, never sent", v)
		}
		if _, dup := c.res[v]; dup || c.ok[v] {
			return fmt.Errorf("%s answered twice", v)
		}
		if f[0] == "ok" {
			c.ok[v] = true
			break
		}
		code, ok := codeByName[f[2]]
		if !ok {
			return fmt.Errorf("unknown code in %q", line)
		}
		c.res[v] = code
	case f[0] == "err":
		c.errs = append(c.errs, line)
	case f[0] == "kill" && len(f) == 3:
		c.kill = f[1] + " " + f[2]
	case line == "ready":
		c.ready = true
	case line == "done":
		c.done = true
	default:
		c.other = append(c.other, line)
	}
	return nil
}

// answered reports whether id got an answer.
func (c *childLog) answered(id ledger.ID) bool {
	_, refused := c.res[id]
	return c.ok[id] || refused
}

func (c *childLog) unanswered() int { return len(c.sent) - len(c.ok) - len(c.res) }

// child is a running child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.Reader
	stderr *bytes.Buffer
}

// startChild re-executes the test binary to run the tests matching run,
// with env added to this process's environment. When ctx ends the child
// gets SIGQUIT (a stack dump, and never mistaken for the SIGKILL a crash
// child expects).
func startChild(t testing.TB, ctx context.Context, run string, env ...string) *child {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 10 * time.Second
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if c.stdout, err = cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	return c
}

// read feeds every whole line of the child's stdout to log until EOF,
// calling each (when not nil) after each line. A last line cut short by a
// kill is dropped.
func (c *child) read(log *childLog, each func()) error {
	br := bufio.NewReader(c.stdout)
	var errs []error
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if err != io.EOF {
				errs = append(errs, err)
			}
			return errors.Join(errs...)
		}
		if err := log.add(strings.TrimSuffix(line, "\n")); err != nil && len(errs) < 10 {
			errs = append(errs, err)
		}
		if each != nil {
			each()
		}
	}
}

// wait waits for the child to end; read must have reached EOF first.
func (c *child) wait() *os.ProcessState {
	c.cmd.Wait()
	return c.cmd.ProcessState
}

// fail fails the test with what the child said besides its protocol.
func (c *child) fail(t testing.TB, log *childLog, msg string) {
	t.Helper()
	tail := c.stderr.String()
	if len(tail) > 4000 {
		tail = tail[len(tail)-4000:]
	}
	t.Fatalf("%s\nchild stdout (other lines):\n%s\nchild stderr (tail):\n%s", msg, strings.Join(log.other, "\n"), tail)
}

// targetEnv tells a child where the database is.
func targetEnv(tg sqltest.Target) []string {
	return []string{envEngine + "=" + string(tg.Engine), envURL + "=" + tg.URL,
		envSchema + "=" + tg.Schema, envDataDir + "=" + tg.DataDir}
}

// childTarget reads what targetEnv said.
func childTarget() sqltest.Target {
	return sqltest.Target{Engine: sqlstore.Engine(os.Getenv(envEngine)), URL: os.Getenv(envURL),
		Schema: os.Getenv(envSchema), DataDir: os.Getenv(envDataDir)}
}

func childSeed(t testing.TB) uint64 {
	t.Helper()
	seed, err := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", envSeed, err)
	}
	return seed
}

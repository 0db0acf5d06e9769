package main

// End-to-end tests: build the real okpay binary once, run it as a user or an
// operator would, and check what they see — exit status, output, HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/okpay/okpay/internal/audit"
	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/sqlstore"
)

// okpayBin is the binary TestMain builds.
var okpayBin string

// deadline bounds every wait on the child process, so a hung okpay fails
// the test instead of hanging it. It is a safety net, not an assertion.
const deadline = 2 * time.Minute

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "okpay-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	okpayBin = filepath.Join(dir, "okpay")
	if runtime.GOOS == "windows" {
		okpayBin += ".exe"
	}
	args := []string{"build", "-o", okpayBin}
	if raceEnabled {
		args = append(args, "-race") // the child runs under the detector too
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build okpay: %v\n", err)
		return 1
	}
	return m.Run()
}

const testKey = "8f9e6c3a1b2d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789ab"

// childEnv is the test process's environment without any OKPAY_* setting
// (a developer's own must not leak in), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OKPAY_") {
			env = append(env, kv)
		}
	}
	if raceEnabled && os.Getenv("GORACE") == "" {
		// A race-built child otherwise lingers a second at exit.
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

// result is what a finished okpay run showed.
type result struct {
	code           int
	stdout, stderr string
}

// okpay runs the binary to completion.
func okpay(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, okpayBin, args...)
	cmd.Env = childEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.code = ee.ExitCode()
	default:
		t.Fatalf("okpay %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	return r
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// node is a running `okpay serve`.
type node struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:port
	output *lockedBuffer
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

var listeningLine = regexp.MustCompile(`msg="?listening"? addr=(\S+)`)

// startServe starts `okpay serve --http 127.0.0.1:0 <args>` and waits
// for its "listening" log line. The SMTP listener is off unless args
// name one: its default port is fixed, and two nodes (or another program
// on the machine) would fight over it.
func startServe(t *testing.T, env []string, args ...string) *node {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("stopping the server needs SIGTERM")
	}
	if !slices.Contains(args, "--smtp") {
		args = append(args, "--smtp", "off")
	}
	cmd := exec.Command(okpayBin, append([]string{"serve", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = childEnv(env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, cmd: cmd, output: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = n.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start okpay serve: %v", err)
	}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			n.output.Write([]byte(line + "\n"))
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		<-scanned // Wait must follow the last read from the pipe
		n.err = cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			cmd.Process.Kill()
			<-n.exited
		}
	})

	select {
	case a := <-addr:
		n.url = "http://" + a
	case <-n.exited:
		t.Fatalf("okpay serve exited before listening (%v); output:\n%s", n.err, n.output)
	case <-time.After(deadline):
		t.Fatalf("okpay serve did not log a listening address; output:\n%s", n.output)
	}
	return n
}

// stop sends SIGTERM and returns the exit status.
func (n *node) stop() int {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		n.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-n.exited:
	case <-time.After(deadline):
		n.t.Fatalf("okpay serve did not exit after SIGTERM; output:\n%s", n.output)
	}
	var ee *exec.ExitError
	if errors.As(n.err, &ee) {
		return ee.ExitCode()
	}
	if n.err != nil {
		n.t.Fatalf("okpay serve: %v", n.err)
	}
	return 0
}

var client = &http.Client{Timeout: 30 * time.Second}

// get fetches path from the node and returns status and body.
func (n *node) get(path string) (int, string) {
	n.t.Helper()
	resp, err := client.Get(n.url + path)
	if err != nil {
		n.t.Fatalf("GET %s: %v\noutput:\n%s", path, err, n.output)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// eachEngine runs fn once on SQLite and once on a fresh PostgreSQL
// database; env selects the engine.
func eachEngine(t *testing.T, fn func(t *testing.T, env []string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		fn(t, []string{"OKPAY_DATABASE_URL=" + freshPostgres(t)})
	})
}

// freshPostgres creates an empty database okpay_test_cmd_<random>, drops it
// when the test ends, and returns its URL. Without a reachable server the
// test is skipped loudly, or fails under OKPAY_TEST_POSTGRES=require.
func freshPostgres(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("OKPAY_TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("OKPAY_TEST_POSTGRES") == "require" {
			t.Fatalf("PostgreSQL is required (OKPAY_TEST_POSTGRES=require) but unreachable: %v", err)
		}
		t.Skipf("SKIPPING PostgreSQL half of this test: %v (set OKPAY_TEST_DATABASE_URL, or OKPAY_TEST_POSTGRES=require to fail instead)", err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	rand.Read(b)
	name := "okpay_test_cmd_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestServe(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		n := startServe(t, env, "--data", data)

		if code, body := n.get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
			t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", code, body)
		}
		code, body := n.get("/readyz")
		var ready struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal([]byte(body), &ready); err != nil {
			t.Errorf("GET /readyz body %q is not JSON: %v", body, err)
		}
		if code != http.StatusOK || ready.Status != "ok" || ready.Checks["database"] != "ok" {
			t.Errorf("GET /readyz = %d %s, want 200 with status ok and the database ok", code, body)
		}
		if code, body := n.get("/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "okpay_ledger_batch_seconds") {
			t.Errorf("GET /metrics = %d, want 200 with go_goroutines and okpay_ledger_batch_seconds; body starts %.200q", code, body)
		}
		if code, _ := n.get("/no-such-page?token=leak-me-not"); code != http.StatusNotFound {
			t.Errorf("GET /no-such-page = %d, want 404", code)
		}

		if code := n.stop(); code != 0 {
			t.Errorf("okpay serve exited %d after SIGTERM, want 0; output:\n%s", code, n.output)
		}
		out := n.output.String()
		engine := "sqlite"
		if env != nil {
			engine = "postgres"
		}
		for _, want := range []string{"engine=" + engine, "path=/no-such-page", "status=404", "msg=stopped"} {
			if !strings.Contains(out, want) {
				t.Errorf("serve output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "leak-me-not") {
			t.Errorf("request log reveals a query string:\n%s", out)
		}

		// Development generated a master key for the next start to reuse.
		st, err := os.Stat(filepath.Join(data, "master.key"))
		if err != nil {
			t.Fatalf("development master key: %v", err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("master.key mode = %04o, want 0600", st.Mode().Perm())
		}
		key1, _ := os.ReadFile(filepath.Join(data, "master.key"))
		again := startServe(t, env, "--data", data)
		if code := again.stop(); code != 0 {
			t.Errorf("second start exited %d; output:\n%s", code, again.output)
		}
		key2, _ := os.ReadFile(filepath.Join(data, "master.key"))
		if !bytes.Equal(key1, key2) {
			t.Error("the second start replaced the development master key")
		}
	})
}

// productionEnv is everything production refuses to start without: the
// master key, an SMTP relay, the mail sender and its DKIM key, the base URL.
func productionEnv(t *testing.T) []string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	pemKey, err := okmail.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"OKPAY_ENV=production", "OKPAY_MASTER_KEY=" + testKey, "OKPAY_SMTP_RELAY=127.0.0.1:2525",
		"OKPAY_MAIL_FROM=OKPay <no-reply@okpay.example>", "OKPAY_DKIM_KEY_FILE=" + keyFile, "OKPAY_BASE_URL=https://pay.example.com"}
}

func TestServeProduction(t *testing.T) {
	data := t.TempDir()
	n := startServe(t, productionEnv(t), "--data", data)
	if code, _ := n.get("/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", code)
	}
	if code := n.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0; output:\n%s", code, n.output)
	}
	if _, err := os.Stat(filepath.Join(data, "master.key")); !os.IsNotExist(err) {
		t.Errorf("production wrote a master.key file (stat: %v); it must use OKPAY_MASTER_KEY only", err)
	}
	if out := n.output.String(); strings.Contains(out, testKey) {
		t.Errorf("output reveals the master key:\n%s", out)
	}
}

var appliedLine = regexp.MustCompile(`applied (\d+) migration`)

func TestMigrateTwice(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		applied := func(r result) int {
			t.Helper()
			if r.code != 0 {
				t.Fatalf("okpay migrate exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			m := appliedLine.FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("okpay migrate printed %q, want \"applied N migrations\"", r.stdout)
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		if n := applied(okpay(t, env, "--data", data, "migrate")); n == 0 {
			t.Error("first okpay migrate applied 0 migrations to an empty database")
		}
		// Flags after the subcommand work too.
		if n := applied(okpay(t, env, "migrate", "--data", data)); n != 0 {
			t.Errorf("second okpay migrate applied %d migrations, want 0", n)
		}
	})
}

func TestRefusesToStart(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{
			name: "production without a master key",
			env:  []string{"OKPAY_ENV=production", "OKPAY_SMTP_RELAY=127.0.0.1:2525"},
			want: []string{"OKPAY_MASTER_KEY"},
		},
		{
			name: "production without an SMTP relay",
			env:  []string{"OKPAY_ENV=production", "OKPAY_MASTER_KEY=" + testKey},
			want: []string{"OKPAY_SMTP_RELAY"},
		},
		{
			name: "unknown OKPAY_ENV",
			env:  []string{"OKPAY_ENV=staging"},
			want: []string{`OKPAY_ENV must be "development" or "production" (got "staging")`},
		},
		{
			name: "bad log level flag",
			args: []string{"--log-level", "loud"},
			want: []string{"--log-level", "debug, info, warn or error"},
		},
		{
			name: "master key too short",
			env:  []string{"OKPAY_MASTER_KEY=abcd"},
			want: []string{"OKPAY_MASTER_KEY", "32 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sub := range []string{"serve", "migrate"} {
				data := t.TempDir()
				args := append([]string{"--data", data}, tt.args...)
				args = append(args, sub)
				if sub == "serve" {
					args = append(args, "--http", "127.0.0.1:0")
				}
				r := okpay(t, tt.env, args...)
				if r.code == 0 {
					t.Errorf("okpay %s exited 0, want an error", sub)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("okpay %s stderr lacks %q:\n%s", sub, w, r.stderr)
					}
				}
				if strings.Contains(r.stderr, "listening") {
					t.Errorf("okpay %s started listening despite the error:\n%s", sub, r.stderr)
				}
				if entries, _ := os.ReadDir(data); len(entries) != 0 {
					t.Errorf("okpay %s touched the data dir before refusing: %v", sub, entries)
				}
			}
		})
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := okpay(t, nil, "serve", "--data", t.TempDir(), "--http", ln.Addr().String())
	if r.code == 0 || !strings.Contains(r.stderr, "listen") || !strings.Contains(r.stderr, ln.Addr().String()) {
		t.Errorf("serve on a busy address: exit %d, stderr:\n%s\nwant a non-zero exit naming the address", r.code, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--no-such-flag"}} {
		r := okpay(t, nil, args...)
		bad := strings.TrimLeft(args[len(args)-1], "-")
		if r.code != 2 || !strings.Contains(r.stderr, bad) {
			t.Errorf("okpay %s: exit %d, stderr %q; want exit 2 naming %q", strings.Join(args, " "), r.code, r.stderr, bad)
		}
	}
}

func TestVersion(t *testing.T) {
	r := okpay(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "okpay ") {
		t.Errorf("okpay version: exit %d, stdout %q; want 0 and \"okpay <version> ...\"", r.code, r.stdout)
	}
}

// TestRunInProcess drives run itself, as main does.
func TestRunInProcess(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"okpay", "version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("run(version) = %d; stderr: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "okpay ") {
		t.Errorf("run(version) printed %q", stdout.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"okpay", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("run(--help) = %d", code)
	}
	for _, sub := range []string{"serve", "migrate", "version", "OKPAY_MASTER_KEY"} {
		if !strings.Contains(stdout.String(), sub) {
			t.Errorf("okpay --help does not mention %s:\n%s", sub, stdout.String())
		}
	}
}

// TestUserCreateIsAudited: creating staff from the command line leaves a
// user_created record naming the command line as the actor.
func TestUserCreateIsAudited(t *testing.T) {
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		r := okpay(t, env, "user", "create", "--data", data, "--email", "Agent.Li@OKPay.test", "--role", "agent")
		if r.code != 0 {
			t.Fatalf("okpay user create exited %d\n%s", r.code, r.stderr)
		}
		id := strings.TrimSpace(r.stdout)
		opts := sqlstore.Options{DataDir: data}
		for _, kv := range env {
			if u, ok := strings.CutPrefix(kv, "OKPAY_DATABASE_URL="); ok {
				opts.URL = u
			}
		}
		db, err := sqlstore.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		page, err := audit.List(context.Background(), db.Audit(), audit.Filter{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 1 {
			t.Fatalf("user_created records = %d, want 1", len(page.Events))
		}
		e := page.Events[0]
		if e.ActorRole != "cli" || e.TargetType != "user" || e.TargetID != id || e.Details["role"] != "agent" {
			t.Errorf("audit record = %+v, want actor cli, target user:%s, role agent", e, id)
		}
	})
}

// Package sqltest opens fresh, migrated databases on both engines for tests.
//
// SQLite databases live in a per-test temporary directory. PostgreSQL tests
// share one database per test package (okpay_test_<name>) and get a schema of
// their own, dropped when the test ends. The server is found at
// OKPAY_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// When it cannot be reached the PostgreSQL half of a test is skipped with a
// loud message — unless OKPAY_TEST_POSTGRES=require (as in CI), where it fails.
package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/okpay/okpay/internal/sqlstore"
)

// Engines lists both engines, SQLite first.
var Engines = []sqlstore.Engine{sqlstore.SQLite, sqlstore.Postgres}

// Each runs fn as a subtest once per engine.
func Each(t *testing.T, fn func(t *testing.T, e sqlstore.Engine)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

// Target names a database for a test: what to pass as Options, so that a
// child process can open the same one.
type Target struct {
	Engine  sqlstore.Engine
	URL     string
	DataDir string
	Schema  string
}

// Options returns the sqlstore options that open the target.
func (tg Target) Options(now func() time.Time) sqlstore.Options {
	return sqlstore.Options{URL: tg.URL, DataDir: tg.DataDir, Schema: tg.Schema, Now: now}
}

// New makes a fresh, migrated, empty database on engine e for the test and
// returns where it is; pkg names the test package (one PostgreSQL database each).
func New(t testing.TB, e sqlstore.Engine, pkg string) Target {
	t.Helper()
	if e == sqlstore.SQLite {
		tg := Target{Engine: e, DataDir: t.TempDir()}
		migrate(t, tg)
		return tg
	}
	base := PostgresURL(t, pkg)
	schema := "t_" + randomHex(6)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	tg := Target{Engine: e, URL: base, Schema: schema}
	migrate(t, tg)
	return tg
}

// Open opens tg and closes it when the test ends.
func Open(t testing.TB, tg Target, now func() time.Time) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), tg.Options(now))
	if err != nil {
		t.Fatalf("open %s: %v", tg.Engine, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDB is New followed by Open.
func NewDB(t testing.TB, e sqlstore.Engine, pkg string, now func() time.Time) *sqlstore.DB {
	t.Helper()
	return Open(t, New(t, e, pkg), now)
}

func migrate(t testing.TB, tg Target) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), tg.Options(nil))
	if err != nil {
		t.Fatalf("open %s: %v", tg.Engine, err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", tg.Engine, err)
	}
}

var (
	pgOnce sync.Map // pkg -> *pgState
)

type pgState struct {
	once sync.Once
	url  string
	err  error
}

// PostgresURL returns the URL of the package's test database, creating it
// when needed; it skips or fails the test when PostgreSQL is unreachable.
func PostgresURL(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := pgOnce.LoadOrStore(pkg, &pgState{})
	st := v.(*pgState)
	st.once.Do(func() { st.url, st.err = ensureDatabase(pkg) })
	if st.err != nil {
		if os.Getenv("OKPAY_TEST_POSTGRES") == "require" {
			t.Fatalf("PostgreSQL is required (OKPAY_TEST_POSTGRES=require) but unavailable: %v", st.err)
		}
		t.Skipf("SKIPPING PostgreSQL half of this test: %v (set OKPAY_TEST_DATABASE_URL, or OKPAY_TEST_POSTGRES=require to fail instead)", st.err)
	}
	return st.url
}

func ensureDatabase(pkg string) (string, error) {
	admin := os.Getenv("OKPAY_TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := "okpay_test_" + pkg
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			// Another test binary for the same package may have raced us.
			if err2 := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err2 != nil || n == 0 {
				return "", fmt.Errorf("create database %s: %w", name, err)
			}
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Package sqlstore is the SQL behind every domain Store, on two engines:
// SQLite (embedded, pure Go, the default) and PostgreSQL (scale-out).
//
// The same query text runs on both wherever it can ($N placeholders work on
// both). Code that must run inside one transaction with job enqueueing talks
// to the small Querier interface, implemented natively by pgx on PostgreSQL
// and by database/sql on SQLite. Migrations are numbered, embedded per
// engine, and each applied in its own transaction.
//
// On SQLite there is exactly one writer connection (BEGIN IMMEDIATE,
// synchronous=FULL, WAL) and a pool of read-only connections.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options says which database to open.
type Options struct {
	// URL selects PostgreSQL when it starts with postgres:// or postgresql://.
	URL string
	// DataDir holds okpay.db when URL is empty.
	DataDir string
	// Schema, on PostgreSQL, is the search_path (tests use one per test).
	Schema string
	// MaxConns caps the PostgreSQL pool (default 4 × CPUs, at least 8).
	MaxConns int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// DB is an open database on either engine.
type DB struct {
	engine Engine
	now    func() time.Time

	pg *pgxpool.Pool // PostgreSQL

	described sync.Map // account id -> ledger.Account: the immutable part

	w     *sql.DB  // SQLite: the one writer connection
	r     *sql.DB  // SQLite: read-only connections
	stmts sync.Map // SQLite: query text -> *sql.Stmt prepared on w
}

// Open opens (creating where needed) the database Options names. It does not
// migrate; call Migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if strings.HasPrefix(o.URL, "postgres://") || strings.HasPrefix(o.URL, "postgresql://") {
		return openPostgres(ctx, o, now)
	}
	if o.URL != "" {
		return nil, fmt.Errorf("sqlstore: database url must start with postgres:// (got scheme of %q)", redactURL(o.URL))
	}
	return openSQLite(ctx, o, now)
}

func openPostgres(ctx context.Context, o Options, now func() time.Time) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: parse database url: %w", err)
	}
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	}
	max := o.MaxConns
	if max == 0 {
		max = max8(4 * runtime.NumCPU())
	}
	cfg.MaxConns = int32(max)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: connect postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlstore: connect postgres %s: %w", redactURL(o.URL), err)
	}
	return &DB{engine: Postgres, now: now, pg: pool}, nil
}

func max8(n int) int {
	if n < 8 {
		return 8
	}
	return n
}

func openSQLite(ctx context.Context, o Options, now func() time.Time) (*DB, error) {
	dir := o.DataDir
	if dir == "" {
		dir = "okpay-data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlstore: create data dir: %w", err)
	}
	path := filepath.Join(dir, "okpay.db")
	// SQLite gives its -wal and -shm files the database file's mode: create
	// it readable by the owner only, since it holds everyone's money.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)&_pragma=wal_autocheckpoint(10000)"
	w, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate&"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(max8(2 * runtime.NumCPU()))
	r.SetConnMaxIdleTime(0)
	return &DB{engine: SQLite, now: now, w: w, r: r}, nil
}

// Engine reports which engine the database runs on.
func (db *DB) Engine() Engine { return db.engine }

// Now is the injected clock.
func (db *DB) Now() time.Time { return db.now() }

// Close releases every connection.
func (db *DB) Close() error {
	if db.pg != nil {
		db.pg.Close()
		return nil
	}
	db.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return errors.Join(db.w.Close(), db.r.Close())
}

// prepare prepares queries once on the SQLite writer, outside any
// transaction (the writer has one connection, which a transaction holds).
func (db *DB) prepare(ctx context.Context, queries []string) error {
	for _, q := range queries {
		if _, ok := db.stmts.Load(q); ok {
			continue
		}
		st, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlstore: prepare: %w", err)
		}
		db.stmts.Store(q, st)
	}
	return nil
}

// stmt returns query bound to tx: prepared once per process when prepare
// saw it, so hot statements are not parsed again for every batch.
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if v, ok := db.stmts.Load(query); ok {
		return tx.StmtContext(ctx, v.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, query)
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.Read().QueryRow(ctx, "SELECT 1").Scan(&one)
}

// Read returns a Querier for reads outside a transaction. On SQLite it uses
// the read-only pool, so readers never wait for the writer.
func (db *DB) Read() Querier {
	if db.pg != nil {
		return pgQuerier{db.pg}
	}
	return sqlQuerier{db.r}
}

// Write returns a Querier for single statements outside a transaction.
func (db *DB) Write() Querier {
	if db.pg != nil {
		return pgQuerier{db.pg}
	}
	return sqlQuerier{db.w}
}

// InTx runs fn in one transaction and commits when fn returns nil. On SQLite
// the transaction holds the write lock from its start (BEGIN IMMEDIATE).
func (db *DB) InTx(ctx context.Context, fn func(Tx) error) error {
	if db.pg != nil {
		ptx, err := db.pg.Begin(ctx)
		if err != nil {
			return fmt.Errorf("sqlstore: begin: %w", err)
		}
		if err := fn(&pgTx{pgQuerier{ptx}, ptx}); err != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		if err := ptx.Commit(ctx); err != nil {
			return fmt.Errorf("sqlstore: commit: %w", err)
		}
		return nil
	}
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	if err := fn(&sqliteTx{sqlQuerier{stx}, stx}); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// redactURL drops the password from a database URL for messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

var _ = pgx.ErrNoRows

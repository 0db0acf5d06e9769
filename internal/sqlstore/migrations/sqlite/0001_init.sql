-- Ledger: accounts carry their running balances; the journal (transfers) is
-- append-only and reproduces them. Times are unix nanoseconds (UTC).
CREATE TABLE ledger_accounts (
    id         INTEGER PRIMARY KEY,
    ref        TEXT    NOT NULL UNIQUE,
    currency   TEXT    NOT NULL,
    code       INTEGER NOT NULL DEFAULT 0,
    flags      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- The balances live apart from the account's description: a batch rewrites
-- the balances of every account it touches, and narrow rows mean fewer
-- pages to write per commit.
CREATE TABLE ledger_balances (
    account_id      INTEGER PRIMARY KEY,
    debits_pending  INTEGER NOT NULL DEFAULT 0,
    debits_posted   INTEGER NOT NULL DEFAULT 0,
    credits_pending INTEGER NOT NULL DEFAULT 0,
    credits_posted  INTEGER NOT NULL DEFAULT 0
);

-- No foreign keys: the committer checks both accounts exist with their
-- rows locked, accounts are never deleted, and per-row FK checks cost a
-- batch more than its inserts.
CREATE TABLE ledger_transfers (
    id                BLOB    PRIMARY KEY,
    debit_account_id  INTEGER NOT NULL,
    credit_account_id INTEGER NOT NULL,
    amount            INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    code              INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    pending_id        BLOB,
    timeout_at        INTEGER NOT NULL DEFAULT 0,
    metadata          TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL
) WITHOUT ROWID;
-- A pending transfer is resolved at most once, across nodes too.
CREATE UNIQUE INDEX ledger_transfers_pending ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;

-- Refused transfers are kept so that a retried id gets its first answer back.
CREATE TABLE ledger_rejections (
    id                BLOB    PRIMARY KEY,
    result            INTEGER NOT NULL,
    debit_account_id  INTEGER NOT NULL,
    credit_account_id INTEGER NOT NULL,
    amount            INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    code              INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    pending_id        BLOB,
    timeout_at        INTEGER NOT NULL DEFAULT 0,
    metadata          TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    args         BLOB    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'available',
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT    NOT NULL DEFAULT '',
    last_error   TEXT    NOT NULL DEFAULT '',
    unique_key   TEXT    UNIQUE,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_ready ON jobs (state, run_at);

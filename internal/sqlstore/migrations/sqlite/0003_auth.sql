-- Accounts and security. Times are unix nanoseconds (UTC); secrets are
-- stored only as SHA-256 hashes (token_hash) or argon2id (password_hash).
CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT    NOT NULL UNIQUE,
    phone             TEXT    NOT NULL DEFAULT '',
    password_hash     TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'active',
    role              TEXT    NOT NULL DEFAULT 'customer',
    locale            TEXT    NOT NULL DEFAULT 'zh-CN',
    email_verified_at INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);
CREATE TABLE auth_tokens (
    token_hash BLOB    PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id, purpose);
-- Failure counters keyed by 'email:<normalised>', 'ip:<addr>' or
-- 'device:<hash>'; rows exist for unknown emails too.
CREATE TABLE login_failures (
    key          TEXT    PRIMARY KEY,
    count        INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    device_label TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, id);
CREATE TABLE devices (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    label        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX devices_user ON devices (user_id);

-- The /v1 API (internal/apikey, internal/httpapi). Times are unix
-- nanoseconds (UTC), flags 0/1, amounts minor units of their currency.

-- API keys. Only the SHA-256 of a secret key is kept (hash, hex); the
-- prefix and last four characters are what lists show. owner_kind is
-- 'user' or 'merchant'; kind 'secret' or 'publishable'; scopes are
-- comma-separated; public is a publishable key itself (not a secret).
-- daily_limit is the most a key may send per platform
-- day, in daily_currency (-1: no limit of its own).
CREATE TABLE api_keys (
    id             TEXT    PRIMARY KEY,
    owner_kind     TEXT    NOT NULL,
    owner_id       TEXT    NOT NULL,
    livemode       INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    hash           TEXT    NOT NULL UNIQUE,
    prefix         TEXT    NOT NULL,
    last4          TEXT    NOT NULL,
    public         TEXT    NOT NULL DEFAULT '',
    scopes         TEXT    NOT NULL DEFAULT '',
    daily_limit    INTEGER NOT NULL DEFAULT -1,
    daily_currency TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER NOT NULL DEFAULT 0,
    last_used_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_owner ON api_keys (owner_kind, owner_id, created_at, id);

-- What each key sent per platform day, counted in its limit's currency
-- (a limit changed to another currency starts its own count). A send adds
-- to spent with one conditional update that refuses to pass the key's
-- limit, so concurrent sends can never exceed it.
CREATE TABLE api_key_spend (
    key_id   TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    currency TEXT    NOT NULL,
    spent    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day, currency)
);

-- Idempotency keys of POST requests, per owner and mode. state:
-- 'running' while the first request is in flight (locked_at says since
-- when), 'done' with the saved response. Rows older than a day are
-- purged by a periodic job.
CREATE TABLE api_idempotency (
    owner_kind   TEXT    NOT NULL,
    owner_id     TEXT    NOT NULL,
    livemode     INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    locked_at    INTEGER NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, livemode, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);

-- Wallets (internal/wallet). Users are referenced by id without a foreign
-- key, as elsewhere. Times are unix nanoseconds (UTC); flags are 0/1;
-- amounts are minor units of their currency. The ledger holds the money;
-- these tables hold what users asked for and how it ended.
CREATE TABLE wallets (
    id         TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- One ledger account per wallet and currency ("wallet:<id>:<currency>").
CREATE TABLE wallet_accounts (
    wallet_id  TEXT   NOT NULL,
    currency   TEXT   NOT NULL,
    account_id BIGINT NOT NULL,
    PRIMARY KEY (wallet_id, currency)
);

-- The history of every wallet. Ids compare as plain ASCII ("C"), as pages
-- are keyed by (created_at, id) on both engines. plan is the movement's
-- ledger transfers as submitted (JSON), so the resume job resubmits exactly
-- them; version makes every state change a conditional update.
CREATE TABLE wallet_movements (
    id                   TEXT    COLLATE "C" PRIMARY KEY,
    wallet_id            TEXT    NOT NULL,
    user_id              BIGINT  NOT NULL,
    type                 TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    amount               BIGINT  NOT NULL,
    fee                  BIGINT  NOT NULL DEFAULT 0,
    currency             TEXT    NOT NULL,
    fee_payer            TEXT    NOT NULL DEFAULT '',
    counterparty_wallet  TEXT    NOT NULL DEFAULT '',
    counterparty_user    BIGINT  NOT NULL DEFAULT 0,
    counterparty_display TEXT    NOT NULL DEFAULT '',
    self_display         TEXT    NOT NULL DEFAULT '',
    note                 TEXT    NOT NULL DEFAULT '',
    method               TEXT    NOT NULL DEFAULT '',
    method_display       TEXT    NOT NULL DEFAULT '',
    charge_id            TEXT    NOT NULL DEFAULT '',
    failure_code         TEXT    NOT NULL DEFAULT '',
    request_id           TEXT    NOT NULL DEFAULT '',
    peer_id              TEXT    NOT NULL DEFAULT '',
    idempotency_key      TEXT,
    fingerprint          TEXT    NOT NULL DEFAULT '',
    plan                 TEXT    NOT NULL DEFAULT '',
    ready                INTEGER NOT NULL DEFAULT 0,
    version              BIGINT  NOT NULL DEFAULT 0,
    search               TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    posted_at            BIGINT  NOT NULL DEFAULT 0
);
-- A double-submitted form finds the first movement by its key.
CREATE UNIQUE INDEX wallet_movements_key ON wallet_movements (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- History pages: newest first, keyed by (created_at, id).
CREATE INDEX wallet_movements_history ON wallet_movements (user_id, created_at, id);
-- Statements and monthly volumes: completed movements by commit time.
CREATE INDEX wallet_movements_posted ON wallet_movements (wallet_id, posted_at)
    WHERE status = 'completed';
-- The sweep finds movements left pending.
CREATE INDEX wallet_movements_pending ON wallet_movements (updated_at)
    WHERE status = 'pending';

-- Money requests. status: open, paying (movement_id is paying it), paid,
-- cancelled. payer_user 0: anyone with the link may pay.
CREATE TABLE wallet_requests (
    id                TEXT   COLLATE "C" PRIMARY KEY,
    requester_user    BIGINT NOT NULL,
    requester_wallet  TEXT   NOT NULL,
    requester_display TEXT   NOT NULL DEFAULT '',
    payer_user        BIGINT NOT NULL DEFAULT 0,
    payer_wallet      TEXT   NOT NULL DEFAULT '',
    payer_display     TEXT   NOT NULL DEFAULT '',
    amount            BIGINT NOT NULL,
    currency          TEXT   NOT NULL,
    note              TEXT   NOT NULL DEFAULT '',
    due_at            BIGINT NOT NULL DEFAULT 0,
    status            TEXT   NOT NULL,
    movement_id       TEXT   NOT NULL DEFAULT '',
    idempotency_key   TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    paid_at           BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX wallet_requests_key ON wallet_requests (requester_user, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX wallet_requests_requester ON wallet_requests (requester_user, created_at, id);
CREATE INDEX wallet_requests_payer ON wallet_requests (payer_user, created_at, id);

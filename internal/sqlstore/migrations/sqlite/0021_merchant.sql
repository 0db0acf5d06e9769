-- Merchants (internal/merchant). Times are unix nanoseconds (UTC), flags
-- 0/1, amounts minor units of their currency. Money itself is in the
-- ledger; these rows are the business objects its transfer ids derive from.

-- A business profile on a customer account. team_version is bumped by
-- every change of the team's owners, so two owners removing each other
-- order on the row.
CREATE TABLE merchants (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    country       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    support_email TEXT    NOT NULL,
    descriptor    TEXT    NOT NULL,
    team_version  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX merchants_support_email ON merchants (support_email, created_at);

-- Per-merchant memberships: owner, developer, viewer (not global roles).
CREATE TABLE merchant_members (
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    user_id     INTEGER NOT NULL,
    role        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, user_id)
);
CREATE INDEX merchant_members_user ON merchant_members (user_id, created_at);

-- Payment intents. version makes every state change one conditional
-- update. attempt numbers the tries at paying, each with its own hold id.
CREATE TABLE merchant_payments (
    id              TEXT    PRIMARY KEY,
    merchant_id     TEXT    NOT NULL REFERENCES merchants (id),
    livemode        INTEGER NOT NULL,
    amount          INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    capture_method  TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    session_id      TEXT    NOT NULL DEFAULT '',
    method          TEXT    NOT NULL DEFAULT '',
    attempt         INTEGER NOT NULL DEFAULT 0,
    payer_user_id   INTEGER NOT NULL DEFAULT 0,
    source_account  INTEGER NOT NULL DEFAULT 0,
    charge_id       TEXT    NOT NULL DEFAULT '',
    card_brand      TEXT    NOT NULL DEFAULT '',
    card_last4      TEXT    NOT NULL DEFAULT '',
    challenge       TEXT    NOT NULL DEFAULT '',
    failure_code    TEXT    NOT NULL DEFAULT '',
    amount_captured INTEGER NOT NULL DEFAULT 0,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    fee             INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX merchant_payments_list ON merchant_payments (merchant_id, livemode, created_at, id);
-- The sweep's search for payments left processing.
CREATE INDEX merchant_payments_status ON merchant_payments (status, updated_at);

-- Checkout sessions: status open, complete or expired.
CREATE TABLE merchant_sessions (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    livemode    INTEGER NOT NULL,
    payment_id  TEXT    NOT NULL REFERENCES merchant_payments (id),
    amount      INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    item_name   TEXT    NOT NULL,
    invoice     TEXT    NOT NULL DEFAULT '',
    success_url TEXT    NOT NULL,
    cancel_url  TEXT    NOT NULL DEFAULT '',
    notify_url  TEXT    NOT NULL DEFAULT '',
    form        INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX merchant_sessions_status ON merchant_sessions (status, expires_at);

-- Refunds: pending until the ledger answers, then succeeded or failed.
CREATE TABLE merchant_refunds (
    id           TEXT    PRIMARY KEY,
    payment_id   TEXT    NOT NULL REFERENCES merchant_payments (id),
    merchant_id  TEXT    NOT NULL,
    livemode     INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    failure_code TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX merchant_refunds_payment ON merchant_refunds (payment_id, created_at);
CREATE INDEX merchant_refunds_status ON merchant_refunds (status, updated_at);

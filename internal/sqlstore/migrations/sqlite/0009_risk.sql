-- Suspicious activity (internal/risk). Times are unix nanoseconds (UTC),
-- flags 0/1, amounts minor units of their currency.

-- Payments held for review (kind 'hold') and "not my transaction" reports
-- (kind 'report'), one of each kind per movement. status: open, released,
-- refused (holds), closed (reports). reasons: the rules that fired,
-- comma-separated. A decision is one conditional update from 'open'.
CREATE TABLE risk_cases (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    movement_id     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    reasons         TEXT    NOT NULL DEFAULT '',
    amount          INTEGER NOT NULL DEFAULT 0,
    currency        TEXT    NOT NULL DEFAULT '',
    payee           TEXT    NOT NULL DEFAULT '',
    words           TEXT    NOT NULL DEFAULT '',
    outgoing_before INTEGER NOT NULL DEFAULT 0,
    decided_by      INTEGER NOT NULL DEFAULT 0,
    decided_at      INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (kind, movement_id)
);
-- The staff queue (oldest open first) and one user's cases.
CREATE INDEX risk_cases_status ON risk_cases (status, kind, created_at, id);
CREATE INDEX risk_cases_user ON risk_cases (user_id, status, created_at);

-- One row per user who made an outgoing payment or a report. Every
-- transaction that inserts an outgoing movement writes its row (seq), and
-- so does a report's freeze: the two order on the row lock, so a payment
-- can never commit after a freeze it did not see.
CREATE TABLE risk_accounts (
    user_id     INTEGER PRIMARY KEY,
    frozen      INTEGER NOT NULL DEFAULT 0,
    frozen_at   INTEGER NOT NULL DEFAULT 0,
    frozen_case TEXT    NOT NULL DEFAULT '',
    lifted_by   INTEGER NOT NULL DEFAULT 0,
    lifted_at   INTEGER NOT NULL DEFAULT 0,
    seq         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX risk_accounts_frozen ON risk_accounts (frozen_at) WHERE frozen = 1;

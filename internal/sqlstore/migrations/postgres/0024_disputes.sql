-- Disputes of merchant payments (internal/merchant dispute.go). Times are
-- unix nanoseconds (UTC), amounts minor units. The money is in the ledger;
-- its transfer ids derive from the dispute id and attempt.

-- One dispute per payment (the unique payment_id). version makes every
-- change of state one conditional update, so a dispute is decided once.
CREATE TABLE merchant_disputes (
    id                TEXT    COLLATE "C" PRIMARY KEY,
    payment_id        TEXT    NOT NULL UNIQUE REFERENCES merchant_payments (id),
    merchant_id       TEXT    NOT NULL REFERENCES merchants (id),
    livemode          BIGINT  NOT NULL,
    payer_user_id     BIGINT  NOT NULL,
    amount            BIGINT  NOT NULL,
    currency          TEXT    NOT NULL,
    reason            TEXT    NOT NULL,
    message           TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    outcome           TEXT    NOT NULL DEFAULT '',
    attempt           BIGINT  NOT NULL,
    held_from_balance BIGINT  NOT NULL,
    shortfall         BIGINT  NOT NULL,
    due_by            BIGINT  NOT NULL,
    evidence_at       BIGINT  NOT NULL DEFAULT 0,
    decided_by        BIGINT  NOT NULL DEFAULT 0,
    decided_at        BIGINT  NOT NULL DEFAULT 0,
    decision_note     TEXT    NOT NULL DEFAULT '',
    version           BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX merchant_disputes_merchant ON merchant_disputes (merchant_id, livemode, created_at);
CREATE INDEX merchant_disputes_payer ON merchant_disputes (payer_user_id, created_at);
CREATE INDEX merchant_disputes_status ON merchant_disputes (status, updated_at);

-- A merchant's evidence: a statement (text) or a file (sealed with
-- secretbox, purpose dispute_evidence, bound to the evidence id).
CREATE TABLE merchant_dispute_evidence (
    id           TEXT    COLLATE "C" PRIMARY KEY,
    dispute_id   TEXT    NOT NULL REFERENCES merchant_disputes (id),
    body         TEXT    NOT NULL DEFAULT '',
    file_name    TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    size         BIGINT  NOT NULL DEFAULT 0,
    sealed       BYTEA,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX merchant_dispute_evidence_dispute ON merchant_dispute_evidence (dispute_id, created_at);

-- The payer's list of their payments.
CREATE INDEX merchant_payments_payer ON merchant_payments (payer_user_id, created_at);

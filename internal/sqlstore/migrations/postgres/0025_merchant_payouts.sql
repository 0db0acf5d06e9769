-- Merchant reports and payouts (internal/merchant report.go, payout.go).

-- When a payment was captured (unix nanoseconds, 0 until then), so a
-- report counts it on the day its money reached the merchant's balance,
-- not on a later refund's day.
ALTER TABLE merchant_payments ADD COLUMN captured_at BIGINT  NOT NULL DEFAULT 0;
CREATE INDEX merchant_payments_captured ON merchant_payments (merchant_id, livemode, captured_at);
CREATE INDEX merchant_refunds_report ON merchant_refunds (merchant_id, livemode, status, updated_at);

-- Payouts of a merchant's balance to its bank account. The destination
-- (IBAN and holder) is sealed under the payout's id; display is its
-- masked form. version makes every change one conditional update.
CREATE TABLE merchant_payouts (
    id           TEXT    PRIMARY KEY,
    merchant_id  TEXT    NOT NULL REFERENCES merchants (id),
    livemode     BIGINT  NOT NULL,
    amount       BIGINT  NOT NULL,
    currency     TEXT    NOT NULL,
    display      TEXT    NOT NULL,
    sealed       BYTEA   NOT NULL,
    status       TEXT    NOT NULL,
    failure_code TEXT    NOT NULL DEFAULT '',
    rail_id      TEXT    NOT NULL DEFAULT '',
    expected_at  BIGINT  NOT NULL DEFAULT 0,
    held_at      BIGINT  NOT NULL DEFAULT 0,
    settled_at   BIGINT  NOT NULL DEFAULT 0,
    created_by   BIGINT  NOT NULL DEFAULT 0,
    version      BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX merchant_payouts_list ON merchant_payouts (merchant_id, livemode, created_at);
CREATE INDEX merchant_payouts_open ON merchant_payouts (status, created_at);

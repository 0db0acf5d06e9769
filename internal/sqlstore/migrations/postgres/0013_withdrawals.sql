-- Withdrawals (internal/wallet, withdraw.go). The id is the withdrawal's
-- movement id in wallet_movements, which holds its history row and the
-- idempotency key. Times are unix nanoseconds (UTC), amounts minor units.
-- sealed is the destination account (secretbox, bound to the id);
-- display is it masked. status: pending, processing, completed, failed,
-- returned, canceled. plan is the hold as submitted (JSON); version makes
-- every change a conditional update.
CREATE TABLE wallet_withdrawals (
    id           TEXT    COLLATE "C" PRIMARY KEY,
    user_id      BIGINT  NOT NULL,
    wallet_id    TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    amount       BIGINT  NOT NULL,
    fee          BIGINT  NOT NULL,
    display      TEXT    NOT NULL,
    sealed       BYTEA   NOT NULL,
    status       TEXT    NOT NULL,
    failure_code TEXT    NOT NULL DEFAULT '',
    payout_id    TEXT    NOT NULL DEFAULT '',
    expected_at  BIGINT  NOT NULL DEFAULT 0,
    plan         TEXT    NOT NULL,
    held_at      BIGINT  NOT NULL DEFAULT 0,
    settled_at   BIGINT  NOT NULL DEFAULT 0,
    returned_at  BIGINT  NOT NULL DEFAULT 0,
    version      BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
-- The withdrawal page lists a user's newest first.
CREATE INDEX wallet_withdrawals_user ON wallet_withdrawals (user_id, created_at);
-- The settlement job finds open ones, and completed ones still in their
-- return window.
CREATE INDEX wallet_withdrawals_open ON wallet_withdrawals (created_at)
    WHERE status IN ('pending', 'processing');
CREATE INDEX wallet_withdrawals_settled ON wallet_withdrawals (settled_at)
    WHERE status = 'completed';

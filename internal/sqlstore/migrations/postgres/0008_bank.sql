-- Bank-transfer deposits (internal/wallet, bank.go). Times are unix
-- nanoseconds (UTC), dates YYYY-MM-DD text (so they compare as text),
-- flags 0/1, amounts minor units of their currency.

-- A wallet's deposit reference in one currency, drawn once and kept: what
-- the customer writes in a bank transfer. References are random, so the
-- primary key is what makes a drawn one free.
CREATE TABLE wallet_bank_references (
    reference  TEXT    PRIMARY KEY,
    wallet_id  TEXT    NOT NULL,
    currency   TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (wallet_id, currency)
);

-- Every entry of every imported bank statement, once. entry_key is the
-- entry's identity at the bank (account, the bank's entry reference and
-- the booking date); id is derived from it, and so are the ids of the
-- movement and ledger transfers made for it, so importing an entry again
-- finds it here and moves nothing. status: credited, suspense, unbooked,
-- assigned, returned, ignored. plan is the transfer into suspense as
-- submitted (JSON), return_plan the one back out; posted_at and
-- return_posted_at are set once the ledger committed them.
CREATE TABLE wallet_bank_entries (
    id                TEXT    COLLATE "C" PRIMARY KEY,
    entry_key         TEXT    NOT NULL UNIQUE,
    account           TEXT    NOT NULL,
    entry_ref         TEXT    NOT NULL,
    booking_date      TEXT    NOT NULL DEFAULT '',
    value_date        TEXT    NOT NULL DEFAULT '',
    statement_id      TEXT    NOT NULL DEFAULT '',
    file_name         TEXT    NOT NULL DEFAULT '',
    currency          TEXT    NOT NULL,
    amount            BIGINT  NOT NULL,
    credit            INTEGER NOT NULL,
    entry_status      TEXT    NOT NULL,
    remittance        TEXT    NOT NULL DEFAULT '',
    creditor_ref      TEXT    NOT NULL DEFAULT '',
    end_to_end_id     TEXT    NOT NULL DEFAULT '',
    counterparty_name TEXT    NOT NULL DEFAULT '',
    counterparty_iban TEXT    NOT NULL DEFAULT '',
    reference         TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL,
    reason            TEXT    NOT NULL DEFAULT '',
    wallet_id         TEXT    NOT NULL DEFAULT '',
    user_id           BIGINT  NOT NULL DEFAULT 0,
    movement_id       TEXT    NOT NULL DEFAULT '',
    plan              TEXT    NOT NULL DEFAULT '',
    posted_at         BIGINT  NOT NULL DEFAULT 0,
    return_plan       TEXT    NOT NULL DEFAULT '',
    return_posted_at  BIGINT  NOT NULL DEFAULT 0,
    imported_by       TEXT    NOT NULL DEFAULT '',
    resolved_by       BIGINT  NOT NULL DEFAULT 0,
    resolved_at       BIGINT  NOT NULL DEFAULT 0,
    note              TEXT    NOT NULL DEFAULT '',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
-- The staff queue of unmatched money, oldest first.
CREATE INDEX wallet_bank_entries_status ON wallet_bank_entries (status, booking_date, id);
-- Reconciliation: one account's entries in a period.
CREATE INDEX wallet_bank_entries_account ON wallet_bank_entries (account, currency, booking_date);
-- The sweep finds transfers not known to have posted.
CREATE INDEX wallet_bank_entries_unposted ON wallet_bank_entries (updated_at)
    WHERE (plan <> '' AND posted_at = 0) OR (return_plan <> '' AND return_posted_at = 0);

-- Verification levels, identity documents (internal/kyc) and staff
-- corrections of wallets (internal/wallet, correction.go). Times are unix
-- nanoseconds (UTC), amounts minor units of their currency.

-- A user's verification level; no row means unverified. Levels only rise,
-- each time by a staff member's approval of a document.
CREATE TABLE kyc_levels (
    user_id     INTEGER PRIMARY KEY,
    level       TEXT    NOT NULL,
    document_id TEXT    NOT NULL DEFAULT '',
    updated_by  INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);

-- Identity documents. content is the file sealed with secretbox (purpose
-- kyc_document, bound to the id), never the plain file. content_type is
-- what the bytes are (sniffed), not what the upload claimed. status:
-- pending, approved, rejected; a decision is one conditional update of a
-- pending row.
CREATE TABLE kyc_documents (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    level        TEXT    NOT NULL,
    file_name    TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content      BLOB   NOT NULL,
    status       TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    reviewed_by  INTEGER NOT NULL DEFAULT 0,
    reviewed_at  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX kyc_documents_user ON kyc_documents (user_id, created_at);
CREATE INDEX kyc_documents_pending ON kyc_documents (created_at) WHERE status = 'pending';

-- Manual ledger corrections, four-eyes: proposed by one staff member,
-- posted only when a different one approves. status: proposed, approved,
-- rejected; the decision is one conditional update that also requires
-- decided_by <> proposed_by for an approval. kind: move (from_wallet to
-- to_wallet) or goodwill (from the platform's goodwill expense account).
CREATE TABLE wallet_corrections (
    id            TEXT PRIMARY KEY,
    kind          TEXT    NOT NULL,
    from_wallet   TEXT    NOT NULL DEFAULT '',
    to_wallet     TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    proposed_by   INTEGER NOT NULL,
    proposed_at   INTEGER NOT NULL,
    decided_by    INTEGER NOT NULL DEFAULT 0,
    decided_at    INTEGER NOT NULL DEFAULT 0,
    decision_note TEXT    NOT NULL DEFAULT '',
    CHECK (decided_by = 0 OR decided_by <> proposed_by OR status = 'rejected')
);
CREATE INDEX wallet_corrections_proposed ON wallet_corrections (proposed_at);

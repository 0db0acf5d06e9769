-- The support desk (internal/support). Times are unix nanoseconds (UTC),
-- 0 for none; flags 0/1. Every text here has passed the sensitive-data
-- guard (internal/redact) before it was written.

-- One support case. number is what customers see (#10001 upward);
-- requester_id is 0 for a visitor known by email only. first_due and
-- resolve_due are the SLA targets (moved on when a pause ends), paused_at
-- is set while waiting on the customer, escalated records which breaches
-- the SLA job already handled (bit 1 first response, bit 2 resolution).
CREATE TABLE support_tickets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    number            INTEGER NOT NULL UNIQUE,
    subject           TEXT    NOT NULL,
    category          TEXT    NOT NULL,
    priority          TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    channel           TEXT    NOT NULL,
    mailbox           TEXT    NOT NULL,
    requester_id      INTEGER NOT NULL DEFAULT 0,
    requester_email   TEXT    NOT NULL DEFAULT '',
    requester_name    TEXT    NOT NULL DEFAULT '',
    language          TEXT    NOT NULL DEFAULT 'zh-CN',
    unverified        INTEGER NOT NULL DEFAULT 0,
    assignee_id       INTEGER NOT NULL DEFAULT 0,
    queue             TEXT    NOT NULL,
    tags              TEXT    NOT NULL DEFAULT '',
    cc                TEXT    NOT NULL DEFAULT '',
    linked_to         INTEGER NOT NULL DEFAULT 0,
    merged_into       INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER NOT NULL DEFAULT 0,
    solved_at         INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER NOT NULL DEFAULT 0,
    first_due         INTEGER NOT NULL DEFAULT 0,
    resolve_due       INTEGER NOT NULL DEFAULT 0,
    paused_at         INTEGER NOT NULL DEFAULT 0,
    escalated         INTEGER NOT NULL DEFAULT 0,
    acknowledged      INTEGER NOT NULL DEFAULT 0,
    warned            INTEGER NOT NULL DEFAULT 0,
    rating            INTEGER NOT NULL DEFAULT 0,
    rating_comment    TEXT    NOT NULL DEFAULT '',
    pending_action    TEXT    NOT NULL DEFAULT '',
    outcome           TEXT    NOT NULL DEFAULT '',
    complaint_refs    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX support_tickets_requester ON support_tickets (requester_id, updated_at);
CREATE INDEX support_tickets_email ON support_tickets (requester_email);
CREATE INDEX support_tickets_status ON support_tickets (status, updated_at);

-- A ticket's timeline: customer messages, agent replies, internal notes,
-- events and automatic mail. mail_id is the Message-ID of a mail received
-- or sent (NULL for none): unique, so a mail is filed once and our own ids
-- find their ticket. outbox_id is the mail_outbox row of a sent one.
CREATE TABLE support_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES support_tickets (id),
    kind         TEXT    NOT NULL,
    author_id    INTEGER NOT NULL DEFAULT 0,
    author_email TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    event        TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    mail_id      TEXT    UNIQUE,
    outbox_id    INTEGER NOT NULL DEFAULT 0,
    findings     INTEGER NOT NULL DEFAULT 0,
    raw_id       INTEGER NOT NULL DEFAULT 0,
    bounced      TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);
CREATE INDEX support_messages_outbox ON support_messages (outbox_id);

-- Attachments, sealed with secretbox (bound to their ticket): data is
-- ciphertext, never the file.
CREATE TABLE support_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES support_tickets (id),
    message_id   INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX support_attachments_message ON support_attachments (message_id);

-- Canned replies agents insert (SUP-9).
CREATE TABLE support_canned (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    language   TEXT    NOT NULL DEFAULT ''
);

-- Uses of the public form per IP or email, for its rate limit.
CREATE TABLE support_hits (
    hit_key TEXT    NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX support_hits_key ON support_hits (hit_key, at);

-- Ticket numbers come from one counter row: taking the next number locks
-- it, so tickets opened at the same moment on any node never share one.
CREATE TABLE support_ticket_numbers (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO support_ticket_numbers (id, last) VALUES (1, 10000);

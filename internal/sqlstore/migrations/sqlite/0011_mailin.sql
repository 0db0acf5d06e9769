-- Inbound mail (SUP-2). Every message the SMTP listener accepts is a row
-- here before it is answered "250": its envelope, and its raw bytes sealed
-- with secretbox (purpose "mailin", associated data "mailin:raw:<id>").
-- Once processed, the sealed bytes are emptied after the retention period
-- (purged_at); the row stays as a record of what came and what became of
-- it. status: received (stored, not yet processed), processing, filed (on
-- a ticket), duplicate, bounce, dropped (our own mail, a loop, an
-- auto-reply to a return path), unparsed (kept for staff to reprocess).
-- rcpt_to is a JSON array. note says why, without any of the content.
CREATE TABLE mailin_raw (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at  INTEGER NOT NULL,
    remote_ip    TEXT    NOT NULL DEFAULT '',
    helo         TEXT    NOT NULL DEFAULT '',
    mail_from    TEXT    NOT NULL DEFAULT '',
    rcpt_to      TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sealed       BLOB    NOT NULL DEFAULT X'',
    message_id   TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'received',
    note         TEXT    NOT NULL DEFAULT '',
    ticket_id    INTEGER NOT NULL DEFAULT 0,
    outbox_id    INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    claimed_at   INTEGER NOT NULL DEFAULT 0,
    processed_at INTEGER NOT NULL DEFAULT 0,
    purged_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mailin_raw_status ON mailin_raw (status, id);
CREATE INDEX mailin_raw_message_id ON mailin_raw (message_id);
CREATE INDEX mailin_raw_purge ON mailin_raw (purged_at, processed_at);

-- Acknowledgement counters for the rate limits, per fixed window:
-- 'rcpt:<address>' and 'ip:<address>'. Counted in the database so that
-- every node shares them.
CREATE TABLE mailin_ack_counts (
    counter      TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (counter, window_start)
);

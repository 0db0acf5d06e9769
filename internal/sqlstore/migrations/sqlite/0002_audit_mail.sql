-- Audit log: append-only. Security events and staff actions, newest by id.
-- Times are unix nanoseconds (UTC). The triggers refuse every UPDATE and
-- DELETE, whoever sends it; AUTOINCREMENT keeps ids from ever being reused.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    actor_role  TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    details     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Outgoing mail: each row is a composed, DKIM-signed message written in the
-- transaction that caused it, with a mail.send job beside it. Without a
-- relay (development) it ends as 'delivered_locally': the dev mailbox.
-- rcpt_to is a JSON array of envelope recipients.
CREATE TABLE mail_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT    NOT NULL UNIQUE,
    mail_from  TEXT    NOT NULL,
    rcpt_to    TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    raw        BLOB    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'queued',
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mail_outbox_status ON mail_outbox (status, id);

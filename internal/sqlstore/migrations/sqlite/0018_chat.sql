-- Live chat (internal/support/chat). Times are unix nanoseconds (UTC), 0
-- for none. Every text here has passed the sensitive-data guard
-- (internal/redact) before it was written. Nodes keep no chat state of
-- their own: what a socket delivers is read from these tables.

-- One chat between a customer and an agent, kept on a support ticket
-- (channel chat). status: waiting (for an agent), active, ended, ticket
-- (no agent or outside hours: it went to the ticket queue). last_seq is
-- the seq of the newest message; the next message takes last_seq + 1 in
-- the transaction that increments it. *_typing is the time until which
-- that side counts as typing.
CREATE TABLE chat_chats (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER NOT NULL REFERENCES support_tickets (id),
    customer_id     INTEGER NOT NULL,
    agent_id        INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    language        TEXT    NOT NULL DEFAULT 'zh-CN',
    customer_typing INTEGER NOT NULL DEFAULT 0,
    agent_typing    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    taken_at        INTEGER NOT NULL DEFAULT 0,
    ended_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chat_chats_status ON chat_chats (status, created_at);
CREATE INDEX chat_chats_customer ON chat_chats (customer_id, created_at);
CREATE INDEX chat_chats_agent ON chat_chats (agent_id, status);

-- A chat's messages in order. kind: customer, agent, system (event says
-- what happened). client_id is the sender's own id for the message, so a
-- message resent after a reconnect is stored once.
CREATE TABLE chat_messages (
    chat_id    INTEGER NOT NULL REFERENCES chat_chats (id),
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    author_id  INTEGER NOT NULL DEFAULT 0,
    body       TEXT    NOT NULL DEFAULT '',
    event      TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    findings   INTEGER NOT NULL DEFAULT 0,
    client_id  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, seq)
);
CREATE UNIQUE INDEX chat_messages_client ON chat_messages (chat_id, author_id, client_id) WHERE client_id <> '';

-- Agents available for chat: a row per agent whose console is open,
-- renewed by a heartbeat; expires_at passed means offline, whichever
-- node the agent was on.
CREATE TABLE chat_agents (
    agent_id   INTEGER PRIMARY KEY,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

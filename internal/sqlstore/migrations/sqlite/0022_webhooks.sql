-- Webhooks (internal/webhook). An endpoint belongs to a merchant id in a
-- mode (test, live). Times are unix nanoseconds (UTC). events is the
-- comma-separated list of subscribed types, or '*'. secret and
-- previous_secret are sealed (secretbox purpose "webhook", bound to the
-- endpoint id); previous_secret also signs until previous_until. version
-- makes every change a conditional update. failing_since is the first
-- failed attempt since the last success (0: healthy); disabled_reason is
-- 'failing' when deliveries disabled the endpoint, else empty.
CREATE TABLE webhook_endpoints (
    id              TEXT    PRIMARY KEY,
    merchant_id     TEXT    NOT NULL,
    mode            TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    events          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    failing_since   INTEGER NOT NULL DEFAULT 0,
    secret          BLOB    NOT NULL,
    previous_secret BLOB,
    previous_until  INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (merchant_id, mode, created_at);

-- Events, written in the transaction of the change they tell of. payload
-- is the exact JSON every delivery sends. Ids are time-ordered (evt_...).
CREATE TABLE webhook_events (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_events_owner ON webhook_events (merchant_id, mode, id);

-- One event sent to one endpoint: status pending, succeeded or failed;
-- manual marks a resend (one attempt). next_attempt_at is 0 unless pending.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL REFERENCES webhook_events (id),
    endpoint_id     TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    merchant_id     TEXT    NOT NULL,
    mode            TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    manual          INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_owner ON webhook_deliveries (merchant_id, mode, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, id);

-- The delivery log: every POST, with the start of the response body.
CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    number      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    url         TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    duration    INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

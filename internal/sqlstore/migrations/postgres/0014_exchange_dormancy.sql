-- Currency exchange quotes (internal/wallet Exchange): what a customer was
-- shown, honoured until expires_at. Amounts are minor units: sell and fee in
-- sell_currency, bought in buy_currency; rate is exact decimal text. Times
-- are unix nanoseconds (UTC).
CREATE TABLE wallet_exchange_quotes (
    id            TEXT    PRIMARY KEY,
    user_id       BIGINT  NOT NULL,
    wallet_id     TEXT    NOT NULL,
    sell          BIGINT  NOT NULL,
    fee           BIGINT  NOT NULL,
    sell_currency TEXT    NOT NULL,
    bought        BIGINT  NOT NULL,
    buy_currency  TEXT    NOT NULL,
    rate          TEXT    NOT NULL,
    rate_source   TEXT    NOT NULL DEFAULT '',
    rate_as_of    BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL
);
CREATE INDEX wallet_exchange_quotes_created ON wallet_exchange_quotes (created_at);

-- Notices of dormant accounts (internal/wallet Dormancy): one per dormancy,
-- that is per user and last activity before it.
CREATE TABLE wallet_dormancy_notices (
    user_id     BIGINT NOT NULL,
    activity_at BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    fees_from   BIGINT NOT NULL,
    PRIMARY KEY (user_id, activity_at)
);

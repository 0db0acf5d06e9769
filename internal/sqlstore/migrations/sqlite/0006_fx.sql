-- Exchange rates (internal/fx).
--
-- fx_rates: reference rates as imported, per 1 EUR, one row per source,
-- currency and day (YYYY-MM-DD). Rows are only ever added: a re-import with
-- a different value is refused by the service, never applied. rate is the
-- exact decimal as text ("7.5391"), never a float. The primary key serves
-- "newest on or before a day" for one currency.
CREATE TABLE fx_rates (
    source      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    rate        TEXT    NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, currency, day)
);
CREATE INDEX fx_rates_day ON fx_rates (source, day);

-- fx_manual_rates: rates set by staff for one direction of a pair, in
-- effect from effective_at (unix nanoseconds, UTC) until until_at (0: no
-- end) or a newer row for the pair. set_by is the staff user.
CREATE TABLE fx_manual_rates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    base         TEXT    NOT NULL,
    quote        TEXT    NOT NULL,
    rate         TEXT    NOT NULL,
    effective_at INTEGER NOT NULL,
    until_at     INTEGER NOT NULL DEFAULT 0,
    set_by       INTEGER NOT NULL,
    set_by_role  TEXT    NOT NULL DEFAULT '',
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX fx_manual_rates_pair ON fx_manual_rates (base, quote, effective_at, id);

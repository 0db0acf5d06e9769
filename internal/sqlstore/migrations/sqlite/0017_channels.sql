-- Announcements (internal/announce): maintenance windows and changes to
-- support hours, shown as a banner while starts_at <= now < ends_at, on
-- /announcements and in the Atom feed. Times are unix nanoseconds (UTC).
-- Rows are never deleted: ending one early moves ends_at, so the feed
-- keeps its history.
CREATE TABLE announcements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    title_zh    TEXT    NOT NULL DEFAULT '',
    title_en    TEXT    NOT NULL DEFAULT '',
    body_zh     TEXT    NOT NULL DEFAULT '',
    body_en     TEXT    NOT NULL DEFAULT '',
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX announcements_ends ON announcements (ends_at);

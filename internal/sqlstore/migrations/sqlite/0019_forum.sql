-- The community forum (internal/forum). Times are unix nanoseconds (UTC),
-- 0 for none; flags 0/1. Every text here has passed the sensitive-data
-- guard (internal/redact) before it was written.

-- A topic: its title and the state moderators set. replies counts the
-- visible replies and last_activity_at is the newest visible post; both
-- are recomputed from forum_posts whenever a post appears or is hidden.
CREATE TABLE forum_topics (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    category         TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES users (id),
    first_post_id    INTEGER NOT NULL DEFAULT 0,
    accepted_post_id INTEGER NOT NULL DEFAULT 0,
    replies          INTEGER NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0,
    hidden           INTEGER NOT NULL DEFAULT 0,
    hidden_reason    TEXT    NOT NULL DEFAULT '',
    findings         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
);
CREATE INDEX forum_topics_activity ON forum_topics (hidden, last_activity_at);
CREATE INDEX forum_topics_category ON forum_topics (category, hidden, last_activity_at);

-- Posts: a topic's opening post (opening = 1) and its replies.
CREATE TABLE forum_posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id      INTEGER NOT NULL REFERENCES forum_topics (id),
    author_id     INTEGER NOT NULL REFERENCES users (id),
    opening       INTEGER NOT NULL DEFAULT 0,
    body          TEXT    NOT NULL,
    findings      INTEGER NOT NULL DEFAULT 0,
    hidden        INTEGER NOT NULL DEFAULT 0,
    hidden_reason TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX forum_posts_topic ON forum_posts (topic_id, id);
CREATE INDEX forum_posts_author ON forum_posts (author_id, opening, created_at);

-- The search index: one row per distinct term of a post (CJK bigrams and
-- single characters, prefixes of lower-cased words; see forum.Terms).
-- Searches look terms up by equality only, through the primary key.
CREATE TABLE forum_terms (
    term     TEXT    NOT NULL,
    post_id  INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    PRIMARY KEY (term, post_id)
);
CREATE INDEX forum_terms_post ON forum_terms (post_id);

-- One row per member who posted or was banned: its row lock serialises a
-- member's posts, so the rate limits hold on every node; posts is the
-- member's post count shown beside their name.
CREATE TABLE forum_members (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    posts      INTEGER NOT NULL DEFAULT 0,
    touched_at INTEGER NOT NULL DEFAULT 0
);

-- Readers' reports of posts. An open report (resolved_at = 0) is unique
-- per post and reporter.
CREATE TABLE forum_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL REFERENCES forum_posts (id),
    topic_id    INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL REFERENCES users (id),
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0,
    resolved_by INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX forum_reports_open ON forum_reports (post_id, reporter_id) WHERE resolved_at = 0;
CREATE INDEX forum_reports_queue ON forum_reports (resolved_at, id);
CREATE INDEX forum_reports_reporter ON forum_reports (reporter_id, created_at);

-- Members banned from posting; until_at 0 means until lifted.
CREATE TABLE forum_bans (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    reason     TEXT    NOT NULL,
    until_at   INTEGER NOT NULL DEFAULT 0,
    by_id      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- The help centre (internal/helpcenter). Times are unix nanoseconds (UTC),
-- 0 for none; flags 0/1.

-- One article. slug is its address (/help/{slug}) and never changes;
-- live says whether the public sees it (its published texts). seeded
-- marks the articles the release ships (loaded once, then staff's).
CREATE TABLE help_articles (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT    NOT NULL UNIQUE,
    category   TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    live       INTEGER NOT NULL DEFAULT 0,
    seeded     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- An article's text in one language, one row per version. status is
-- draft (at most one per article and language), published (at most one:
-- the live text) or retired (an earlier published version, kept).
CREATE TABLE help_texts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id   INTEGER NOT NULL REFERENCES help_articles (id),
    lang         TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    author_id    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (article_id, lang, version)
);
CREATE UNIQUE INDEX help_texts_one_draft ON help_texts (article_id, lang) WHERE status = 'draft';
CREATE UNIQUE INDEX help_texts_one_published ON help_texts (article_id, lang) WHERE status = 'published';

-- The search index: the terms of every published text (CJK characters
-- and bigrams, lower-cased words), field 1 for the title and 0 for the
-- body, tf how often the term occurs there. Plain rows queried with the
-- same SQL on both engines, so every node searches the same index.
CREATE TABLE help_terms (
    term       TEXT    NOT NULL,
    text_id    INTEGER NOT NULL REFERENCES help_texts (id),
    field      INTEGER NOT NULL,
    tf         INTEGER NOT NULL,
    PRIMARY KEY (term, text_id, field)
);
CREATE INDEX help_terms_text ON help_terms (text_id);

-- "Was this helpful?": one vote per voter (a user, or a visitor's cookie)
-- and article, which they may change. ip bounds the votes one address
-- casts.
CREATE TABLE help_votes (
    article_id INTEGER NOT NULL REFERENCES help_articles (id),
    voter      TEXT    NOT NULL,
    helpful    INTEGER NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (article_id, voter)
);
CREATE INDEX help_votes_ip ON help_votes (ip, created_at);

-- Two-factor authentication (internal/auth/twofactor). Users are referenced
-- by id without a foreign key. Times are unix nanoseconds (UTC); flags are
-- 0/1. Codes and tokens are stored only as keyed hashes; TOTP secrets only
-- sealed (secretbox, bound to the user).
CREATE TABLE twofactor_totp (
    user_id    INTEGER PRIMARY KEY,
    sealed     BLOB    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    enabled_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE twofactor_recovery_codes (
    user_id    INTEGER NOT NULL,
    code_hash  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE twofactor_challenges (
    id_hash            BLOB    PRIMARY KEY,
    user_id            INTEGER NOT NULL,
    action_hash        BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    failures           INTEGER NOT NULL DEFAULT 0,
    ended              INTEGER NOT NULL DEFAULT 0,
    passed_at          INTEGER NOT NULL DEFAULT 0,
    email_code_hash    BLOB    NOT NULL DEFAULT X'',
    email_code_expires INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX twofactor_challenges_expires ON twofactor_challenges (expires_at);

CREATE TABLE twofactor_step_ups (
    token_hash  BLOB    PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    action_hash BLOB    NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX twofactor_step_ups_expires ON twofactor_step_ups (expires_at);

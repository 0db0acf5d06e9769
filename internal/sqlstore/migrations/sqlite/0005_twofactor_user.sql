-- Wrong codes are also counted per user across challenges (twofactor.Begin
-- refuses a new challenge after too many in a window).
CREATE INDEX twofactor_challenges_user ON twofactor_challenges (user_id, created_at);

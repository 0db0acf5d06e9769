-- A withdrawal the risk rules hold waits in status 'review' (its money
-- held, nothing sent to the rail); the settlement job looks at it too, to
-- finish a hold a crashed request left unrecorded.
DROP INDEX wallet_withdrawals_open;
CREATE INDEX wallet_withdrawals_open ON wallet_withdrawals (created_at)
    WHERE status IN ('pending', 'processing', 'review');

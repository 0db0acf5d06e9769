-- The /v1 API lists a merchant's checkout sessions by cursor, newest
-- first, per mode (payments have merchant_payments_list already).
CREATE INDEX merchant_sessions_list ON merchant_sessions (merchant_id, livemode, created_at, id);

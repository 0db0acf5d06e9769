-- Merchant payments in the payer's wallet history (internal/wallet
-- merchantpay.go). authorized is what a balance payment held; once it is
-- captured, amount is what the shop took and the rest was released.
ALTER TABLE wallet_movements ADD COLUMN authorized BIGINT NOT NULL DEFAULT 0;

package sqlstore

import (
	"context"
	"fmt"

	"github.com/okpay/okpay/internal/wallet"
)

// PutMovement implements wallet.Tx: one statement on both engines, so a
// merchant payment's movement follows the payment in the transaction that
// changes it. A movement already final is left as it is (the WHERE of the
// conflict clause), so a late or repeated write never undoes an outcome.
func (t walletTx) PutMovement(ctx context.Context, m wallet.Movement) (bool, error) {
	plan, err := encodeWalletPlan(m.Plan)
	if err != nil {
		return false, fmt.Errorf("sqlstore: put movement: %w", err)
	}
	n, err := t.q.Exec(ctx, `INSERT INTO wallet_movements (id, wallet_id, user_id, type, status, amount, fee, currency,
			counterparty_wallet, counterparty_user, counterparty_display, note, method, method_display, charge_id,
			failure_code, plan, ready, version, search, created_at, updated_at, posted_at, authorized)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, 0, $18, $19, $20, $21, $22)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
			authorized = excluded.authorized, failure_code = excluded.failure_code,
			posted_at = excluded.posted_at, updated_at = excluded.updated_at, search = excluded.search,
			version = wallet_movements.version + 1
		WHERE wallet_movements.status NOT IN ('completed', 'failed', 'canceled')`,
		m.ID, string(m.WalletID), m.UserID, string(m.Type), string(m.Status), m.Amount.Minor, m.Fee.Minor,
		m.Amount.Currency.Code, string(m.Counterparty.WalletID), m.Counterparty.UserID, m.Counterparty.Display, m.Note,
		string(m.Method), m.MethodDisplay, m.ChargeID, string(m.FailureCode), plan, walletMovementSearch(m),
		nanos(m.CreatedAt), nanos(m.UpdatedAt), nanos(m.PostedAt), m.Authorized.Minor)
	if err != nil {
		return false, fmt.Errorf("sqlstore: put movement: %w", err)
	}
	return n == 1, nil
}

// Wallet implements merchant.Tx: the same transaction as the wallet's
// store sees it, so the payer's movement (and the risk freeze check)
// commit with the payment's change of state.
func (t MerchantTx) Wallet() wallet.Tx { return walletTx{q: t.q, db: t.db} }

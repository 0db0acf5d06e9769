package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

var (
	_ wallet.ExchangeStore = (*WalletStore)(nil)
	_ wallet.DormancyStore = (*WalletStore)(nil)
)

// InsertExchangeQuote implements wallet.ExchangeStore.
func (s *WalletStore) InsertExchangeQuote(ctx context.Context, q wallet.ExchangeQuote) error {
	_, err := s.db.Write().Exec(ctx, `INSERT INTO wallet_exchange_quotes (id, user_id, wallet_id, sell, fee,
			sell_currency, bought, buy_currency, rate, rate_source, rate_as_of, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		q.ID, q.UserID, string(q.WalletID), q.Sell.Minor, q.Fee.Minor, q.Sell.Currency.Code, q.Bought.Minor,
		q.Bought.Currency.Code, q.Rate.String(), q.RateSource, nanos(q.RateAsOf), nanos(q.CreatedAt), nanos(q.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert exchange quote: %w", err)
	}
	return nil
}

// ExchangeQuote implements wallet.ExchangeStore.
func (s *WalletStore) ExchangeQuote(ctx context.Context, id string) (wallet.ExchangeQuote, error) {
	var (
		q                         wallet.ExchangeQuote
		walletID, sellCur, buyCur string
		rate                      string
		sell, fee, bought         int64
		asOf, created, expires    int64
	)
	err := s.db.Read().QueryRow(ctx, `SELECT id, user_id, wallet_id, sell, fee, sell_currency, bought, buy_currency,
			rate, rate_source, rate_as_of, created_at, expires_at
		FROM wallet_exchange_quotes WHERE id = $1`, id).Scan(&q.ID, &q.UserID, &walletID, &sell, &fee, &sellCur,
		&bought, &buyCur, &rate, &q.RateSource, &asOf, &created, &expires)
	if errors.Is(err, ErrNoRows) {
		return wallet.ExchangeQuote{}, wallet.ErrExchangeQuoteNotFound
	}
	if err != nil {
		return wallet.ExchangeQuote{}, fmt.Errorf("sqlstore: exchange quote: %w", err)
	}
	sc, err := money.Lookup(sellCur)
	if err != nil {
		return wallet.ExchangeQuote{}, fmt.Errorf("sqlstore: exchange quote %s: %w", id, err)
	}
	bc, err := money.Lookup(buyCur)
	if err != nil {
		return wallet.ExchangeQuote{}, fmt.Errorf("sqlstore: exchange quote %s: %w", id, err)
	}
	if q.Rate, err = money.ParseRate(rate); err != nil {
		return wallet.ExchangeQuote{}, fmt.Errorf("sqlstore: exchange quote %s: %w", id, err)
	}
	q.WalletID = wallet.WalletID(walletID)
	q.Sell, q.Fee = money.Amount{Minor: sell, Currency: sc}, money.Amount{Minor: fee, Currency: sc}
	q.Debited = money.Amount{Minor: sell + fee, Currency: sc}
	q.Bought = money.Amount{Minor: bought, Currency: bc}
	q.RateAsOf, q.CreatedAt, q.ExpiresAt = fromNanos(asOf), fromNanos(created), fromNanos(expires)
	return q, nil
}

// dormancyActivity lists the movement types a customer starts: those are
// activity, money received and fees are not.
const dormancyActivity = `('deposit', 'send', 'request_payment', 'exchange')`

// Inactive implements wallet.DormancyStore.
func (s *WalletStore) Inactive(ctx context.Context, since time.Time, afterUser int64, limit int) ([]wallet.DormantAccount, error) {
	at := since.UnixNano()
	rows, err := s.db.Read().Query(ctx, `SELECT w.user_id, w.id, u.email, u.locale, w.created_at,
			COALESCE((SELECT MAX(se.created_at) FROM sessions se WHERE se.user_id = w.user_id), 0),
			COALESCE((SELECT MAX(m.created_at) FROM wallet_movements m
				WHERE m.user_id = w.user_id AND m.type IN `+dormancyActivity+`), 0)
		FROM wallets w JOIN users u ON u.id = w.user_id
		WHERE u.role = 'customer' AND w.user_id > $2 AND w.created_at < $1
			AND NOT EXISTS (SELECT 1 FROM sessions se WHERE se.user_id = w.user_id AND se.created_at >= $1)
			AND NOT EXISTS (SELECT 1 FROM wallet_movements m WHERE m.user_id = w.user_id
				AND m.created_at >= $1 AND m.type IN `+dormancyActivity+`)
		ORDER BY w.user_id LIMIT $3`, at, afterUser, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: inactive wallets: %w", err)
	}
	defer rows.Close()
	var out []wallet.DormantAccount
	for rows.Next() {
		var (
			a                         wallet.DormantAccount
			id                        string
			opened, signedIn, started int64
		)
		if err := rows.Scan(&a.UserID, &id, &a.Email, &a.Locale, &opened, &signedIn, &started); err != nil {
			return nil, fmt.Errorf("sqlstore: inactive wallets: %w", err)
		}
		a.WalletID = wallet.WalletID(id)
		a.LastActivity = fromNanos(max(opened, signedIn, started))
		out = append(out, a)
	}
	return out, rows.Err()
}

// DormancyNotice implements wallet.DormancyStore.
func (s *WalletStore) DormancyNotice(ctx context.Context, userID int64, activityAt time.Time) (wallet.DormancyNotice, error) {
	n := wallet.DormancyNotice{UserID: userID, ActivityAt: activityAt}
	var sent, from int64
	err := s.db.Read().QueryRow(ctx, `SELECT sent_at, fees_from FROM wallet_dormancy_notices
		WHERE user_id = $1 AND activity_at = $2`, userID, activityAt.UnixNano()).Scan(&sent, &from)
	if errors.Is(err, ErrNoRows) {
		return wallet.DormancyNotice{}, wallet.ErrDormancyNoticeNotFound
	}
	if err != nil {
		return wallet.DormancyNotice{}, fmt.Errorf("sqlstore: dormancy notice: %w", err)
	}
	n.SentAt, n.FeesFrom = fromNanos(sent), fromNanos(from)
	return n, nil
}

// InDormancyTx implements wallet.DormancyStore.
func (s *WalletStore) InDormancyTx(ctx context.Context, fn func(wallet.DormancyTx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(dormancyTx{q: tx, db: s.db}) })
}

type dormancyTx struct {
	q  Querier
	db *DB
}

// InsertDormancyNotice implements wallet.DormancyTx.
func (t dormancyTx) InsertDormancyNotice(ctx context.Context, n wallet.DormancyNotice) (bool, error) {
	c, err := t.q.Exec(ctx, `INSERT INTO wallet_dormancy_notices (user_id, activity_at, sent_at, fees_from)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		n.UserID, n.ActivityAt.UnixNano(), nanos(n.SentAt), nanos(n.FeesFrom))
	if err != nil {
		return false, fmt.Errorf("sqlstore: insert dormancy notice: %w", err)
	}
	return c == 1, nil
}

// Outbox implements wallet.DormancyTx.
func (t dormancyTx) Outbox() mail.OutboxTx { return t.db.OutboxTx(t.q) }

// ManualRates implements fx.Store: the newest staff-set rates first.
func (s *FXStore) ManualRates(ctx context.Context, limit int) ([]fx.ManualRate, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+manualColumns+` FROM fx_manual_rates
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: manual rates: %w", err)
	}
	defer rows.Close()
	var out []fx.ManualRate
	for rows.Next() {
		var (
			m                     fx.ManualRate
			rate                  string
			from, until, creation int64
		)
		if err := rows.Scan(&m.ID, &m.Base, &m.Quote, &rate, &from, &until, &m.SetBy, &m.SetByRole, &m.Note, &creation); err != nil {
			return nil, fmt.Errorf("sqlstore: manual rates: %w", err)
		}
		if m.Rate, err = money.ParseRate(rate); err != nil {
			return nil, fmt.Errorf("sqlstore: manual rate %d: %w", m.ID, err)
		}
		m.From, m.Until, m.CreatedAt = fromNanos(from), fromNanos(until), fromNanos(creation)
		out = append(out, m)
	}
	return out, rows.Err()
}

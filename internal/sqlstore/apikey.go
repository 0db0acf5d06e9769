package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/money"
)

// APIKeyStore implements apikey.Store on both engines, in the tables of
// migration 0020.
type APIKeyStore struct{ db *DB }

var _ apikey.Store = (*APIKeyStore)(nil)

// APIKeys returns the API key store.
func (db *DB) APIKeys() *APIKeyStore { return &APIKeyStore{db} }

const apiKeyCols = `id, owner_kind, owner_id, livemode, kind, name, prefix, last4, public, scopes,
	daily_limit, daily_currency, created_at, revoked_at, last_used_at, hash`

func scanAPIKey(r scanner) (apikey.Key, string, error) {
	var (
		k                          apikey.Key
		live, limit                int64
		kind, mode, scopes, cur, h string
		created, revoked, lastUsed int64
	)
	if err := r.Scan(&k.ID, &k.Owner.Kind, &k.Owner.ID, &live, &kind, &k.Name, &k.Prefix, &k.Last4, &k.Public, &scopes,
		&limit, &cur, &created, &revoked, &lastUsed, &h); err != nil {
		return apikey.Key{}, "", err
	}
	mode = string(apikey.Test)
	if live == 1 {
		mode = string(apikey.Live)
	}
	k.Mode, k.Kind = apikey.Mode(mode), apikey.Kind(kind)
	if scopes != "" {
		for _, s := range strings.Split(scopes, ",") {
			k.Scopes = append(k.Scopes, apikey.Scope(s))
		}
	}
	if cur != "" && limit >= 0 {
		c, err := money.Lookup(cur)
		if err != nil {
			return apikey.Key{}, "", fmt.Errorf("key %s: %w", k.ID, err)
		}
		k.DailyLimit = money.Amount{Minor: limit, Currency: c}
	}
	k.CreatedAt, k.RevokedAt, k.LastUsedAt = fromNanos(created), fromNanos(revoked), fromNanos(lastUsed)
	return k, h, nil
}

func (s *APIKeyStore) keys(ctx context.Context, where string, args ...any) ([]apikey.Key, []string, error) {
	rows, err := s.db.Read().Query(ctx, "SELECT "+apiKeyCols+" FROM api_keys WHERE "+where, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: api keys: %w", err)
	}
	defer rows.Close()
	var (
		out    []apikey.Key
		hashes []string
	)
	for rows.Next() {
		k, h, err := scanAPIKey(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlstore: api keys: %w", err)
		}
		out, hashes = append(out, k), append(hashes, h)
	}
	return out, hashes, rows.Err()
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateKey implements apikey.Store.
func (s *APIKeyStore) CreateKey(ctx context.Context, k apikey.Key, hash string, ev audit.Event) error {
	scopes := make([]string, len(k.Scopes))
	for i, sc := range k.Scopes {
		scopes[i] = string(sc)
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, owner_kind, owner_id, livemode, kind, name, hash, prefix, last4, public,
			scopes, daily_limit, daily_currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, -1, '', $12)`,
			k.ID, k.Owner.Kind, k.Owner.ID, flag(k.Livemode()), string(k.Kind), k.Name, hash, k.Prefix, k.Last4, k.Public,
			strings.Join(scopes, ","), nanos(k.CreatedAt))
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.db.AuditTx(tx), ev)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: create api key: %w", err)
	}
	return nil
}

// KeyByHash implements apikey.Store.
func (s *APIKeyStore) KeyByHash(ctx context.Context, hash string) (apikey.Key, string, error) {
	ks, hs, err := s.keys(ctx, "hash = $1", hash)
	if err != nil {
		return apikey.Key{}, "", err
	}
	if len(ks) == 0 {
		return apikey.Key{}, "", apikey.ErrNotFound
	}
	return ks[0], hs[0], nil
}

// Key implements apikey.Store.
func (s *APIKeyStore) Key(ctx context.Context, owner apikey.Owner, id string) (apikey.Key, error) {
	ks, _, err := s.keys(ctx, "owner_kind = $1 AND owner_id = $2 AND id = $3", owner.Kind, owner.ID, id)
	if err != nil {
		return apikey.Key{}, err
	}
	if len(ks) == 0 {
		return apikey.Key{}, apikey.ErrNotFound
	}
	return ks[0], nil
}

// Keys implements apikey.Store.
func (s *APIKeyStore) Keys(ctx context.Context, owner apikey.Owner) ([]apikey.Key, error) {
	ks, _, err := s.keys(ctx, "owner_kind = $1 AND owner_id = $2 ORDER BY created_at DESC, id DESC", owner.Kind, owner.ID)
	return ks, err
}

// RevokeKey implements apikey.Store.
func (s *APIKeyStore) RevokeKey(ctx context.Context, owner apikey.Owner, id string, at time.Time, ev audit.Event) error {
	found := true
	err := s.db.InTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $4
			WHERE owner_kind = $1 AND owner_id = $2 AND id = $3 AND revoked_at = 0`, owner.Kind, owner.ID, id, nanos(at))
		if err != nil {
			return err
		}
		if n == 1 {
			return audit.Record(ctx, s.db.AuditTx(tx), ev)
		}
		var c int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE owner_kind = $1 AND owner_id = $2 AND id = $3`,
			owner.Kind, owner.ID, id).Scan(&c); err != nil {
			return err
		}
		found = c == 1
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: revoke api key: %w", err)
	}
	if !found {
		return apikey.ErrNotFound
	}
	return nil
}

// TouchKey implements apikey.Store.
func (s *APIKeyStore) TouchKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.Write().Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2`, id, nanos(at)); err != nil {
		return fmt.Errorf("sqlstore: touch api key: %w", err)
	}
	return nil
}

// SetDailyLimit implements apikey.Store.
func (s *APIKeyStore) SetDailyLimit(ctx context.Context, owner apikey.Owner, id string, limit money.Amount, ev audit.Event) error {
	minor, cur := int64(-1), ""
	if limit.Currency.Code != "" {
		minor, cur = limit.Minor, limit.Currency.Code
	}
	var n int64
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `UPDATE api_keys SET daily_limit = $4, daily_currency = $5
			WHERE owner_kind = $1 AND owner_id = $2 AND id = $3`, owner.Kind, owner.ID, id, minor, cur)
		if err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, s.db.AuditTx(tx), ev)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: set daily limit: %w", err)
	}
	if n == 0 {
		return apikey.ErrNotFound
	}
	return nil
}

// AddSpend implements apikey.Store. The UPDATE is the whole check: it
// reads the key's limit and the day's total and adds to it in one
// statement, under the row's lock (PostgreSQL re-evaluates the condition
// on the locked row; SQLite has one writer), so two concurrent sends can
// never both pass a limit only one of them fits under.
func (s *APIKeyStore) AddSpend(ctx context.Context, keyID, day, currency string, minor int64) (bool, error) {
	var ok bool
	err := s.db.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_key_spend (key_id, day, currency, spent) VALUES ($1, $2, $3, 0)
			ON CONFLICT (key_id, day, currency) DO NOTHING`, keyID, day, currency); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE api_key_spend SET spent = spent + $3
			WHERE key_id = $1 AND day = $2 AND currency = $4 AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = $1
				AND (k.daily_limit < 0 OR (k.daily_currency = $4 AND api_key_spend.spent + $3 <= k.daily_limit)))`,
			keyID, day, minor, currency)
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: add spend: %w", err)
	}
	return ok, nil
}

// SubSpend implements apikey.Store.
func (s *APIKeyStore) SubSpend(ctx context.Context, keyID, day, currency string, minor int64) error {
	if _, err := s.db.Write().Exec(ctx, `UPDATE api_key_spend SET spent = spent - $3 WHERE key_id = $1 AND day = $2 AND currency = $4`,
		keyID, day, minor, currency); err != nil {
		return fmt.Errorf("sqlstore: sub spend: %w", err)
	}
	return nil
}

// Spent implements apikey.Store.
func (s *APIKeyStore) Spent(ctx context.Context, keyID, day, currency string) (int64, error) {
	var n int64
	err := s.db.Read().QueryRow(ctx, `SELECT spent FROM api_key_spend WHERE key_id = $1 AND day = $2 AND currency = $3`,
		keyID, day, currency).Scan(&n)
	if errors.Is(err, ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: spent: %w", err)
	}
	return n, nil
}

// APIIdempotencyStore implements httpapi.IdempotencyStore on both engines.
type APIIdempotencyStore struct{ db *DB }

var _ httpapi.IdempotencyStore = (*APIIdempotencyStore)(nil)

// APIIdempotency returns the store of the API's idempotency keys.
func (db *DB) APIIdempotency() *APIIdempotencyStore { return &APIIdempotencyStore{db} }

const idemWhere = `owner_kind = $1 AND owner_id = $2 AND livemode = $3 AND key = $4`

func idemArgs(k httpapi.IdempotencyKey) []any {
	return []any{k.Owner.Kind, k.Owner.ID, flag(k.Livemode), k.Key}
}

// Claim implements httpapi.IdempotencyStore. The insert is the claim: on
// PostgreSQL a concurrent insert of the same key waits for the first to
// commit and then inserts nothing; SQLite has one writer.
func (s *APIIdempotencyStore) Claim(ctx context.Context, k httpapi.IdempotencyKey, hash string, now, expiredBefore, staleBefore time.Time) (httpapi.Saved, bool, error) {
	var (
		saved   httpapi.Saved
		claimed bool
	)
	args := idemArgs(k)
	err := s.db.InTx(ctx, func(tx Tx) error {
		// An expired key is gone (the purge job may not have run yet); a
		// running one whose node died long ago is taken over by the
		// same request.
		if _, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE `+idemWhere+`
			AND (created_at < $5 OR (state = 'running' AND locked_at < $6 AND request_hash = $7))`,
			append(args, nanos(expiredBefore), nanos(staleBefore), hash)...); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `INSERT INTO api_idempotency (owner_kind, owner_id, livemode, key, request_hash, state, created_at, locked_at)
			VALUES ($1, $2, $3, $4, $5, 'running', $6, $6) ON CONFLICT (owner_kind, owner_id, livemode, key) DO NOTHING`,
			append(args, hash, nanos(now))...)
		if err != nil {
			return err
		}
		if n == 1 {
			claimed = true
			return nil
		}
		var (
			state string
			body  string
			at    int64
		)
		if err := tx.QueryRow(ctx, `SELECT request_hash, state, status, body, created_at FROM api_idempotency WHERE `+idemWhere, args...).
			Scan(&saved.RequestHash, &state, &saved.Status, &body, &at); err != nil {
			return err
		}
		saved.Done, saved.Body, saved.CreatedAt = state == "done", []byte(body), fromNanos(at)
		return nil
	})
	if err != nil {
		return httpapi.Saved{}, false, fmt.Errorf("sqlstore: claim idempotency key: %w", err)
	}
	return saved, claimed, nil
}

// Save implements httpapi.IdempotencyStore.
func (s *APIIdempotencyStore) Save(ctx context.Context, k httpapi.IdempotencyKey, status int, body []byte) error {
	if _, err := s.db.Write().Exec(ctx, `UPDATE api_idempotency SET state = 'done', status = $5, body = $6 WHERE `+idemWhere,
		append(idemArgs(k), status, string(body))...); err != nil {
		return fmt.Errorf("sqlstore: save idempotent response: %w", err)
	}
	return nil
}

// Release implements httpapi.IdempotencyStore.
func (s *APIIdempotencyStore) Release(ctx context.Context, k httpapi.IdempotencyKey) error {
	if _, err := s.db.Write().Exec(ctx, `DELETE FROM api_idempotency WHERE `+idemWhere+` AND state = 'running'`, idemArgs(k)...); err != nil {
		return fmt.Errorf("sqlstore: release idempotency key: %w", err)
	}
	return nil
}

// Purge implements httpapi.IdempotencyStore.
func (s *APIIdempotencyStore) Purge(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.Write().Exec(ctx, `DELETE FROM api_idempotency WHERE created_at < $1`, nanos(before))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: purge idempotency keys: %w", err)
	}
	return n, nil
}

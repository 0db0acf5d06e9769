package merchant

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The reads and the one change the /v1 API needs beyond the dashboard's:
// cursor pages of payments and sessions, a session, a refund, and expiring
// a session. Every one goes through an Access, so another merchant's or
// the other mode's object is ErrNotFound, exactly as for payments.

// Page asks for one page of a list: at most Limit objects (1-100) older
// than StartingAfter (the next page), or newer than EndingBefore (the
// previous page), newest first either way. Cursors are object ids.
type Page struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// ErrCursor: a page cursor names no object of this merchant and mode.
// It wraps ErrNotFound.
var ErrCursor = fmt.Errorf("%w: page cursor", ErrNotFound)

// PageQuery selects one page of a merchant's objects in one mode, ordered
// by (created, id).
type PageQuery struct {
	MerchantID string
	Livemode   bool
	// CursorAt and CursorID are the cursor object's; a zero CursorID
	// starts at the newest.
	CursorAt time.Time
	CursorID string
	// Newer: objects after the cursor, oldest first (a previous page);
	// otherwise objects before it, newest first.
	Newer bool
	Limit int
}

// PageStore is the part of the store that reads cursor pages; sqlstore's
// merchant store implements it.
type PageStore interface {
	PaymentsPage(ctx context.Context, q PageQuery) ([]Payment, error)
	SessionsPage(ctx context.Context, q PageQuery) ([]Session, error)
}

func (s *Service) pages() (PageStore, error) {
	ps, ok := s.store.(PageStore)
	if !ok {
		return nil, unavailable("pages", errors.New("the store cannot read pages"))
	}
	return ps, nil
}

// pageQuery resolves a page's cursor through find (which answers
// ErrNotFound for anything not the access's), and asks for one object
// more than the limit, to know whether there are more.
func pageQuery(ctx context.Context, a Access, pg Page, find func(id string) (time.Time, error)) (PageQuery, error) {
	if pg.Limit <= 0 || pg.Limit > 100 {
		pg.Limit = 10
	}
	q := PageQuery{MerchantID: a.MerchantID, Livemode: a.Mode.Live(), Limit: pg.Limit + 1}
	cursor := pg.StartingAfter
	if pg.EndingBefore != "" {
		cursor, q.Newer = pg.EndingBefore, true
	}
	if cursor != "" {
		at, err := find(cursor)
		if errors.Is(err, ErrNotFound) {
			return q, ErrCursor
		}
		if err != nil {
			return q, err
		}
		q.CursorAt, q.CursorID = at, cursor
	}
	return q, nil
}

// trim cuts a page read with one extra object to the limit, newest first,
// and reports whether there were more.
func trim[T any](items []T, limit int, newer bool) ([]T, bool) {
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	if newer {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	return items, more
}

// PaymentsPage lists the merchant's payments in the access's mode, newest
// first, by cursor. Errors: ErrCursor (wraps ErrNotFound).
func (s *Service) PaymentsPage(ctx context.Context, a Access, pg Page) ([]Payment, bool, error) {
	ps, err := s.pages()
	if err != nil {
		return nil, false, err
	}
	q, err := pageQuery(ctx, a, pg, func(id string) (time.Time, error) {
		p, err := s.Payment(ctx, a, id)
		return p.CreatedAt, err
	})
	if err != nil {
		return nil, false, err
	}
	items, err := ps.PaymentsPage(ctx, q)
	if err != nil {
		return nil, false, unavailable("payments", err)
	}
	items, more := trim(items, q.Limit-1, q.Newer)
	return items, more, nil
}

// Session returns one of the merchant's checkout sessions in the access's
// mode; an open session past its expiry is expired first, as on the
// hosted page. Errors: ErrNotFound (also another merchant's or mode's).
func (s *Service) Session(ctx context.Context, a Access, id string) (Session, error) {
	cs, err := s.ownSession(ctx, a, id)
	if err != nil {
		return Session{}, err
	}
	if cs.Status == SessionOpen && !s.nowUTC().Before(cs.ExpiresAt) {
		c, err := s.Checkout(ctx, id)
		if err != nil {
			return Session{}, err
		}
		cs = c.Session
	}
	return cs, nil
}

func (s *Service) ownSession(ctx context.Context, a Access, id string) (Session, error) {
	if !validID(PrefixSession, id) {
		return Session{}, ErrNotFound
	}
	cs, err := s.store.Session(ctx, id)
	if err != nil {
		return Session{}, storeErr("session", err)
	}
	if cs.MerchantID != a.MerchantID || cs.Livemode != a.Mode.Live() {
		return Session{}, ErrNotFound
	}
	return cs, nil
}

// SessionsPage lists the merchant's checkout sessions in the access's
// mode, newest first, by cursor. Errors: ErrCursor.
func (s *Service) SessionsPage(ctx context.Context, a Access, pg Page) ([]Session, bool, error) {
	ps, err := s.pages()
	if err != nil {
		return nil, false, err
	}
	q, err := pageQuery(ctx, a, pg, func(id string) (time.Time, error) {
		cs, err := s.ownSession(ctx, a, id)
		return cs.CreatedAt, err
	})
	if err != nil {
		return nil, false, err
	}
	items, err := ps.SessionsPage(ctx, q)
	if err != nil {
		return nil, false, unavailable("sessions", err)
	}
	items, more := trim(items, q.Limit-1, q.Newer)
	return items, more, nil
}

// ExpireSession closes an open session so it can no longer be paid, and
// cancels its unpaid payment. Errors: ErrForbidden, ErrNotFound,
// ErrSessionComplete (paid), ErrSessionExpired (already closed),
// ErrInvalidState (a payment is under way right now: try again).
func (s *Service) ExpireSession(ctx context.Context, a Access, id string) (Session, error) {
	if !a.Role.CanMoveMoney() {
		return Session{}, ErrForbidden
	}
	cs, err := s.Session(ctx, a, id)
	if err != nil {
		return Session{}, err
	}
	switch cs.Status {
	case SessionComplete:
		return cs, ErrSessionComplete
	case SessionExpired:
		return cs, ErrSessionExpired
	}
	p, err := s.payment(ctx, cs.PaymentID)
	if err != nil {
		return cs, err
	}
	// cancel refuses a payment being authorised or already paid, so a
	// shopper paying this instant either wins (the session completes) or
	// loses cleanly; it also expires the session, announcing it.
	if _, err := s.cancel(ctx, p); err != nil {
		if errors.Is(err, ErrInvalidState) {
			if now, rerr := s.ownSession(ctx, a, id); rerr == nil && now.Status == SessionComplete {
				return now, ErrSessionComplete
			}
		}
		return cs, err
	}
	return s.ownSession(ctx, a, id)
}

// RefundOf returns one of the merchant's refunds in the access's mode.
// Errors: ErrNotFound (also another merchant's or mode's).
func (s *Service) RefundOf(ctx context.Context, a Access, id string) (Refund, error) {
	if !validID(PrefixRefund, id) {
		return Refund{}, ErrNotFound
	}
	rf, err := s.store.Refund(ctx, id)
	if err != nil {
		return Refund{}, storeErr("refund", err)
	}
	if rf.MerchantID != a.MerchantID || rf.Livemode != a.Mode.Live() {
		return Refund{}, ErrNotFound
	}
	return rf, nil
}

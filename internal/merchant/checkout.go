package merchant

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/money"
)

// SessionRequest asks for a checkout session: a payment (captured
// automatically) and the hosted page that collects it.
type SessionRequest struct {
	Amount     money.Amount
	ItemName   string
	Invoice    string // the shop's own reference
	SuccessURL string // where the shopper goes once paid
	CancelURL  string // where "back to the shop" goes (default SuccessURL)
	NotifyURL  string // the shop's notification endpoint (HTML form)
}

// checkURL accepts an absolute http(s) URL without credentials, or "".
func checkURL(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", ErrInvalidURL
		}
		return "", nil
	}
	if len(s) > maxURL || !printable(s) {
		return "", ErrInvalidURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", ErrInvalidURL
	}
	return u.String(), nil
}

func (s *Service) newSession(a Access, r SessionRequest) (Session, Payment, error) {
	item := strings.TrimSpace(r.ItemName)
	invoice := strings.TrimSpace(r.Invoice)
	if item == "" || utf8.RuneCountInString(item) > maxText || !printable(item) ||
		utf8.RuneCountInString(invoice) > maxText || !printable(invoice) {
		return Session{}, Payment{}, ErrInvalidText
	}
	success, err := checkURL(r.SuccessURL, true)
	if err != nil {
		return Session{}, Payment{}, err
	}
	cancel, err := checkURL(r.CancelURL, false)
	if err != nil {
		return Session{}, Payment{}, err
	}
	if cancel == "" {
		cancel = success
	}
	notify, err := checkURL(r.NotifyURL, false)
	if err != nil {
		return Session{}, Payment{}, err
	}
	p, err := s.newPayment(a, PaymentRequest{Amount: r.Amount, CaptureMethod: CaptureAutomatic, Description: item})
	if err != nil {
		return Session{}, Payment{}, err
	}
	id, _ := newPrefixedID(PrefixSession)
	p.SessionID = id
	cs := Session{ID: id, MerchantID: a.MerchantID, Livemode: a.Mode.Live(), PaymentID: p.ID, Amount: r.Amount, ItemName: item,
		Invoice: invoice, SuccessURL: success, CancelURL: cancel, NotifyURL: notify, Status: SessionOpen,
		ExpiresAt: p.CreatedAt.Add(s.cfg.SessionTTL), CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}
	return cs, p, nil
}

func (s *Service) insertSession(ctx context.Context, cs Session, p Payment) error {
	err := s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		if err := tx.InsertPayment(ctx, p); err != nil {
			return err
		}
		if err := tx.InsertSession(ctx, cs); err != nil {
			return err
		}
		return s.record(ctx, tx, EventPaymentCreated, p.MerchantID, p.Livemode, p.ID, p)
	})
	if err != nil {
		return unavailable("create session", err)
	}
	return nil
}

// CreateSession creates a checkout session; the shopper pays at
// /checkout/{id}. Errors: ErrForbidden, ErrInvalidAmount,
// ErrInvalidCurrency, ErrInvalidText, ErrInvalidURL.
func (s *Service) CreateSession(ctx context.Context, a Access, r SessionRequest) (Session, error) {
	if !a.Role.CanMoveMoney() {
		return Session{}, ErrForbidden
	}
	cs, p, err := s.newSession(a, r)
	if err != nil {
		return Session{}, err
	}
	if err := s.insertSession(ctx, cs, p); err != nil {
		return Session{}, err
	}
	return cs, nil
}

// Checkout is what the hosted page shows: the session, its payment and
// the merchant's public face.
type Checkout struct {
	Session  Session
	Payment  Payment
	Merchant Merchant
}

// Checkout returns a session for the hosted page, anyone holding its id.
// An open session past its expiry is expired here (and its unpaid payment
// canceled) before it is shown. Errors: ErrNotFound.
func (s *Service) Checkout(ctx context.Context, id string) (Checkout, error) {
	if !validID(PrefixSession, id) {
		return Checkout{}, ErrNotFound
	}
	cs, err := s.store.Session(ctx, id)
	if err != nil {
		return Checkout{}, storeErr("session", err)
	}
	p, err := s.payment(ctx, cs.PaymentID)
	if err != nil {
		return Checkout{}, err
	}
	if p.Status == Processing {
		// A payment left half-done by a lost answer: finish it now.
		if p2, err := s.Resume(ctx, p.ID); err == nil {
			p = p2
		}
	}
	if cs.Status == SessionOpen && !s.nowUTC().Before(cs.ExpiresAt) &&
		(p.Status == RequiresPaymentMethod || p.Status == RequiresAction) {
		if p, err = s.cancel(ctx, p); err != nil && !errors.Is(err, ErrInvalidState) {
			return Checkout{}, err
		}
		if err := s.expireSession(ctx, cs.ID); err != nil {
			return Checkout{}, err
		}
	}
	if cs, err = s.store.Session(ctx, id); err != nil {
		return Checkout{}, storeErr("session", err)
	}
	m, err := s.store.Merchant(ctx, cs.MerchantID)
	if err != nil {
		return Checkout{}, storeErr("merchant", err)
	}
	return Checkout{Session: cs, Payment: p, Merchant: m}, nil
}

// openCheckout returns a session that can still be paid. Errors:
// ErrNotFound, ErrSessionExpired, ErrSessionComplete.
func (s *Service) openCheckout(ctx context.Context, id string) (Checkout, error) {
	c, err := s.Checkout(ctx, id)
	if err != nil {
		return c, err
	}
	switch c.Session.Status {
	case SessionExpired:
		return c, ErrSessionExpired
	case SessionComplete:
		return c, ErrSessionComplete
	}
	return c, nil
}

// PaySessionBalance pays a session from the signed-in shopper's balance
// (see PayBalance). Errors: those of PayBalance, ErrSessionExpired,
// ErrSessionComplete.
func (s *Service) PaySessionBalance(ctx context.Context, sessionID string, userID int64, stepUpToken string) (Checkout, error) {
	c, err := s.openCheckout(ctx, sessionID)
	if err != nil {
		return c, err
	}
	c.Payment, err = s.PayBalance(ctx, BalancePayment{PaymentID: c.Payment.ID, UserID: userID, StepUpToken: stepUpToken})
	return s.after(ctx, c, err)
}

// PaySessionCard pays a session by card (see PayCard).
func (s *Service) PaySessionCard(ctx context.Context, sessionID string, in CardPayment) (Checkout, error) {
	c, err := s.openCheckout(ctx, sessionID)
	if err != nil {
		return c, err
	}
	in.PaymentID = c.Payment.ID
	c.Payment, err = s.PayCard(ctx, in)
	return s.after(ctx, c, err)
}

// ConfirmSessionCard completes a card's confirmation on a session.
func (s *Service) ConfirmSessionCard(ctx context.Context, sessionID, code string) (Checkout, error) {
	c, err := s.openCheckout(ctx, sessionID)
	if err != nil {
		return c, err
	}
	c.Payment, err = s.ConfirmCard(ctx, c.Payment.ID, code)
	return s.after(ctx, c, err)
}

// after re-reads the session once its payment moved.
func (s *Service) after(ctx context.Context, c Checkout, err error) (Checkout, error) {
	if cs, rerr := s.store.Session(ctx, c.Session.ID); rerr == nil {
		c.Session = cs
	}
	return c, err
}

// FormRequest is what a shop's HTML form posts to OKPay (all text, as
// typed into the shop's page).
type FormRequest struct {
	Receiver  string // merchant id ("mer_...") or the merchant's support email
	Currency  string
	ItemName  string
	Amount    string // decimal, e.g. "12.50"
	Invoice   string
	ReturnURL string
	CancelURL string
	NotifyURL string
	// Mode "test" makes a test-mode session (for trying the form out).
	Mode string
}

// FormError says which field of a shop's form is wrong.
type FormError struct {
	Field string
	Err   error
}

func (e *FormError) Error() string { return "merchant: form field " + e.Field + ": " + e.Err.Error() }
func (e *FormError) Unwrap() error { return e.Err }

// FormCheckout creates a checkout session from a shop's no-code HTML
// form. It moves no money: the payer confirms on the hosted page. Errors
// are *FormError naming the field (receiver: ErrNotFound).
func (s *Service) FormCheckout(ctx context.Context, r FormRequest) (Session, error) {
	fail := func(field string, err error) (Session, error) { return Session{}, &FormError{Field: field, Err: err} }
	m, err := s.receiver(ctx, r.Receiver)
	if err != nil {
		return fail("receiver", err)
	}
	cur, err := s.currency(r.Currency)
	if err != nil {
		return fail("currency", err)
	}
	raw := strings.TrimSpace(r.Amount)
	if len(raw) > 32 {
		return fail("amount", ErrInvalidAmount)
	}
	amount, err := money.Parse(raw, cur)
	if err != nil || amount.Minor <= 0 {
		return fail("amount", ErrInvalidAmount)
	}
	a := Access{MerchantID: m.ID, Mode: ParseMode(strings.ToLower(strings.TrimSpace(r.Mode))), Role: Developer}
	if strings.TrimSpace(r.Mode) == "" {
		a.Mode = Live
	}
	req := SessionRequest{Amount: amount, ItemName: r.ItemName, Invoice: r.Invoice, SuccessURL: r.ReturnURL,
		CancelURL: r.CancelURL, NotifyURL: r.NotifyURL}
	checks := []struct {
		field string
		err   error
	}{
		{"item_name", textErr(req.ItemName, true)},
		{"invoice", textErr(req.Invoice, false)},
		{"return_url", urlErr(req.SuccessURL, true)},
		{"cancel_url", urlErr(req.CancelURL, false)},
		{"notify_url", urlErr(req.NotifyURL, false)},
	}
	for _, c := range checks {
		if c.err != nil {
			return fail(c.field, c.err)
		}
	}
	cs, p, err := s.newSession(a, req)
	if err != nil {
		return fail("form", err)
	}
	cs.Form = true
	if err := s.insertSession(ctx, cs, p); err != nil {
		return Session{}, err
	}
	return cs, nil
}

func urlErr(s string, required bool) error {
	_, err := checkURL(s, required)
	return err
}

func textErr(s string, required bool) error {
	s = strings.TrimSpace(s)
	if (required && s == "") || utf8.RuneCountInString(s) > maxText || !printable(s) {
		return ErrInvalidText
	}
	return nil
}

// receiver finds the merchant a form names: its id, or its support email
// when exactly one merchant uses it (a shared address pays no one by
// guess).
func (s *Service) receiver(ctx context.Context, r string) (Merchant, error) {
	r = strings.TrimSpace(r)
	if strings.HasPrefix(r, PrefixMerchant) {
		if !validID(PrefixMerchant, r) {
			return Merchant{}, ErrNotFound
		}
		m, err := s.store.Merchant(ctx, r)
		return m, storeErr("merchant", err)
	}
	email, err := normEmail(r)
	if err != nil {
		return Merchant{}, ErrNotFound
	}
	ms, err := s.store.MerchantsBySupportEmail(ctx, email, 2)
	if err != nil {
		return Merchant{}, unavailable("merchant by email", err)
	}
	if len(ms) != 1 {
		return Merchant{}, ErrNotFound
	}
	return ms[0], nil
}

// SafeURL reports whether s is a URL a page may link back to (absolute
// http or https, no credentials).
func SafeURL(s string) bool {
	u, err := checkURL(s, true)
	return err == nil && u != ""
}

package wallet

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// RequestStatus is where a money request is.
type RequestStatus string

// Request statuses. Paying: a payment of it is being processed; it becomes
// paid, or open again if the payment fails.
const (
	RequestOpen      RequestStatus = "open"
	RequestPaying    RequestStatus = "paying"
	RequestPaid      RequestStatus = "paid"
	RequestCancelled RequestStatus = "cancelled"
)

// Request is a money request: the requester asks for Amount, from a named
// payer or from whoever opens its link.
type Request struct {
	// ID is "rq_" and 26 base32 characters: the shareable id.
	ID               string
	RequesterID      int64
	RequesterWallet  WalletID
	RequesterDisplay string
	// PayerID is the user asked to pay (0: anyone with the link).
	PayerID      int64
	PayerWallet  WalletID
	PayerDisplay string
	Amount       money.Amount
	Note         string
	// DueAt is when it is due (zero: no due date).
	DueAt  time.Time
	Status RequestStatus
	// PaymentID is the payer's movement that is paying or paid it.
	PaymentID string
	CreatedAt time.Time
	UpdatedAt time.Time
	PaidAt    time.Time

	// IdempotencyKey is the requester's key (bookkeeping).
	IdempotencyKey string
}

// CreateRequest asks for money.
type CreateRequest struct {
	UserID int64
	// From is the payer's wallet id, email or phone; empty for a request
	// anyone with its link may pay.
	From   string
	Amount money.Amount
	Note   string
	// DueAt is optional; when set it must be in the future.
	DueAt          time.Time
	IdempotencyKey string
}

// RequestMoney creates a money request. The same idempotency key returns
// the first request. Errors: ErrInvalidAmount, ErrCurrencyNotEnabled,
// ErrNoteTooLong, ErrInvalidDueDate, the recipient errors of Send for
// From, ErrSameWallet, ErrUnavailable.
func (s *Service) RequestMoney(ctx context.Context, r CreateRequest) (Request, error) {
	ctx = context.WithoutCancel(ctx)
	if err := checkKey(r.IdempotencyKey); err != nil {
		return Request{}, err
	}
	if err := s.checkAmount(r.Amount); err != nil {
		return Request{}, err
	}
	note, err := s.cleanNote(r.Note)
	if err != nil {
		return Request{}, err
	}
	now := s.nowUTC()
	if !r.DueAt.IsZero() && !r.DueAt.After(now) {
		return Request{}, refuse(CodeInvalidDueDate, "%s is not in the future", r.DueAt)
	}
	if r.IdempotencyKey != "" {
		got, err := s.store.RequestByKey(ctx, r.UserID, r.IdempotencyKey)
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, ErrRequestNotFound) {
			return Request{}, unavailable("request by key", err)
		}
	}
	w, err := s.Open(ctx, r.UserID)
	if err != nil {
		return Request{}, err
	}
	self, err := s.dir.Person(ctx, r.UserID)
	if err != nil {
		return Request{}, recipientErr(err)
	}
	id, _ := newPrefixedID(requestPrefix)
	req := Request{
		ID: id, RequesterID: r.UserID, RequesterWallet: w.ID, RequesterDisplay: Display(self),
		Amount: r.Amount, Note: note, Status: RequestOpen, CreatedAt: now, UpdatedAt: now,
		IdempotencyKey: r.IdempotencyKey,
	}
	if !r.DueAt.IsZero() {
		req.DueAt = r.DueAt.UTC()
	}
	if strings.TrimSpace(r.From) != "" {
		payer, err := s.resolve(ctx, r.From)
		if err != nil {
			return Request{}, err
		}
		if payer.wallet.UserID == r.UserID {
			return Request{}, refuse(CodeSameWallet, "request from oneself")
		}
		req.PayerID, req.PayerWallet, req.PayerDisplay = payer.wallet.UserID, payer.wallet.ID, Display(payer.person)
	}
	var inserted bool
	err = s.store.InTx(ctx, func(tx Tx) error {
		var err error
		inserted, err = tx.InsertRequest(ctx, req)
		return err
	})
	if err != nil {
		return Request{}, unavailable("insert request", err)
	}
	if !inserted {
		got, err := s.store.RequestByKey(ctx, r.UserID, r.IdempotencyKey)
		if err != nil {
			return Request{}, storeErr("request by key", err)
		}
		return got, nil
	}
	return req, nil
}

// Request returns a money request to someone allowed to see it: its
// requester, its named payer, or anyone when it names none (its link is
// shared). Errors: ErrRequestNotFound.
func (s *Service) Request(ctx context.Context, userID int64, id string) (Request, error) {
	if !ValidRequestID(id) {
		return Request{}, refuse(CodeRequestNotFound, "%q", id)
	}
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return Request{}, storeErr("request", err)
	}
	if r.RequesterID != userID && r.PayerID != 0 && r.PayerID != userID {
		return Request{}, refuse(CodeRequestNotFound, "%s is not for user %d", id, userID)
	}
	return r, nil
}

// payable returns a request userID may pay now. Errors: ErrRequestNotFound,
// ErrSameWallet, ErrRequestAlreadyPaid, ErrRequestInProgress,
// ErrRequestCancelled.
func (s *Service) payable(ctx context.Context, userID int64, id string) (Request, error) {
	r, err := s.Request(ctx, userID, id)
	if err != nil {
		return Request{}, err
	}
	if r.RequesterID == userID {
		return Request{}, refuse(CodeSameWallet, "paying one's own request %s", id)
	}
	return r, stateErr(r)
}

// stateErr is the refusal to pay a request in its state (nil when open).
func stateErr(r Request) error {
	switch r.Status {
	case RequestPaid:
		return refuse(CodeRequestAlreadyPaid, "%s", r.ID)
	case RequestPaying:
		return refuse(CodeRequestInProgress, "%s", r.ID)
	case RequestCancelled:
		return refuse(CodeRequestCancelled, "%s", r.ID)
	}
	return nil
}

// requestState explains why a request could not be claimed.
func (s *Service) requestState(ctx context.Context, id string) error {
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return storeErr("request", err)
	}
	if err := stateErr(r); err != nil {
		return err
	}
	// Open again already: the payment that held it failed meanwhile.
	return refuse(CodeRequestInProgress, "%s", id)
}

// requester is the payee of a request.
func (s *Service) requester(ctx context.Context, r Request) (recipient, error) {
	w, err := s.store.Wallet(ctx, r.RequesterWallet)
	if err != nil {
		return recipient{}, storeErr("requester wallet", err)
	}
	if w, err = s.withAccounts(ctx, w); err != nil {
		return recipient{}, err
	}
	p, err := s.dir.Person(ctx, r.RequesterID)
	if err != nil {
		return recipient{}, recipientErr(err)
	}
	return recipient{wallet: w, person: p}, nil
}

// PayRequestInput pays a money request.
type PayRequestInput struct {
	UserID    int64
	RequestID string
	// FeePayer chooses who pays the fee (default: the payer).
	FeePayer       Payer
	IdempotencyKey string
	// StepUpToken approves a large payment: SendAction(amount, requester's
	// wallet, fee payer).
	StepUpToken string
	// AcceptLateFee is the late fee the payer was shown (QuotePayRequest);
	// a payment whose late fee is more is refused (late_fee_changed).
	AcceptLateFee money.Amount
}

// QuotePayRequest is QuoteSend for paying a request.
func (s *Service) QuotePayRequest(ctx context.Context, in PayRequestInput) (SendQuote, error) {
	r, err := s.payable(ctx, in.UserID, in.RequestID)
	if err != nil {
		return SendQuote{}, err
	}
	payer, err := checkPayer(in.FeePayer)
	if err != nil {
		return SendQuote{}, err
	}
	rcpt, err := s.requester(ctx, r)
	if err != nil {
		return SendQuote{}, err
	}
	p, err := s.plan(ctx, in.UserID, rcpt, r.Amount, payer)
	if err == nil {
		err = s.addLateFee(ctx, &r, &p)
	}
	if err != nil {
		return SendQuote{}, err
	}
	on := false
	if p.large {
		if on, err = s.stepUp.Enabled(ctx, in.UserID); err != nil {
			return SendQuote{}, unavailable("two-factor state", err)
		}
	}
	return p.quote(on), nil
}

// PayRequest pays a money request in one step: a send of the request's
// amount to the requester, which claims the request in the transaction
// that records the payment, so concurrent payments of one request move
// money at most once. The same idempotency key returns the first payment.
// Errors: those of Send, and ErrRequestNotFound, ErrRequestAlreadyPaid,
// ErrRequestInProgress, ErrRequestCancelled.
func (s *Service) PayRequest(ctx context.Context, in PayRequestInput) (Movement, error) {
	ctx = context.WithoutCancel(ctx)
	r, err := s.Request(ctx, in.UserID, in.RequestID)
	if err != nil {
		return Movement{}, err
	}
	if r.RequesterID == in.UserID {
		return Movement{}, refuse(CodeSameWallet, "paying one's own request %s", r.ID)
	}
	if err := stateErr(r); err != nil {
		// A double submit of the payment that paid it gets that payment.
		if r.PaymentID != "" && in.IdempotencyKey != "" {
			if m, err := s.store.MovementByKey(ctx, in.UserID, in.IdempotencyKey); err == nil && m.ID == r.PaymentID {
				return s.replay(ctx, m)
			}
		}
		return Movement{}, err
	}
	return s.send(ctx, SendRequest{
		UserID: in.UserID, Amount: r.Amount, Note: r.Note, FeePayer: in.FeePayer,
		IdempotencyKey: in.IdempotencyKey, StepUpToken: in.StepUpToken, acceptLate: in.AcceptLateFee,
	}, &r)
}

// CancelRequest cancels the requester's unpaid request. Errors:
// ErrRequestNotFound (also for someone else's), ErrRequestAlreadyPaid,
// ErrRequestInProgress; cancelling a cancelled request returns it.
func (s *Service) CancelRequest(ctx context.Context, userID int64, id string) (Request, error) {
	ctx = context.WithoutCancel(ctx)
	r, err := s.Request(ctx, userID, id)
	if err != nil {
		return Request{}, err
	}
	if r.RequesterID != userID {
		return Request{}, refuse(CodeRequestNotFound, "%s is not user %d's", id, userID)
	}
	if r.Status == RequestCancelled {
		return r, nil
	}
	now := s.nowUTC()
	var ok bool
	err = s.store.InTx(ctx, func(tx Tx) error {
		var err error
		ok, err = tx.CancelRequest(ctx, id, userID, now)
		return err
	})
	if err != nil {
		return Request{}, unavailable("cancel request", err)
	}
	if r, err = s.store.Request(ctx, id); err != nil {
		return Request{}, storeErr("request", err)
	}
	if !ok && r.Status != RequestCancelled {
		return r, stateErr(r)
	}
	return r, nil
}

// RequestList selects a user's money requests.
type RequestList struct {
	UserID int64
	// Received lists the requests addressed to the user; otherwise those
	// the user made.
	Received bool
	Statuses []RequestStatus
	Limit    int
	Cursor   string
}

// RequestPage is one page of requests and the cursor of the next ("" at
// the end).
type RequestPage struct {
	Requests []Request
	Next     string
}

// Requests lists the requests a user made or received, newest first.
// Errors: ErrInvalidCursor, ErrInvalidFilter.
func (s *Service) Requests(ctx context.Context, l RequestList) (RequestPage, error) {
	after, err := decodeCursor(l.Cursor)
	if err != nil {
		return RequestPage{}, err
	}
	for _, st := range l.Statuses {
		switch st {
		case RequestOpen, RequestPaying, RequestPaid, RequestCancelled:
		default:
			return RequestPage{}, refuse(CodeInvalidFilter, "request status %q", st)
		}
	}
	limit := pageLimit(l.Limit)
	q := RequestQuery{Statuses: l.Statuses, After: after, Limit: limit + 1}
	if l.Received {
		q.PayerID = l.UserID
	} else {
		q.RequesterID = l.UserID
	}
	rs, err := s.store.Requests(ctx, q)
	if err != nil {
		return RequestPage{}, unavailable("requests", err)
	}
	var page RequestPage
	if len(rs) > limit {
		rs = rs[:limit]
		last := rs[len(rs)-1]
		page.Next = encodeCursor(Cursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Requests = rs
	return page, nil
}

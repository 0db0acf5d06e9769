package merchant

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// PaymentRequest asks for a payment intent.
type PaymentRequest struct {
	Amount        money.Amount
	CaptureMethod CaptureMethod // default automatic
	Description   string
}

func (s *Service) checkAmount(a money.Amount) error {
	if a.Minor <= 0 {
		return ErrInvalidAmount
	}
	if _, err := s.currency(a.Currency.Code); err != nil {
		return err
	}
	return nil
}

func (s *Service) newPayment(a Access, r PaymentRequest) (Payment, error) {
	if err := s.checkAmount(r.Amount); err != nil {
		return Payment{}, err
	}
	if r.CaptureMethod == "" {
		r.CaptureMethod = CaptureAutomatic
	}
	if r.CaptureMethod != CaptureAutomatic && r.CaptureMethod != CaptureManual {
		return Payment{}, ErrInvalidState
	}
	desc := strings.TrimSpace(r.Description)
	if utf8.RuneCountInString(desc) > maxText || !printable(desc) {
		return Payment{}, ErrInvalidText
	}
	id, _ := newPrefixedID(PrefixPayment)
	now := s.nowUTC()
	return Payment{ID: id, MerchantID: a.MerchantID, Livemode: a.Mode.Live(), Amount: r.Amount, CaptureMethod: r.CaptureMethod,
		Status: RequiresPaymentMethod, Description: desc, CreatedAt: now, UpdatedAt: now}, nil
}

// CreatePayment creates a payment intent waiting for its payment method.
// Errors: ErrForbidden (viewers), ErrInvalidAmount, ErrInvalidCurrency,
// ErrInvalidText.
func (s *Service) CreatePayment(ctx context.Context, a Access, r PaymentRequest) (Payment, error) {
	if !a.Role.CanMoveMoney() {
		return Payment{}, ErrForbidden
	}
	p, err := s.newPayment(a, r)
	if err != nil {
		return Payment{}, err
	}
	err = s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		if err := tx.InsertPayment(ctx, p); err != nil {
			return err
		}
		return s.record(ctx, tx, EventPaymentCreated, p.MerchantID, p.Livemode, p.ID, p)
	})
	if err != nil {
		return Payment{}, unavailable("create payment", err)
	}
	return p, nil
}

// Payment returns one of the merchant's payments in the access's mode.
// Errors: ErrNotFound (also for another merchant's or mode's).
func (s *Service) Payment(ctx context.Context, a Access, id string) (Payment, error) {
	p, err := s.payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if p.MerchantID != a.MerchantID || p.Livemode != a.Mode.Live() {
		return Payment{}, ErrNotFound
	}
	return p, nil
}

func (s *Service) payment(ctx context.Context, id string) (Payment, error) {
	if !validID(PrefixPayment, id) {
		return Payment{}, ErrNotFound
	}
	p, err := s.store.Payment(ctx, id)
	if err != nil {
		return Payment{}, storeErr("payment", err)
	}
	return p, nil
}

// Payments lists the merchant's payments in the access's mode, newest
// first, created before before (zero: the newest), at most limit (1-100).
func (s *Service) Payments(ctx context.Context, a Access, before time.Time, limit int) ([]Payment, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	ps, err := s.store.Payments(ctx, PaymentQuery{MerchantID: a.MerchantID, Livemode: a.Mode.Live(), Before: before, Limit: limit})
	if err != nil {
		return nil, unavailable("payments", err)
	}
	return ps, nil
}

// update writes p (whose Version is the one read) and records events in
// the same transaction. false: another writer changed the payment first.
func (s *Service) update(ctx context.Context, p *Payment, events ...string) (bool, error) {
	return s.updateAt(ctx, p, payerSide{}, events...)
}

// updateAt is update that also writes the payer's movement of a balance
// payment in the same transaction (payhist.go): side says when a capture
// posted and which limit transfers an authorisation holds.
func (s *Service) updateAt(ctx context.Context, p *Payment, side payerSide, events ...string) (bool, error) {
	p.UpdatedAt = s.nowUTC()
	mv, err := s.payerMovement(ctx, *p, side)
	if err != nil {
		return false, err
	}
	var ok bool
	err = s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		var err error
		if ok, err = tx.UpdatePayment(ctx, *p); err != nil || !ok {
			return err
		}
		p.Version++
		if err := s.putPayerMovement(ctx, tx, mv, p.Status == Processing); err != nil {
			return err
		}
		for _, e := range events {
			if err := s.record(ctx, tx, e, p.MerchantID, p.Livemode, p.ID, *p); err != nil {
				return err
			}
		}
		if p.Status == Succeeded && p.SessionID != "" {
			done, err := tx.UpdateSessionStatus(ctx, p.SessionID, SessionOpen, SessionComplete, p.UpdatedAt)
			if err != nil {
				return err
			}
			if done {
				cs, err := tx.Session(ctx, p.SessionID)
				if err != nil {
					return err
				}
				return s.record(ctx, tx, EventSessionCompleted, p.MerchantID, p.Livemode, cs.ID, cs)
			}
		}
		return nil
	})
	if errors.Is(err, ErrPayerFrozen) {
		return false, ErrPayerFrozen
	}
	if err != nil {
		return false, unavailable("update payment", err)
	}
	return ok, nil
}

// submit sends transfers to the ledger under WithoutCancel: a caller who
// hangs up must not leave a half-known state.
func (s *Service) submit(ctx context.Context, ts []ledger.Transfer) ([]ledger.Result, error) {
	res, err := s.ledger.Submit(context.WithoutCancel(ctx), ts)
	if err != nil {
		return nil, unavailable("ledger", err)
	}
	return res, nil
}

// BalancePayment pays a payment from the signed-in payer's OKPay balance.
type BalancePayment struct {
	PaymentID string
	UserID    int64
	// StepUpToken confirms a large payment (see PaymentAction).
	StepUpToken string
}

// PaymentAction is the second-factor action that confirms a large balance
// payment: bound to the payment and its amount.
func PaymentAction(p Payment) twofactor.Action {
	return twofactor.Action{Name: "merchant_payment", Params: map[string]string{
		"payment":  p.ID,
		"amount":   p.Amount.Decimal(),
		"currency": p.Amount.Currency.Code,
	}}
}

// NeedsStepUp reports whether paying p from a balance needs a second
// factor, and whether the user has one.
func (s *Service) NeedsStepUp(ctx context.Context, p Payment, userID int64) (large, enabled bool, err error) {
	limit := s.cfg.LargePayment
	amt := p.Amount
	if amt.Currency != limit.Currency {
		if amt, err = s.rates.Convert(ctx, p.Amount, limit.Currency, s.nowUTC()); err != nil {
			return false, false, unavailable("convert for the step-up threshold", err)
		}
	}
	if amt.Minor < limit.Minor {
		return false, false, nil
	}
	enabled, err = s.stepUp.Enabled(ctx, userID)
	if err != nil {
		return true, false, unavailable("two-factor", err)
	}
	return true, enabled, nil
}

// PayBalance authorises (and, for automatic capture, captures) a payment
// from the payer's wallet. Errors: ErrNotFound, ErrInvalidState,
// ErrTestModeBalance, ErrStepUpRequired, ErrTwoFactorOff,
// ErrStepUpRefused, ErrInsufficientFunds, ErrUnavailable.
func (s *Service) PayBalance(ctx context.Context, in BalancePayment) (Payment, error) {
	p, err := s.payment(ctx, in.PaymentID)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != RequiresPaymentMethod {
		return p, ErrInvalidState
	}
	if !p.Livemode {
		return p, ErrTestModeBalance
	}
	large, enabled, err := s.NeedsStepUp(ctx, p, in.UserID)
	if err != nil {
		return p, err
	}
	if large {
		switch {
		case !enabled:
			return p, ErrTwoFactorOff
		case in.StepUpToken == "":
			return p, ErrStepUpRequired
		}
		if err := s.stepUp.UseStepUp(ctx, in.UserID, in.StepUpToken, PaymentAction(p)); err != nil {
			if errors.Is(err, twofactor.ErrStepUpRefused) {
				return p, ErrStepUpRefused
			}
			return p, unavailable("step-up", err)
		}
	}
	if err := s.screenPayer(ctx, p, in.UserID); err != nil {
		return p, err
	}
	src, err := s.wallets.WalletAccount(ctx, in.UserID, p.Amount.Currency.Code)
	if err != nil {
		return p, unavailable("wallet", err)
	}
	before := p
	p.Status, p.Method, p.Attempt, p.PayerUserID, p.SourceAccount = Processing, MethodBalance, p.Attempt+1, in.UserID, src
	p.ChargeID, p.CardBrand, p.CardLast4, p.Challenge, p.FailureCode = "", "", "", "", ""
	// The limit transfers are asked for before anything is written, so
	// a plainly used-up limit refuses with nothing recorded; the payer's
	// movement (written with the change to Processing) keeps them.
	limits, err := s.payerLimits(ctx, p)
	if err != nil {
		return before, err
	}
	if ok, err := s.updateAt(ctx, &p, payerSide{limits: limits}); err != nil || !ok {
		if errors.Is(err, ErrPayerFrozen) {
			return before, err
		}
		return s.raced(ctx, p.ID, err)
	}
	return s.authorise(ctx, p)
}

// raced answers a lost conditional update: the payment as it is now.
func (s *Service) raced(ctx context.Context, id string, err error) (Payment, error) {
	if err != nil {
		return Payment{}, err
	}
	p, err := s.payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	return p, ErrInvalidState
}

// same answers a lost conditional update of attempt p that a concurrent
// Resume of the same attempt (the checkout page resumes a payment it
// finds Processing) carried to the same status: that is this request's
// success, not a conflict.
func (s *Service) same(ctx context.Context, p Payment, err error) (Payment, error) {
	if err != nil {
		return Payment{}, err
	}
	now, err := s.payment(ctx, p.ID)
	if err != nil {
		return Payment{}, err
	}
	if now.Status == p.Status && now.Attempt == p.Attempt && now.Method == p.Method && now.PayerUserID == p.PayerUserID {
		return now, nil
	}
	return now, ErrInvalidState
}

// authorise places the hold of a Processing payment's attempt and records
// the outcome; for automatic capture it captures in full. Running it again
// (Resume) resubmits the same transfer id, so it converges.
func (s *Service) authorise(ctx context.Context, p Payment) (Payment, error) {
	dst, err := s.merchantBalance(ctx, p.MerchantID, modeOf(p.Livemode), p.Amount.Currency.Code)
	if err != nil {
		return p, err
	}
	limits, err := s.heldLimits(ctx, p)
	if err != nil {
		return p, err
	}
	ts := linked(append([]ledger.Transfer{{ID: authID(p), DebitAccountID: p.SourceAccount, CreditAccountID: dst,
		Amount: p.Amount.Minor, Currency: p.Amount.Currency.Code, Code: TransferPaymentAuth, Flags: ledger.Pending}}, limits...))
	res, err := s.submit(ctx, ts)
	if err != nil {
		return p, err
	}
	switch c := res[0].Code; {
	case c.Done():
	case limitRefused(ts, res):
		p.Status, p.FailureCode = RequiresPaymentMethod, ErrorCode(ErrSendLimit)
		if ok, err := s.update(ctx, &p, EventPaymentFailed); err != nil || !ok {
			return s.raced(ctx, p.ID, err)
		}
		return p, ErrSendLimit
	case c == ledger.InsufficientFunds:
		p.Status, p.FailureCode = RequiresPaymentMethod, "insufficient_funds"
		if ok, err := s.update(ctx, &p, EventPaymentFailed); err != nil || !ok {
			return s.raced(ctx, p.ID, err)
		}
		return p, ErrInsufficientFunds
	default:
		return p, unavailable("hold", errors.New(c.String()))
	}
	if p.CaptureMethod == CaptureAutomatic {
		return s.capture(ctx, p, p.Amount.Minor)
	}
	p.Status = RequiresCapture
	if ok, err := s.update(ctx, &p, EventPaymentCapturable); err != nil || !ok {
		return s.same(ctx, p, err)
	}
	return p, nil
}

// capture posts amount of the hold, charges the fee and credits the
// payment's refundable account, as one linked set.
func (s *Service) capture(ctx context.Context, p Payment, amount int64) (Payment, error) {
	cur := p.Amount.Currency.Code
	mode := modeOf(p.Livemode)
	bal, err := s.merchantBalance(ctx, p.MerchantID, mode, cur)
	if err != nil {
		return p, err
	}
	feeAcc, err := s.feeRevenue(ctx, mode, cur)
	if err != nil {
		return p, err
	}
	refundable, err := s.refundable(ctx, p.ID, cur)
	if err != nil {
		return p, err
	}
	control, err := s.refundControl(ctx, mode, cur)
	if err != nil {
		return p, err
	}
	fee, err := s.fees.PaymentFee(money.Amount{Minor: amount, Currency: p.Amount.Currency})
	if err != nil {
		return p, unavailable("fee", err)
	}
	parent := idBits(p.ID)
	ts := []ledger.Transfer{{ID: ledger.DeriveID(parent, "capture"), DebitAccountID: p.SourceAccount, CreditAccountID: bal,
		Amount: amount, Currency: cur, Code: TransferPaymentAuth, Flags: ledger.PostPending | ledger.Linked, PendingID: authID(p)}}
	if fee.Minor > 0 {
		ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(parent, "fee"), DebitAccountID: bal, CreditAccountID: feeAcc,
			Amount: fee.Minor, Currency: cur, Code: TransferPaymentFee, Flags: ledger.Linked})
	}
	posts, err := s.postLimits(ctx, p, amount)
	if err != nil {
		return p, err
	}
	ts = append(ts, posts...)
	ts = append(ts, ledger.Transfer{ID: ledger.DeriveID(parent, "refundable"), DebitAccountID: control, CreditAccountID: refundable,
		Amount: amount, Currency: cur, Code: TransferRefundableCredit})
	ts = linked(ts)
	res, err := s.submit(ctx, ts)
	if err != nil {
		return p, err
	}
	for _, r := range res {
		switch {
		case r.Code.Done(), r.Code == ledger.LinkedEventFailed:
		case r.Code == ledger.PendingAlreadyResolved, r.Code == ledger.ExistsWithDifferentFields:
			// Canceled meanwhile, or captured before with another amount.
			now, err := s.payment(ctx, p.ID)
			if err != nil {
				return p, err
			}
			return now, ErrInvalidState
		default:
			return p, unavailable("capture", errors.New(r.Code.String()))
		}
	}
	if !res[0].Code.Done() {
		return p, unavailable("capture", errors.New("linked set refused"))
	}
	p.Status, p.AmountCaptured, p.Fee = Succeeded, res[0].Amount, fee.Minor
	if ok, err := s.updateAt(ctx, &p, payerSide{postedAt: res[0].Timestamp}, EventPaymentSucceeded); err != nil || !ok {
		return s.same(ctx, p, err)
	}
	s.coverAfterCapture(ctx, p) // dispute.go: incoming money first pays what is owed
	return p, nil
}

// Capture captures amount (zero: all) of an authorised manual-capture
// payment; the rest of the hold is released in the same ledger transfer.
// Errors: ErrForbidden, ErrNotFound, ErrInvalidState, ErrInvalidAmount,
// ErrCaptureExceeds.
func (s *Service) Capture(ctx context.Context, a Access, id string, amount money.Amount) (Payment, error) {
	if !a.Role.CanMoveMoney() {
		return Payment{}, ErrForbidden
	}
	p, err := s.Payment(ctx, a, id)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != RequiresCapture {
		return p, ErrInvalidState
	}
	n := amount.Minor
	if n == 0 && amount.Currency.Code == "" {
		n = p.Amount.Minor
	}
	if amount.Currency.Code != "" && amount.Currency != p.Amount.Currency || n <= 0 {
		return p, ErrInvalidAmount
	}
	if n > p.Amount.Minor {
		return p, ErrCaptureExceeds
	}
	return s.capture(ctx, p, n)
}

// Cancel cancels a payment not yet captured; an authorised one has its
// hold voided. Errors: ErrForbidden, ErrNotFound, ErrInvalidState.
func (s *Service) Cancel(ctx context.Context, a Access, id string) (Payment, error) {
	if !a.Role.CanMoveMoney() {
		return Payment{}, ErrForbidden
	}
	p, err := s.Payment(ctx, a, id)
	if err != nil {
		return Payment{}, err
	}
	return s.cancel(ctx, p)
}

func (s *Service) cancel(ctx context.Context, p Payment) (Payment, error) {
	switch p.Status {
	case RequiresPaymentMethod, RequiresAction:
	case RequiresCapture:
		voids, err := s.voidLimits(ctx, p)
		if err != nil {
			return p, err
		}
		res, err := s.submit(ctx, linked(append([]ledger.Transfer{{ID: ledger.DeriveID(idBits(p.ID), "void"), PendingID: authID(p),
			Flags: ledger.VoidPending, DebitAccountID: p.SourceAccount}}, voids...)))
		if err != nil {
			return p, err
		}
		if c := res[0].Code; !c.Done() {
			if c == ledger.PendingAlreadyResolved || c == ledger.PendingFieldsMismatch {
				now, err := s.payment(ctx, p.ID)
				if err != nil {
					return p, err
				}
				return now, ErrInvalidState
			}
			return p, unavailable("void", errors.New(c.String()))
		}
	default:
		return p, ErrInvalidState
	}
	p.Status = Canceled
	if ok, err := s.update(ctx, &p, EventPaymentCanceled); err != nil || !ok {
		return s.raced(ctx, p.ID, err)
	}
	if p.SessionID != "" {
		if err := s.expireSession(ctx, p.SessionID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// expireSession moves an open session to expired, announcing it.
func (s *Service) expireSession(ctx context.Context, id string) error {
	err := s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		done, err := tx.UpdateSessionStatus(ctx, id, SessionOpen, SessionExpired, s.nowUTC())
		if err != nil || !done {
			return err
		}
		cs, err := tx.Session(ctx, id)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, EventSessionExpired, cs.MerchantID, cs.Livemode, cs.ID, cs)
	})
	if err != nil {
		return unavailable("expire session", err)
	}
	return nil
}

// CardPayment pays a payment by card. The card is used for this request
// only and never stored.
type CardPayment struct {
	PaymentID string
	Card      *connector.Card
	// PayerUserID is the signed-in shopper, if any (0 for a guest).
	PayerUserID int64
}

// PayCard charges the card through the card rail. A card that needs the
// issuer's confirmation leaves the payment in RequiresAction (then
// ConfirmCard). Errors: ErrNotFound, ErrInvalidState, ErrCardInvalid,
// ErrCardDeclined, ErrCardUnavailable, ErrUnavailable.
func (s *Service) PayCard(ctx context.Context, in CardPayment) (Payment, error) {
	p, err := s.payment(ctx, in.PaymentID)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != RequiresPaymentMethod {
		return p, ErrInvalidState
	}
	if in.Card == nil {
		return p, ErrCardInvalid
	}
	src, err := s.cardClearing(ctx, modeOf(p.Livemode), p.Amount.Currency.Code)
	if err != nil {
		return p, err
	}
	p.Status, p.Method, p.Attempt, p.PayerUserID, p.SourceAccount = Processing, MethodCard, p.Attempt+1, in.PayerUserID, src
	p.ChargeID, p.CardBrand, p.CardLast4, p.Challenge, p.FailureCode = "", "", "", "", ""
	if ok, err := s.update(ctx, &p); err != nil || !ok {
		return s.raced(ctx, p.ID, err)
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return p, storeErr("merchant", err)
	}
	key := p.ID + ":" + strconv.Itoa(p.Attempt)
	ch, err := s.card.Charge(context.WithoutCancel(ctx), connector.ChargeRequest{IdempotencyKey: key, Amount: p.Amount,
		Source: in.Card, Description: m.Descriptor})
	if err != nil && connector.Retryable(err) {
		// The answer may have been lost after the card was charged: ask
		// again by the key alone.
		ch, err = s.card.ChargeByKey(context.WithoutCancel(ctx), key)
	}
	return s.charged(ctx, p, ch, err)
}

// ConfirmCard completes the issuer's confirmation of a card payment.
// Errors: ErrNotFound, ErrInvalidState, ErrAuthenticationFail,
// ErrCardDeclined, ErrCardUnavailable.
func (s *Service) ConfirmCard(ctx context.Context, paymentID, code string) (Payment, error) {
	p, err := s.payment(ctx, paymentID)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != RequiresAction {
		return p, ErrInvalidState
	}
	ch, err := s.card.Confirm(context.WithoutCancel(ctx), p.ChargeID, strings.TrimSpace(code))
	return s.charged(ctx, p, ch, err)
}

// charged records a card rail's answer and, on success, authorises.
func (s *Service) charged(ctx context.Context, p Payment, ch connector.Charge, err error) (Payment, error) {
	if err != nil {
		code := connector.CodeOf(err)
		var ce *connector.Error
		if errors.As(err, &ce) && ce.Retryable() {
			// Unknown outcome: the payment stays as it is; asking again by
			// the same key is safe.
			return p, ErrCardUnavailable
		}
		if code == connector.CodeNotFound && p.Status == Processing {
			// Asked again by key: the network never charged the card.
			p.Status, p.FailureCode = RequiresPaymentMethod, string(connector.CodeProcessingError)
			if ok, uerr := s.update(ctx, &p, EventPaymentFailed); uerr != nil || !ok {
				return s.raced(ctx, p.ID, uerr)
			}
			return p, ErrCardUnavailable
		}
		p.Status, p.FailureCode, p.Challenge = RequiresPaymentMethod, string(code), ""
		if ok, uerr := s.update(ctx, &p, EventPaymentFailed); uerr != nil || !ok {
			return s.raced(ctx, p.ID, uerr)
		}
		switch code {
		case connector.CodeAuthenticationFailed:
			return p, ErrAuthenticationFail
		case connector.CodeIncorrectNumber, connector.CodeInvalidExpiry, connector.CodeInvalidRequest, connector.CodeCardNotSupported:
			return p, ErrCardInvalid
		}
		return p, ErrCardDeclined
	}
	p.ChargeID = ch.ID
	if ch.Card != nil {
		p.CardBrand, p.CardLast4 = string(ch.Card.Brand), ch.Card.Last4
	}
	switch ch.Status {
	case connector.ChargeRequiresAction:
		p.Status, p.Challenge = RequiresAction, ""
		if ch.Action != nil {
			p.Challenge = ch.Action.Challenge
		}
		if ok, err := s.update(ctx, &p); err != nil || !ok {
			return s.raced(ctx, p.ID, err)
		}
		return p, nil
	case connector.ChargeSucceeded:
		p.Status, p.Challenge = Processing, ""
		if ok, err := s.update(ctx, &p); err != nil || !ok {
			return s.raced(ctx, p.ID, err)
		}
		return s.authorise(ctx, p)
	}
	p.Status, p.FailureCode, p.Challenge = RequiresPaymentMethod, string(ch.FailureCode), ""
	if ok, err := s.update(ctx, &p, EventPaymentFailed); err != nil || !ok {
		return s.raced(ctx, p.ID, err)
	}
	return p, ErrCardDeclined
}

// Resume finishes a payment left Processing by a crash or a lost answer:
// the hold of its attempt is submitted again (the ledger answers exists
// when it committed before) and the outcome recorded.
func (s *Service) Resume(ctx context.Context, id string) (Payment, error) {
	p, err := s.payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != Processing {
		return p, nil
	}
	if p.Method == MethodCard && p.ChargeID == "" {
		ch, err := s.card.ChargeByKey(context.WithoutCancel(ctx), p.ID+":"+strconv.Itoa(p.Attempt))
		if connector.CodeOf(err) == connector.CodeNotFound {
			p.Status, p.FailureCode = RequiresPaymentMethod, string(connector.CodeProcessingError)
			if ok, err := s.update(ctx, &p, EventPaymentFailed); err != nil || !ok {
				return s.raced(ctx, p.ID, err)
			}
			return p, nil
		}
		return s.charged(ctx, p, ch, err)
	}
	return s.authorise(ctx, p)
}

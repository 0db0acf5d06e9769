package wallet

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// SendAction is the step-up action that approves one send: the web layer
// begins a two-factor challenge for it (twofactor.Service.Begin) and Send
// spends the token on the same action, so a token approves exactly this
// amount, currency, payee and fee payer, once.
func SendAction(amount money.Amount, to WalletID, payer Payer) twofactor.Action {
	return twofactor.Action{Name: "send_money", Params: map[string]string{
		"amount":   amount.Decimal(),
		"currency": amount.Currency.Code,
		"to":       string(to),
		"payer":    string(payer),
	}}
}

// SendRequest asks to send money to another user (WAL-3).
type SendRequest struct {
	UserID int64
	// To is the recipient's wallet id, email address or phone number.
	To     string
	Amount money.Amount
	Note   string
	// FeePayer chooses who pays the fee (default: the sender).
	FeePayer Payer
	// IdempotencyKey makes a double-submitted form send once.
	IdempotencyKey string
	// StepUpToken approves a large payment (see SendAction).
	StepUpToken string
	// Device is the device cookie of the user's browser, for the review
	// rules (see Outgoing).
	Device string

	// acceptLate is the late fee the payer of a request was shown.
	acceptLate money.Amount
}

// Recipient is who a send pays, as the confirmation page shows them.
type Recipient struct {
	WalletID WalletID
	UserID   int64
	// Display is the recipient's name or masked email ("z***n@example.com").
	Display string
}

// SendQuote is what a send will do, for the confirmation page.
type SendQuote struct {
	From     WalletID
	To       Recipient
	Amount   money.Amount
	Fee      money.Amount
	FeePayer Payer
	// Debited leaves the sender's wallet; Credited arrives in the
	// recipient's (Amount plus or minus the fee, by who pays it).
	Debited, Credited money.Amount
	// LateFee is the late fee of paying an overdue request (zero
	// otherwise), paid by the payer and included in Debited.
	LateFee money.Amount
	// Available is the sender's available balance in the currency.
	Available money.Amount
	// StepUpRequired: the amount is at or above the large-payment
	// threshold, so Send needs a step-up token for StepUpAction. When the
	// sender has no second factor (TwoFactorEnabled false), Send refuses
	// with two_factor_required_for_large_payment: they must turn it on.
	StepUpRequired   bool
	TwoFactorEnabled bool
	StepUpAction     twofactor.Action
}

// recipient is a resolved payee.
type recipient struct {
	wallet Wallet
	person Person
}

// resolve finds the recipient of to: a wallet id (checked before any
// lookup), an email or an E.164 phone number. A user found by email or
// phone gets a wallet if they had none, so anyone registered can be paid.
// Errors: ErrInvalidWalletID, ErrWalletIDCheckDigit, ErrInvalidRecipient,
// ErrRecipientNotFound.
func (s *Service) resolve(ctx context.Context, to string) (recipient, error) {
	to = strings.TrimSpace(width.Narrow.String(to))
	var (
		p   Person
		err error
	)
	switch {
	case to == "":
		return recipient{}, refuse(CodeInvalidRecipient, "empty")
	case strings.Contains(to, "@"):
		email, verr := auth.NormalizeEmail(to)
		if verr != nil {
			return recipient{}, refuse(CodeInvalidRecipient, "email: %v", verr)
		}
		p, err = s.dir.ByEmail(ctx, email)
	case len(to) >= 2 && strings.EqualFold(to[:2], walletIDPrefix):
		return s.byWalletID(ctx, to)
	default:
		phone, verr := auth.NormalizePhone(to)
		if verr != nil || phone == "" {
			return recipient{}, refuse(CodeInvalidRecipient, "not a wallet id, email or phone")
		}
		p, err = s.dir.ByPhone(ctx, phone)
	}
	if err != nil {
		return recipient{}, recipientErr(err)
	}
	w, err := s.Open(ctx, p.UserID)
	if err != nil {
		return recipient{}, err
	}
	return recipient{wallet: w, person: p}, nil
}

// byWalletID finds the recipient of a wallet id, checked before the lookup.
func (s *Service) byWalletID(ctx context.Context, to string) (recipient, error) {
	id, err := ParseWalletID(to)
	if err != nil {
		return recipient{}, err
	}
	w, err := s.store.Wallet(ctx, id)
	if errors.Is(err, ErrWalletNotFound) {
		return recipient{}, refuse(CodeRecipientNotFound, "wallet %s", id)
	}
	if err != nil {
		return recipient{}, unavailable("recipient wallet", err)
	}
	p, err := s.dir.Person(ctx, w.UserID)
	if err != nil {
		return recipient{}, recipientErr(err)
	}
	if w, err = s.withAccounts(ctx, w); err != nil {
		return recipient{}, err
	}
	return recipient{wallet: w, person: p}, nil
}

func recipientErr(err error) error {
	if errors.Is(err, ErrRecipientNotFound) {
		return err
	}
	return unavailable("directory", err)
}

// Display is how a person is shown to others: their name, else their
// masked email, else their masked phone number.
func Display(p Person) string {
	if p.Name != "" {
		return p.Name
	}
	if p.Email != "" {
		return MaskEmail(p.Email)
	}
	return MaskPhone(p.Phone)
}

// MaskEmail keeps the first and last character of the local part and the
// domain: "zhang.san@example.com" is "z***n@example.com".
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "***"
	}
	local, domain := []rune(email[:at]), email[at:]
	switch len(local) {
	case 0:
		return "***" + domain
	case 1, 2:
		return string(local[0]) + "***" + domain
	}
	return string(local[0]) + "***" + string(local[len(local)-1]) + domain
}

// MaskPhone keeps the first three and last four characters:
// "+8613800138000" is "+86*******8000".
func MaskPhone(phone string) string {
	n := utf8.RuneCountInString(phone)
	if n <= 7 {
		return "****"
	}
	r := []rune(phone)
	return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
}

// sendPlan is a send worked out: who pays what.
type sendPlan struct {
	from     Wallet
	self     Person
	to       recipient
	amount   money.Amount
	fee      money.Amount
	payer    Payer
	debited  money.Amount
	credited money.Amount
	avail    money.Amount
	large    bool
	late     money.Amount
}

func checkPayer(p Payer) (Payer, error) {
	switch p {
	case "":
		return PayerSender, nil
	case PayerSender, PayerReceiver:
		return p, nil
	}
	return "", refuse(CodeInvalidFeePayer, "%q", p)
}

// plan works out a send from userID to rcpt, refusing what the ledger
// would refuse anyway (insufficient funds: the ledger still decides).
func (s *Service) plan(ctx context.Context, userID int64, rcpt recipient, amount money.Amount, payer Payer) (sendPlan, error) {
	if err := s.checkAmount(amount); err != nil {
		return sendPlan{}, err
	}
	from, err := s.Wallet(ctx, userID)
	if err != nil {
		return sendPlan{}, err
	}
	if rcpt.wallet.UserID == userID || rcpt.wallet.ID == from.ID {
		return sendPlan{}, refuse(CodeSameWallet, "%s", from.ID)
	}
	self, err := s.dir.Person(ctx, userID)
	if err != nil {
		return sendPlan{}, recipientErr(err)
	}
	vol, err := s.monthlyVolume(ctx, userID)
	if err != nil {
		return sendPlan{}, err
	}
	fee, err := s.quoteFee(FeeSend, amount, vol)
	if err != nil {
		return sendPlan{}, err
	}
	p := sendPlan{from: from, self: self, to: rcpt, amount: amount, fee: fee, payer: payer,
		debited: amount, credited: amount}
	if payer == PayerSender {
		if p.debited, err = amount.Add(fee); err != nil {
			return sendPlan{}, refuse(CodeInvalidAmount, "%v", err)
		}
	} else {
		if fee.Minor >= amount.Minor {
			return sendPlan{}, refuse(CodeFeeExceedsAmount, "fee %s on %s", fee, amount)
		}
		p.credited.Minor -= fee.Minor
	}
	bal, err := s.balance(ctx, from, amount.Currency)
	if err != nil {
		return sendPlan{}, err
	}
	p.avail = bal.Available
	if bal.Available.Minor < p.debited.Minor {
		return p, refuse(CodeInsufficientFunds, "available %s, needs %s", bal.Available, p.debited)
	}
	if p.large, err = s.isLarge(ctx, amount); err != nil {
		return sendPlan{}, err
	}
	return p, nil
}

// isLarge reports whether amount is at or above the step-up threshold.
func (s *Service) isLarge(ctx context.Context, amount money.Amount) (bool, error) {
	limit := s.cfg.LargePayment
	if amount.Currency == limit.Currency {
		return amount.Minor >= limit.Minor, nil
	}
	conv, err := s.rates.Convert(ctx, amount, limit.Currency, s.nowUTC())
	if err != nil {
		return false, unavailable("convert for the step-up threshold", err)
	}
	return conv.Minor >= limit.Minor, nil
}

// monthlyVolume is what the user sent (completed sends and request
// payments) this calendar month, in US cents.
func (s *Service) monthlyVolume(ctx context.Context, userID int64) (int64, error) {
	w, err := s.store.WalletByUser(ctx, userID)
	if errors.Is(err, ErrWalletNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable("wallet", err)
	}
	from, to := monthOf(s.now(), s.cfg.Location)
	totals, err := s.store.Totals(ctx, w.ID, from, to)
	if err != nil {
		return 0, unavailable("monthly volume", err)
	}
	usd := money.MustCurrency("USD")
	var sum int64
	for _, t := range totals {
		if t.Type != TypeSend && t.Type != TypeRequestPayment {
			continue
		}
		c, err := money.Lookup(t.Currency)
		if err != nil {
			continue
		}
		a := money.Amount{Minor: t.Amount, Currency: c}
		if c != usd {
			if a, err = s.rates.Convert(ctx, a, usd, s.nowUTC()); err != nil {
				return 0, unavailable("convert the monthly volume", err)
			}
		}
		if sum, err = money.AddInt64(sum, a.Minor); err != nil {
			return 0, unavailable("monthly volume", err)
		}
	}
	return sum, nil
}

// monthOf returns the calendar month around t in loc, as UTC instants.
func monthOf(t time.Time, loc *time.Location) (time.Time, time.Time) {
	t = t.In(loc)
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return start.UTC(), start.AddDate(0, 1, 0).UTC()
}

func (p sendPlan) quote(twoFactor bool) SendQuote {
	return SendQuote{
		From: p.from.ID,
		To: Recipient{WalletID: p.to.wallet.ID, UserID: p.to.wallet.UserID,
			Display: Display(p.to.person)},
		Amount: p.amount, Fee: p.fee, FeePayer: p.payer,
		Debited: p.debited, Credited: p.credited, Available: p.avail, LateFee: p.late,
		StepUpRequired: p.large, TwoFactorEnabled: twoFactor,
		StepUpAction: SendAction(p.amount, p.to.wallet.ID, p.payer),
	}
}

// QuoteSend works out a send without moving money: the fee, who pays it,
// the totals, the recipient as the confirmation page shows them, and
// whether a step-up is needed. Errors: those of Send before any movement.
func (s *Service) QuoteSend(ctx context.Context, r SendRequest) (SendQuote, error) {
	payer, err := checkPayer(r.FeePayer)
	if err != nil {
		return SendQuote{}, err
	}
	rcpt, err := s.resolve(ctx, r.To)
	if err != nil {
		return SendQuote{}, err
	}
	p, err := s.plan(ctx, r.UserID, rcpt, r.Amount, payer)
	if err != nil {
		return SendQuote{}, err
	}
	if _, err := s.Screen(ctx, p.outgoing(r)); err != nil {
		return SendQuote{}, err
	}
	if _, err := s.withLimits(ctx, ledger.NewID(), nil, sendMoves(p)...); err != nil {
		return SendQuote{}, err
	}
	on := false
	if p.large {
		if on, err = s.stepUp.Enabled(ctx, r.UserID); err != nil {
			return SendQuote{}, unavailable("two-factor state", err)
		}
	}
	return p.quote(on), nil
}

// Send moves money to another user as one linked set of ledger transfers:
// sender to receiver, and the fee payer to fee revenue. The same
// idempotency key from the same user returns the first movement, whatever
// happened since, and never sends twice. Errors: ErrInvalidWalletID,
// ErrWalletIDCheckDigit, ErrInvalidRecipient, ErrRecipientNotFound,
// ErrSameWallet, ErrWalletNotFound, ErrInvalidAmount,
// ErrCurrencyNotEnabled, ErrInvalidFeePayer, ErrFeeExceedsAmount,
// ErrNoteTooLong, ErrInsufficientFunds (also with a failed movement, when
// another payment took the money first), ErrTwoFactorRequired,
// ErrStepUpRequired, ErrStepUpFailed, ErrIdempotencyKeyReused,
// ErrUnavailable (with a pending movement the resume job will finish).
func (s *Service) Send(ctx context.Context, r SendRequest) (Movement, error) {
	return s.send(context.WithoutCancel(ctx), r, nil)
}

// send is Send, and PayRequest when req is set.
func (s *Service) send(ctx context.Context, r SendRequest, req *Request) (Movement, error) {
	if err := checkKey(r.IdempotencyKey); err != nil {
		return Movement{}, err
	}
	payer, err := checkPayer(r.FeePayer)
	if err != nil {
		return Movement{}, err
	}
	note, err := s.cleanNote(r.Note)
	if err != nil {
		return Movement{}, err
	}
	var rcpt recipient
	if req != nil {
		rcpt, err = s.requester(ctx, *req)
	} else {
		rcpt, err = s.resolve(ctx, r.To)
	}
	if err != nil {
		return Movement{}, err
	}
	typ, code := TypeSend, TransferSend
	fp := fingerprint(string(TypeSend), string(rcpt.wallet.ID), r.Amount.String(), string(payer), note)
	if req != nil {
		typ, code = TypeRequestPayment, TransferRequestPayment
		fp = fingerprint(string(TypeRequestPayment), req.ID, string(payer))
	}
	if m, found, err := s.existing(ctx, r.UserID, r.IdempotencyKey, fp); found || err != nil {
		if err != nil {
			return Movement{}, err
		}
		return s.replay(ctx, m)
	}
	p, err := s.plan(ctx, r.UserID, rcpt, r.Amount, payer)
	if err == nil {
		err = s.addLateFee(ctx, req, &p)
	}
	if err == nil {
		err = lateFeeUnseen(p, r.acceptLate)
	}
	if err != nil {
		return Movement{}, err
	}
	if _, err := s.withLimits(ctx, ledger.NewID(), nil, sendMoves(p)...); err != nil {
		return Movement{}, err
	}
	if err := s.checkStepUp(ctx, r.UserID, p, r.StepUpToken); err != nil {
		// A concurrent double submit may have spent the token on the
		// first copy: answer with its movement.
		if m, found, ferr := s.existing(ctx, r.UserID, r.IdempotencyKey, fp); found && ferr == nil {
			return s.replay(ctx, m)
		}
		return Movement{}, err
	}
	out := p.outgoing(r)
	out.Type = typ
	verdict, err := s.Screen(ctx, out)
	if err != nil {
		return Movement{}, err
	}
	cur := r.Amount.Currency.Code
	revenue, err := s.platformAccount(ctx, FeeRevenue, cur)
	if err != nil {
		return Movement{}, err
	}

	m, parent := s.newMovement(p.from, typ, r.Amount)
	m.FeePayer, m.Method, m.Note = payer, MethodWallet, note
	if payer == PayerSender {
		m.Fee = p.fee
	}
	m.Counterparty = Counterparty{WalletID: rcpt.wallet.ID, UserID: rcpt.wallet.UserID, Display: Display(rcpt.person)}
	m.SelfDisplay = Display(p.self)
	m.PeerID = derivedMovementID(parent, "receive")
	m.IdempotencyKey, m.Fingerprint = r.IdempotencyKey, fp
	m.Ready = true
	if req != nil {
		m.RequestID = req.ID
	}
	m.Plan = []ledger.Transfer{{
		ID: ledger.DeriveID(parent, "send"), DebitAccountID: p.from.Accounts[cur], CreditAccountID: rcpt.wallet.Accounts[cur],
		Amount: r.Amount.Minor, Currency: cur, Code: code, Metadata: m.ID,
	}}
	if p.fee.Minor > 0 {
		payerAccount := p.from.Accounts[cur]
		if payer == PayerReceiver {
			payerAccount = rcpt.wallet.Accounts[cur]
		}
		m.Plan[0].Flags = ledger.Linked
		m.Plan = append(m.Plan, ledger.Transfer{
			ID: ledger.DeriveID(parent, "fee"), DebitAccountID: payerAccount, CreditAccountID: revenue,
			Amount: p.fee.Minor, Currency: cur, Code: TransferFee, Metadata: m.ID,
		})
	}
	m.Plan = withLateFee(m.Plan, parent, p, revenue, m.ID)
	m.Fee.Minor += p.late.Minor
	if m.Plan, err = s.withLimits(ctx, parent, m.Plan, sendMoves(p)...); err != nil {
		return Movement{}, err
	}
	if verdict.Hold {
		// The limit transfers are held with the payment: a refusal gives
		// the month's allowance back.
		HoldPlan(m.Plan)
	}
	claim := func(tx Tx) error {
		if req != nil {
			ok, err := tx.ClaimRequest(ctx, req.ID, m.ID, m.CreatedAt)
			if err != nil {
				return err
			}
			if !ok {
				return errNotOpen
			}
		}
		return s.Admit(ctx, tx, m, verdict)
	}
	m, created, err := s.insert(ctx, m, claim)
	if errors.Is(err, errNotOpen) {
		return Movement{}, s.requestState(ctx, req.ID)
	}
	if err != nil {
		return Movement{}, err
	}
	if !created {
		return s.replay(ctx, m)
	}
	return s.settle(ctx, m)
}

// outgoing is the send as the screener sees it.
func (p sendPlan) outgoing(r SendRequest) Outgoing {
	return Outgoing{UserID: p.from.UserID, Type: TypeSend, Amount: p.amount, Payee: string(p.to.wallet.ID), Device: r.Device}
}

// errNotOpen rolls back a payment whose request is no longer open.
var errNotOpen = errors.New("wallet: request not open")

// checkStepUp enforces the large-payment rule (ACC-5) before anything is
// written. It runs outside the wallet's own transaction: the step-up
// service commits its own, and SQLite has one writer connection.
func (s *Service) checkStepUp(ctx context.Context, userID int64, p sendPlan, token string) error {
	if !p.large {
		return nil
	}
	on, err := s.stepUp.Enabled(ctx, userID)
	if err != nil {
		return unavailable("two-factor state", err)
	}
	if !on {
		return refuse(CodeTwoFactorRequired, "%s from user %d", p.amount, userID)
	}
	if token == "" {
		return refuse(CodeStepUpRequired, "%s from user %d", p.amount, userID)
	}
	err = s.stepUp.UseStepUp(ctx, userID, token, SendAction(p.amount, p.to.wallet.ID, p.payer))
	switch {
	case errors.Is(err, twofactor.ErrStepUpRefused):
		return refuse(CodeStepUpFailed, "user %d", userID)
	case err != nil:
		return unavailable("step-up", err)
	}
	return nil
}

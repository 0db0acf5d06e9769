package web

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web/i18n"
)

// walletErrorKeys says, for every refusal of the wallet, what the customer
// reads: what happened, what to check, and whether trying again is safe.
var walletErrorKeys = map[wallet.Code]string{
	wallet.CodeInvalidWalletID:       "wallet.error.invalid_wallet_id",
	wallet.CodeWalletIDCheckDigit:    "wallet.error.wallet_id_check_digit",
	wallet.CodeWalletNotFound:        "wallet.error.wallet_not_found",
	wallet.CodeInvalidRecipient:      "wallet.error.invalid_recipient",
	wallet.CodeRecipientNotFound:     "wallet.error.recipient_not_found",
	wallet.CodeSameWallet:            "wallet.error.same_wallet",
	wallet.CodeInvalidAmount:         "wallet.error.invalid_amount",
	wallet.CodeCurrencyNotEnabled:    "wallet.error.currency_not_enabled",
	wallet.CodeFeeExceedsAmount:      "wallet.error.fee_exceeds_amount",
	wallet.CodeInsufficientFunds:     "wallet.error.insufficient_funds",
	wallet.CodeNoteTooLong:           "wallet.error.note_too_long",
	wallet.CodeInvalidFeePayer:       "wallet.error.invalid_fee_payer",
	wallet.CodeIdempotencyKeyReuse:   "wallet.error.idempotency_key_reused",
	wallet.CodeInvalidKey:            "wallet.error.invalid_idempotency_key",
	wallet.CodeMethodNotAvailable:    "wallet.error.method_not_available",
	wallet.CodeCardDeclined:          "wallet.error.card_declined",
	wallet.CodeExpiredCard:           "wallet.error.expired_card",
	wallet.CodeIncorrectCVC:          "wallet.error.incorrect_cvc",
	wallet.CodeIncorrectNumber:       "wallet.error.incorrect_number",
	wallet.CodeInvalidExpiry:         "wallet.error.invalid_expiry",
	wallet.CodeCardNotSupported:      "wallet.error.card_not_supported",
	wallet.CodeSourceNoFunds:         "wallet.error.source_insufficient_funds",
	wallet.CodeEWalletDeclined:       "wallet.error.ewallet_declined",
	wallet.CodeInvalidPaymentAccount: "wallet.error.invalid_payment_account",
	wallet.CodeProcessingError:       "wallet.error.processing_error",
	wallet.CodeAuthenticationFailed:  "wallet.error.authentication_failed",
	wallet.CodeAuthenticationExpired: "wallet.error.authentication_expired",
	wallet.CodeMovementNotFound:      "wallet.error.movement_not_found",
	wallet.CodeNotAwaitingAction:     "wallet.error.not_awaiting_action",
	wallet.CodeStepUpRequired:        "wallet.error.step_up_required",
	wallet.CodeStepUpFailed:          "wallet.error.step_up_failed",
	wallet.CodeTwoFactorRequired:     "wallet.error.two_factor_required_for_large_payment",
	wallet.CodeRequestNotFound:       "wallet.error.request_not_found",
	wallet.CodeRequestAlreadyPaid:    "wallet.error.request_already_paid",
	wallet.CodeRequestInProgress:     "wallet.error.request_payment_in_progress",
	wallet.CodeRequestCancelled:      "wallet.error.request_cancelled",
	wallet.CodeInvalidDueDate:        "wallet.error.invalid_due_date",
	wallet.CodeInvalidCursor:         "wallet.error.invalid_cursor",
	wallet.CodeInvalidFilter:         "wallet.error.invalid_filter",
	wallet.CodeUnavailable:           "wallet.error.temporarily_unavailable",

	wallet.CodeExchangeSameCurrency:    "wallet.error.exchange_same_currency",
	wallet.CodeExchangeTooSmall:        "wallet.error.exchange_amount_too_small",
	wallet.CodeExchangeQuoteNotFound:   "wallet.error.exchange_quote_not_found",
	wallet.CodeExchangeQuoteExpired:    "wallet.error.exchange_quote_expired",
	wallet.CodeExchangeRateUnavailable: "wallet.error.exchange_rate_unavailable",
	wallet.CodeLateFeeChanged:          "wallet.error.late_fee_changed",
}

// walletTypeKeys and walletStatusKeys name movement types and statuses.
var walletTypeKeys = map[wallet.Type]string{
	wallet.TypeDeposit:          "wallet.type.deposit",
	wallet.TypeSend:             "wallet.type.send",
	wallet.TypeReceive:          "wallet.type.receive",
	wallet.TypeRequestPayment:   "wallet.type.request_payment",
	wallet.TypeFee:              "wallet.type.fee",
	wallet.TypeCorrectionCredit: "kyc.correction.type_credit",
	wallet.TypeCorrectionDebit:  "kyc.correction.type_debit",
	wallet.TypeWithdrawal:       "withdraw.type.withdrawal",
	wallet.TypeWithdrawalReturn: "withdraw.type.withdrawal_return",
	wallet.TypeExchange:         "wallet.type.exchange",
	wallet.TypeExchangeIn:       "wallet.type.exchange_in",
}

var walletStatusKeys = map[wallet.Status]string{
	wallet.StatusPending:        "wallet.status.pending",
	wallet.StatusRequiresAction: "wallet.status.requires_action",
	wallet.StatusCompleted:      "wallet.status.completed",
	wallet.StatusFailed:         "wallet.status.failed",
	wallet.StatusHeld:           "risk.status.held",
	wallet.StatusProcessing:     "withdraw.movement.processing",
	wallet.StatusCanceled:       "withdraw.movement.canceled",
}

// walletError is a refusal in the reader's language, with its stable code
// shown for support.
type walletError struct {
	Code      string
	Message   string
	Retryable bool
}

// refusal turns a wallet error into what the page shows; ok is false for
// errors that are not the wallet's refusals (then the caller shows the 500
// page).
func refusal(loc *i18n.Locale, err error) (walletError, bool) {
	code := wallet.ErrorCode(err)
	key, ok := walletKey(code)
	if !ok {
		key, ok = withdrawErrorKeys[code]
	}
	if !ok {
		return walletError{}, false
	}
	return walletError{Code: string(code), Message: loc.T(key), Retryable: wallet.IsRetryable(err)}, true
}

// refuse renders page with the refusal of err in d (through set), or the
// 500 page when err is not a refusal.
func (s *Site) refuse(w http.ResponseWriter, r *http.Request, err error, page string, d any, set func(walletError)) {
	we, ok := refusal(s.Locale(r), err)
	if !ok {
		we, ok = s.limitRefusal(r, err)
	}
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	set(we)
	status := http.StatusUnprocessableEntity
	if we.Retryable {
		status = http.StatusServiceUnavailable
	}
	s.Render(w, r, status, page, d)
}

// newFormKey is a fresh idempotency key for a form: the page carries it,
// so submitting the same page twice (a reload, a double click) is one
// operation.
func newFormKey() string { return "f_" + strings.ToLower(rand.Text()) }

// formKey is the posted idempotency key, or a fresh one when the form
// carried none or a malformed one.
func formKey(vals url.Values) string {
	k := vals.Get("key")
	if len(k) < 8 || len(k) > 64 {
		return newFormKey()
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return newFormKey()
		}
	}
	return k
}

// parseAmount reads an amount typed in the reader's locale in a currency
// the wallet holds.
func (s *Site) parseAmount(loc *i18n.Locale, amount, currency string) (money.Amount, error) {
	if !s.walletCurrency(currency) {
		return money.Amount{}, wallet.ErrorFor(wallet.CodeCurrencyNotEnabled)
	}
	cur, err := money.Lookup(currency)
	if err != nil {
		return money.Amount{}, wallet.ErrorFor(wallet.CodeCurrencyNotEnabled)
	}
	if len(amount) > 64 {
		return money.Amount{}, wallet.ErrorFor(wallet.CodeInvalidAmount)
	}
	a, err := money.ParseLocalized(strings.TrimSpace(amount), cur, loc.Code())
	if err != nil || a.Minor <= 0 {
		return money.Amount{}, wallet.ErrorFor(wallet.CodeInvalidAmount)
	}
	return a, nil
}

func (s *Site) walletCurrency(code string) bool {
	for _, c := range s.wallet.Currencies() {
		if c.Code == code {
			return true
		}
	}
	return false
}

// walletData is what wallet.html shows.
type walletData struct {
	WalletID string
	Balances []wallet.Balance
	Rows     []movementRow
}

// movementRow is a movement with its words in the reader's language.
type movementRow struct {
	wallet.Movement
	TypeName, StatusName, Failure string
	Signed                        money.Amount // + in, − out
}

func (s *Site) movementRows(loc *i18n.Locale, ms []wallet.Movement) []movementRow {
	rows := make([]movementRow, len(ms))
	for i, m := range ms {
		rows[i] = movementRow{Movement: m, TypeName: loc.T(walletTypeKeys[m.Type]), StatusName: loc.T(walletStatusKeys[m.Status])}
		if k, ok := feeMethodKeys[m.Method]; ok && m.Type == wallet.TypeFee {
			rows[i].TypeName = loc.T(k)
		}
		if m.FailureCode != "" {
			if k, ok := walletKey(m.FailureCode); ok {
				rows[i].Failure = loc.T(k)
			} else if k, ok := limitErrorKeys[m.FailureCode]; ok {
				rows[i].Failure = loc.T(k)
			} else if k, ok := withdrawErrorKeys[m.FailureCode]; ok {
				rows[i].Failure = loc.T(k)
			}
		}
		rows[i].Signed = m.Amount
		if !m.Type.Inflow() {
			rows[i].Signed.Minor = -m.Amount.Minor
		}
	}
	return rows
}

// walletPage is the dashboard: the wallet id, every balance with what is
// held, and the latest movements. The wallet is opened on first visit.
func (s *Site) walletPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	ctx := r.Context()
	wl, err := s.wallet.Open(ctx, si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := walletData{WalletID: string(wl.ID)}
	if d.Balances, err = s.wallet.Balances(ctx, si.user.ID); err != nil {
		s.ServerError(w, r, err)
		return
	}
	page, err := s.wallet.History(ctx, wallet.History{UserID: si.user.ID, Limit: 5})
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Rows = s.movementRows(s.Locale(r), page.Movements)
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet", d)
}

// movementData is what wallet_movement.html shows.
type movementData struct {
	Row     movementRow
	Error   *walletError
	Done    string // "sent", "deposited": the action just completed
	Confirm bool   // a deposit waiting for its confirmation code
	Risk    *movementRisk
}

// movementPage shows one movement of the user's, and for a deposit that
// needs its confirmation step, the form for it.
func (s *Site) movementPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	m, err := s.wallet.Movement(r.Context(), si.user.ID, r.PathValue("id"))
	if wallet.ErrorCode(err) == wallet.CodeMovementNotFound {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := movementData{Row: s.movementRows(s.Locale(r), []wallet.Movement{m})[0], Done: r.URL.Query().Get("done"),
		Confirm: m.Status == wallet.StatusRequiresAction}
	if d.Risk, err = s.movementRisk(r, si, m); err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_movement", d)
}

// confirmDeposit completes a deposit's confirmation step (3-D Secure).
func (s *Site) confirmDeposit(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := r.PathValue("id")
	m, err := s.wallet.ConfirmDeposit(r.Context(), si.user.ID, id, strings.TrimSpace(vals.Get("code")))
	if err == nil {
		http.Redirect(w, r, "/wallet/movements/"+m.ID+"?done=deposited", http.StatusSeeOther)
		return
	}
	if wallet.ErrorCode(err) == wallet.CodeMovementNotFound {
		s.NotFound(w, r)
		return
	}
	m, merr := s.wallet.Movement(r.Context(), si.user.ID, id)
	if merr != nil {
		s.ServerError(w, r, merr)
		return
	}
	d := movementData{Row: s.movementRows(s.Locale(r), []wallet.Movement{m})[0], Confirm: m.Status == wallet.StatusRequiresAction}
	s.refuse(w, r, err, "wallet_movement", &d, func(we walletError) { d.Error = &we })
}

// userCountry is where the user's payment methods are offered: the
// country of their mobile number, else "" (the default methods).
func userCountry(u auth.User) string {
	switch {
	case strings.HasPrefix(u.Phone, "+86"):
		return "CN"
	case strings.HasPrefix(u.Phone, "+852"):
		return "HK"
	case strings.HasPrefix(u.Phone, "+7"):
		return "RU"
	case strings.HasPrefix(u.Phone, "+44"):
		return "GB"
	case strings.HasPrefix(u.Phone, "+1"):
		return "US"
	}
	return ""
}

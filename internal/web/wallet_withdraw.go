package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web/i18n"
)

// withdrawErrorKeys says what the customer reads for each refusal and
// failure of a withdrawal.
var withdrawErrorKeys = map[wallet.Code]string{
	wallet.CodeInvalidPayoutAccount:    "withdraw.error.invalid_payout_account",
	wallet.CodeInvalidAccountHolder:    "withdraw.error.invalid_account_holder",
	wallet.CodePayoutAccountClosed:     "withdraw.error.payout_account_closed",
	wallet.CodePayoutAccountNotFound:   "withdraw.error.payout_account_not_found",
	wallet.CodePayoutFailed:            "withdraw.error.payout_failed",
	wallet.CodePayoutReturned:          "withdraw.error.payout_returned",
	wallet.CodeWithdrawalCanceled:      "withdraw.error.withdrawal_canceled",
	wallet.CodeWithdrawalNotCancelable: "withdraw.error.withdrawal_not_cancelable",
	wallet.CodeWithdrawalNotFound:      "withdraw.error.withdrawal_not_found",
}

// withdrawalStatusKeys name a withdrawal's statuses; withdrawalStatusHelpKeys
// say what each means for the money.
var withdrawalStatusKeys = map[wallet.WithdrawalStatus]string{
	wallet.WithdrawalPending:    "withdraw.status.pending",
	wallet.WithdrawalProcessing: "withdraw.status.processing",
	wallet.WithdrawalCompleted:  "withdraw.status.completed",
	wallet.WithdrawalFailed:     "withdraw.status.failed",
	wallet.WithdrawalReturned:   "withdraw.status.returned",
	wallet.WithdrawalCanceled:   "withdraw.status.canceled",
	wallet.WithdrawalReview:     "withdraw.status.review",
}

var withdrawalStatusHelpKeys = map[wallet.WithdrawalStatus]string{
	wallet.WithdrawalPending:    "withdraw.help.pending",
	wallet.WithdrawalProcessing: "withdraw.help.processing",
	wallet.WithdrawalCompleted:  "withdraw.help.completed",
	wallet.WithdrawalFailed:     "withdraw.help.failed",
	wallet.WithdrawalReturned:   "withdraw.help.returned",
	wallet.WithdrawalCanceled:   "withdraw.help.canceled",
	wallet.WithdrawalReview:     "withdraw.help.review",
}

// withdrawMethodKeys name the methods.
var withdrawMethodKeys = map[wallet.Method]string{
	wallet.MethodBank:    "withdraw.method.bank",
	wallet.MethodEWallet: "withdraw.method.ewallet",
}

// withdrawalRow is a withdrawal with its words in the reader's language.
type withdrawalRow struct {
	wallet.Withdrawal
	StatusName, StatusHelp, MethodName, Failure string
	Total                                       money.Amount
}

func withdrawalRows(loc *i18n.Locale, ws []wallet.Withdrawal) []withdrawalRow {
	rows := make([]withdrawalRow, len(ws))
	for i, w := range ws {
		rows[i] = withdrawalRow{Withdrawal: w, StatusName: loc.T(withdrawalStatusKeys[w.Status]),
			StatusHelp: loc.T(withdrawalStatusHelpKeys[w.Status]), MethodName: loc.T(withdrawMethodKeys[w.Method]),
			Total: money.Amount{Minor: w.Amount.Minor + w.Fee.Minor, Currency: w.Amount.Currency}}
		if k, ok := withdrawErrorKeys[w.FailureCode]; ok {
			rows[i].Failure = loc.T(k)
		} else if k, ok := walletKey(w.FailureCode); ok {
			rows[i].Failure = loc.T(k)
		}
	}
	return rows
}

// withdrawData is what wallet_withdraw.html (the form and the latest
// withdrawals) and wallet_withdraw_confirm.html show.
type withdrawData struct {
	Form        *form
	Key         string
	Currencies  []money.Currency
	Methods     []wallet.Method
	Balances    []wallet.Balance
	Withdrawals []withdrawalRow
	Quote       *wallet.WithdrawQuote
	MethodName  string
	StepUp      stepUp
	AskCode     bool
	Error       *walletError
}

func (s *Site) withdrawForm(vals url.Values) withdrawData {
	d := withdrawData{Form: newForm(), Key: formKey(vals), Currencies: s.wallet.Currencies(), Methods: s.withdrawals.Methods()}
	for _, k := range []string{"method", "account", "holder", "amount", "currency"} {
		d.Form.keep(k, vals.Get(k))
	}
	if d.Form.Values["method"] != string(wallet.MethodEWallet) {
		d.Form.Values["method"] = string(wallet.MethodBank)
	}
	return d
}

// withdrawList fills the balances and the latest withdrawals of the form
// page.
func (s *Site) withdrawList(r *http.Request, si *signedIn, d *withdrawData) error {
	ctx := r.Context()
	if _, err := s.wallet.Open(ctx, si.user.ID); err != nil {
		return err
	}
	var err error
	if d.Balances, err = s.wallet.Balances(ctx, si.user.ID); err != nil {
		return err
	}
	ws, err := s.withdrawals.List(ctx, si.user.ID, 20)
	if err != nil {
		return err
	}
	d.Withdrawals = withdrawalRows(s.Locale(r), ws)
	return nil
}

// withdrawPage is the withdrawal form with the balances and the latest
// withdrawals.
func (s *Site) withdrawPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := s.withdrawForm(url.Values{"currency": {r.URL.Query().Get("currency")}})
	d.Key = newFormKey()
	if err := s.withdrawList(r, si, &d); err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_withdraw", d)
}

// withdrawRequest reads the form.
func (s *Site) withdrawRequest(r *http.Request, si *signedIn, vals url.Values) (wallet.WithdrawRequest, error) {
	amount, err := s.parseAmount(s.Locale(r), vals.Get("amount"), vals.Get("currency"))
	if err != nil {
		return wallet.WithdrawRequest{}, err
	}
	method := wallet.Method(vals.Get("method"))
	if method != wallet.MethodEWallet {
		method = wallet.MethodBank
	}
	return wallet.WithdrawRequest{UserID: si.user.ID, Method: method, Account: vals.Get("account"),
		Holder: vals.Get("holder"), Amount: amount, IdempotencyKey: formKey(vals), Device: deviceCookie(r)}, nil
}

// refuseWithdraw shows a refusal on the form page.
func (s *Site) refuseWithdraw(w http.ResponseWriter, r *http.Request, si *signedIn, d *withdrawData, err error) {
	if lerr := s.withdrawList(r, si, d); lerr != nil {
		s.ServerError(w, r, lerr)
		return
	}
	s.refuse(w, r, err, "wallet_withdraw", d, func(we walletError) { d.Error = &we })
}

// withdrawQuote checks the form and shows what the withdrawal will do:
// the fee, the total, the masked account and the expected date.
func (s *Site) withdrawQuote(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.withdrawForm(vals)
	req, err := s.withdrawRequest(r, si, vals)
	var q wallet.WithdrawQuote
	if err == nil {
		q, err = s.withdrawals.Quote(r.Context(), req)
	}
	if err != nil {
		s.refuseWithdraw(w, r, si, &d, err)
		return
	}
	d.Quote, d.MethodName = &q, s.Locale(r).T(withdrawMethodKeys[q.Method])
	if q.StepUpRequired && q.TwoFactorEnabled {
		if _, d.StepUp, err = s.approve(r, url.Values{}, si.user.ID, q.StepUpAction); err != nil {
			s.ServerError(w, r, err)
			return
		}
		d.AskCode = true
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_withdraw_confirm", d)
}

// withdrawConfirm holds the money and sends the payout. The form's key
// makes a second submit return the first withdrawal; a large one asks for
// a code bound to it first.
func (s *Site) withdrawConfirm(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.withdrawForm(vals)
	ctx := r.Context()
	req, err := s.withdrawRequest(r, si, vals)
	if err != nil {
		s.refuseWithdraw(w, r, si, &d, err)
		return
	}
	wd, err := s.withdrawals.Withdraw(ctx, req)
	if wallet.ErrorCode(err) == wallet.CodeStepUpRequired {
		q, qerr := s.withdrawals.Quote(ctx, req)
		if qerr != nil {
			s.refuseWithdraw(w, r, si, &d, qerr)
			return
		}
		d.Quote, d.AskCode, d.MethodName = &q, true, s.Locale(r).T(withdrawMethodKeys[q.Method])
		var token string
		token, d.StepUp, err = s.approve(r, vals, si.user.ID, q.StepUpAction)
		if err != nil {
			s.ServerError(w, r, err)
			return
		}
		if token == "" {
			status := http.StatusOK
			if d.StepUp.Error != "" {
				status = http.StatusUnprocessableEntity
			}
			s.Render(w, r, status, "wallet_withdraw_confirm", d)
			return
		}
		req.StepUpToken = token
		wd, err = s.withdrawals.Withdraw(ctx, req)
	}
	if err != nil {
		s.refuseWithdraw(w, r, si, &d, err)
		return
	}
	http.Redirect(w, r, "/wallet/withdrawals/"+wd.ID+"?done=1", http.StatusSeeOther)
}

// withdrawalData is what wallet_withdrawal.html shows.
type withdrawalData struct {
	Row   withdrawalRow
	Done  bool
	Error *walletError
	// ReturnID is the movement that credited a returned withdrawal back.
	ReturnID string
	Now      time.Time
}

func (s *Site) renderWithdrawal(w http.ResponseWriter, r *http.Request, status int, wd wallet.Withdrawal, d withdrawalData) {
	d.Row = withdrawalRows(s.Locale(r), []wallet.Withdrawal{wd})[0]
	if wd.Status == wallet.WithdrawalReturned {
		d.ReturnID = wd.ReturnID()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "wallet_withdrawal", d)
}

// withdrawalPage shows one of the user's withdrawals: its status and what
// it means for the money, the expected date, why it failed, and the
// cancel button while it can be canceled.
func (s *Site) withdrawalPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	wd, err := s.withdrawals.Withdrawal(r.Context(), si.user.ID, r.PathValue("id"))
	if wallet.ErrorCode(err) == wallet.CodeWithdrawalNotFound {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.renderWithdrawal(w, r, http.StatusOK, wd, withdrawalData{Done: r.URL.Query().Get("done") != ""})
}

// withdrawalCancel cancels a withdrawal that has not settled.
func (s *Site) withdrawalCancel(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	id := r.PathValue("id")
	wd, err := s.withdrawals.Cancel(r.Context(), si.user.ID, id)
	if err == nil {
		http.Redirect(w, r, "/wallet/withdrawals/"+wd.ID, http.StatusSeeOther)
		return
	}
	if wallet.ErrorCode(err) == wallet.CodeWithdrawalNotFound {
		s.NotFound(w, r)
		return
	}
	we, ok := refusal(s.Locale(r), err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	if wd.ID == "" {
		if wd, err = s.withdrawals.Withdrawal(r.Context(), si.user.ID, id); err != nil {
			s.ServerError(w, r, err)
			return
		}
	}
	status := http.StatusUnprocessableEntity
	if we.Retryable {
		status = http.StatusServiceUnavailable
	}
	s.renderWithdrawal(w, r, status, wd, withdrawalData{Error: &we})
}

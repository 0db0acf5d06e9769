package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// depositData is what wallet_deposit.html shows.
type depositData struct {
	Form       *form
	Key        string
	Currencies []money.Currency
	Card       bool // card deposits are offered in the user's country
	Brands     []connector.Brand
	EWallet    bool
	Bank       bool
	BankInfo   *wallet.BankDetails // for BankCurrency, when bank transfer is offered
	BankCur    string
	Error      *walletError
	Method     string // the form the error belongs to
}

func (s *Site) depositData(r *http.Request, si *signedIn) depositData {
	d := depositData{Form: newForm(), Key: newFormKey(), Currencies: s.wallet.Currencies()}
	for _, m := range connector.Methods(userCountry(si.user), s.methods) {
		switch m.Rail {
		case connector.RailCard:
			d.Card, d.Brands = true, m.Brands
		case connector.RailEWallet:
			d.EWallet = true
		case connector.RailBankTransfer:
			d.Bank = true
		}
	}
	return d
}

// depositPage offers the methods of the user's country; for a bank
// transfer, the receiving account and the user's own reference in the
// currency chosen (?bank=EUR).
func (s *Site) depositPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := s.depositData(r, si)
	if d.Bank && s.bank != nil {
		d.BankCur = r.URL.Query().Get("bank")
		if !s.walletCurrency(d.BankCur) {
			d.BankCur = "CNY"
		}
		info, err := s.bank.BankDetails(r.Context(), si.user.ID, d.BankCur)
		if err != nil {
			s.ServerError(w, r, err)
			return
		}
		d.BankInfo = &info
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_deposit", d)
}

// depositCard charges a card. The card number and security code go to the
// card network only: they are never stored, logged or shown again.
func (s *Site) depositCard(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.depositData(r, si)
	d.Method = "card"
	d.Key = formKey(vals)
	d.Form.keep("amount", vals.Get("amount"))
	d.Form.keep("currency", vals.Get("currency"))
	d.Form.keep("exp", vals.Get("exp"))
	loc := s.Locale(r)
	fail := func(err error) {
		s.refuse(w, r, err, "wallet_deposit", &d, func(we walletError) {
			d.Error = &we
			if !we.Retryable {
				d.Key = newFormKey() // a corrected card is a new attempt
			}
		})
	}
	amount, err := s.parseAmount(loc, vals.Get("amount"), vals.Get("currency"))
	if err != nil {
		fail(err)
		return
	}
	month, year, ok := parseExpiry(vals.Get("exp"))
	if !ok {
		fail(wallet.ErrorFor(wallet.CodeInvalidExpiry))
		return
	}
	card := &connector.Card{Number: vals.Get("number"), ExpMonth: month, ExpYear: year, CVC: strings.TrimSpace(vals.Get("cvc"))}
	if brand := connector.DetectBrand(digitsOnly(card.Number)); brand != "" {
		if connector.CheckMethod(userCountry(si.user), s.methods, connector.RailCard, brand) != nil {
			fail(wallet.ErrorFor(wallet.CodeCardNotSupported))
			return
		}
	}
	m, err := s.wallet.Deposit(r.Context(), wallet.DepositRequest{UserID: si.user.ID, Method: wallet.MethodCard,
		Amount: amount, Source: card, IdempotencyKey: d.Key})
	s.afterDeposit(w, r, m, err, fail)
}

// depositEWallet charges an external e-wallet account.
func (s *Site) depositEWallet(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.depositData(r, si)
	d.Method = "ewallet"
	d.Key = formKey(vals)
	d.Form.keep("amount", vals.Get("amount"))
	d.Form.keep("currency", vals.Get("currency"))
	d.Form.keep("account", vals.Get("account"))
	fail := func(err error) {
		s.refuse(w, r, err, "wallet_deposit", &d, func(we walletError) {
			d.Error = &we
			if !we.Retryable {
				d.Key = newFormKey()
			}
		})
	}
	amount, err := s.parseAmount(s.Locale(r), vals.Get("amount"), vals.Get("currency"))
	if err != nil {
		fail(err)
		return
	}
	account, err := connector.ParseWalletAccount(vals.Get("account"))
	if err != nil {
		fail(wallet.ErrorFor(wallet.CodeInvalidPaymentAccount))
		return
	}
	m, err := s.wallet.Deposit(r.Context(), wallet.DepositRequest{UserID: si.user.ID, Method: wallet.MethodEWallet,
		Amount: amount, Source: account, IdempotencyKey: d.Key})
	s.afterDeposit(w, r, m, err, fail)
}

// afterDeposit sends the browser to the deposit (to confirm it, or to see
// it done), or shows the refusal on the form.
func (s *Site) afterDeposit(w http.ResponseWriter, r *http.Request, m wallet.Movement, err error, fail func(error)) {
	switch {
	case err == nil && m.Status == wallet.StatusRequiresAction:
		http.Redirect(w, r, "/wallet/movements/"+m.ID, http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, "/wallet/movements/"+m.ID+"?done=deposited", http.StatusSeeOther)
	default:
		fail(err)
	}
}

// parseExpiry reads "MM/YY" or "MM/YYYY".
func parseExpiry(s string) (month, year int, ok bool) {
	mm, yy, found := strings.Cut(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "/")
	if !found || len(mm) == 0 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4) {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 0 {
		return 0, 0, false
	}
	if y < 100 {
		y += 2000
	}
	return m, y, true
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// sendData is what wallet_send.html (the form) and wallet_send_confirm.html
// (the confirmation) show.
type sendData struct {
	Form       *form
	Key        string
	Currencies []money.Currency
	Quote      *wallet.SendQuote
	StepUp     stepUp
	AskCode    bool // the confirmation needs a second-factor code
	Error      *walletError
}

func (s *Site) sendForm(r *http.Request, vals url.Values) sendData {
	d := sendData{Form: newForm(), Key: formKey(vals), Currencies: s.wallet.Currencies()}
	for _, k := range []string{"to", "amount", "currency", "note", "payer"} {
		d.Form.keep(k, vals.Get(k))
	}
	if d.Form.Values["payer"] == "" {
		d.Form.Values["payer"] = string(wallet.PayerSender)
	}
	return d
}

// sendPage is the send form (?to= fills the recipient).
func (s *Site) sendPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := s.sendForm(r, url.Values{"to": {r.URL.Query().Get("to")}, "currency": {r.URL.Query().Get("currency")}})
	d.Key = newFormKey()
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_send", d)
}

// sendRequest reads the send form into a wallet request.
func (s *Site) sendRequest(r *http.Request, si *signedIn, vals url.Values) (wallet.SendRequest, error) {
	amount, err := s.parseAmount(s.Locale(r), vals.Get("amount"), vals.Get("currency"))
	if err != nil {
		return wallet.SendRequest{}, err
	}
	payer := wallet.Payer(vals.Get("payer"))
	if payer != wallet.PayerReceiver {
		payer = wallet.PayerSender
	}
	req := wallet.SendRequest{UserID: si.user.ID, To: strings.TrimSpace(vals.Get("to")), Amount: amount,
		Note: vals.Get("note"), FeePayer: payer, IdempotencyKey: formKey(vals), Device: deviceCookie(r)}
	return req, nil
}

// sendQuote checks the form and shows what the send will do: recipient,
// fee, total. Nothing moves yet; a mistyped wallet id stops here.
func (s *Site) sendQuote(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.sendForm(r, vals)
	req, err := s.sendRequest(r, si, vals)
	var q wallet.SendQuote
	if err == nil {
		q, err = s.wallet.QuoteSend(r.Context(), req)
	}
	if err != nil {
		s.refuse(w, r, err, "wallet_send", &d, func(we walletError) { d.Error = &we })
		return
	}
	d.Quote = &q
	if q.StepUpRequired && q.TwoFactorEnabled {
		if _, d.StepUp, err = s.approve(r, url.Values{}, si.user.ID, q.StepUpAction); err != nil {
			s.ServerError(w, r, err)
			return
		}
		d.AskCode = true
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_send_confirm", d)
}

// sendConfirm moves the money. The form's key makes a second submit of
// the same page return the first send; a large payment asks for a code
// (bound to this very payment) first.
func (s *Site) sendConfirm(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.sendForm(r, vals)
	ctx := r.Context()
	req, err := s.sendRequest(r, si, vals)
	if err != nil {
		s.refuse(w, r, err, "wallet_send", &d, func(we walletError) { d.Error = &we })
		return
	}
	m, err := s.wallet.Send(ctx, req)
	if wallet.ErrorCode(err) == wallet.CodeStepUpRequired {
		q, qerr := s.wallet.QuoteSend(ctx, req)
		if qerr != nil {
			s.refuse(w, r, qerr, "wallet_send", &d, func(we walletError) { d.Error = &we })
			return
		}
		d.Quote, d.AskCode = &q, true
		var token string
		token, d.StepUp, err = s.approve(r, vals, si.user.ID, q.StepUpAction)
		if err != nil {
			if we, ok := refusal(s.Locale(r), wallet.ErrorFor(wallet.CodeStepUpFailed)); ok && err == errNoSecondFactor {
				d.Error = &we
				s.Render(w, r, http.StatusUnprocessableEntity, "wallet_send_confirm", d)
				return
			}
			s.ServerError(w, r, err)
			return
		}
		if token == "" {
			status := http.StatusOK
			if d.StepUp.Error != "" {
				status = http.StatusUnprocessableEntity
			}
			s.Render(w, r, status, "wallet_send_confirm", d)
			return
		}
		req.StepUpToken = token
		m, err = s.wallet.Send(ctx, req)
	}
	if err != nil {
		if q, qerr := s.wallet.QuoteSend(ctx, req); qerr == nil {
			d.Quote = &q
			s.refuse(w, r, err, "wallet_send_confirm", &d, func(we walletError) { d.Error = &we })
			return
		}
		s.refuse(w, r, err, "wallet_send", &d, func(we walletError) { d.Error = &we })
		return
	}
	http.Redirect(w, r, "/wallet/movements/"+m.ID+"?done=sent", http.StatusSeeOther)
}

package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// feeMethodKeys name fees charged on their own, by their method.
var feeMethodKeys = map[wallet.Method]string{
	wallet.MethodDormantFee: "wallet.type.dormant_fee",
}

// exchangeData is what wallet_exchange.html (the form) and
// wallet_exchange_confirm.html (the quote) show.
type exchangeData struct {
	Form       *form
	Key        string
	Currencies []money.Currency
	Quote      *wallet.ExchangeQuote
	// Seconds is how long the quote is honoured.
	Seconds int
	// Requoted: the quote the user confirmed had expired; this is a new
	// one and nothing was exchanged.
	Requoted bool
	// ValidUntil is the quote's expiry to the second, in the platform's
	// time zone.
	ValidUntil string
	Error      *walletError
}

func (s *Site) showQuote(d *exchangeData, q wallet.ExchangeQuote) {
	d.Quote, d.ValidUntil = &q, q.ExpiresAt.In(s.tz).Format("15:04:05")
}

func (s *Site) exchangeForm(vals url.Values) exchangeData {
	d := exchangeData{Form: newForm(), Key: formKey(vals), Currencies: s.wallet.Currencies(),
		Seconds: int(s.exchange.QuoteTTL().Seconds())}
	for _, k := range []string{"amount", "sell", "buy"} {
		d.Form.keep(k, vals.Get(k))
	}
	return d
}

// exchangePage is the exchange form (?sell= and ?buy= preselect).
func (s *Site) exchangePage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	q := r.URL.Query()
	d := s.exchangeForm(url.Values{"sell": {q.Get("sell")}, "buy": {q.Get("buy")}})
	d.Key = newFormKey()
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_exchange", d)
}

// exchangeQuote shows the exact amounts and the rate, honoured for a
// short, shown time. Nothing moves yet.
func (s *Site) exchangeQuote(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.exchangeForm(vals)
	amount, err := s.parseAmount(s.Locale(r), vals.Get("amount"), vals.Get("sell"))
	var q wallet.ExchangeQuote
	if err == nil {
		buy := vals.Get("buy")
		if !s.walletCurrency(buy) {
			err = wallet.ErrorFor(wallet.CodeCurrencyNotEnabled)
		} else {
			q, err = s.exchange.Quote(r.Context(), wallet.ExchangeRequest{UserID: si.user.ID, Sell: amount, Buy: buy})
		}
	}
	if err != nil {
		s.refuse(w, r, err, "wallet_exchange", &d, func(we walletError) { d.Error = &we })
		return
	}
	s.showQuote(&d, q)
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_exchange_confirm", d)
}

// exchangeConfirm books the quote if it is still honoured. An expired one
// books nothing: the page shows a fresh quote and says so.
func (s *Site) exchangeConfirm(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := s.exchangeForm(vals)
	ctx := r.Context()
	id := strings.TrimSpace(vals.Get("quote"))
	m, err := s.exchange.Exchange(ctx, wallet.ExchangeConfirm{UserID: si.user.ID, QuoteID: id, IdempotencyKey: d.Key})
	if wallet.ErrorCode(err) == wallet.CodeExchangeQuoteExpired {
		q, qerr := s.exchange.Requote(ctx, si.user.ID, id)
		if qerr != nil {
			s.refuse(w, r, qerr, "wallet_exchange", &d, func(we walletError) { d.Error = &we })
			return
		}
		// A new quote is a new operation: a new key, so that confirming it
		// is not answered with the expired one.
		s.showQuote(&d, q)
		d.Requoted, d.Key = true, newFormKey()
		w.Header().Set("Cache-Control", "no-store")
		s.Render(w, r, http.StatusOK, "wallet_exchange_confirm", d)
		return
	}
	if err != nil {
		if q, qerr := s.exchange.ExchangeQuote(ctx, si.user.ID, id); qerr == nil {
			d.Form.keep("amount", q.Sell.Decimal())
			d.Form.keep("sell", q.Sell.Currency.Code)
			d.Form.keep("buy", q.Bought.Currency.Code)
		}
		s.refuse(w, r, err, "wallet_exchange", &d, func(we walletError) { d.Error = &we })
		return
	}
	http.Redirect(w, r, "/wallet/movements/"+m.ID+"?done=exchanged", http.StatusSeeOther)
}

// shownLateFee is the late fee the request page showed the payer (minor
// units in the request's currency; zero when none or unreadable).
func shownLateFee(vals url.Values, c money.Currency) money.Amount {
	n, err := strconv.ParseInt(vals.Get("late_fee"), 10, 64)
	if err != nil || n < 0 {
		n = 0
	}
	return money.Amount{Minor: n, Currency: c}
}

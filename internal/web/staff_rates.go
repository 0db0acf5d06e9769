package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
)

// staffRateErrorKeys are the refusals of the rate form, by field.
var staffRateErrorKeys = map[string]string{
	"rate":  "staffrates.error.rate",
	"pair":  "staffrates.error.pair",
	"note":  "staffrates.error.note",
	"hours": "staffrates.error.hours",
}

// staffRatesData is what staff_rates.html shows.
type staffRatesData struct {
	// Rates are the rates in force now from the first enabled currency
	// (the base shown) to each other one.
	Rates   []fx.Quote
	History []fx.ManualRate
	CanSet  bool
	Form    *form
	Notice  string
	Error   string
	Codes   []money.Currency
}

// staffRates shows the rates in force and the history of staff-set
// rates; supervisors also get the form to set one.
func (s *Site) staffRates(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionFXRatesView, auth.Resource{Kind: "fx"}) != nil {
		s.Forbidden(w, r)
		return
	}
	d := staffRatesData{Form: newForm()}
	if r.URL.Query().Get("done") == "set" {
		d.Notice = s.Locale(r).T("staffrates.saved")
	}
	s.renderStaffRates(w, r, si, http.StatusOK, d)
}

func (s *Site) renderStaffRates(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffRatesData) {
	ctx := r.Context()
	d.Codes = s.currencies()
	if len(d.Codes) > 0 {
		base := d.Codes[0].Code
		for _, c := range d.Codes[1:] {
			q, err := s.fx.Rate(ctx, base, c.Code, s.now())
			if errors.Is(err, fx.ErrNoRate) {
				continue
			}
			if err != nil {
				s.ServerError(w, r, err)
				return
			}
			d.Rates = append(d.Rates, q)
		}
	}
	var err error
	if d.History, err = s.fx.ManualRates(ctx, 100); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.CanSet = auth.Authorize(actor(si), auth.ActionFXRateSet, auth.Resource{Kind: "fx"}) == nil
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_rates", d)
}

// currencies are the wallet's currencies, or the common ones when the site
// runs without a wallet.
func (s *Site) currencies() []money.Currency {
	if s.wallet != nil {
		return s.wallet.Currencies()
	}
	var out []money.Currency
	for _, c := range []string{"USD", "EUR", "CNY", "GBP", "JPY", "RUB"} {
		out = append(out, money.MustCurrency(c))
	}
	return out
}

// staffRateSet records a supervisor's rate for one direction of one pair,
// effective now until the optional end; fx audits it in the same
// transaction.
func (s *Site) staffRateSet(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionFXRateSet, auth.Resource{Kind: "fx"}) != nil {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	d := staffRatesData{Form: newForm()}
	for _, k := range []string{"base", "quote", "rate", "hours", "note"} {
		d.Form.keep(k, vals.Get(k))
	}
	fail := func(key string) {
		d.Error = loc.T(key)
		s.renderStaffRates(w, r, si, http.StatusUnprocessableEntity, d)
	}
	rate, err := money.ParseRate(strings.TrimSpace(vals.Get("rate")))
	if err != nil {
		fail(staffRateErrorKeys["rate"])
		return
	}
	base, quote := vals.Get("base"), vals.Get("quote")
	if !s.knownCurrency(base) || !s.knownCurrency(quote) || base == quote {
		fail(staffRateErrorKeys["pair"])
		return
	}
	note := strings.TrimSpace(vals.Get("note"))
	if len([]rune(note)) > 280 {
		fail(staffRateErrorKeys["note"])
		return
	}
	m := fx.ManualRate{Base: base, Quote: quote, Rate: rate, SetBy: si.user.ID, SetByRole: string(si.user.Role), Note: note}
	switch h := strings.TrimSpace(vals.Get("hours")); h {
	case "", "0":
	default:
		n, err := time.ParseDuration(h + "h")
		if err != nil || n <= 0 || n > 24*365*time.Hour {
			fail(staffRateErrorKeys["hours"])
			return
		}
		m.Until = s.now().Add(n) // in effect from now (fx's clock) until then
	}
	if _, err := s.fx.SetManualRate(r.Context(), m); err != nil {
		if errors.Is(err, fx.ErrInvalid) {
			fail(staffRateErrorKeys["rate"])
			return
		}
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/rates?done=set", http.StatusSeeOther)
}

func (s *Site) knownCurrency(code string) bool {
	for _, c := range s.currencies() {
		if c.Code == code {
			return true
		}
	}
	return false
}

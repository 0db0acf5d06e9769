package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// checkoutData is what checkout.html, the hosted checkout page, shows.
type checkoutData struct {
	merchant.Checkout
	// Available is the signed-in shopper's available balance in the
	// session's currency (live sessions only).
	Available *money.Amount
	SignedIn  bool
	LoginURL  string
	Large     bool // a balance payment needs a second-factor code
	AskCode   bool // the code form is showing
	StepUp    stepUp
	Form      *form
	Error     *merchantError
}

func (s *Site) checkoutData(r *http.Request, c merchant.Checkout) checkoutData {
	d := checkoutData{Checkout: c, Form: newForm(), LoginURL: "/login?next=" + "/checkout/" + c.Session.ID}
	si := currentUser(r)
	d.SignedIn = si != nil
	if si != nil && s.wallet != nil && c.Session.Livemode && c.Session.Status == merchant.SessionOpen {
		if b, err := s.wallet.Balance(r.Context(), si.user.ID, c.Session.Amount.Currency.Code); err == nil {
			d.Available = &b.Available
		}
		if large, _, err := s.merchant.NeedsStepUp(r.Context(), c.Payment, si.user.ID); err == nil {
			d.Large = large
		}
	}
	return d
}

// checkoutPage is the hosted checkout page: what is being paid for, to
// whom, and the ways to pay; or that the session is paid or expired.
func (s *Site) checkoutPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.merchant.Checkout(r.Context(), r.PathValue("id"))
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	allowFormRedirect(w, c.Session.SuccessURL)
	s.Render(w, r, http.StatusOK, "checkout", s.checkoutData(r, c))
}

// allowFormRedirect lets the checkout page's forms end in a redirect to
// the shop's success URL: the site's policy allows forms to go only to
// this origin (form-action 'self'), and browsers apply that to where a
// form's answer redirects too. Only the one validated origin is added,
// on this page only.
func allowFormRedirect(w http.ResponseWriter, target string) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return
		}
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "form-action 'self'",
		"form-action 'self' "+u.Scheme+"://"+u.Host, 1))
}

// checkoutDone ends a payment attempt: paid sessions go to the shop's
// success URL; refusals show the page again with the reason.
func (s *Site) checkoutDone(w http.ResponseWriter, r *http.Request, c merchant.Checkout, err error, edit func(*checkoutData)) {
	// Paid: this request paid it, or an earlier one did (a double
	// click, a reload of the form).
	if c.Session.Status == merchant.SessionComplete &&
		(err == nil || errors.Is(err, merchant.ErrSessionComplete) || errors.Is(err, merchant.ErrInvalidState)) {
		http.Redirect(w, r, c.Session.SuccessURL, http.StatusSeeOther)
		return
	}
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	var me *merchantError
	if err != nil {
		m, ok := merchantRefusal(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		me = &m
	}
	if c.Session.ID == "" {
		if c, err = s.merchant.Checkout(r.Context(), r.PathValue("id")); err != nil {
			s.ServerError(w, r, err)
			return
		}
	}
	d := s.checkoutData(r, c)
	d.Error = me
	if edit != nil {
		edit(&d)
	}
	status := http.StatusOK
	if d.Error != nil {
		status = d.Error.status()
	}
	w.Header().Set("Cache-Control", "no-store")
	allowFormRedirect(w, c.Session.SuccessURL)
	s.Render(w, r, status, "checkout", d)
}

// checkoutBalance pays from the signed-in shopper's OKPay balance; a
// large amount asks for a second-factor code bound to this payment first.
func (s *Site) checkoutBalance(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	ctx := r.Context()
	id := r.PathValue("id")
	c, err := s.merchant.PaySessionBalance(ctx, id, si.user.ID, "")
	if errors.Is(err, merchant.ErrStepUpRequired) {
		token, su, aerr := s.approve(r, vals, si.user.ID, merchant.PaymentAction(c.Payment))
		if aerr != nil {
			s.ServerError(w, r, aerr)
			return
		}
		if token == "" {
			s.checkoutDone(w, r, c, nil, func(d *checkoutData) {
				d.AskCode, d.StepUp = true, su
				if su.Error != "" {
					d.Error = &merchantError{Code: "step_up_refused", Message: su.Error}
				}
			})
			return
		}
		c, err = s.merchant.PaySessionBalance(ctx, id, si.user.ID, token)
	}
	s.checkoutDone(w, r, c, err, s.payhistRefusal(r, err))
}

// checkoutCard charges a card. The number and security code go to the
// card rail and are never stored or shown again.
func (s *Site) checkoutCard(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	month, year, ok := parseExpiry(vals.Get("exp"))
	keep := func(d *checkoutData) { d.Form.keep("exp", vals.Get("exp")) }
	if !ok {
		s.checkoutDone(w, r, merchant.Checkout{}, merchant.ErrCardInvalid, keep)
		return
	}
	in := merchant.CardPayment{Card: &connector.Card{Number: vals.Get("number"), ExpMonth: month, ExpYear: year,
		CVC: strings.TrimSpace(vals.Get("cvc"))}}
	if si := currentUser(r); si != nil {
		in.PayerUserID = si.user.ID
	}
	c, err := s.merchant.PaySessionCard(r.Context(), r.PathValue("id"), in)
	s.checkoutDone(w, r, c, err, keep)
}

// checkoutConfirm sends the code the card issuer asked for.
func (s *Site) checkoutConfirm(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	code := vals.Get("code")
	if len(code) > 64 {
		code = ""
	}
	c, err := s.merchant.ConfirmSessionCard(r.Context(), r.PathValue("id"), code)
	s.checkoutDone(w, r, c, err, nil)
}

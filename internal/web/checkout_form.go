package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/merchant"
)

// payFormPath is where a shop's no-code HTML form posts.
const payFormPath = "/pay/form"

// crossSiteForm reports whether r is the one state-changing request that
// other sites' pages may send: a shop's HTML form posting to /pay/form.
// It is exempt from the cross-origin check because of what it can do: it
// only creates a checkout session (a record of what the shop asks for)
// and answers with a redirect to the hosted page, where the payer, signed
// in on OKPay's own origin, confirms with a same-origin form. It moves no
// money, reads no session and acts for no signed-in user (the handler
// never looks at who is signed in), so a forged post gains nothing that
// anyone could not get by posting the form themselves.
func (s *Site) crossSiteForm(r *http.Request) bool {
	return s.merchant != nil && r.Method == http.MethodPost && r.URL.Path == payFormPath
}

// payFormFieldKeys names the form's fields for the error page.
var payFormFieldKeys = map[string]string{
	"receiver":   "checkout.form.field.receiver",
	"currency":   "checkout.form.field.currency",
	"amount":     "checkout.form.field.amount",
	"item_name":  "checkout.form.field.item_name",
	"invoice":    "checkout.form.field.invoice",
	"return_url": "checkout.form.field.return_url",
	"cancel_url": "checkout.form.field.cancel_url",
	"notify_url": "checkout.form.field.notify_url",
	"form":       "checkout.form.field.form",
}

// payFormErrorData is what checkout_form_error.html shows.
type payFormErrorData struct {
	Field   string
	Message string
	Back    string // the shop's cancel or return URL, when it was valid
}

// payForm takes a shop's HTML form, creates a checkout session and sends
// the payer to the hosted page (303). A wrong field gets a clear page in
// the payer's language, naming it, and nothing is created.
func (s *Site) payForm(w http.ResponseWriter, r *http.Request) {
	vals := s.postForm(w, r)
	req := merchant.FormRequest{Receiver: vals.Get("receiver"), Currency: vals.Get("currency"), ItemName: vals.Get("item_name"),
		Amount: vals.Get("amount"), Invoice: vals.Get("invoice"), ReturnURL: vals.Get("return_url"),
		CancelURL: vals.Get("cancel_url"), NotifyURL: vals.Get("notify_url"), Mode: vals.Get("mode")}
	cs, err := s.merchant.FormCheckout(r.Context(), req)
	var fe *merchant.FormError
	if errors.As(err, &fe) {
		loc := s.Locale(r)
		d := payFormErrorData{Field: loc.T(payFormFieldKeys[fe.Field])}
		if me, ok := merchantRefusal(loc, fe.Err); ok {
			d.Message = me.Message
		}
		if fe.Field != "cancel_url" && fe.Field != "return_url" {
			for _, u := range []string{req.CancelURL, req.ReturnURL} {
				if merchant.SafeURL(u) {
					d.Back = u
					break
				}
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		s.Render(w, r, http.StatusBadRequest, "checkout_form_error", d)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/checkout/"+cs.ID, http.StatusSeeOther)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web/i18n"
)

// disputeRoutes are the payer's payments and disputes (/payments), the
// merchant's disputes (/merchant/{mid}/disputes) and the staff's
// (/staff/disputes). They answer 404 while disputes are not enabled.
func (s *Site) disputeRoutes() []route {
	if s.merchant == nil || s.auth == nil {
		return nil
	}
	return []route{
		{"GET /payments", s.requireUser(s.disputesOn(s.payerPayments))},
		{"GET /payments/{pid}", s.requireUser(s.disputesOn(s.payerPayment))},
		{"POST /payments/{pid}/dispute", s.requireUser(s.disputesOn(s.payerDispute))},
		{"GET /merchant/{mid}/disputes", s.requireUser(s.disputesOn(s.merchantDisputes))},
		{"GET /merchant/{mid}/disputes/{did}", s.requireUser(s.disputesOn(s.merchantDispute))},
		{"POST /merchant/{mid}/disputes/{did}/evidence", s.requireUser(s.disputesOn(s.merchantEvidence))},
		{"GET /merchant/{mid}/disputes/{did}/evidence/{eid}", s.requireUser(s.disputesOn(s.merchantEvidenceFile))},
		{"GET /staff/disputes", s.requireUser(s.disputesOn(s.staffDisputes))},
		{"GET /staff/disputes/{did}", s.requireUser(s.disputesOn(s.staffDispute))},
		{"POST /staff/disputes/{did}/decide", s.requireUser(s.disputesOn(s.staffDecide))},
		{"GET /staff/disputes/{did}/evidence/{eid}", s.requireUser(s.disputesOn(s.staffEvidenceFile))},
	}
}

func (s *Site) disputesOn(h func(http.ResponseWriter, *http.Request, *signedIn)) func(http.ResponseWriter, *http.Request, *signedIn) {
	return func(w http.ResponseWriter, r *http.Request, si *signedIn) {
		if !s.merchant.DisputesEnabled() {
			s.NotFound(w, r)
			return
		}
		h(w, r, si)
	}
}

var disputeStatusKeys = map[merchant.DisputeStatus]string{
	merchant.DisputeNeedsResponse: "disputes.status.needs_response",
	merchant.DisputeUnderReview:   "disputes.status.under_review",
	merchant.DisputeWon:           "disputes.status.won",
	merchant.DisputeLost:          "disputes.status.lost",
}

var disputeReasonKeys = map[merchant.DisputeReason]string{
	merchant.ReasonNotReceived:    "disputes.reason.not_received",
	merchant.ReasonNotAsDescribed: "disputes.reason.not_as_described",
	merchant.ReasonUnauthorized:   "disputes.reason.unauthorized",
	merchant.ReasonDuplicate:      "disputes.reason.duplicate",
	merchant.ReasonOther:          "disputes.reason.other",
}

// disputeMailSubjectKeys and disputeMailBodyKeys are the texts of the
// dispute mail, by reader and status.
var disputeMailSubjectKeys = map[string]string{
	"payer.needs_response":    "disputes.mail.payer.opened.subject",
	"payer.won":               "disputes.mail.payer.won.subject",
	"payer.lost":              "disputes.mail.payer.lost.subject",
	"merchant.needs_response": "disputes.mail.merchant.opened.subject",
	"merchant.won":            "disputes.mail.merchant.won.subject",
	"merchant.lost":           "disputes.mail.merchant.lost.subject",
}

var disputeMailBodyKeys = map[string]string{
	"payer.needs_response":    "disputes.mail.payer.opened.body",
	"payer.won":               "disputes.mail.payer.won.body",
	"payer.lost":              "disputes.mail.payer.lost.body",
	"merchant.needs_response": "disputes.mail.merchant.opened.body",
	"merchant.won":            "disputes.mail.merchant.won.body",
	"merchant.lost":           "disputes.mail.merchant.lost.body",
}

// disputeRefusal is a refusal of the dispute service in the reader's
// language; ok is false for errors that are not refusals.
func disputeRefusal(loc *i18n.Locale, err error) (merchantError, bool) {
	return merchantRefusal(loc, err)
}

// disputeRow is a dispute with its words in the reader's language.
type disputeRow struct {
	merchant.Dispute
	StatusName, ReasonName string
	Shortfall              money.Amount
	Open                   bool
}

func disputeRowOf(loc *i18n.Locale, d merchant.Dispute) disputeRow {
	st := d.Status
	if st == merchant.DisputeClosing || st == merchant.DisputeOpening {
		st = merchant.DisputeUnderReview
	}
	return disputeRow{Dispute: d, StatusName: loc.T(disputeStatusKeys[st]), ReasonName: loc.T(disputeReasonKeys[d.Reason]),
		Shortfall: money.Amount{Minor: d.Shortfall, Currency: d.Amount.Currency}, Open: d.Status.Open()}
}

// reasonOption is one reason in the dispute form.
type reasonOption struct{ Value, Name string }

func reasonOptions(loc *i18n.Locale) []reasonOption {
	var out []reasonOption
	for _, r := range merchant.DisputeReasons {
		out = append(out, reasonOption{Value: string(r), Name: loc.T(disputeReasonKeys[r])})
	}
	return out
}

// payerPaymentsData is what payments.html shows.
type payerPaymentsData struct {
	Rows []payerPaymentRow
}

type payerPaymentRow struct {
	merchant.Payment
	Dispute *disputeRow
}

// payerPayments lists the signed-in user's payments to merchants, with
// the status of any dispute.
func (s *Site) payerPayments(w http.ResponseWriter, r *http.Request, si *signedIn) {
	ps, err := s.merchant.PayerPayments(r.Context(), si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	ds, err := s.merchant.PayerDisputes(r.Context(), si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	byPayment := map[string]disputeRow{}
	for _, d := range ds {
		byPayment[d.PaymentID] = disputeRowOf(loc, d)
	}
	var d payerPaymentsData
	for _, p := range ps {
		row := payerPaymentRow{Payment: p}
		if dr, ok := byPayment[p.ID]; ok {
			row.Dispute = &dr
		}
		d.Rows = append(d.Rows, row)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "payments", d)
}

// payerPaymentData is what payment.html shows.
type payerPaymentData struct {
	Payment  merchant.Payment
	Merchant merchant.Merchant
	Dispute  *disputeRow
	Reasons  []reasonOption
	Form     *form
	Error    *merchantError
	Done     bool
}

func (s *Site) payerPaymentData(r *http.Request, si *signedIn) (payerPaymentData, error) {
	p, m, dp, err := s.merchant.PayerPayment(r.Context(), si.user.ID, r.PathValue("pid"))
	if err != nil {
		return payerPaymentData{}, err
	}
	loc := s.Locale(r)
	d := payerPaymentData{Payment: p, Merchant: m, Reasons: reasonOptions(loc), Form: newForm()}
	if dp != nil {
		row := disputeRowOf(loc, *dp)
		d.Dispute = &row
	}
	return d, nil
}

// payerPayment is a payment's page for the user who paid it: what, to
// whom, and the dispute form or the dispute's state.
func (s *Site) payerPayment(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d, err := s.payerPaymentData(r, si)
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Done = r.URL.Query().Get("done") == "disputed"
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "payment", d)
}

// payerDispute opens a dispute of the payment.
func (s *Site) payerDispute(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	_, err := s.merchant.Dispute(r.Context(), merchant.OpenDispute{PaymentID: r.PathValue("pid"), UserID: si.user.ID,
		Reason: merchant.DisputeReason(vals.Get("reason")), Message: vals.Get("message")})
	if err == nil {
		http.Redirect(w, r, "/payments/"+r.PathValue("pid")+"?done=disputed", http.StatusSeeOther)
		return
	}
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	me, ok := disputeRefusal(s.Locale(r), err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	d, derr := s.payerPaymentData(r, si)
	if derr != nil {
		s.ServerError(w, r, derr)
		return
	}
	d.Form.keep("reason", vals.Get("reason"))
	d.Form.Values["message"] = clip(vals.Get("message"), merchant.MaxDisputeText)
	d.Error = &me
	s.Render(w, r, me.status(), "payment", d)
}

// clip keeps at most n runes of s, valid UTF-8, to show back in a form.
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) > n {
		rs = rs[:n]
	}
	return string(rs)
}

var _ merchant.DisputeMailer = (*Mailer)(nil)

// QueueDispute implements merchant.DisputeMailer: the payer's and the
// merchant's mail about a dispute opened or decided, in the reader's
// language, linking to the page where they follow it.
func (m *Mailer) QueueDispute(ctx context.Context, tx merchant.DisputeTx, n merchant.DisputeNotice) error {
	to, locale, err := tx.UserContact(ctx, n.To)
	if err != nil {
		return err
	}
	loc, ok := m.msgs.Lookup(locale)
	if !ok {
		loc = m.msgs.Default()
	}
	d := n.Dispute
	amount := money.Format(d.Amount, loc.Code())
	args := []any{"amount", amount, "merchant", n.Merchant.Name, "payment", d.PaymentID,
		"reason", loc.T(disputeReasonKeys[d.Reason]), "due", loc.DateTime(d.DueBy.In(m.tz))}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer")}
	p.Link = m.base + "/payments/" + d.PaymentID
	if n.ToMerchant {
		p.Link = m.base + "/merchant/" + d.MerchantID + "/disputes/" + d.ID + "?mode=" + modeName(d.Livemode)
	}
	who := "payer."
	if n.ToMerchant {
		who = "merchant."
	}
	subject, ok := disputeMailSubjectKeys[who+string(d.Status)]
	if !ok {
		return fmt.Errorf("web: no mail text for a %s dispute", d.Status)
	}
	body := disputeMailBodyKeys[who+string(d.Status)]
	p.Subject = loc.T(subject, args...)
	p.Before = []string{loc.T(body, args...)}
	return m.queue(ctx, tx.Outbox(), to, p)
}

func modeName(live bool) string {
	if live {
		return "live"
	}
	return "test"
}

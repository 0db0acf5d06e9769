package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/web/i18n"
)

// merchantRoutes are the merchant dashboard, the hosted checkout page and
// the HTML form's endpoint.
func (s *Site) merchantRoutes() []route {
	if s.merchant == nil {
		return nil
	}
	rs := []route{
		{"GET /checkout/{id}", s.checkoutPage},
		{"POST /checkout/{id}/card", s.checkoutCard},
		{"POST /checkout/{id}/confirm", s.checkoutConfirm},
		{"POST /pay/form", s.payForm},
	}
	if s.auth == nil {
		return rs
	}
	return append(rs,
		route{"POST /checkout/{id}/balance", s.requireUser(s.checkoutBalance)},
		route{"GET /merchant", s.requireUser(s.merchantHome)},
		route{"POST /merchant", s.requireUser(s.merchantCreate)},
		route{"GET /merchant/{mid}", s.requireUser(s.merchantDashboard)},
		route{"GET /merchant/{mid}/payments/{pid}", s.requireUser(s.merchantPayment)},
		route{"POST /merchant/{mid}/payments/{pid}/capture", s.requireUser(s.merchantCapture)},
		route{"POST /merchant/{mid}/payments/{pid}/cancel", s.requireUser(s.merchantCancel)},
		route{"POST /merchant/{mid}/payments/{pid}/refund", s.requireUser(s.merchantRefund)},
		route{"GET /merchant/{mid}/team", s.requireUser(s.merchantTeam)},
		route{"POST /merchant/{mid}/team", s.requireUser(s.merchantInvite)},
		route{"POST /merchant/{mid}/team/{uid}/remove", s.requireUser(s.merchantRemove)},
	)
}

// merchantErrorKeys names each refusal of the merchant service in the
// reader's language.
var merchantErrorKeys = map[string]string{
	"not_found":                     "merchant.error.not_found",
	"forbidden":                     "merchant.error.forbidden",
	"invalid_name":                  "merchant.error.invalid_name",
	"invalid_country":               "merchant.error.invalid_country",
	"invalid_currency":              "merchant.error.invalid_currency",
	"invalid_email":                 "merchant.error.invalid_email",
	"invalid_descriptor":            "merchant.error.invalid_descriptor",
	"invalid_role":                  "merchant.error.invalid_role",
	"user_not_found":                "merchant.error.user_not_found",
	"already_member":                "merchant.error.already_member",
	"last_owner":                    "merchant.error.last_owner",
	"invalid_amount":                "merchant.error.invalid_amount",
	"invalid_url":                   "merchant.error.invalid_url",
	"invalid_text":                  "merchant.error.invalid_text",
	"invalid_state":                 "merchant.error.invalid_state",
	"test_mode_balance":             "merchant.error.test_mode_balance",
	"insufficient_funds":            "merchant.error.insufficient_funds",
	"step_up_required":              "merchant.error.step_up_required",
	"step_up_refused":               "merchant.error.step_up_refused",
	"two_factor_required":           "merchant.error.two_factor_required",
	"card_declined":                 "merchant.error.card_declined",
	"card_invalid":                  "merchant.error.card_invalid",
	"authentication_failed":         "merchant.error.authentication_failed",
	"card_unavailable":              "merchant.error.card_unavailable",
	"capture_exceeds_authorized":    "merchant.error.capture_exceeds_authorized",
	"refund_exceeds_captured":       "merchant.error.refund_exceeds_captured",
	"merchant_balance_insufficient": "merchant.error.merchant_balance_insufficient",
	"session_expired":               "merchant.error.session_expired",
	"session_complete":              "merchant.error.session_complete",
	"disputes_off":                  "disputes.error.disputes_off",
	"dispute_exists":                "disputes.error.dispute_exists",
	"not_disputable":                "disputes.error.not_disputable",
	"nothing_to_dispute":            "disputes.error.nothing_to_dispute",
	"invalid_reason":                "disputes.error.invalid_reason",
	"invalid_dispute_text":          "disputes.error.invalid_dispute_text",
	"dispute_closed":                "disputes.error.dispute_closed",
	"deadline_passed":               "disputes.error.deadline_passed",
	"evidence_empty":                "disputes.error.evidence_empty",
	"evidence_type":                 "disputes.error.evidence_type",
	"evidence_too_large":            "disputes.error.evidence_too_large",
	"evidence_too_many":             "disputes.error.evidence_too_many",
	"invalid_outcome":               "disputes.error.invalid_outcome",
	"unavailable":                   "merchant.error.unavailable",
}

// merchantStatusKeys names the payment statuses.
var merchantStatusKeys = map[merchant.PaymentStatus]string{
	merchant.RequiresPaymentMethod: "merchant.status.requires_payment_method",
	merchant.RequiresAction:        "merchant.status.requires_action",
	merchant.Processing:            "merchant.status.processing",
	merchant.RequiresCapture:       "merchant.status.requires_capture",
	merchant.Succeeded:             "merchant.status.succeeded",
	merchant.Canceled:              "merchant.status.canceled",
}

var merchantRoleKeys = map[merchant.Role]string{
	merchant.Owner:     "merchant.role.owner",
	merchant.Developer: "merchant.role.developer",
	merchant.Viewer:    "merchant.role.viewer",
}

var merchantRefundStatusKeys = map[merchant.RefundStatus]string{
	merchant.RefundPending:   "merchant.refund.pending",
	merchant.RefundSucceeded: "merchant.refund.succeeded",
	merchant.RefundFailed:    "merchant.refund.failed",
}

// merchantError is a refusal in the reader's language, with its code.
type merchantError struct {
	Code    string
	Message string
}

// merchantRefusal turns a merchant error into what a page shows; ok is
// false for errors that are not refusals (the 500 page then).
func merchantRefusal(loc *i18n.Locale, err error) (merchantError, bool) {
	code := merchant.ErrorCode(err)
	key, ok := merchantErrorKeys[code]
	if !ok {
		return merchantError{}, false
	}
	return merchantError{Code: code, Message: loc.T(key)}, true
}

// status is the HTTP status of a page showing the refusal: 503 when
// trying again later may work, else 422.
func (e *merchantError) status() int {
	if e.Code == "unavailable" || e.Code == "card_unavailable" {
		return http.StatusServiceUnavailable
	}
	return http.StatusUnprocessableEntity
}

// merchantAccess is the signed-in member's access to the merchant in the
// path, in the mode the query or form names (test by default). A
// non-member gets the 404 page, as for a merchant that does not exist.
func (s *Site) merchantAccess(w http.ResponseWriter, r *http.Request, si *signedIn, mode string) (merchant.Access, bool) {
	a, err := s.merchant.Access(r.Context(), si.user.ID, r.PathValue("mid"), merchant.ParseMode(mode))
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return a, false
	}
	if err != nil {
		s.ServerError(w, r, err)
		return a, false
	}
	return a, true
}

// merchantHeader is what every dashboard page shows at its top.
type merchantHeader struct {
	Merchant merchant.Merchant
	Access   merchant.Access
	RoleName string
	Live     bool
	// Tabs says which of the optional pages the tabs link to.
	Tabs merchantTabs
}

func (s *Site) merchantHeader(r *http.Request, a merchant.Access) (merchantHeader, error) {
	m, err := s.merchant.Merchant(r.Context(), a)
	return merchantHeader{Merchant: m, Access: a, RoleName: s.Locale(r).T(merchantRoleKeys[a.Role]), Live: a.Mode.Live(),
		Tabs: s.merchantTabs(a)}, err
}

// merchantHomeData is what merchant_home.html shows.
type merchantHomeData struct {
	Memberships []merchantMembershipRow
	Form        *form
	Currencies  []string
	Error       *merchantError
}

type merchantMembershipRow struct {
	merchant.Membership
	RoleName string
}

// merchantHome lists the user's merchants (straight to the dashboard when
// there is one) and offers to open a merchant account.
func (s *Site) merchantHome(w http.ResponseWriter, r *http.Request, si *signedIn) {
	ms, err := s.merchant.Memberships(r.Context(), si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if len(ms) == 1 && r.URL.Query().Get("all") == "" {
		http.Redirect(w, r, "/merchant/"+ms[0].Merchant.ID, http.StatusSeeOther)
		return
	}
	d := s.merchantHomeData(r, ms)
	d.Form.Values["support_email"] = si.user.Email
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_home", d)
}

func (s *Site) merchantHomeData(r *http.Request, ms []merchant.Membership) merchantHomeData {
	loc := s.Locale(r)
	d := merchantHomeData{Form: newForm(), Currencies: s.merchant.Currencies()}
	for _, m := range ms {
		d.Memberships = append(d.Memberships, merchantMembershipRow{Membership: m, RoleName: loc.T(merchantRoleKeys[m.Role])})
	}
	d.Form.Values["country"], d.Form.Values["currency"] = "CN", "CNY"
	return d
}

// merchantCreate opens a merchant account owned by the signed-in user.
func (s *Site) merchantCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	ms, err := s.merchant.Memberships(r.Context(), si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := s.merchantHomeData(r, ms)
	for _, k := range []string{"name", "country", "currency", "support_email", "descriptor"} {
		d.Form.keep(k, vals.Get(k))
	}
	m, err := s.merchant.Create(r.Context(), merchant.CreateRequest{OwnerUserID: si.user.ID, Name: vals.Get("name"),
		Country: vals.Get("country"), Currency: vals.Get("currency"), SupportEmail: vals.Get("support_email"),
		Descriptor: vals.Get("descriptor")})
	if err != nil {
		me, ok := merchantRefusal(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		d.Error = &me
		s.Render(w, r, http.StatusUnprocessableEntity, "merchant_home", d)
		return
	}
	http.Redirect(w, r, "/merchant/"+m.ID, http.StatusSeeOther)
}

// merchantDashboardData is what merchant.html shows.
type merchantDashboardData struct {
	merchantHeader
	Balances []merchant.Balance
	Rows     []paymentRow
}

// paymentRow is a payment with its status in the reader's language.
type paymentRow struct {
	merchant.Payment
	StatusName string
}

// merchantDashboard shows the balances and the latest payments in one
// mode.
func (s *Site) merchantDashboard(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	h, err := s.merchantHeader(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := merchantDashboardData{merchantHeader: h}
	if d.Balances, err = s.merchant.Balances(r.Context(), a); err != nil {
		s.ServerError(w, r, err)
		return
	}
	ps, err := s.merchant.Payments(r.Context(), a, time.Time{}, 50)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	for _, p := range ps {
		d.Rows = append(d.Rows, paymentRow{Payment: p, StatusName: loc.T(merchantStatusKeys[p.Status])})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant", d)
}

// merchantPaymentData is what merchant_payment.html shows.
type merchantPaymentData struct {
	merchantHeader
	Payment    paymentRow
	Refunds    []refundRow
	CanMove    bool
	Done       string // "captured", "canceled", "refunded": what just happened
	Form       *form
	Error      *merchantError
	Capturable money.Amount
}

type refundRow struct {
	merchant.Refund
	StatusName, Failure string
}

func (s *Site) merchantPaymentData(r *http.Request, a merchant.Access, id string) (merchantPaymentData, error) {
	h, err := s.merchantHeader(r, a)
	if err != nil {
		return merchantPaymentData{}, err
	}
	p, err := s.merchant.Payment(r.Context(), a, id)
	if err != nil {
		return merchantPaymentData{}, err
	}
	rs, err := s.merchant.Refunds(r.Context(), a, id)
	if err != nil {
		return merchantPaymentData{}, err
	}
	loc := s.Locale(r)
	d := merchantPaymentData{merchantHeader: h, Payment: paymentRow{Payment: p, StatusName: loc.T(merchantStatusKeys[p.Status])},
		CanMove: a.Role.CanMoveMoney(), Form: newForm(), Capturable: p.AmountCapturable()}
	for _, rf := range rs {
		row := refundRow{Refund: rf, StatusName: loc.T(merchantRefundStatusKeys[rf.Status])}
		if k, ok := merchantErrorKeys[rf.FailureCode]; ok {
			row.Failure = loc.T(k)
		}
		d.Refunds = append(d.Refunds, row)
	}
	return d, nil
}

// merchantPayment shows one payment with what a member may do to it.
func (s *Site) merchantPayment(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	d, err := s.merchantPaymentData(r, a, r.PathValue("pid"))
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	switch done := r.URL.Query().Get("done"); done {
	case "captured", "canceled", "refunded":
		d.Done = done
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_payment", d)
}

// paymentAction runs a capture, cancel or refund posted from the payment
// page: a viewer gets the 403 page, a refusal the page again with it.
func (s *Site) paymentAction(w http.ResponseWriter, r *http.Request, si *signedIn, done string,
	act func(a merchant.Access, p merchant.Payment, vals url.Values) error) {
	vals := s.postForm(w, r)
	a, ok := s.merchantAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	if !a.Role.CanMoveMoney() {
		s.Forbidden(w, r)
		return
	}
	id := r.PathValue("pid")
	p, err := s.merchant.Payment(r.Context(), a, id)
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err == nil {
		err = act(a, p, vals)
	}
	if err != nil {
		me, ok := merchantRefusal(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		d, derr := s.merchantPaymentData(r, a, id)
		if derr != nil {
			s.ServerError(w, r, derr)
			return
		}
		d.Error = &me
		d.Form.keep("amount", vals.Get("amount"))
		d.Form.keep("reason", vals.Get("reason"))
		s.Render(w, r, me.status(), "merchant_payment", d)
		return
	}
	http.Redirect(w, r, "/merchant/"+a.MerchantID+"/payments/"+id+"?mode="+string(a.Mode)+"&done="+done, http.StatusSeeOther)
}

// formAmount reads an optional amount in the payment's currency: empty
// means all (the zero Amount).
func (s *Site) formAmount(r *http.Request, raw string, cur money.Currency) (money.Amount, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return money.Amount{}, nil
	}
	if len(raw) > 64 {
		return money.Amount{}, merchant.ErrInvalidAmount
	}
	a, err := money.ParseLocalized(raw, cur, s.Locale(r).Code())
	if err != nil || a.Minor <= 0 {
		return money.Amount{}, merchant.ErrInvalidAmount
	}
	return a, nil
}

func (s *Site) merchantCapture(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.paymentAction(w, r, si, "captured", func(a merchant.Access, p merchant.Payment, vals url.Values) error {
		amount, err := s.formAmount(r, vals.Get("amount"), p.Amount.Currency)
		if err != nil {
			return err
		}
		_, err = s.merchant.Capture(r.Context(), a, p.ID, amount)
		return err
	})
}

func (s *Site) merchantCancel(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.paymentAction(w, r, si, "canceled", func(a merchant.Access, p merchant.Payment, _ url.Values) error {
		_, err := s.merchant.Cancel(r.Context(), a, p.ID)
		return err
	})
}

func (s *Site) merchantRefund(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.paymentAction(w, r, si, "refunded", func(a merchant.Access, p merchant.Payment, vals url.Values) error {
		amount, err := s.formAmount(r, vals.Get("amount"), p.Amount.Currency)
		if err != nil {
			return err
		}
		_, err = s.merchant.Refund(r.Context(), a, merchant.RefundRequest{PaymentID: p.ID, Amount: amount, Reason: vals.Get("reason")})
		return err
	})
}

// merchantTeamData is what merchant_team.html shows.
type merchantTeamData struct {
	merchantHeader
	Members   []memberRow
	CanManage bool
	Form      *form
	Error     *merchantError
	Done      bool
}

type memberRow struct {
	merchant.Member
	RoleName string
	Self     bool
}

func (s *Site) merchantTeamData(r *http.Request, a merchant.Access, self int64) (merchantTeamData, error) {
	h, err := s.merchantHeader(r, a)
	if err != nil {
		return merchantTeamData{}, err
	}
	ms, err := s.merchant.Members(r.Context(), a)
	if err != nil {
		return merchantTeamData{}, err
	}
	loc := s.Locale(r)
	d := merchantTeamData{merchantHeader: h, CanManage: a.Role.CanManageTeam(), Form: newForm()}
	d.Form.Values["role"] = string(merchant.Viewer)
	for _, m := range ms {
		d.Members = append(d.Members, memberRow{Member: m, RoleName: loc.T(merchantRoleKeys[m.Role]), Self: m.UserID == self})
	}
	return d, nil
}

// merchantTeam lists the team; owners can invite and remove.
func (s *Site) merchantTeam(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	d, err := s.merchantTeamData(r, a, si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Done = r.URL.Query().Get("done") != ""
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_team", d)
}

func (s *Site) teamAction(w http.ResponseWriter, r *http.Request, si *signedIn, act func(a merchant.Access, vals url.Values) error) {
	vals := s.postForm(w, r)
	a, ok := s.merchantAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	if !a.Role.CanManageTeam() {
		s.Forbidden(w, r)
		return
	}
	if err := act(a, vals); err != nil {
		me, ok := merchantRefusal(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		d, derr := s.merchantTeamData(r, a, si.user.ID)
		if derr != nil {
			s.ServerError(w, r, derr)
			return
		}
		d.Error = &me
		d.Form.keep("email", vals.Get("email"))
		d.Form.keep("role", vals.Get("role"))
		s.Render(w, r, http.StatusUnprocessableEntity, "merchant_team", d)
		return
	}
	http.Redirect(w, r, "/merchant/"+a.MerchantID+"/team?done=1", http.StatusSeeOther)
}

func (s *Site) merchantInvite(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.teamAction(w, r, si, func(a merchant.Access, vals url.Values) error {
		_, err := s.merchant.Invite(r.Context(), a, vals.Get("email"), merchant.Role(vals.Get("role")))
		return err
	})
}

func (s *Site) merchantRemove(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.teamAction(w, r, si, func(a merchant.Access, _ url.Values) error {
		uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
		if err != nil || uid <= 0 {
			return merchant.ErrNotFound
		}
		return s.merchant.RemoveMember(r.Context(), a, uid)
	})
}

package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// The merchant dashboard's reports (/merchant/{mid}/reports and its CSV),
// payouts of the balance to the bank (/merchant/{mid}/payouts) and API
// keys (/merchant/{mid}/keys). Every page is for one merchant and one
// mode (?mode=, test by default), behind the member's access: a
// non-member gets 404, as for a merchant that does not exist.

// MerchantAudit writes the audit records of the merchant's key pages
// (sqlstore's MerchantReportStore implements it).
type MerchantAudit interface {
	WriteAudit(ctx context.Context, e audit.Event) error
}

func (s *Site) merchantReportRoutes() []route {
	if s.merchant == nil || s.auth == nil {
		return nil
	}
	var rs []route
	if s.merchantReports != nil {
		rs = append(rs,
			route{"GET /merchant/{mid}/reports", s.requireUser(s.merchantReportPage)},
			route{"GET /merchant/{mid}/reports.csv", s.requireUser(s.merchantReportCSV)},
		)
	}
	if s.merchantPayouts != nil {
		rs = append(rs,
			route{"GET /merchant/{mid}/payouts", s.requireUser(s.merchantPayoutsPage)},
			route{"POST /merchant/{mid}/payouts", s.requireUser(s.merchantPayoutRequest)},
			route{"GET /merchant/{mid}/payouts/{poid}", s.requireUser(s.merchantPayoutPage)},
		)
	}
	if s.apiKeys != nil {
		rs = append(rs,
			route{"GET /merchant/{mid}/keys", s.requireUser(s.merchantKeysPage)},
			route{"POST /merchant/{mid}/keys", s.requireUser(s.merchantKeyCreate)},
			route{"POST /merchant/{mid}/keys/{kid}/roll", s.requireUser(s.merchantKeyRoll)},
			route{"POST /merchant/{mid}/keys/{kid}/revoke", s.requireUser(s.merchantKeyRevoke)},
		)
	}
	return rs
}

// merchantTabs are the dashboard tabs beyond payments and team.
type merchantTabs struct {
	Reports, Payouts, Keys bool
	// Here is the page the mode switch stays on ("": the dashboard).
	Here string
}

func (s *Site) merchantTabs(a merchant.Access) merchantTabs {
	return merchantTabs{
		Reports: s.merchantReports != nil,
		Payouts: s.merchantPayouts != nil,
		Keys:    s.apiKeys != nil && (a.Role == merchant.Owner || a.Role == merchant.Developer),
	}
}

// ---- Reports ----

// reportCurrencyView is one currency's chart and table.
type reportCurrencyView struct {
	merchant.ReportCurrency
	Chart template.HTML
}

// merchantReportData is what merchant_reports.html shows.
type merchantReportData struct {
	merchantHeader
	From, To   string // yyyy-mm-dd
	Currencies []reportCurrencyView
	CSVURL     string
	Error      string
}

// reportPeriod reads ?from= and ?to= (days of the platform's zone), the
// last 30 days when absent. ok false: they do not parse.
func (s *Site) reportPeriod(r *http.Request) (from, to time.Time, ok bool) {
	from, to = s.merchantReports.DefaultPeriod()
	q := r.URL.Query()
	loc := s.merchantReports.Location()
	ok = true
	if v := strings.TrimSpace(q.Get("from")); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return from, to, false
		}
		from = t
	}
	if v := strings.TrimSpace(q.Get("to")); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return from, to, false
		}
		to = t
	}
	return from, to, ok
}

func (s *Site) merchantReportPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	h, err := s.merchantHeader(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	h.Tabs.Here = "/merchant/" + a.MerchantID + "/reports"
	d := merchantReportData{merchantHeader: h}
	status := http.StatusOK
	from, to, ok := s.reportPeriod(r)
	rep, err := s.merchantReports.Report(r.Context(), a, from, to)
	if !ok || errors.Is(err, merchant.ErrInvalidPeriod) {
		status, d.Error = http.StatusUnprocessableEntity, loc.T("reports.error.period", "days", merchant.MaxReportDays)
		from, to = s.merchantReports.DefaultPeriod()
		rep, err = s.merchantReports.Report(r.Context(), a, from, to)
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.From, d.To = rep.From.Format(time.DateOnly), rep.To.Format(time.DateOnly)
	d.CSVURL = "/merchant/" + a.MerchantID + "/reports.csv?mode=" + string(a.Mode) + "&from=" + d.From + "&to=" + d.To
	for _, rc := range rep.Currencies {
		d.Currencies = append(d.Currencies, reportCurrencyView{ReportCurrency: rc, Chart: s.reportChart(r, rc)})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "merchant_reports", d)
}

// reportChart draws one currency's days: volume, fees and refunds as
// bars, net as a line.
func (s *Site) reportChart(r *http.Request, rc merchant.ReportCurrency) template.HTML {
	loc := s.Locale(r)
	var labels []string
	vol := svgSeries{Name: loc.T("reports.col.volume"), Class: "volume", Color: "#2f6fb0"}
	fee := svgSeries{Name: loc.T("reports.col.fees"), Class: "fees", Color: "#e0a030"}
	ref := svgSeries{Name: loc.T("reports.col.refunds"), Class: "refunds", Color: "#c0392b"}
	net := svgSeries{Name: loc.T("reports.col.net"), Class: "net", Color: "#1e8449"}
	for _, d := range rc.Days {
		labels = append(labels, d.Day.Format("01-02"))
		vol.Values = append(vol.Values, d.Volume.Minor)
		fee.Values = append(fee.Values, d.Fees.Minor)
		ref.Values = append(ref.Values, d.Refunded.Minor)
		net.Values = append(net.Values, d.Net.Minor)
	}
	cur := rc.Currency
	t := rc.Total
	c := svgChart{
		ID:    "chart-" + strings.ToLower(cur.Code),
		Title: loc.T("reports.chart.title", "currency", cur.Code),
		Desc: loc.T("reports.chart.desc", "volume", money.Format(t.Volume, loc.Code()), "fees", money.Format(t.Fees, loc.Code()),
			"refunds", money.Format(t.Refunded, loc.Code()), "net", money.Format(t.Net, loc.Code())),
		Labels: labels, Bars: []svgSeries{vol, fee, ref}, Line: &net,
		Tick: func(v int64) string { return money.Format(money.Amount{Minor: v, Currency: cur}, loc.Code()) },
	}
	return c.SVG()
}

func (s *Site) merchantReportCSV(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	from, to, ok := s.reportPeriod(r)
	rep, err := s.merchantReports.Report(r.Context(), a, from, to)
	if !ok || errors.Is(err, merchant.ErrInvalidPeriod) {
		http.Error(w, s.Locale(r).T("reports.error.period", "days", merchant.MaxReportDays), http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	name := "okpay-report-" + a.MerchantID + "-" + string(a.Mode) + "-" + rep.From.Format("20060102") + "-" + rep.To.Format("20060102") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// A byte-order mark, so spreadsheets read the UTF-8 (Chinese text).
	w.Write([]byte("\ufeff"))
	if err := s.merchantReports.WriteCSV(w, rep); err != nil {
		s.log.Warn("web: report CSV cut off", "err", err)
	}
}

// ---- Payouts ----

var payoutStatusKeys = map[merchant.PayoutStatus]string{
	merchant.PayoutPending:    "payouts.status.pending",
	merchant.PayoutProcessing: "payouts.status.processing",
	merchant.PayoutPaid:       "payouts.status.paid",
	merchant.PayoutFailed:     "payouts.status.failed",
	merchant.PayoutReturned:   "payouts.status.returned",
}

var payoutFailureKeys = map[string]string{
	"insufficient_funds":     "payouts.failure.insufficient_funds",
	"payout_account_closed":  "payouts.failure.account_closed",
	"invalid_payout_account": "payouts.failure.invalid_account",
	"payout_failed":          "payouts.failure.failed",
	"processing_error":       "payouts.failure.failed",
}

// payoutErrorKeys are the messages of the payout-only refusals; the
// others are the merchant's (merchantErrorKeys).
var payoutErrorKeys = map[string]string{
	"invalid_payout_account": "payouts.error.invalid_account",
	"invalid_account_holder": "payouts.error.invalid_holder",
	"payout_blocked":         "payouts.error.blocked",
}

func payoutRefusal(s *Site, r *http.Request, err error) (merchantError, bool) {
	code := merchant.PayoutErrorCode(err)
	if key, ok := payoutErrorKeys[code]; ok {
		return merchantError{Code: code, Message: s.Locale(r).T(key)}, true
	}
	return merchantRefusal(s.Locale(r), err)
}

type payoutRow struct {
	merchant.Payout
	StatusName, Failure string
}

func (s *Site) payoutRow(r *http.Request, p merchant.Payout) payoutRow {
	loc := s.Locale(r)
	row := payoutRow{Payout: p, StatusName: loc.T(payoutStatusKeys[p.Status])}
	if p.FailureCode != "" {
		key, ok := payoutFailureKeys[p.FailureCode]
		if !ok {
			key = "payouts.failure.failed"
		}
		row.Failure = loc.T(key)
	}
	return row
}

// merchantPayoutsData is what merchant_payouts.html shows.
type merchantPayoutsData struct {
	merchantHeader
	Balances   []merchant.Balance
	Rows       []payoutRow
	CanRequest bool
	Form       *form
	Currencies []string
	Error      *merchantError
	// StepUp asks for the second factor of a large payout (the shared
	// "stepup" template reads .Data.StepUp).
	StepUp stepUp
}

func (s *Site) merchantPayoutsData(r *http.Request, a merchant.Access) (merchantPayoutsData, error) {
	h, err := s.merchantHeader(r, a)
	if err != nil {
		return merchantPayoutsData{}, err
	}
	h.Tabs.Here = "/merchant/" + a.MerchantID + "/payouts"
	d := merchantPayoutsData{merchantHeader: h, CanRequest: a.Role == merchant.Owner, Form: newForm(),
		Currencies: s.merchant.Currencies()}
	if d.Balances, err = s.merchant.Balances(r.Context(), a); err != nil {
		return d, err
	}
	ps, err := s.merchantPayouts.List(r.Context(), a, 50)
	if err != nil {
		return d, err
	}
	for _, p := range ps {
		d.Rows = append(d.Rows, s.payoutRow(r, p))
	}
	d.Form.Values["id"] = merchant.NewPayoutID()
	d.Form.Values["currency"] = h.Merchant.Currency.Code
	return d, nil
}

func (s *Site) merchantPayoutsPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	d, err := s.merchantPayoutsData(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_payouts", d)
}

func (s *Site) merchantPayoutRequest(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	a, ok := s.merchantAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	if a.Role != merchant.Owner {
		s.Forbidden(w, r)
		return
	}
	// again shows the form as it was posted, with a refusal or the
	// second-factor step.
	again := func(status int, me *merchantError, su stepUp) {
		d, derr := s.merchantPayoutsData(r, a)
		if derr != nil {
			s.ServerError(w, r, derr)
			return
		}
		for _, k := range []string{"id", "amount", "currency", "iban", "holder"} {
			d.Form.keep(k, vals.Get(k))
		}
		d.Error, d.StepUp = me, su
		s.Render(w, r, status, "merchant_payouts", d)
	}
	fail := func(err error) {
		me, ok := payoutRefusal(s, r, err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		again(me.status(), &me, stepUp{})
	}
	if id := vals.Get("id"); id != "" {
		// The same form again (a double click, a reload): its payout,
		// without asking for the code or recording it twice.
		if p, err := s.merchantPayouts.Payout(r.Context(), a, id); err == nil {
			http.Redirect(w, r, "/merchant/"+a.MerchantID+"/payouts/"+p.ID+"?mode="+string(a.Mode), http.StatusSeeOther)
			return
		}
	}
	cur, err := money.Lookup(strings.TrimSpace(vals.Get("currency")))
	if err != nil {
		fail(merchant.ErrInvalidCurrency)
		return
	}
	amount, err := s.formAmount(r, vals.Get("amount"), cur)
	if err != nil {
		fail(merchant.ErrInvalidAmount)
		return
	}
	req := merchant.PayoutRequest{ID: vals.Get("id"), Amount: amount, IBAN: vals.Get("iban"), Holder: vals.Get("holder")}
	large, err := s.merchantPayouts.Large(r.Context(), amount)
	if err != nil {
		fail(err)
		return
	}
	if large && s.twoFactor != nil {
		action, err := merchant.PayoutAction(a.MerchantID, req)
		if err != nil {
			fail(err)
			return
		}
		token, su, err := s.approve(r, vals, si.user.ID, action)
		switch {
		case errors.Is(err, errNoSecondFactor):
			fail(merchant.ErrTwoFactorOff)
			return
		case errors.Is(err, twofactor.ErrTooManyFailures):
			me := merchantError{Code: "step_up_refused", Message: s.Locale(r).T("stepup.too_many")}
			again(http.StatusTooManyRequests, &me, stepUp{})
			return
		case err != nil:
			s.ServerError(w, r, err)
			return
		case token == "":
			status := http.StatusOK
			if su.Error != "" {
				status = http.StatusUnprocessableEntity
			}
			again(status, nil, su)
			return
		}
		req.StepUpToken = token
	}
	p, err := s.merchantPayouts.Request(r.Context(), a, req)
	if err != nil && p.ID == "" {
		fail(err)
		return
	}
	if err != nil && !errors.Is(err, merchant.ErrInsufficientFunds) {
		s.log.Warn("web: payout recorded, not finished", "payout", p.ID, "err", err)
	}
	if aerr := s.auditMerchant(r, si, a, "merchant_payout_requested", "merchant_payout", p.ID, map[string]string{
		"amount": p.Amount.Decimal(), "currency": p.Amount.Currency.Code, "to": p.Display}); aerr != nil {
		// The payout is made; the page must still say so.
		s.log.Error("web: payout not audited", "payout", p.ID, "err", aerr)
	}
	http.Redirect(w, r, "/merchant/"+a.MerchantID+"/payouts/"+p.ID+"?mode="+string(a.Mode), http.StatusSeeOther)
}

// merchantPayoutData is what merchant_payout.html shows.
type merchantPayoutData struct {
	merchantHeader
	Payout payoutRow
}

func (s *Site) merchantPayoutPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	p, err := s.merchantPayouts.Payout(r.Context(), a, r.PathValue("poid"))
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	h, err := s.merchantHeader(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_payout", merchantPayoutData{merchantHeader: h, Payout: s.payoutRow(r, p)})
}

// ---- API keys ----

// merchantKeysData is what merchant_keys.html shows.
type merchantKeysData struct {
	merchantHeader
	Secret      []apikey.Key
	Publishable []apikey.Key
	// Created is the key just made or rolled, with its secret: shown on
	// this answer only, never again.
	Created *apikey.Created
	Rolled  string // the id of the key the new one replaced
	Notice  string
	Error   string
}

// merchantKeysAccess is the member's access when they may manage keys
// (owners and developers); viewers get the 403 page.
func (s *Site) merchantKeysAccess(w http.ResponseWriter, r *http.Request, si *signedIn, mode string) (merchant.Access, apikey.Owner, bool) {
	a, ok := s.merchantAccess(w, r, si, mode)
	if !ok {
		return a, apikey.Owner{}, false
	}
	if a.Role != merchant.Owner && a.Role != merchant.Developer {
		s.Forbidden(w, r)
		return a, apikey.Owner{}, false
	}
	return a, apikey.Owner{Kind: apikey.OwnerMerchant, ID: a.MerchantID}, true
}

func (s *Site) renderMerchantKeys(w http.ResponseWriter, r *http.Request, a merchant.Access, owner apikey.Owner, status int, d merchantKeysData) {
	h, err := s.merchantHeader(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	h.Tabs.Here = "/merchant/" + a.MerchantID + "/keys"
	d.merchantHeader = h
	keys, err := s.apiKeys.List(r.Context(), owner)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	for _, k := range keys {
		if string(k.Mode) != string(a.Mode) {
			continue
		}
		if k.Kind == apikey.Publishable {
			d.Publishable = append(d.Publishable, k)
		} else {
			d.Secret = append(d.Secret, k)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "merchant_keys", d)
}

func (s *Site) merchantKeysPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, owner, ok := s.merchantKeysAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	var d merchantKeysData
	if r.URL.Query().Get("done") == "revoked" {
		d.Notice = s.Locale(r).T("mkeys.revoked")
	}
	s.renderMerchantKeys(w, r, a, owner, http.StatusOK, d)
}

func (s *Site) auditKey(r *http.Request, si *signedIn, a merchant.Access, action, keyID string, details map[string]string) error {
	return s.auditMerchant(r, si, a, action, "api_key", keyID, details)
}

// auditMerchant records a member's change in the merchant's dashboard.
func (s *Site) auditMerchant(r *http.Request, si *signedIn, a merchant.Access, action, targetType, targetID string, details map[string]string) error {
	if s.merchantAudit == nil {
		return nil
	}
	if details == nil {
		details = map[string]string{}
	}
	details["merchant"], details["mode"], details["role"] = a.MerchantID, string(a.Mode), string(a.Role)
	return s.merchantAudit.WriteAudit(r.Context(), audit.Event{ActorID: si.user.ID, ActorRole: string(si.user.Role),
		Action: action, TargetType: targetType, TargetID: targetID, IP: clientIP(r), UserAgent: r.UserAgent(), Details: details})
}

func (s *Site) merchantKeyCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	a, owner, ok := s.merchantKeysAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	kind := apikey.Secret
	if vals.Get("kind") == string(apikey.Publishable) {
		kind = apikey.Publishable
	}
	name := strings.TrimSpace(vals.Get("name"))
	if len([]rune(name)) > 100 {
		s.renderMerchantKeys(w, r, a, owner, http.StatusUnprocessableEntity, merchantKeysData{Error: s.Locale(r).T("mkeys.error.name")})
		return
	}
	c, err := s.apiKeys.Create(r.Context(), apikey.CreateRequest{Owner: owner, Mode: apikey.Mode(a.Mode), Kind: kind, Name: name})
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if err := s.auditKey(r, si, a, "merchant_api_key_created", c.Key.ID, map[string]string{"kind": string(kind)}); err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.renderMerchantKeys(w, r, a, owner, http.StatusOK, merchantKeysData{Created: &c})
}

// merchantKeyRoll makes a new key like the old one and revokes the old.
func (s *Site) merchantKeyRoll(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	a, owner, ok := s.merchantKeysAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	old, err := s.apiKeys.Key(r.Context(), owner, r.PathValue("kid"))
	if errors.Is(err, apikey.ErrNotFound) || err == nil && string(old.Mode) != string(a.Mode) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if old.Revoked() {
		s.renderMerchantKeys(w, r, a, owner, http.StatusConflict, merchantKeysData{Error: s.Locale(r).T("mkeys.error.revoked")})
		return
	}
	c, err := s.apiKeys.Create(r.Context(), apikey.CreateRequest{Owner: owner, Mode: old.Mode, Kind: old.Kind, Name: old.Name, Scopes: old.Scopes})
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if err := s.apiKeys.Revoke(r.Context(), owner, old.ID); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if err := s.auditKey(r, si, a, "merchant_api_key_rolled", old.ID, map[string]string{"new_key": c.Key.ID}); err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.renderMerchantKeys(w, r, a, owner, http.StatusOK, merchantKeysData{Created: &c, Rolled: old.ID})
}

func (s *Site) merchantKeyRevoke(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	a, owner, ok := s.merchantKeysAccess(w, r, si, vals.Get("mode"))
	if !ok {
		return
	}
	k, err := s.apiKeys.Key(r.Context(), owner, r.PathValue("kid"))
	if errors.Is(err, apikey.ErrNotFound) || err == nil && string(k.Mode) != string(a.Mode) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if err := s.apiKeys.Revoke(r.Context(), owner, k.ID); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if err := s.auditKey(r, si, a, "merchant_api_key_revoked", k.ID, nil); err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+a.MerchantID+"/keys?mode="+string(a.Mode)+"&done=revoked", http.StatusSeeOther)
}

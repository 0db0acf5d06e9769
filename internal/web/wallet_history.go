package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// historyData is what wallet_history.html shows.
type historyData struct {
	Form       *form
	Rows       []movementRow
	Next       string // the URL of the next (older) page
	CSV        string // the URL of this selection as CSV
	Types      []wallet.Type
	TypeNames  map[wallet.Type]string
	Statuses   []wallet.Status
	StatusName map[wallet.Status]string
	Currencies []money.Currency
	Error      *walletError
}

// historyFilter reads the filters of the history page and its CSV export:
// from and to (dates, to inclusive), type, currency, status, q.
func (s *Site) historyFilter(r *http.Request, userID int64) (wallet.History, *form, error) {
	q := r.URL.Query()
	f := newForm()
	for _, k := range []string{"from", "to", "type", "currency", "status", "q"} {
		f.keep(k, q.Get(k))
	}
	h := wallet.History{UserID: userID, Search: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor")}
	day := func(v string) (time.Time, error) {
		return time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), s.tz)
	}
	if v := q.Get("from"); v != "" {
		t, err := day(v)
		if err != nil {
			return h, f, wallet.ErrorFor(wallet.CodeInvalidFilter)
		}
		h.From = t
	}
	if v := q.Get("to"); v != "" {
		t, err := day(v)
		if err != nil {
			return h, f, wallet.ErrorFor(wallet.CodeInvalidFilter)
		}
		h.To = t.AddDate(0, 0, 1)
	}
	if v := q.Get("type"); v != "" {
		h.Types = []wallet.Type{wallet.Type(v)}
	}
	if v := q.Get("status"); v != "" {
		h.Statuses = []wallet.Status{wallet.Status(v)}
	}
	if v := q.Get("currency"); v != "" {
		h.Currencies = []string{v}
	}
	return h, f, nil
}

// historyPage lists the user's movements, filtered and searched, a page
// at a time.
func (s *Site) historyPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	loc := s.Locale(r)
	h, f, err := s.historyFilter(r, si.user.ID)
	d := historyData{Form: f, Types: wallet.Types, Statuses: wallet.Statuses, Currencies: s.wallet.Currencies(),
		TypeNames: map[wallet.Type]string{}, StatusName: map[wallet.Status]string{}}
	for _, t := range wallet.Types {
		d.TypeNames[t] = loc.T(walletTypeKeys[t])
	}
	for _, st := range wallet.Statuses {
		d.StatusName[st] = loc.T(walletStatusKeys[st])
	}
	var page wallet.Page
	if err == nil {
		page, err = s.wallet.History(r.Context(), h)
	}
	if err != nil {
		s.refuse(w, r, err, "wallet_history", &d, func(we walletError) { d.Error = &we })
		return
	}
	d.Rows = s.movementRows(loc, page.Movements)
	q := r.URL.Query()
	q.Del("cursor")
	d.CSV = "/wallet/history.csv?" + q.Encode()
	if page.Next != "" {
		q.Set("cursor", page.Next)
		d.Next = "/wallet/history?" + q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_history", d)
}

// historyCSV downloads the selection as CSV (every page).
func (s *Site) historyCSV(w http.ResponseWriter, r *http.Request, si *signedIn) {
	h, _, err := s.historyFilter(r, si.user.ID)
	if err != nil {
		s.refuse(w, r, err, "wallet_history", historyData{Form: newForm()}, func(walletError) {})
		return
	}
	h.Cursor = ""
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="okpay-history.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.wallet.ExportCSV(r.Context(), w, h); err != nil {
		s.log.ErrorContext(r.Context(), "web: history csv", "err", err)
	}
}

// statementData is what wallet_statement.html shows.
type statementData struct {
	Statement  wallet.Statement
	Month      string // YYYY-MM
	Prev, Next string
	Error      *walletError
}

// statementPage is the monthly statement (?month=YYYY-MM, default this
// month): per currency, opening + in − out − fees = closing.
func (s *Site) statementPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	now := s.now().In(s.tz)
	year, month := now.Year(), now.Month()
	d := statementData{}
	if v := r.URL.Query().Get("month"); v != "" {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			s.refuse(w, r, wallet.ErrorFor(wallet.CodeInvalidFilter), "wallet_statement", &d, func(we walletError) { d.Error = &we })
			return
		}
		year, month = t.Year(), t.Month()
	}
	st, err := s.wallet.Statement(r.Context(), si.user.ID, year, month)
	if wallet.ErrorCode(err) == wallet.CodeWalletNotFound {
		http.Redirect(w, r, "/wallet", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.refuse(w, r, err, "wallet_statement", &d, func(we walletError) { d.Error = &we })
		return
	}
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	d.Statement, d.Month = st, first.Format("2006-01")
	d.Prev = "/wallet/statement?month=" + first.AddDate(0, -1, 0).Format("2006-01")
	d.Next = "/wallet/statement?month=" + first.AddDate(0, 1, 0).Format("2006-01")
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_statement", d)
}

// requestsData is what wallet_request.html shows: the form to ask for
// money and the requests made and received.
type requestsData struct {
	Form       *form
	Key        string
	Currencies []money.Currency
	Made       []wallet.Request
	Received   []wallet.Request
	Error      *walletError
}

func (s *Site) requestsData(r *http.Request, si *signedIn, d *requestsData) error {
	d.Currencies = s.wallet.Currencies()
	made, err := s.wallet.Requests(r.Context(), wallet.RequestList{UserID: si.user.ID, Limit: 20})
	if err != nil {
		return err
	}
	recv, err := s.wallet.Requests(r.Context(), wallet.RequestList{UserID: si.user.ID, Received: true, Limit: 20})
	if err != nil {
		return err
	}
	d.Made, d.Received = made.Requests, recv.Requests
	return nil
}

// requestsPage asks for money and lists requests.
func (s *Site) requestsPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := requestsData{Form: newForm(), Key: newFormKey()}
	if err := s.requestsData(r, si, &d); err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_request", d)
}

// createRequest makes a money request, optionally from a named payer with
// a due date (YYYY-MM-DD, end of that day in the platform time zone).
func (s *Site) createRequest(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d := requestsData{Form: newForm(), Key: formKey(vals)}
	for _, k := range []string{"from", "amount", "currency", "note", "due"} {
		d.Form.keep(k, vals.Get(k))
	}
	fail := func(err error) {
		if lerr := s.requestsData(r, si, &d); lerr != nil {
			s.ServerError(w, r, lerr)
			return
		}
		s.refuse(w, r, err, "wallet_request", &d, func(we walletError) { d.Error = &we })
	}
	amount, err := s.parseAmount(s.Locale(r), vals.Get("amount"), vals.Get("currency"))
	if err != nil {
		fail(err)
		return
	}
	var due time.Time
	if v := strings.TrimSpace(vals.Get("due")); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, s.tz)
		if err != nil {
			fail(wallet.ErrorFor(wallet.CodeInvalidDueDate))
			return
		}
		due = t.AddDate(0, 0, 1).Add(-time.Second)
	}
	rq, err := s.wallet.RequestMoney(r.Context(), wallet.CreateRequest{UserID: si.user.ID, From: strings.TrimSpace(vals.Get("from")),
		Amount: amount, Note: vals.Get("note"), DueAt: due, IdempotencyKey: d.Key})
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/wallet/requests/"+rq.ID, http.StatusSeeOther)
}

// requestData is what wallet_request_one.html shows.
type requestData struct {
	Request wallet.Request
	Mine    bool // the viewer asked for it
	Link    string
	Quote   *wallet.SendQuote
	Key     string
	Payer   string
	StepUp  stepUp
	AskCode bool
	Error   *walletError
}

// requestPage shows one request: to its requester, with its link; to its
// payer, with what paying it costs and the button to pay.
func (s *Site) requestPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d, ok := s.loadRequest(w, r, si, url.Values{})
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "wallet_request_one", d)
}

func (s *Site) loadRequest(w http.ResponseWriter, r *http.Request, si *signedIn, vals url.Values) (requestData, bool) {
	ctx := r.Context()
	rq, err := s.wallet.Request(ctx, si.user.ID, r.PathValue("id"))
	if wallet.ErrorCode(err) == wallet.CodeRequestNotFound {
		s.NotFound(w, r)
		return requestData{}, false
	}
	if err != nil {
		s.ServerError(w, r, err)
		return requestData{}, false
	}
	d := requestData{Request: rq, Mine: rq.RequesterID == si.user.ID, Key: formKey(vals), Payer: vals.Get("payer")}
	if vals.Get("key") == "" {
		d.Key = newFormKey()
	}
	if d.Payer != string(wallet.PayerReceiver) {
		d.Payer = string(wallet.PayerSender)
	}
	d.Link = "/wallet/requests/" + rq.ID
	if !d.Mine && rq.Status == wallet.RequestOpen {
		q, err := s.wallet.QuotePayRequest(ctx, wallet.PayRequestInput{UserID: si.user.ID, RequestID: rq.ID, FeePayer: wallet.Payer(d.Payer)})
		if err == nil {
			d.Quote = &q
		} else if we, ok := refusal(s.Locale(r), err); ok {
			d.Error = &we
		} else {
			s.ServerError(w, r, err)
			return requestData{}, false
		}
	}
	return d, true
}

// payRequest pays a request in one step (a code first when it is large).
func (s *Site) payRequest(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	d, ok := s.loadRequest(w, r, si, vals)
	if !ok {
		return
	}
	in := wallet.PayRequestInput{UserID: si.user.ID, RequestID: d.Request.ID, FeePayer: wallet.Payer(d.Payer), IdempotencyKey: d.Key,
		AcceptLateFee: shownLateFee(vals, d.Request.Amount.Currency)}
	m, err := s.wallet.PayRequest(r.Context(), in)
	if wallet.ErrorCode(err) == wallet.CodeStepUpRequired && d.Quote != nil {
		var token string
		token, d.StepUp, err = s.approve(r, vals, si.user.ID, d.Quote.StepUpAction)
		d.AskCode = true
		switch {
		case err == errNoSecondFactor:
			err = wallet.ErrorFor(wallet.CodeTwoFactorRequired)
		case err != nil:
			s.ServerError(w, r, err)
			return
		case token == "":
			s.Render(w, r, http.StatusOK, "wallet_request_one", d)
			return
		default:
			in.StepUpToken = token
			m, err = s.wallet.PayRequest(r.Context(), in)
		}
	}
	if err != nil {
		s.refuse(w, r, err, "wallet_request_one", &d, func(we walletError) { d.Error = &we })
		return
	}
	http.Redirect(w, r, "/wallet/movements/"+m.ID+"?done=sent", http.StatusSeeOther)
}

// cancelRequest withdraws an unpaid request of the user's.
func (s *Site) cancelRequest(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	_, err := s.wallet.CancelRequest(r.Context(), si.user.ID, r.PathValue("id"))
	if wallet.ErrorCode(err) == wallet.CodeRequestNotFound {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		d, ok := s.loadRequest(w, r, si, url.Values{})
		if ok {
			s.refuse(w, r, err, "wallet_request_one", &d, func(we walletError) { d.Error = &we })
		}
		return
	}
	http.Redirect(w, r, "/wallet/requests/"+r.PathValue("id"), http.StatusSeeOther)
}

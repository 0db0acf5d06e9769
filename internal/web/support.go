package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/web/i18n"
)

// supportRoutes are the desk's pages: the customer's /support and the
// agents' /agent console.
func (s *Site) supportRoutes() []route {
	return []route{
		{"GET /support", s.supportPage},
		{"POST /support", s.supportOpen},
		{"GET /support/complaint", s.supportPage},
		{"POST /support/complaint", s.supportOpen},
		{"GET /support/sent", s.supportSent},
		{"GET /support/tickets/{number}", s.requireUser(s.supportTicket)},
		{"POST /support/tickets/{number}/reply", s.requireUser(s.supportReply)},
		{"POST /support/tickets/{number}/rate", s.requireUser(s.supportRate)},
		{"POST /support/tickets/{number}/confirm", s.requireUser(s.supportConfirm)},
		{"GET /support/attachments/{id}", s.requireUser(s.supportAttachment)},
		{"GET /agent", s.requireUser(s.agentQueue)},
		{"GET /agent/tickets/{number}", s.requireUser(s.agentTicket)},
		{"POST /agent/tickets/{number}/reply", s.requireUser(s.agentReply)},
		{"POST /agent/tickets/{number}/note", s.requireUser(s.agentNote)},
		{"POST /agent/tickets/{number}/update", s.requireUser(s.agentUpdate)},
		{"POST /agent/tickets/{number}/merge", s.requireUser(s.agentMerge)},
		{"POST /agent/tickets/{number}/unlock", s.requireUser(s.agentUnlock)},
		{"POST /agent/tickets/{number}/reset", s.requireUser(s.agentReset)},
		{"POST /agent/tickets/{number}/outcome", s.requireUser(s.agentOutcome)},
		{"POST /agent/canned", s.requireUser(s.agentAddCanned)},
	}
}

// supportErrorKeys are the messages of the desk's field errors.
var supportErrorKeys = map[string]string{
	"category.required":    "support.error.category",
	"subject.required":     "support.error.subject_required",
	"subject.too_long":     "support.error.subject_too_long",
	"subject.invalid":      "support.error.subject_required",
	"body.required":        "support.error.body_required",
	"body.too_long":        "support.error.body_too_long",
	"body.invalid":         "support.error.body_required",
	"email.invalid":        "support.error.email",
	"attachment.type":      "support.error.attachment_type",
	"attachment.too_large": "support.error.attachment_size",
	"attachment.too_many":  "support.error.attachment_count",
	"attachment.empty":     "support.error.attachment_type",
	"reference.unknown":    "support.error.reference",
	"reference.sign_in":    "support.error.reference_sign_in",
	"rating.invalid":       "support.error.rating",
	"comment.too_long":     "support.error.comment",
	"status.invalid":       "support.error.invalid",
	"priority.invalid":     "support.error.invalid",
	"category.invalid":     "support.error.invalid",
	"assignee.invalid":     "support.error.assignee",
	"title.required":       "support.error.title",
	"title.too_long":       "support.error.title",
	"view.invalid":         "support.error.invalid",
}

// supportError turns a desk error into a message for the reader, or
// reports false for an unexpected one.
func supportError(loc *i18n.Locale, err error) (field, msg string, ok bool) {
	var fe *support.FieldError
	switch {
	case errors.As(err, &fe):
		key, found := supportErrorKeys[fe.Field+"."+fe.Code]
		if !found {
			key = "support.error.invalid"
		}
		return fe.Field, loc.T(key), true
	case errors.Is(err, support.ErrRateLimited):
		return "", loc.T("support.error.rate"), true
	case errors.Is(err, support.ErrState):
		return "", loc.T("support.error.state"), true
	}
	return "", "", false
}

// supportCategoryKeys name the categories.
var supportCategoryKeys = map[support.Category]string{
	support.CatAccount:        "support.cat.account",
	support.CatPaymentFailure: "support.cat.payment_failure",
	support.CatWithdrawal:     "support.cat.withdrawal",
	support.CatSecurity:       "support.cat.security",
	support.CatDispute:        "support.cat.dispute",
	support.CatFees:           "support.cat.fees",
	support.CatComplaint:      "support.cat.complaint",
	support.CatOther:          "support.cat.other",
}

// supportStatusKeys name the statuses.
var supportStatusKeys = map[support.Status]string{
	support.StatusNew:     "support.status.new",
	support.StatusOpen:    "support.status.open",
	support.StatusWaiting: "support.status.waiting",
	support.StatusSolved:  "support.status.solved",
	support.StatusClosed:  "support.status.closed",
}

// supportPriorityKeys name the priorities.
var supportPriorityKeys = map[support.Priority]string{
	support.PrioLow:    "support.prio.low",
	support.PrioNormal: "support.prio.normal",
	support.PrioHigh:   "support.prio.high",
	support.PrioUrgent: "support.prio.urgent",
}

// supportEventKeys say what an event on the timeline was.
var supportEventKeys = map[string]string{
	support.EventCreated:     "support.event.created",
	support.EventAssigned:    "support.event.assigned",
	support.EventStatus:      "support.event.status",
	support.EventPriority:    "support.event.priority",
	support.EventReopened:    "support.event.reopened",
	support.EventMerged:      "support.event.merged",
	support.EventBreach:      "support.event.breach",
	support.EventUnlocked:    "support.event.unlocked",
	support.EventResetSent:   "support.event.reset_sent",
	support.EventUnlockAsked: "support.event.unlock_asked",
	support.EventEscalated:   "support.event.escalated",
	support.EventOutcome:     "support.event.outcome",
	support.EventRated:       "support.event.rated",
	support.EventBounced:     "support.event.bounced",
	support.EventLinked:      "support.event.linked",
	support.EventRedacted:    "support.event.redacted",
	support.EventAutomated:   "support.event.automated",
	support.EventUnverified:  "support.event.unverified",
	"attachment_refused":     "support.event.attachment_refused",
}

// supportMailKeys are the texts the desk's mail uses (internal/support).
var supportMailKeys = map[string]string{
	"mail.greeting":       "support.mail.greeting",
	"mail.ack":            "support.mail.ack",
	"mail.ack_complaint":  "support.mail.ack_complaint",
	"mail.ack_due":        "support.mail.ack_due",
	"mail.masked":         "support.mail.masked",
	"mail.view":           "support.mail.view",
	"mail.reply_hint":     "support.mail.reply_hint",
	"mail.reminder":       "support.mail.reminder",
	"mail.signature":      "support.mail.signature",
	"mail.outcome":        "support.mail.outcome",
	"mail.breach":         "support.mail.breach",
	"mail.breach_subject": "support.mail.breach_subject",
	"sla.first_response":  "support.sla.first_response",
	"sla.resolution":      "support.sla.resolution",
	"sla.complaint":       "support.sla.complaint",
}

// supportView is the desk's pages' shared vocabulary.
type supportView struct {
	loc *i18n.Locale
}

func (v supportView) Category(c support.Category) string { return v.loc.T(supportCategoryKeys[c]) }
func (v supportView) Status(st support.Status) string    { return v.loc.T(supportStatusKeys[st]) }
func (v supportView) Priority(p support.Priority) string {
	return v.loc.T(supportPriorityKeys[p])
}

// Event writes an event of the timeline in the reader's words.
func (v supportView) Event(m support.Message) string {
	key, ok := supportEventKeys[m.Event]
	if !ok {
		return m.Event
	}
	detail := m.Detail
	switch m.Event {
	case support.EventStatus:
		detail = v.Status(support.Status(detail))
	case support.EventPriority:
		detail = v.Priority(support.Priority(detail))
	}
	return v.loc.T(key, "detail", detail)
}

// supportFormData is what support.html shows.
type supportFormData struct {
	supportView
	Complaint  bool
	Form       *form
	Categories []support.Category
	Tickets    []support.Ticket
	SignedIn   bool
	Help       *supportHelp // the help centre's suggestions (help.go)
}

func (s *Site) supportPage(w http.ResponseWriter, r *http.Request) {
	s.renderSupportForm(w, r, http.StatusOK, newForm())
}

func (s *Site) renderSupportForm(w http.ResponseWriter, r *http.Request, status int, f *form) {
	loc := s.Locale(r)
	d := supportFormData{supportView: supportView{loc}, Complaint: strings.HasSuffix(r.URL.Path, "/complaint"), Form: f}
	d.Help = s.supportHelpFor(r, f)
	for _, c := range support.Categories {
		if c != support.CatComplaint {
			d.Categories = append(d.Categories, c)
		}
	}
	if si := currentUser(r); si != nil {
		d.SignedIn = true
		var err error
		if d.Tickets, err = s.support.MyTickets(r.Context(), actor(si)); err != nil {
			s.ServerError(w, r, err)
			return
		}
	}
	s.Render(w, r, status, "support", d)
}

// maxUploadBytes bounds a form with attachments.
const maxUploadBytes = support.MaxAttachments*support.MaxAttachmentSize + 1<<20

// multipartForm reads a form that may carry files; a body too large or
// malformed reads as empty.
func (s *Site) multipartForm(w http.ResponseWriter, r *http.Request) (url.Values, []support.Attachment, error) {
	if r.MultipartForm == nil && r.PostForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "multipart/form-data") {
			if err := r.ParseMultipartForm(8 << 20); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return url.Values{}, nil, &support.FieldError{Field: "attachment", Code: "too_large"}
				}
				return url.Values{}, nil, nil
			}
		} else if err := r.ParseForm(); err != nil {
			return url.Values{}, nil, nil
		}
	}
	var files []support.Attachment
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			a, err := readUpload(fh)
			if err != nil {
				return r.PostForm, nil, err
			}
			if len(a.Data) > 0 {
				files = append(files, a)
			}
		}
	}
	return r.PostForm, files, nil
}

func readUpload(fh *multipart.FileHeader) (support.Attachment, error) {
	if fh.Size > support.MaxAttachmentSize {
		return support.Attachment{}, &support.FieldError{Field: "attachment", Code: "too_large"}
	}
	f, err := fh.Open()
	if err != nil {
		return support.Attachment{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, support.MaxAttachmentSize+1))
	if err != nil {
		return support.Attachment{}, err
	}
	return support.Attachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data}, nil
}

func (s *Site) supportOpen(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	vals, files, err := s.multipartForm(w, r)
	f := newForm()
	for _, k := range []string{"category", "subject", "email", "refs"} {
		f.keep(k, vals.Get(k))
	}
	f.Values["body"] = strings.ToValidUTF8(vals.Get("body"), "\uFFFD")
	complaint := strings.HasSuffix(r.URL.Path, "/complaint")
	var opened support.Opened
	if err == nil {
		n := support.NewTicket{Category: support.Category(vals.Get("category")), Subject: vals.Get("subject"), Body: vals.Get("body"),
			Attachments: files, Complaint: complaint, IP: clientIP(r), Language: loc.Code(), Email: vals.Get("email")}
		if si := currentUser(r); si != nil {
			n.UserID, n.Email = si.user.ID, ""
		}
		for _, ref := range strings.FieldsFunc(vals.Get("refs"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '，' }) {
			n.Refs = append(n.Refs, ref)
		}
		opened, err = s.support.Open(r.Context(), n)
	}
	if err != nil {
		field, msg, ok := supportError(loc, err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		// The typed text goes back masked: never echo a card number.
		body, _ := redact.Text(f.Values["body"])
		f.Values["body"] = body
		if field == "" {
			field = "summary"
		}
		f.Errors[field] = msg
		f.Summary = loc.T("form.summary")
		status := http.StatusUnprocessableEntity
		if errors.Is(err, support.ErrRateLimited) {
			status = http.StatusTooManyRequests
		}
		s.renderSupportForm(w, r, status, f)
		return
	}
	q := "?n=" + strconv.FormatInt(opened.Ticket.Number, 10)
	if opened.Findings != 0 {
		q += "&masked=1"
	}
	if currentUser(r) != nil {
		http.Redirect(w, r, "/support/tickets/"+strconv.FormatInt(opened.Ticket.Number, 10)+q, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/support/sent"+q, http.StatusSeeOther)
}

// supportSentData is what support_sent.html shows a visitor.
type supportSentData struct {
	Number int64
	Masked bool
}

func (s *Site) supportSent(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	s.Render(w, r, http.StatusOK, "support_sent", supportSentData{Number: n, Masked: r.URL.Query().Get("masked") == "1"})
}

// supportNoticeKeys confirm the requester's actions on a ticket.
var supportNoticeKeys = map[string]string{
	"replied":   "support.notice.replied",
	"rated":     "support.notice.rated",
	"confirmed": "support.notice.confirmed",
}

// supportTicketData is what support_ticket.html shows the requester.
type supportTicketData struct {
	supportView
	Ticket   support.Ticket
	Messages []support.Message
	Masked   bool // a message of theirs was masked: tell them, kindly
	Notice   string
	Form     *form
	CanRate  bool
}

func ticketNumber(r *http.Request) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("number"), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func (s *Site) supportTicket(w http.ResponseWriter, r *http.Request, si *signedIn) {
	notice := supportNoticeKeys[r.URL.Query().Get("done")]
	d := supportTicketData{Form: newForm()}
	if notice != "" {
		d.Notice = s.Locale(r).T(notice)
	}
	s.renderSupportTicket(w, r, si, http.StatusOK, d)
}

func (s *Site) renderSupportTicket(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d supportTicketData) {
	tk, msgs, err := s.support.View(r.Context(), actor(si), ticketNumber(r))
	switch {
	case errors.Is(err, support.ErrNotFound), errors.Is(err, support.ErrForbidden):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	if tk.RequesterID != si.user.ID {
		// Staff read tickets in the console.
		http.Redirect(w, r, "/agent/tickets/"+strconv.FormatInt(tk.Number, 10), http.StatusSeeOther)
		return
	}
	d.supportView = supportView{s.Locale(r)}
	d.Ticket, d.Messages = tk, msgs
	for _, m := range msgs {
		if m.Kind == support.KindCustomer && m.Findings != 0 {
			d.Masked = true
		}
	}
	d.CanRate = tk.Status.Done() && tk.Rating == 0
	s.Render(w, r, status, "support_ticket", d)
}

func (s *Site) supportReply(w http.ResponseWriter, r *http.Request, si *signedIn) {
	loc := s.Locale(r)
	vals, files, err := s.multipartForm(w, r)
	if err == nil {
		_, err = s.support.CustomerReply(r.Context(), actor(si), ticketNumber(r), vals.Get("body"), files)
	}
	s.afterCustomerAction(w, r, si, err, "replied", func(f *form) {
		body, _ := redact.Text(strings.ToValidUTF8(vals.Get("body"), "\uFFFD"))
		f.Values["body"] = body
	}, loc)
}

func (s *Site) supportRate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	rating, _ := strconv.Atoi(vals.Get("rating"))
	err := s.support.Rate(r.Context(), actor(si), ticketNumber(r), rating, vals.Get("comment"))
	s.afterCustomerAction(w, r, si, err, "rated", nil, s.Locale(r))
}

func (s *Site) supportConfirm(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	err := s.support.ConfirmAction(r.Context(), actor(si), ticketNumber(r), clientIP(r), r.UserAgent())
	s.afterCustomerAction(w, r, si, err, "confirmed", nil, s.Locale(r))
}

func (s *Site) afterCustomerAction(w http.ResponseWriter, r *http.Request, si *signedIn, err error, done string, keep func(*form), loc *i18n.Locale) {
	if err == nil {
		http.Redirect(w, r, "/support/tickets/"+strconv.FormatInt(ticketNumber(r), 10)+"?done="+done, http.StatusSeeOther)
		return
	}
	if errors.Is(err, support.ErrNotFound) || errors.Is(err, support.ErrForbidden) {
		s.NotFound(w, r)
		return
	}
	field, msg, ok := supportError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	if keep != nil {
		keep(f)
	}
	if field == "" {
		field = "summary"
	}
	f.Errors[field] = msg
	f.Summary = loc.T("form.summary")
	s.renderSupportTicket(w, r, si, http.StatusUnprocessableEntity, supportTicketData{Form: f})
}

// supportAttachment sends an attachment to someone who may see its
// ticket, always as a download.
func (s *Site) supportAttachment(w http.ResponseWriter, r *http.Request, si *signedIn) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.NotFound(w, r)
		return
	}
	info, data, err := s.support.OpenAttachment(r.Context(), actor(si), id)
	switch {
	case errors.Is(err, support.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("Content-Disposition", contentDisposition(info.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// contentDisposition is an attachment disposition with an ASCII fallback
// name and the UTF-8 one (RFC 6266).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// staffActor reports whether si may work tickets.
func staffActor(si *signedIn) bool {
	return auth.Authorize(actor(si), auth.ActionSupportWork, auth.Resource{Kind: "ticket"}) == nil
}

package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/money"
)

// merchantDisputesData is what merchant_disputes.html shows.
type merchantDisputesData struct {
	merchantHeader
	Rows         []disputeRow
	Owed         []money.Amount
	ResponseDays int
}

// merchantDisputes lists the merchant's disputes in one mode, with what
// the merchant owes from lost disputes (which holds payouts back).
func (s *Site) merchantDisputes(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	h, err := s.merchantHeader(r, a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	ds, err := s.merchant.MerchantDisputes(r.Context(), a)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d := merchantDisputesData{merchantHeader: h, ResponseDays: s.merchant.ResponseDays()}
	if d.Owed, err = s.merchant.Receivable(r.Context(), a.MerchantID, a.Mode); err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	for _, x := range ds {
		d.Rows = append(d.Rows, disputeRowOf(loc, x))
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_disputes", d)
}

// merchantDisputeData is what merchant_dispute.html shows.
type merchantDisputeData struct {
	merchantHeader
	Dispute      disputeRow
	Evidence     []merchant.Evidence
	CanSubmit    bool // a member who may answer, before the deadline
	PastDeadline bool
	ResponseDays int
	Form         *form
	Error        *merchantError
	Done         bool
	MaxFiles     int
}

func (s *Site) merchantDisputeData(r *http.Request, a merchant.Access) (merchantDisputeData, error) {
	h, err := s.merchantHeader(r, a)
	if err != nil {
		return merchantDisputeData{}, err
	}
	dp, ev, err := s.merchant.MerchantDispute(r.Context(), a, r.PathValue("did"))
	if err != nil {
		return merchantDisputeData{}, err
	}
	past := !s.now().Before(dp.DueBy)
	return merchantDisputeData{merchantHeader: h, Dispute: disputeRowOf(s.Locale(r), dp), Evidence: ev,
		CanSubmit: a.Role.CanMoveMoney() && dp.Status.Open() && !past, PastDeadline: past && dp.Status.Open(),
		ResponseDays: s.merchant.ResponseDays(), Form: newForm(), MaxFiles: merchant.MaxEvidenceFiles}, nil
}

// merchantDispute shows one dispute, its evidence and, to owners and
// developers before the deadline, the evidence form.
func (s *Site) merchantDispute(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	d, err := s.merchantDisputeData(r, a)
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Done = r.URL.Query().Get("done") == "evidence"
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "merchant_dispute", d)
}

// maxEvidenceBody bounds an evidence post: the files and the form around
// them.
const maxEvidenceBody = merchant.MaxEvidenceFiles*(merchant.MaxEvidenceSize+4<<10) + 64<<10

// merchantEvidence takes a statement and files (multipart) for a dispute.
func (s *Site) merchantEvidence(w http.ResponseWriter, r *http.Request, si *signedIn) {
	r.Body = http.MaxBytesReader(w, r.Body, maxEvidenceBody)
	tooLarge := false
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		tooLarge = errors.As(err, &mbe)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	a, ok := s.merchantAccess(w, r, si, r.PostFormValue("mode"))
	if !ok {
		return
	}
	in := merchant.SubmitEvidence{DisputeID: r.PathValue("did"), Text: r.PostFormValue("text")}
	var err error
	if tooLarge {
		err = merchant.ErrEvidenceTooLarge
	} else if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue // an empty file input
			}
			if len(in.Files) >= merchant.MaxEvidenceFiles {
				err = merchant.ErrEvidenceTooMany
				break
			}
			f, ferr := fh.Open()
			if ferr != nil {
				err = merchant.ErrEvidenceType
				break
			}
			data, ferr := io.ReadAll(io.LimitReader(f, merchant.MaxEvidenceSize+1))
			f.Close()
			if ferr != nil {
				err = merchant.ErrEvidenceType
				break
			}
			in.Files = append(in.Files, merchant.EvidenceFile{Name: fh.Filename, Data: data})
		}
	}
	if err == nil {
		_, err = s.merchant.SubmitEvidence(r.Context(), a, in)
	}
	if err == nil {
		http.Redirect(w, r, "/merchant/"+a.MerchantID+"/disputes/"+in.DisputeID+"?mode="+string(a.Mode)+"&done=evidence", http.StatusSeeOther)
		return
	}
	switch {
	case errors.Is(err, merchant.ErrNotFound):
		s.NotFound(w, r)
		return
	case errors.Is(err, merchant.ErrForbidden):
		s.Forbidden(w, r)
		return
	}
	me, ok := disputeRefusal(s.Locale(r), err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	d, derr := s.merchantDisputeData(r, a)
	if derr != nil {
		s.ServerError(w, r, derr)
		return
	}
	d.Form.Values["text"] = clip(in.Text, merchant.MaxDisputeText)
	d.Error = &me
	s.Render(w, r, me.status(), "merchant_dispute", d)
}

// merchantEvidenceFile sends an evidence file to a member of its merchant.
func (s *Site) merchantEvidenceFile(w http.ResponseWriter, r *http.Request, si *signedIn) {
	a, ok := s.merchantAccess(w, r, si, r.URL.Query().Get("mode"))
	if !ok {
		return
	}
	dp, _, err := s.merchant.MerchantDispute(r.Context(), a, r.PathValue("did"))
	if err != nil {
		s.evidenceError(w, r, err)
		return
	}
	e, data, err := s.merchant.MerchantEvidence(r.Context(), a, r.PathValue("eid"))
	if err == nil && e.DisputeID != dp.ID {
		err = merchant.ErrNotFound
	}
	if err != nil {
		s.evidenceError(w, r, err)
		return
	}
	sendEvidence(w, e, data)
}

func (s *Site) evidenceError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, merchant.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	s.ServerError(w, r, err)
}

// sendEvidence sends a file as an attachment of its sniffed type, never
// rendered in the site's origin.
func sendEvidence(w http.ResponseWriter, e merchant.Evidence, data []byte) {
	h := w.Header()
	h.Set("Content-Type", e.ContentType)
	ext := map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}[e.ContentType]
	h.Set("Content-Disposition", `attachment; filename="evidence-`+e.ID+ext+`"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

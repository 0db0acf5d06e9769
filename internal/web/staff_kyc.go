package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/kyc"
)

// kycDecideErrorKeys explain a refused review decision to staff.
var kycDecideErrorKeys = map[error]string{
	kyc.ErrDocumentNotFound: "kyc.staff.error.not_found",
	kyc.ErrDocumentDecided:  "kyc.staff.error.decided",
	kyc.ErrReasonRequired:   "kyc.staff.error.reason_required",
	kyc.ErrReasonTooLong:    "kyc.staff.error.reason_too_long",
	kyc.ErrOwnDocument:      "kyc.staff.error.own",
}

// kycNoticeKeys confirm a decision after its redirect.
var kycNoticeKeys = map[string]string{"approved": "kyc.staff.approved", "rejected": "kyc.staff.rejected"}

// staffKYCData is what staff_kyc.html shows.
type staffKYCData struct {
	Documents []documentRow
	Notice    string
	Error     string
}

// staffKYC is the review queue of identity documents, oldest first.
func (s *Site) staffKYC(w http.ResponseWriter, r *http.Request, si *signedIn) {
	notice := kycNoticeKeys[r.URL.Query().Get("done")]
	d := staffKYCData{}
	if notice != "" {
		d.Notice = s.Locale(r).T(notice)
	}
	s.renderStaffKYC(w, r, si, http.StatusOK, d)
}

func (s *Site) renderStaffKYC(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffKYCData) {
	docs, err := s.kyc.Pending(r.Context(), actor(si))
	if errors.Is(err, kyc.ErrForbidden) {
		s.Forbidden(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Documents = s.documentRows(r, docs)
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_kyc", d)
}

// staffKYCDecide approves or rejects one document (the button pressed
// says which); the decision is audited by kyc in its transaction.
func (s *Site) staffKYCDecide(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionKYCReview, auth.Resource{Kind: "kyc_document"}) != nil {
		s.Forbidden(w, r)
		return
	}
	approve := first(vals["decision"]) == "approve"
	_, err := s.kyc.Decide(r.Context(), kyc.Decision{Actor: actor(si), DocumentID: r.PathValue("id"), Approve: approve,
		Reason: first(vals["reason"]), IP: clientIP(r)})
	if err == nil {
		done := "rejected"
		if approve {
			done = "approved"
		}
		http.Redirect(w, r, "/staff/kyc?done="+done, http.StatusSeeOther)
		return
	}
	for e, key := range kycDecideErrorKeys {
		if errors.Is(err, e) {
			s.renderStaffKYC(w, r, si, http.StatusUnprocessableEntity, staffKYCData{Error: s.Locale(r).T(key)})
			return
		}
	}
	if errors.Is(err, kyc.ErrForbidden) {
		s.Forbidden(w, r)
		return
	}
	s.ServerError(w, r, err)
}

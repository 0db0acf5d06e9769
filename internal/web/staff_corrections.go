package web

import (
	"net/http"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/wallet"
)

// correctionErrorKeys explain a refused correction to staff.
var correctionErrorKeys = map[wallet.Code]string{
	wallet.CodeCorrectionNotFound:  "kyc.correction.error.not_found",
	wallet.CodeCorrectionDecided:   "kyc.correction.error.decided",
	wallet.CodeCorrectionOwn:       "kyc.correction.error.own",
	wallet.CodeCorrectionForbidden: "kyc.correction.error.forbidden",
	wallet.CodeReasonRequired:      "kyc.correction.error.reason_required",
	wallet.CodeInvalidCorrection:   "kyc.correction.error.invalid",
}

var correctionStatusKeys = map[wallet.CorrectionStatus]string{
	wallet.CorrectionProposed: "kyc.correction.status.proposed",
	wallet.CorrectionApproved: "kyc.correction.status.approved",
	wallet.CorrectionRejected: "kyc.correction.status.rejected",
}

var correctionKindKeys = map[wallet.CorrectionKind]string{
	wallet.CorrectionMove:     "kyc.correction.kind.move",
	wallet.CorrectionGoodwill: "kyc.correction.kind.goodwill",
}

// correctionNoticeKeys confirm a step after its redirect.
var correctionNoticeKeys = map[string]string{"proposed": "kyc.correction.proposed",
	"approved": "kyc.correction.approved", "rejected": "kyc.correction.rejected"}

// staffCorrectionsData is what staff_corrections.html shows.
type staffCorrectionsData struct {
	Rows       []correctionRow
	Currencies []string
	CanApprove bool
	Notice     string
	Error      string
	Form       map[string]string
}

type correctionRow struct {
	wallet.Correction
	KindName, StatusName string
	// Mine: proposed by the reader, who may not approve it.
	Mine bool
}

func (s *Site) staffCorrections(w http.ResponseWriter, r *http.Request, si *signedIn) {
	key := correctionNoticeKeys[r.URL.Query().Get("done")]
	d := staffCorrectionsData{}
	if key != "" {
		d.Notice = s.Locale(r).T(key)
	}
	s.renderCorrections(w, r, si, http.StatusOK, d)
}

func (s *Site) renderCorrections(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffCorrectionsData) {
	if auth.Authorize(actor(si), auth.ActionCorrectionPropose, auth.Resource{Kind: "correction"}) != nil {
		s.Forbidden(w, r)
		return
	}
	cs, err := s.corrections.List(r.Context())
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	for _, c := range cs {
		d.Rows = append(d.Rows, correctionRow{Correction: c, KindName: loc.T(correctionKindKeys[c.Kind]),
			StatusName: loc.T(correctionStatusKeys[c.Status]), Mine: c.ProposedBy == si.user.ID})
	}
	for _, c := range s.wallet.Currencies() {
		d.Currencies = append(d.Currencies, c.Code)
	}
	if d.Form == nil {
		d.Form = map[string]string{"currency": "CNY"}
	}
	d.CanApprove = auth.Authorize(actor(si), auth.ActionCorrectionApprove, auth.Resource{Kind: "correction"}) == nil
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_corrections", d)
}

// correctionRefused shows a refusal on the corrections page, or the 500
// page for anything that is not one.
func (s *Site) correctionRefused(w http.ResponseWriter, r *http.Request, si *signedIn, err error, form map[string]string) {
	code := wallet.ErrorCode(err)
	if code == wallet.CodeCorrectionForbidden {
		s.Forbidden(w, r)
		return
	}
	key, ok := correctionErrorKeys[code]
	if !ok {
		key, ok = walletErrorKeys[code]
	}
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	s.renderCorrections(w, r, si, http.StatusUnprocessableEntity, staffCorrectionsData{
		Error: s.Locale(r).T(key) + " (" + string(code) + ")", Form: form})
}

// staffCorrectionPropose records a proposal; nothing moves yet.
func (s *Site) staffCorrectionPropose(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	form := map[string]string{}
	for _, k := range []string{"kind", "from", "to", "amount", "currency", "reason"} {
		v := strings.ToValidUTF8(first(vals[k]), "")
		if len(v) <= maxEcho*4 {
			form[k] = v
		}
	}
	amount, err := s.parseAmount(s.Locale(r), form["amount"], form["currency"])
	if err == nil {
		_, err = s.corrections.Propose(r.Context(), actor(si), wallet.Proposal{Kind: wallet.CorrectionKind(form["kind"]),
			FromWallet: form["from"], ToWallet: form["to"], Amount: amount, Reason: form["reason"]})
	}
	if err != nil {
		s.correctionRefused(w, r, si, err, form)
		return
	}
	http.Redirect(w, r, "/staff/corrections?done=proposed", http.StatusSeeOther)
}

// staffCorrectionApprove posts a correction on a second staff member's
// word.
func (s *Site) staffCorrectionApprove(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	_, _, err := s.corrections.Approve(r.Context(), actor(si), r.PathValue("id"), first(vals["note"]))
	if err != nil {
		s.correctionRefused(w, r, si, err, nil)
		return
	}
	http.Redirect(w, r, "/staff/corrections?done=approved", http.StatusSeeOther)
}

// staffCorrectionReject closes a proposal without moving money.
func (s *Site) staffCorrectionReject(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if _, err := s.corrections.Reject(r.Context(), actor(si), r.PathValue("id"), first(vals["note"])); err != nil {
		s.correctionRefused(w, r, si, err, nil)
		return
	}
	http.Redirect(w, r, "/staff/corrections?done=rejected", http.StatusSeeOther)
}

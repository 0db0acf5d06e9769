package web

import (
	"errors"
	"net/http"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/merchant"
)

// staffDisputesData is what staff_disputes.html shows.
type staffDisputesData struct {
	Rows []disputeRow
	All  bool
}

// staffDisputes is the queue of disputes (open ones; ?all=1 for every
// one), for agents and up.
func (s *Site) staffDisputes(w http.ResponseWriter, r *http.Request, si *signedIn) {
	all := r.URL.Query().Get("all") == "1"
	ds, err := s.merchant.StaffDisputes(r.Context(), actor(si), !all)
	if errors.Is(err, merchant.ErrForbidden) {
		s.Forbidden(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	d := staffDisputesData{All: all}
	for _, x := range ds {
		d.Rows = append(d.Rows, disputeRowOf(loc, x))
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "staff_disputes", d)
}

// staffDisputeData is what staff_dispute.html shows.
type staffDisputeData struct {
	Dispute   disputeRow
	Payment   merchant.Payment
	Merchant  merchant.Merchant
	Evidence  []merchant.Evidence
	CanDecide bool
	Form      *form
	Error     *merchantError
	Done      bool
}

func (s *Site) staffDisputeData(r *http.Request, si *signedIn) (staffDisputeData, error) {
	dp, p, m, ev, err := s.merchant.StaffDispute(r.Context(), actor(si), r.PathValue("did"))
	if err != nil {
		return staffDisputeData{}, err
	}
	return staffDisputeData{Dispute: disputeRowOf(s.Locale(r), dp), Payment: p, Merchant: m, Evidence: ev,
		CanDecide: si.user.Role.AtLeast(auth.RoleSupervisor) && dp.Status.Open(), Form: newForm()}, nil
}

func (s *Site) staffDisputeFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, merchant.ErrForbidden):
		s.Forbidden(w, r)
	case errors.Is(err, merchant.ErrNotFound):
		s.NotFound(w, r)
	default:
		s.ServerError(w, r, err)
	}
}

// staffDispute shows a dispute: the payer's words, the merchant's
// evidence and, to supervisors, the decision form.
func (s *Site) staffDispute(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d, err := s.staffDisputeData(r, si)
	if err != nil {
		s.staffDisputeFail(w, r, err)
		return
	}
	d.Done = r.URL.Query().Get("done") == "decided"
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "staff_dispute", d)
}

// staffDecide decides a dispute (won: for the merchant; lost: the payer
// is paid back); audited by the service in the decision's transaction.
func (s *Site) staffDecide(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	if !si.user.Role.AtLeast(auth.RoleSupervisor) {
		s.Forbidden(w, r)
		return
	}
	_, err := s.merchant.Decide(r.Context(), merchant.Decision{Actor: actor(si), DisputeID: r.PathValue("did"),
		Outcome: merchant.DisputeStatus(vals.Get("outcome")), Note: vals.Get("note"), IP: clientIP(r)})
	if err == nil {
		http.Redirect(w, r, "/staff/disputes/"+r.PathValue("did")+"?done=decided", http.StatusSeeOther)
		return
	}
	if errors.Is(err, merchant.ErrForbidden) || errors.Is(err, merchant.ErrNotFound) {
		s.staffDisputeFail(w, r, err)
		return
	}
	me, ok := disputeRefusal(s.Locale(r), err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	d, derr := s.staffDisputeData(r, si)
	if derr != nil {
		s.staffDisputeFail(w, r, derr)
		return
	}
	d.Form.Values["note"] = clip(vals.Get("note"), merchant.MaxDisputeText)
	d.Error = &me
	s.Render(w, r, me.status(), "staff_dispute", d)
}

// staffEvidenceFile sends an evidence file to staff (agents and up).
func (s *Site) staffEvidenceFile(w http.ResponseWriter, r *http.Request, si *signedIn) {
	dp, _, _, _, err := s.merchant.StaffDispute(r.Context(), actor(si), r.PathValue("did"))
	if err != nil {
		s.staffDisputeFail(w, r, err)
		return
	}
	e, data, err := s.merchant.OpenEvidence(r.Context(), "", false, true, r.PathValue("eid"))
	if err == nil && e.DisputeID != dp.ID {
		err = merchant.ErrNotFound
	}
	if err != nil {
		s.staffDisputeFail(w, r, err)
		return
	}
	sendEvidence(w, e, data)
}

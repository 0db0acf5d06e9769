package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web/i18n"
)

// riskErrorKeys are the wallet's refusals of review holds and freezes,
// in the reader's words.
var riskErrorKeys = map[wallet.Code]string{
	wallet.CodeOutgoingFrozen:  "risk.error.outgoing_frozen",
	wallet.CodeRefusedInReview: "risk.error.refused_in_review",
	wallet.CodeNotHeld:         "risk.error.not_held",
}

// riskReasonKeys say, for each rule, why a payment was held.
var riskReasonKeys = map[string]string{
	risk.RuleVelocity:      "risk.reason.velocity",
	risk.RuleUnusualAmount: "risk.reason.unusual_amount",
	risk.RuleNewDevice:     "risk.reason.new_device",
	risk.RuleNewPayee:      "risk.reason.new_payee",
}

// riskStaffErrorKeys are the refusals staff can meet on /staff/risk.
var riskStaffErrorKeys = map[error]string{
	risk.ErrCaseNotFound: "risk.staff.error.not_found",
	risk.ErrDecided:      "risk.staff.error.decided",
	risk.ErrHoldEnded:    "risk.staff.error.ended",
	risk.ErrNotFrozen:    "risk.staff.error.not_frozen",
	risk.ErrNoteTooLong:  "risk.staff.error.note_too_long",
}

// walletKey is the message key of a wallet refusal code, the risk ones
// included.
func walletKey(code wallet.Code) (string, bool) {
	if k, ok := walletErrorKeys[code]; ok {
		return k, true
	}
	k, ok := riskErrorKeys[code]
	return k, ok
}

func riskReasons(loc *i18n.Locale, rs []string) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if k, ok := riskReasonKeys[r]; ok {
			out = append(out, loc.T(k))
		}
	}
	return out
}

// movementRisk is what the movement page shows of review: why a payment
// is held, and the "not my transaction" report.
type movementRisk struct {
	Hold    *risk.Case
	Reasons []string
	Report  *risk.Case
	// CanReport: the user may still report this movement.
	CanReport bool
	Words     string
	Error     string
}

// movementRisk returns the review side of the movement page (nil
// without the risk service).
func (s *Site) movementRisk(r *http.Request, si *signedIn, m wallet.Movement) (*movementRisk, error) {
	if s.risk == nil {
		return nil, nil
	}
	hold, report, err := s.risk.ForMovement(r.Context(), si.user.ID, m.ID)
	if err != nil {
		return nil, err
	}
	mr := &movementRisk{Hold: hold, Report: report, CanReport: report == nil}
	if hold != nil {
		mr.Reasons = riskReasons(s.Locale(r), hold.Reasons)
	}
	return mr, nil
}

// reportMovement is "not my transaction": it freezes the user's outgoing
// payments, opens a report for staff, and shows what happens next.
func (s *Site) reportMovement(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id := r.PathValue("id")
	_, err := s.risk.Report(r.Context(), si.user.ID, id, vals.Get("words"))
	if err == nil {
		http.Redirect(w, r, "/wallet/movements/"+id+"?done=reported", http.StatusSeeOther)
		return
	}
	if wallet.ErrorCode(err) == wallet.CodeMovementNotFound {
		s.NotFound(w, r)
		return
	}
	if !errors.Is(err, risk.ErrWordsTooLong) {
		s.ServerError(w, r, err)
		return
	}
	m, merr := s.wallet.Movement(r.Context(), si.user.ID, id)
	if merr != nil {
		s.ServerError(w, r, merr)
		return
	}
	d := movementData{Row: s.movementRows(s.Locale(r), []wallet.Movement{m})[0]}
	if d.Risk, err = s.movementRisk(r, si, m); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Risk.Words = vals.Get("words")
	d.Risk.Error = s.Locale(r).T("risk.report.too_long", "max", s.risk.Config().MaxWords)
	s.Render(w, r, http.StatusUnprocessableEntity, "wallet_movement", d)
}

// staffRiskData is what staff_risk.html shows.
type staffRiskData struct {
	Holds     []staffHold
	Reports   []risk.Case
	Freezes   []risk.Freeze
	CanDecide bool
	Notice    string
	Error     string
}

type staffHold struct {
	risk.Case
	Reasons []string
}

// staffRisk is the review queue: payments held by the rules, reports of
// transactions users say are not theirs, and frozen users. Agents see it;
// supervisors decide.
func (s *Site) staffRisk(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionRiskView, auth.Resource{Kind: "risk"}) != nil {
		s.Forbidden(w, r)
		return
	}
	loc := s.Locale(r)
	s.renderStaffRisk(w, r, si, http.StatusOK, staffRiskData{Notice: map[string]string{
		"released": loc.T("risk.staff.released"), "refused": loc.T("risk.staff.refused"),
		"lifted": loc.T("risk.staff.lifted")}[r.URL.Query().Get("done")]})
}

func (s *Site) renderStaffRisk(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffRiskData) {
	q, err := s.risk.Queue(r.Context(), actor(si), 200)
	if errors.Is(err, risk.ErrForbidden) {
		s.Forbidden(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	loc := s.Locale(r)
	for _, h := range q.Holds {
		d.Holds = append(d.Holds, staffHold{Case: h, Reasons: riskReasons(loc, h.Reasons)})
	}
	d.Reports, d.Freezes = q.Reports, q.Freezes
	d.CanDecide = auth.Authorize(actor(si), auth.ActionRiskDecide, auth.Resource{Kind: "risk"}) == nil
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_risk", d)
}

func (s *Site) staffRiskRelease(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffRiskDecide(w, r, si, "released", func(note string) error {
		_, err := s.risk.Release(r.Context(), r.PathValue("id"), actor(si), note)
		return err
	})
}

func (s *Site) staffRiskRefuse(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffRiskDecide(w, r, si, "refused", func(note string) error {
		_, err := s.risk.Refuse(r.Context(), r.PathValue("id"), actor(si), note)
		return err
	})
}

func (s *Site) staffRiskLift(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffRiskDecide(w, r, si, "lifted", func(note string) error {
		user, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
		if err != nil || user <= 0 {
			return risk.ErrNotFrozen
		}
		return s.risk.LiftFreeze(r.Context(), user, actor(si), note)
	})
}

// staffRiskDecide runs a supervisor's decision (audited by risk in the
// same transaction) and shows the queue again.
func (s *Site) staffRiskDecide(w http.ResponseWriter, r *http.Request, si *signedIn, done string, do func(note string) error) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionRiskDecide, auth.Resource{Kind: "risk"}) != nil {
		s.Forbidden(w, r)
		return
	}
	err := do(vals.Get("note"))
	if err == nil {
		http.Redirect(w, r, "/staff/risk?done="+done, http.StatusSeeOther)
		return
	}
	if errors.Is(err, risk.ErrForbidden) {
		s.Forbidden(w, r)
		return
	}
	for e, key := range riskStaffErrorKeys {
		if errors.Is(err, e) {
			s.renderStaffRisk(w, r, si, http.StatusUnprocessableEntity, staffRiskData{Error: s.Locale(r).T(key)})
			return
		}
	}
	s.ServerError(w, r, err)
}

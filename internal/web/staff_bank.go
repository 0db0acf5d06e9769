package web

import (
	"net/http"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/wallet"
)

// bankKeys names the staff-only refusals of the bank queue.
var bankKeys = map[wallet.Code]string{
	wallet.CodeBankEntryNotFound: "staffbank.error.not_found",
	wallet.CodeBankEntryResolved: "staffbank.error.resolved",
}

// staffBankData is what staff_bank.html shows.
type staffBankData struct {
	Entries    []wallet.UnmatchedEntry
	CanResolve bool
	Notice     string
	Error      string
}

func actor(si *signedIn) auth.Actor { return auth.Actor{UserID: si.user.ID, Role: si.user.Role} }

// staffBank lists money that reached the bank with no matching deposit
// reference: agents see it, supervisors assign it to a wallet or return
// it to the payer.
func (s *Site) staffBank(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if auth.Authorize(actor(si), auth.ActionBankView, auth.Resource{Kind: "bank"}) != nil {
		s.Forbidden(w, r)
		return
	}
	s.renderStaffBank(w, r, si, http.StatusOK, staffBankData{Notice: map[string]string{
		"assigned": s.Locale(r).T("staffbank.assigned"), "returned": s.Locale(r).T("staffbank.returned")}[r.URL.Query().Get("done")]})
}

func (s *Site) renderStaffBank(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffBankData) {
	var err error
	if d.Entries, err = s.bank.Unmatched(r.Context(), wallet.UnmatchedFilter{}); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.CanResolve = auth.Authorize(actor(si), auth.ActionBankResolve, auth.Resource{Kind: "bank"}) == nil
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_bank", d)
}

func (s *Site) staffBankAssign(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffBankResolve(w, r, si, "assigned", func(vals map[string][]string) error {
		_, err := s.bank.AssignUnmatched(r.Context(), r.PathValue("id"), strings.TrimSpace(first(vals["wallet"])), si.user.ID, first(vals["note"]))
		return err
	})
}

func (s *Site) staffBankReturn(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffBankResolve(w, r, si, "returned", func(vals map[string][]string) error {
		_, err := s.bank.ReturnUnmatched(r.Context(), r.PathValue("id"), si.user.ID, first(vals["note"]))
		return err
	})
}

// staffBankResolve runs a supervisor's decision on an entry (audited by
// the wallet in the same transaction) and shows the queue again.
func (s *Site) staffBankResolve(w http.ResponseWriter, r *http.Request, si *signedIn, done string, do func(map[string][]string) error) {
	vals := s.postForm(w, r)
	if auth.Authorize(actor(si), auth.ActionBankResolve, auth.Resource{Kind: "bank"}) != nil {
		s.Forbidden(w, r)
		return
	}
	err := do(vals)
	if err == nil {
		http.Redirect(w, r, "/staff/bank?done="+done, http.StatusSeeOther)
		return
	}
	loc := s.Locale(r)
	code := wallet.ErrorCode(err)
	key, ok := bankKeys[code]
	if !ok {
		key, ok = walletErrorKeys[code]
	}
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	s.renderStaffBank(w, r, si, http.StatusUnprocessableEntity, staffBankData{Error: loc.T(key) + " (" + string(code) + ")"})
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

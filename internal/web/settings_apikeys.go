package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/money"
)

// The customer's own API keys (/settings/api-keys): create a live secret
// key with the read and/or send scope (its secret is shown once, on the
// answer to the create form, and never again), list and revoke them, and
// set a key's daily send limit behind a second-factor step-up.

// apiKeysData is what settings_apikeys.html shows.
type apiKeysData struct {
	Keys       []apiKeyRow
	Currencies []string
	// Created is the key just made, with its secret (shown once).
	Created *apikey.Created
	Notice  string
	Error   string
	// Name and Scopes keep the create form's values after an error.
	Name   string
	Scopes map[string]bool
	// Limit is the daily-limit form being approved, if any, and StepUp
	// its second-factor fields (the shared "stepup" template reads
	// .Data.StepUp).
	Limit  *apiKeyLimitForm
	StepUp stepUp
}

type apiKeyRow struct {
	apikey.Key
	Spent money.Amount
}

type apiKeyLimitForm struct {
	KeyID    string
	Amount   string
	Currency string
	None     bool
	// Error is about the amount; Problem about the whole change, and
	// Need2FA links to where the second factor is turned on.
	Error   string
	Problem string
	Need2FA bool
}

func (s *Site) apiKeysRoutes() []route {
	return []route{
		{"GET /settings/api-keys", s.requireUser(s.apiKeysPage)},
		{"POST /settings/api-keys", s.requireUser(s.apiKeyCreate)},
		{"POST /settings/api-keys/{id}/revoke", s.requireUser(s.apiKeyRevoke)},
		{"POST /settings/api-keys/{id}/limit", s.requireUser(s.apiKeyLimit)},
	}
}

func (s *Site) apiKeysState(r *http.Request, si *signedIn, d *apiKeysData) error {
	keys, err := s.apiKeys.List(r.Context(), apikey.UserOwner(si.user.ID))
	if err != nil {
		return err
	}
	d.Keys = d.Keys[:0]
	for _, k := range keys {
		row := apiKeyRow{Key: k}
		if k.HasDailyLimit() && !k.Revoked() {
			if row.Spent, err = s.apiKeys.SpentToday(r.Context(), k); err != nil {
				return err
			}
		}
		d.Keys = append(d.Keys, row)
	}
	if s.wallet != nil {
		for _, c := range s.wallet.Currencies() {
			d.Currencies = append(d.Currencies, c.Code)
		}
	}
	if d.Scopes == nil {
		d.Scopes = map[string]bool{string(apikey.ScopeRead): true}
	}
	return nil
}

func (s *Site) renderAPIKeys(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d apiKeysData) {
	if err := s.apiKeysState(r, si, &d); err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "settings_apikeys", d)
}

func (s *Site) apiKeysPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	loc := s.Locale(r)
	var d apiKeysData
	switch r.URL.Query().Get("done") {
	case "revoked":
		d.Notice = loc.T("apikeys.revoked")
	case "limit":
		d.Notice = loc.T("apikeys.limit.done")
	}
	if id := r.URL.Query().Get("limit"); id != "" {
		// The daily-limit form of one of the user's live keys.
		k, err := s.apiKeys.Key(r.Context(), apikey.UserOwner(si.user.ID), id)
		if err == nil && !k.Revoked() {
			f := &apiKeyLimitForm{KeyID: k.ID, Currency: "CNY"}
			if k.HasDailyLimit() {
				f.Amount, f.Currency = k.DailyLimit.Decimal(), k.DailyLimit.Currency.Code
			}
			d.Limit = f
		}
	}
	s.renderAPIKeys(w, r, si, http.StatusOK, d)
}

// apiKeyCreate makes a live secret key and shows its secret once.
func (s *Site) apiKeyCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	d := apiKeysData{Name: strings.TrimSpace(vals.Get("name")), Scopes: map[string]bool{}}
	var scopes []apikey.Scope
	for _, sc := range []apikey.Scope{apikey.ScopeRead, apikey.ScopeSend} {
		if vals.Get("scope_"+string(sc)) != "" {
			scopes = append(scopes, sc)
			d.Scopes[string(sc)] = true
		}
	}
	switch {
	case len(scopes) == 0:
		d.Error = loc.T("apikeys.error.scope")
	case len([]rune(d.Name)) > 100:
		d.Error = loc.T("apikeys.error.name")
	}
	if d.Error != "" {
		s.renderAPIKeys(w, r, si, http.StatusUnprocessableEntity, d)
		return
	}
	c, err := s.apiKeys.Create(r.Context(), apikey.CreateRequest{Owner: apikey.UserOwner(si.user.ID), Mode: apikey.Live, Name: d.Name, Scopes: scopes})
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.renderAPIKeys(w, r, si, http.StatusOK, apiKeysData{Created: &c})
}

func (s *Site) apiKeyRevoke(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	err := s.apiKeys.Revoke(r.Context(), apikey.UserOwner(si.user.ID), r.PathValue("id"))
	if err != nil && !errors.Is(err, apikey.ErrNotFound) {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/api-keys?done=revoked", http.StatusSeeOther)
}

// apiKeyLimit sets a key's daily send limit once the second factor
// approved exactly that limit on that key.
func (s *Site) apiKeyLimit(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	owner := apikey.UserOwner(si.user.ID)
	id := r.PathValue("id")
	if _, err := s.apiKeys.Key(r.Context(), owner, id); err != nil {
		if errors.Is(err, apikey.ErrNotFound) {
			s.NotFound(w, r)
			return
		}
		s.ServerError(w, r, err)
		return
	}
	f := &apiKeyLimitForm{KeyID: id, Amount: strings.TrimSpace(vals.Get("amount")), Currency: vals.Get("currency"), None: vals.Get("none") != ""}
	d := apiKeysData{Limit: f}
	var limit money.Amount
	if !f.None {
		cur, err := money.Lookup(f.Currency)
		if err == nil {
			limit, err = money.ParseLocalized(f.Amount, cur, loc.Code())
		}
		if err != nil || limit.Minor < 0 {
			f.Error = loc.T("apikeys.limit.invalid")
			s.renderAPIKeys(w, r, si, http.StatusUnprocessableEntity, d)
			return
		}
	}
	token, su, err := s.approve(r, vals, si.user.ID, apikey.DailyLimitAction(id, limit))
	d.StepUp = su
	switch {
	case errors.Is(err, errNoSecondFactor):
		f.Problem, f.Need2FA = loc.T("apikeys.limit.need_2fa"), true
		s.renderAPIKeys(w, r, si, http.StatusForbidden, d)
		return
	case errors.Is(err, twofactor.ErrTooManyFailures):
		d.Limit = nil
		d.Error = loc.T("stepup.too_many")
		s.renderAPIKeys(w, r, si, http.StatusTooManyRequests, d)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	case token == "":
		status := http.StatusOK
		if su.Error != "" {
			status = http.StatusUnprocessableEntity
		}
		s.renderAPIKeys(w, r, si, status, d)
		return
	}
	err = s.apiKeys.SetDailyLimit(r.Context(), owner, id, limit, token)
	switch {
	case errors.Is(err, apikey.ErrRevoked):
		d.Limit = nil
		d.Error = loc.T("apikeys.limit.revoked")
		s.renderAPIKeys(w, r, si, http.StatusConflict, d)
		return
	case errors.Is(err, apikey.ErrStepUpRefused):
		// The code approved another limit (the form was changed after
		// the challenge began): nothing changed; ask again.
		d.StepUp = stepUp{}
		f.Problem = loc.T("apikeys.limit.changed")
		s.renderAPIKeys(w, r, si, http.StatusUnprocessableEntity, d)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/api-keys?done=limit", http.StatusSeeOther)
}

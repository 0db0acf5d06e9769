package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/okpay/okpay/internal/auth/twofactor"
)

// securityData is what settings_security.html shows.
type securityData struct {
	TwoFactorOn  bool
	RecoveryLeft int
	// Asking names the change waiting for its second factor ("disable",
	// "recovery"), with StepUp the fields to draw.
	Asking  string
	StepUp  stepUp
	Summary string
	Notice  string
}

// securityPage shows the second factor's state and the changes to it.
func (s *Site) securityPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d, err := s.securityState(r, si)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "disabled":
		d.Notice = s.Locale(r).T("security.disabled")
	}
	s.Render(w, r, http.StatusOK, "settings_security", d)
}

func (s *Site) securityState(r *http.Request, si *signedIn) (securityData, error) {
	var d securityData
	var err error
	if d.TwoFactorOn, err = s.twoFactor.Enabled(r.Context(), si.user.ID); err != nil || !d.TwoFactorOn {
		return d, err
	}
	d.RecoveryLeft, err = s.twoFactor.RecoveryCodesLeft(r.Context(), si.user.ID)
	return d, err
}

// totpBegin makes a new authenticator secret and shows it.
func (s *Site) totpBegin(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	_, err := s.twoFactor.BeginEnrolment(r.Context(), si.user.ID, si.user.Email)
	if err != nil && !errors.Is(err, twofactor.ErrAlreadyEnabled) {
		s.ServerError(w, r, err)
		return
	}
	target := "/settings/security/totp"
	if err != nil {
		target = "/settings/security"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// totpData is what settings_totp.html shows.
type totpData struct {
	Secret string // grouped in fours for typing
	URI    string
	Form   *form
}

// totpPage shows the pending secret as a QR code and as text, and asks
// for the first code.
func (s *Site) totpPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.renderTOTP(w, r, si, newForm(), http.StatusOK)
}

func (s *Site) renderTOTP(w http.ResponseWriter, r *http.Request, si *signedIn, f *form, status int) {
	en, err := s.twoFactor.PendingEnrolment(r.Context(), si.user.ID, si.user.Email)
	if errors.Is(err, twofactor.ErrNoEnrolment) || errors.Is(err, twofactor.ErrAlreadyEnabled) {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "settings_totp", totpData{Secret: groupFours(en.Secret), URI: en.URI, Form: f})
}

// totpQR is the pending secret's QR code, drawn by the project.
func (s *Site) totpQR(w http.ResponseWriter, r *http.Request, si *signedIn) {
	en, err := s.twoFactor.PendingEnrolment(r.Context(), si.user.ID, si.user.Email)
	if errors.Is(err, twofactor.ErrNoEnrolment) || errors.Is(err, twofactor.ErrAlreadyEnabled) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(en.PNG)
}

// totpConfirm turns the authenticator on with its first code and shows
// the recovery codes, once.
func (s *Site) totpConfirm(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	codes, err := s.twoFactor.ConfirmEnrolment(r.Context(), si.user.ID, strings.TrimSpace(vals.Get("code")),
		twofactor.Meta{ActorRole: string(si.user.Role), IP: clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case err == nil:
		s.showRecoveryCodes(w, r, codes)
	case errors.Is(err, twofactor.ErrWrongCode):
		f := newForm()
		f.Errors["code"] = loc.T("security.totp.wrong")
		f.Summary = loc.T("form.summary")
		s.renderTOTP(w, r, si, f, http.StatusUnprocessableEntity)
	case errors.Is(err, twofactor.ErrNoEnrolment), errors.Is(err, twofactor.ErrAlreadyEnabled):
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
	default:
		s.ServerError(w, r, err)
	}
}

func (s *Site) showRecoveryCodes(w http.ResponseWriter, r *http.Request, codes []string) {
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "settings_recovery", codes)
}

// twoFactorDisable turns the second factor off once a code approves it.
func (s *Site) twoFactorDisable(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.securityChange(w, r, si, "disable", twofactor.DisableAction(si.user.ID), func(token string, m twofactor.Meta) error {
		if err := s.twoFactor.Disable(r.Context(), si.user.ID, token, m); err != nil {
			return err
		}
		http.Redirect(w, r, "/settings/security?done=disabled", http.StatusSeeOther)
		return nil
	})
}

// recoveryCodes replaces the recovery codes once a code approves it.
func (s *Site) recoveryCodes(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.securityChange(w, r, si, "recovery", twofactor.RecoveryCodesAction(si.user.ID), func(token string, m twofactor.Meta) error {
		codes, err := s.twoFactor.RegenerateRecoveryCodes(r.Context(), si.user.ID, token, m)
		if err != nil {
			return err
		}
		s.showRecoveryCodes(w, r, codes)
		return nil
	})
}

// securityChange runs a change to the second factor behind a step-up:
// the security page asks for the code until it passes, then do runs with
// the step-up token and writes the response.
func (s *Site) securityChange(w http.ResponseWriter, r *http.Request, si *signedIn, asking string, action twofactor.Action, do func(token string, m twofactor.Meta) error) {
	vals := s.postForm(w, r)
	loc := s.Locale(r)
	d, err := s.securityState(r, si)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	if !d.TwoFactorOn {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	}
	d.Asking = asking
	token, su, err := s.approve(r, vals, si.user.ID, action)
	d.StepUp = su
	switch {
	case errors.Is(err, twofactor.ErrTooManyFailures):
		d.Summary = loc.T("stepup.too_many")
		d.Asking = ""
		s.Render(w, r, http.StatusTooManyRequests, "settings_security", d)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	case token == "":
		status := http.StatusOK
		if su.Error != "" {
			status = http.StatusUnprocessableEntity
		}
		s.Render(w, r, status, "settings_security", d)
		return
	}
	m := twofactor.Meta{ActorRole: string(si.user.Role), IP: clientIP(r), UserAgent: r.UserAgent()}
	if err := do(token, m); err != nil {
		s.ServerError(w, r, err)
	}
}

// groupFours writes a base32 secret in groups of four for typing.
func groupFours(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

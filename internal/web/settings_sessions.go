package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
)

// sessionsData is what settings_sessions.html shows.
type sessionsData struct {
	Sessions []sessionRow
	History  []historyRow
	Notice   string
}

type sessionRow struct {
	auth.Session
	Current bool
}

// historyRow is one security event of the user's, in words.
type historyRow struct {
	audit.Event
	What, Device string
}

// historyKeys names the message for each security event shown to the
// user; other actions are not listed.
var historyKeys = map[string]string{
	audit.LoginSucceeded:            "history.login_succeeded",
	audit.LoginFailed:               "history.login_failed",
	audit.AccountLocked:             "history.account_locked",
	audit.NewDeviceLogin:            "history.new_device_login",
	audit.Logout:                    "history.logout",
	audit.SessionsRevoked:           "history.sessions_revoked",
	audit.PasswordResetRequested:    "history.password_reset_requested",
	audit.PasswordChanged:           "history.password_changed",
	audit.EmailVerified:             "history.email_verified",
	audit.TwoFactorEnabled:          "history.two_factor_enabled",
	audit.TwoFactorDisabled:         "history.two_factor_disabled",
	audit.RecoveryCodesCreated:      "history.recovery_codes_created",
	twofactor.AuditRecoveryCodeUsed: "history.recovery_code_used",
	twofactor.AuditCodeRejected:     "history.two_factor_code_rejected",
	apikey.AuditKeyCreated:          "history.api_key_created",
	apikey.AuditKeyRevoked:          "history.api_key_revoked",
	apikey.AuditKeyLimitChanged:     "history.api_key_limit_changed",
}

// sessionsPage lists the signed-in browsers and the recent security
// events of the account.
func (s *Site) sessionsPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	ctx := r.Context()
	loc := s.Locale(r)
	sessions, err := s.auth.Sessions(ctx, si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	var d sessionsData
	for _, ss := range sessions {
		d.Sessions = append(d.Sessions, sessionRow{Session: ss, Current: ss.ID == si.session.ID})
	}
	page, err := audit.List(ctx, s.audit, audit.Filter{TargetType: "user", TargetID: strconv.FormatInt(si.user.ID, 10), Limit: 30})
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	for _, e := range page.Events {
		if key, ok := historyKeys[e.Action]; ok {
			d.History = append(d.History, historyRow{Event: e, What: loc.T(key), Device: deviceLabel(e.UserAgent)})
		}
	}
	if r.URL.Query().Get("done") == "revoked" {
		d.Notice = loc.T("sessions.revoked")
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "settings_sessions", d)
}

// revokeSession signs out one browser; signing out this one is a logout.
func (s *Site) revokeSession(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	id, err := strconv.ParseInt(vals.Get("session"), 10, 64)
	if err != nil || id <= 0 {
		http.Redirect(w, r, "/settings/sessions", http.StatusSeeOther)
		return
	}
	err = s.auth.Revoke(r.Context(), si.user.ID, id, clientIP(r), r.UserAgent())
	switch {
	case errors.Is(err, auth.ErrNotFound):
		// Another user's, or gone already: nothing to do.
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	if id == si.session.ID {
		s.clearCookie(w, SessionCookie)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/settings/sessions?done=revoked", http.StatusSeeOther)
}

// revokeAllSessions signs out every browser, this one included.
func (s *Site) revokeAllSessions(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	if _, err := s.auth.RevokeAll(r.Context(), si.user.ID, clientIP(r), r.UserAgent()); err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.clearCookie(w, SessionCookie)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/login?signedout=all", http.StatusSeeOther)
}

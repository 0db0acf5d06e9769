package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/okpay/okpay/internal/auth/twofactor"
)

// stepUp is the second-factor part of a form: the challenge (carried in a
// hidden field; it is bound to one user and one action, and ends after
// five wrong codes), the way the code was obtained, and whether an email
// code was just sent. Templates draw it with {{template "stepup" .}}.
type stepUp struct {
	Challenge string
	Method    string // totp, recovery or email
	EmailSent bool
	Error     string // the code field's error, in the reader's language
}

// errNoSecondFactor: the action needs a second factor and the user has
// none on.
var errNoSecondFactor = errors.New("web: two-factor authentication is off")

// approve runs the second-factor step of a form that asks for action on
// behalf of userID. It returns the step-up token once the posted code has
// passed; until then it returns "" and su for the page to ask (again): a
// new challenge is begun when the form carries none (or the old one has
// ended), an email code is sent when asked for, and a wrong code is
// reported on su. Errors: errNoSecondFactor, and the service's.
func (s *Site) approve(r *http.Request, vals url.Values, userID int64, action twofactor.Action) (token string, su stepUp, err error) {
	loc := s.Locale(r)
	ctx := r.Context()
	su = stepUp{Challenge: vals.Get("challenge"), Method: vals.Get("method")}
	if len(su.Challenge) > maxCookieToken {
		su.Challenge = ""
	}
	switch twofactor.Method(su.Method) {
	case twofactor.MethodTOTP, twofactor.MethodRecovery, twofactor.MethodEmail:
	default:
		su.Method = string(twofactor.MethodTOTP)
	}
	begin := func() error {
		id, err := s.twoFactor.Begin(ctx, userID, action)
		if errors.Is(err, twofactor.ErrNotEnabled) {
			return errNoSecondFactor
		}
		su.Challenge = id
		return err
	}
	if su.Challenge == "" {
		return "", su, begin()
	}
	if vals.Get("send_email") != "" {
		err := s.twoFactor.SendEmailCode(ctx, su.Challenge)
		if errors.Is(err, twofactor.ErrChallengeEnded) {
			if err := begin(); err != nil {
				return "", su, err
			}
			err = s.twoFactor.SendEmailCode(ctx, su.Challenge)
		}
		su.EmailSent, su.Method = err == nil, string(twofactor.MethodEmail)
		return "", su, err
	}
	code := vals.Get("code")
	if code == "" || len(code) > 64 {
		su.Error = loc.T("stepup.code.required")
		return "", su, nil
	}
	res, err := s.twoFactor.Verify(ctx, su.Challenge, twofactor.Method(su.Method), code, twofactor.Meta{IP: clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case errors.Is(err, twofactor.ErrWrongCode):
		su.Error = loc.T("form.code.wrong")
		return "", su, nil
	case errors.Is(err, twofactor.ErrChallengeEnded):
		su.Error = loc.T("stepup.ended")
		return "", su, begin()
	case err != nil:
		return "", su, err
	case res.UserID != userID:
		// A challenge of another user's, pasted into this form.
		su.Error = loc.T("stepup.ended")
		return "", su, begin()
	}
	return res.StepUpToken, su, nil
}

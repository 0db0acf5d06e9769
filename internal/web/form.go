package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/web/i18n"
)

// maxEcho bounds a value shown back in a form after an error.
const maxEcho = 320

// form is what a form page shows: the values typed (never a password),
// an error next to each field, and a summary above the form.
type form struct {
	Values  map[string]string
	Errors  map[string]string
	Summary string
}

func newForm() *form { return &form{Values: map[string]string{}, Errors: map[string]string{}} }

// keep remembers a typed value to show again, made valid UTF-8 and short.
func (f *form) keep(name, v string) {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if len(v) > maxEcho {
		v = ""
	}
	f.Values[name] = v
}

// postForm reads a posted form of at most maxFormBytes. A body that is too
// large or malformed reads as an empty form, which the page answers with
// its "required" errors.
func (s *Site) postForm(w http.ResponseWriter, r *http.Request) url.Values {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return url.Values{}
	}
	return r.PostForm
}

// fieldError puts err, when it is an *auth.ValidationError, next to its
// field in the reader's language, and reports whether it was one.
func (f *form) fieldError(loc *i18n.Locale, err error) bool {
	var ve *auth.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	f.Errors[ve.Field] = fieldMessage(loc, ve.Field, ve.Code)
	f.Summary = loc.T("form.summary")
	return true
}

func fieldMessage(loc *i18n.Locale, field, code string) string {
	switch field {
	case "email":
		switch code {
		case auth.CodeRequired:
			return loc.T("form.email.required")
		case auth.CodeTooLong:
			return loc.T("form.email.too_long")
		}
		return loc.T("form.email.invalid")
	case "password":
		switch code {
		case auth.CodeRequired:
			return loc.T("form.password.required")
		case auth.CodeTooShort:
			return loc.T("form.password.too_short")
		case auth.CodeTooLong:
			return loc.T("form.password.too_long")
		case auth.CodeCommon:
			return loc.T("form.password.common")
		}
		return loc.T("form.password.invalid")
	case "phone":
		return loc.T("form.phone.invalid")
	}
	return loc.T("form.invalid")
}

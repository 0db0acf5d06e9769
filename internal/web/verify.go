package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/web/i18n"
)

// verifyData is what verify.html shows: the form, and for a checked value
// the verdict with each reason in the reader's words.
type verifyData struct {
	Value    string
	Checked  bool
	Error    string
	Result   channels.Result
	Verdict  string
	Kind     string
	Reasons  []string
	Domains  []string
	Senders  []string
	Channels []hoursView // the published addresses and numbers, with their hours
	Zone     zoneNote
}

// verifyErrorKeys are the messages of the inputs Check cannot judge;
// verifyErrorCodes the API's codes for them.
var (
	verifyErrorKeys = map[error]string{
		channels.ErrEmpty:   "channels.verify.error.empty",
		channels.ErrTooLong: "channels.verify.error.too_long",
		channels.ErrFormat:  "channels.verify.error.format",
	}
	verifyErrorCodes = map[error]string{
		channels.ErrEmpty:   "value_missing",
		channels.ErrTooLong: "value_too_long",
		channels.ErrFormat:  "value_unrecognized",
	}
)

func verifyError(err error) (key, code string, ok bool) {
	for e, k := range verifyErrorKeys {
		if errors.Is(err, e) {
			return k, verifyErrorCodes[e], true
		}
	}
	return "", "", false
}

// reasonKeys, verdictKeys and inputKeys name what Check says.
var (
	reasonKeys = map[string]string{
		channels.ReasonPunycode:        "channels.reason.punycode",
		channels.ReasonPunycodeInvalid: "channels.reason.punycode_invalid",
		channels.ReasonConfusable:      "channels.reason.confusable",
		channels.ReasonLookalike:       "channels.reason.lookalike",
		channels.ReasonTypo:            "channels.reason.typo",
		channels.ReasonExtraWords:      "channels.reason.extra_words",
		channels.ReasonWrongTLD:        "channels.reason.wrong_tld",
		channels.ReasonSubdomain:       "channels.reason.subdomain_trick",
		channels.ReasonHTTP:            "channels.reason.http",
		channels.ReasonScheme:          "channels.reason.scheme",
		channels.ReasonAtInURL:         "channels.reason.at_in_url",
		channels.ReasonIPHost:          "channels.reason.ip_host",
		channels.ReasonUnlisted:        "channels.reason.unlisted_address",
		channels.ReasonSender:          "channels.reason.sender_address",
		channels.ReasonUnknownNumber:   "channels.reason.unknown_number",
		channels.ReasonSimilarNumber:   "channels.reason.similar_number",
		channels.ReasonInternational:   "channels.reason.international",
	}
	verdictKeys = map[channels.Verdict]string{
		channels.Official:   "channels.verdict.official",
		channels.Caution:    "channels.verdict.caution",
		channels.Suspicious: "channels.verdict.suspicious",
		channels.Unknown:    "channels.verdict.unknown",
	}
	inputKeys = map[channels.InputKind]string{
		channels.InputEmail:  "channels.input.email",
		channels.InputDomain: "channels.input.domain",
		channels.InputURL:    "channels.input.url",
		channels.InputPhone:  "channels.input.phone",
	}
)

// reasonText writes one reason the visitor is shown.
func reasonText(loc *i18n.Locale, r channels.Result, x channels.Reason) string {
	key, ok := reasonKeys[x.Code]
	if !ok {
		return x.Code + " " + x.Detail
	}
	return loc.T(key, "detail", x.Detail, "official", r.Official)
}

func verdictText(loc *i18n.Locale, r channels.Result) string {
	return loc.T(verdictKeys[r.Verdict], "value", r.Input)
}

func (s *Site) verifyPage(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	zone, src := s.visitorZone(r)
	d := verifyData{Domains: s.channels.Domains(), Senders: s.channels.Senders(), Zone: s.zoneNote(zone, src)}
	for _, c := range s.channels.Channels() {
		if !c.IsPath() {
			d.Channels = append(d.Channels, s.channelHours(loc, c, zone))
		}
	}
	status := http.StatusOK
	if q := r.URL.Query(); q.Has("value") {
		d.Value, d.Checked = q.Get("value"), true
		if len(d.Value) > maxEcho {
			d.Value = d.Value[:maxEcho]
		}
		d.Value = strings.ToValidUTF8(d.Value, "\uFFFD")
		res, err := s.channels.Check(q.Get("value"))
		if err != nil {
			key, _, ok := verifyError(err)
			if !ok {
				s.ServerError(w, r, err)
				return
			}
			d.Error, status = loc.T(key), http.StatusUnprocessableEntity
		} else {
			d.Result, d.Verdict, d.Kind = res, verdictText(loc, res), loc.T(inputKeys[res.Kind])
			for _, x := range res.Reasons {
				d.Reasons = append(d.Reasons, reasonText(loc, res, x))
			}
		}
	}
	s.Render(w, r, status, "verify", d)
}

// verifyJSON is GET /v1/verify's answer.
type verifyJSON struct {
	Value    string         `json:"value"`
	Kind     string         `json:"kind"`
	Verdict  string         `json:"verdict"`
	Official bool           `json:"official"`
	Message  string         `json:"message"`
	Host     string         `json:"host,omitempty"`
	Unicode  string         `json:"unicode,omitempty"`
	Imitates string         `json:"imitates,omitempty"`
	Channel  *verifyChannel `json:"channel,omitempty"`
	Reasons  []verifyReason `json:"reasons"`
}

type verifyChannel struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Language string `json:"language,omitempty"`
}

type verifyReason struct {
	Code    string `json:"code"`
	Detail  string `json:"detail,omitempty"`
	Message string `json:"message"`
}

// apiError is the API's error shape.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// verifyAPI answers GET /v1/verify?value=… with the check as JSON, its
// messages in the caller's language (Accept-Language, else zh-CN).
func (s *Site) verifyAPI(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	res, err := s.channels.Check(r.URL.Query().Get("value"))
	if err != nil {
		key, code, ok := verifyError(err)
		if !ok {
			s.log.ErrorContext(r.Context(), "web: verify", "err", err)
			writeJSON(w, http.StatusInternalServerError, apiError{apiErrorBody{Type: httpapi.TypeAPI, Code: httpapi.CodeInternal, Message: loc.T("channels.api.internal")}})
			return
		}
		writeJSON(w, http.StatusBadRequest, apiError{apiErrorBody{Type: "invalid_request_error", Code: code, Message: loc.T(key), Param: "value"}})
		return
	}
	out := verifyJSON{Value: res.Input, Kind: string(res.Kind), Verdict: string(res.Verdict), Official: res.Verdict == channels.Official,
		Message: verdictText(loc, res), Host: res.Host, Unicode: res.Unicode, Reasons: []verifyReason{}}
	if res.Verdict == channels.Suspicious {
		out.Imitates = res.Official
	}
	if res.HasChannel {
		out.Channel = &verifyChannel{ID: res.Channel.ID, Kind: string(res.Channel.Kind), Value: res.Channel.Value, Language: res.Channel.Language}
	}
	for _, x := range res.Reasons {
		out.Reasons = append(out.Reasons, verifyReason{Code: x.Code, Detail: x.Detail, Message: reasonText(loc, res, x)})
	}
	writeJSON(w, http.StatusOK, out)
}

// RegisterAPI documents GET /v1/verify, which the site serves without a
// key (in the reader's language), in the API's registry, with its codes,
// so /v1/openapi.json and /docs/api describe every /v1 route.
func (s *Site) RegisterAPI(reg *httpapi.Registry) {
	if s.channels == nil {
		return
	}
	reg.Codes(
		httpapi.ErrorCode{Code: "value_missing", Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`value` is empty: give the address, domain, link or phone number to check."},
		httpapi.ErrorCode{Code: "value_too_long", Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`value` is longer than any address, link or number we publish."},
		httpapi.ErrorCode{Code: "value_unrecognized", Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`value` is not an email address, domain, link or phone number."},
	)
	text := func(doc string) *httpapi.Schema { return httpapi.String(doc) }
	reg.Add(httpapi.Route{
		Method: http.MethodGet, Path: "/v1/verify", OperationID: "verifyChannel", Tag: "Official channels",
		Summary: "Check whether an address, domain, link or phone number is an official OKPay channel",
		Doc: "Public: needs no key. Answers in the language of `Accept-Language` (zh-CN or en). A value that is not " +
			"official but looks like one is `suspicious`, with the reasons (look-alike characters, punycode, extra words, " +
			"another ending, plain http ...).",
		Params: []httpapi.Param{{Name: "value", In: "query", Required: true, Doc: "What to check.", Schema: text("")}},
		Errors: []string{"value_missing", "value_too_long", "value_unrecognized"},
		Response: httpapi.Object("The verdict.", map[string]*httpapi.Schema{
			"value":    text("The value as checked."),
			"kind":     text("email, domain, url or phone."),
			"verdict":  httpapi.Enum("official, suspicious or unknown.", string(channels.Official), string(channels.Suspicious), string(channels.Unknown)),
			"official": httpapi.Boolean("Whether it is an official channel."),
			"message":  text("The verdict in words."),
			"host":     text("The host name checked (domains, links, email addresses)."),
			"unicode":  text("The host with punycode decoded."),
			"imitates": text("The official name a suspicious value looks like."),
			"channel": httpapi.Object("The official channel it is.", map[string]*httpapi.Schema{
				"id": text(""), "kind": text(""), "value": text(""), "language": text(""),
			}, "language"),
			"reasons": httpapi.Array("Why it looks like, but is not, ours.", httpapi.Object("A reason.", map[string]*httpapi.Schema{
				"code": text("A stable name of the reason."), "detail": text("What exactly (a character, a word)."), "message": text("The reason in words."),
			}, "detail")),
		}, "host", "unicode", "imitates", "channel"),
		ServedBy: "web",
	})
}

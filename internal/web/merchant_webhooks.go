package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/okpay/okpay/internal/webhook"
)

// ErrNoMerchant is what a WebhookMerchants answers for a user who acts for
// no merchant.
var ErrNoMerchant = errors.New("web: the user acts for no merchant")

// WebhookMerchants tells the webhook pages which merchant a signed-in user
// acts for; the merchant package satisfies it (cmd/okpay wires it).
type WebhookMerchants interface {
	// WebhookAccess reports whether userID, a member of the merchant, may
	// change its endpoints (owner, developer) rather than only read them
	// and the delivery log (viewer). Errors: ErrNoMerchant (not a member).
	// merchantID is the one the page's path names.
	WebhookAccess(ctx context.Context, userID int64, merchantID string) (canEdit bool, err error)
}

// webhookRoutes are the merchant's webhook pages: endpoints, the delivery
// log, and one delivery with its attempts.
func (s *Site) webhookRoutes() []route {
	return []route{
		{"GET /merchant/{mid}/webhooks", s.requireUser(s.webhooksPage)},
		{"POST /merchant/{mid}/webhooks", s.requireUser(s.webhookCreate)},
		{"POST /merchant/{mid}/webhooks/{id}/events", s.requireUser(s.webhookEvents)},
		{"POST /merchant/{mid}/webhooks/{id}/disable", s.requireUser(s.webhookDisable)},
		{"POST /merchant/{mid}/webhooks/{id}/enable", s.requireUser(s.webhookEnable)},
		{"POST /merchant/{mid}/webhooks/{id}/rotate", s.requireUser(s.webhookRotate)},
		{"GET /merchant/{mid}/webhooks/deliveries/{id}", s.requireUser(s.webhookDelivery)},
		{"POST /merchant/{mid}/webhooks/deliveries/{id}/resend", s.requireUser(s.webhookResend)},
	}
}

// webhookErrorKeys are the messages of the service's refusals.
var webhookErrorKeys = []struct {
	err error
	key string
}{
	{err: webhook.ErrInvalidURL, key: "webhooks.error.url"},
	{err: webhook.ErrInsecureURL, key: "webhooks.error.https"},
	{err: webhook.ErrForbiddenAddress, key: "webhooks.error.private"},
	{err: webhook.ErrUnresolvable, key: "webhooks.error.resolve"},
	{err: webhook.ErrInvalidEvents, key: "webhooks.error.events"},
	{err: webhook.ErrInvalidDescription, key: "webhooks.error.description"},
	{err: webhook.ErrTooManyEndpoints, key: "webhooks.error.too_many"},
	{err: webhook.ErrDisabled, key: "webhooks.error.disabled"},
	{err: webhook.ErrConflict, key: "webhooks.error.conflict"},
}

func webhookErrorKey(err error) (string, bool) {
	for _, e := range webhookErrorKeys {
		if errors.Is(err, e.err) {
			return e.key, true
		}
	}
	return "", false
}

// webhooksData is what merchant_webhooks.html shows.
type webhooksData struct {
	Owner      webhook.Owner
	Mode       webhook.Mode
	CanEdit    bool
	Endpoints  []webhook.Endpoint
	Deliveries []webhook.Delivery
	EventTypes []string
	Form       *form
	// Selected are the event types ticked in the new-endpoint form.
	Selected map[string]bool
	// Secret is shown once, right after it was made, for SecretFor.
	Secret    string
	SecretFor string
	Rotated   bool
	Overlap   string
	Notice    string
	Error     string
	// Now tells which endpoints are in a rotation overlap.
	Now time.Time
	// OverlapHours is how long a replaced secret keeps signing.
	OverlapHours string
}

// webhookOwner is the merchant the reader acts for, in the mode the
// request names (test unless "live"); ok false when the reader acts for
// none, or wants to change something while only allowed to read, and the
// 403 page was sent.
func (s *Site) webhookOwner(w http.ResponseWriter, r *http.Request, si *signedIn, mode string, change bool) (webhook.Owner, bool, bool) {
	id := r.PathValue("mid")
	canEdit, err := s.webhookMerchants.WebhookAccess(r.Context(), si.user.ID, id)
	switch {
	case errors.Is(err, ErrNoMerchant):
		s.Forbidden(w, r)
		return webhook.Owner{}, false, false
	case err != nil:
		s.ServerError(w, r, err)
		return webhook.Owner{}, false, false
	case change && !canEdit:
		s.Forbidden(w, r)
		return webhook.Owner{}, false, false
	}
	o := webhook.Owner{Merchant: id, Mode: webhook.ModeTest}
	if mode == string(webhook.ModeLive) {
		o.Mode = webhook.ModeLive
	}
	return o, canEdit, true
}

// Has reports whether e selected exactly type t (AllEvents included), for
// ticking the boxes of its event form.
func (webhooksData) Has(e webhook.Endpoint, t string) bool { return slices.Contains(e.Events, t) }

func webhooksURL(o webhook.Owner, done string) string {
	v := url.Values{"mode": {string(o.Mode)}}
	if done != "" {
		v.Set("done", done)
	}
	return webhooksBase(o.Merchant) + "?" + v.Encode()
}

// webhooksBase is the path of a merchant's webhook pages.
func webhooksBase(merchantID string) string {
	return "/merchant/" + url.PathEscape(merchantID) + "/webhooks"
}

// Base is the path of the merchant's webhook pages, for the templates.
func (d webhooksData) Base() string { return webhooksBase(d.Owner.Merchant) }

// Base is the path of the merchant's webhook pages, for the templates.
func (d webhookDeliveryData) Base() string { return webhooksBase(d.Delivery.Owner.Merchant) }

// webhookNoticeKeys are the confirmations shown after a redirect.
var webhookNoticeKeys = map[string]string{
	"disabled": "webhooks.done.disabled",
	"enabled":  "webhooks.done.enabled",
	"events":   "webhooks.done.events",
}

// webhooksPage lists the endpoints of the mode and the latest deliveries.
func (s *Site) webhooksPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	owner, canEdit, ok := s.webhookOwner(w, r, si, r.URL.Query().Get("mode"), false)
	if !ok {
		return
	}
	d := webhooksData{Form: newForm(), Selected: map[string]bool{}}
	if key, ok := webhookNoticeKeys[r.URL.Query().Get("done")]; ok {
		d.Notice = s.Locale(r).T(key)
	}
	s.renderWebhooks(w, r, owner, canEdit, http.StatusOK, d)
}

func (s *Site) renderWebhooks(w http.ResponseWriter, r *http.Request, owner webhook.Owner, canEdit bool, status int, d webhooksData) {
	var err error
	if d.Endpoints, err = s.webhooks.Endpoints(r.Context(), owner); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if d.Deliveries, err = s.webhooks.Deliveries(r.Context(), owner, webhook.DeliveryFilter{Limit: 50}); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Owner, d.Mode, d.CanEdit, d.Now = owner, owner.Mode, canEdit, s.now()
	d.OverlapHours = strconv.FormatFloat(s.webhooks.RotationOverlap().Hours(), 'f', -1, 64)
	d.EventTypes = append([]string{webhook.AllEvents}, webhook.EventTypes...)
	s.Render(w, r, status, "merchant_webhooks", d)
}

// webhookCreate adds an endpoint and shows its secret, once.
func (s *Site) webhookCreate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	owner, _, ok := s.webhookOwner(w, r, si, vals.Get("mode"), true)
	if !ok {
		return
	}
	d := webhooksData{Form: newForm(), Selected: map[string]bool{}}
	d.Form.keep("url", vals.Get("url"))
	d.Form.keep("description", vals.Get("description"))
	for _, t := range vals["events"] {
		d.Selected[t] = true
	}
	e, secret, err := s.webhooks.CreateEndpoint(r.Context(), owner, webhook.EndpointInput{
		URL: vals.Get("url"), Description: vals.Get("description"), Events: vals["events"]})
	if key, known := webhookErrorKey(err); known {
		loc := s.Locale(r)
		d.Error = loc.T(key)
		// Next to the field it is about, too.
		switch {
		case errors.Is(err, webhook.ErrInvalidEvents):
			d.Form.Errors["events"] = d.Error
		case errors.Is(err, webhook.ErrInvalidDescription):
			d.Form.Errors["description"] = d.Error
		case errors.Is(err, webhook.ErrTooManyEndpoints):
		default:
			d.Form.Errors["url"] = d.Error
		}
		s.renderWebhooks(w, r, owner, true, http.StatusUnprocessableEntity, d)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	s.renderWebhooks(w, r, owner, true, http.StatusOK, webhooksData{Form: newForm(), Selected: map[string]bool{},
		Secret: secret, SecretFor: e.ID, Notice: s.Locale(r).T("webhooks.done.created")})
}

// webhookChange runs one change of an endpoint posted to
// /merchant/webhooks/{id}/...; a refusal is shown on the page.
func (s *Site) webhookChange(w http.ResponseWriter, r *http.Request, si *signedIn, done string, fn func(context.Context, webhook.Owner, string, url.Values) error) {
	vals := s.postForm(w, r)
	owner, _, ok := s.webhookOwner(w, r, si, vals.Get("mode"), true)
	if !ok {
		return
	}
	err := fn(r.Context(), owner, r.PathValue("id"), vals)
	if errors.Is(err, webhook.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if key, known := webhookErrorKey(err); known {
		s.renderWebhooks(w, r, owner, true, http.StatusUnprocessableEntity, webhooksData{Form: newForm(), Selected: map[string]bool{}, Error: s.Locale(r).T(key)})
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, webhooksURL(owner, done), http.StatusSeeOther)
}

func (s *Site) webhookEvents(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.webhookChange(w, r, si, "events", func(ctx context.Context, o webhook.Owner, id string, vals url.Values) error {
		events := vals["events"]
		if events == nil {
			events = []string{} // none ticked: refused, not "unchanged"
		}
		_, err := s.webhooks.UpdateEndpoint(ctx, o, id, webhook.EndpointUpdate{Events: events})
		return err
	})
}

func (s *Site) webhookDisable(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.webhookChange(w, r, si, "disabled", func(ctx context.Context, o webhook.Owner, id string, _ url.Values) error {
		_, err := s.webhooks.Disable(ctx, o, id)
		return err
	})
}

func (s *Site) webhookEnable(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.webhookChange(w, r, si, "enabled", func(ctx context.Context, o webhook.Owner, id string, _ url.Values) error {
		_, err := s.webhooks.Enable(ctx, o, id)
		return err
	})
}

// webhookRotate gives an endpoint a new secret, shown once; the old one
// keeps signing for the configured overlap, or not at all when the form
// says "now".
func (s *Site) webhookRotate(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	owner, _, ok := s.webhookOwner(w, r, si, vals.Get("mode"), true)
	if !ok {
		return
	}
	overlap := time.Duration(-1) // the configured overlap
	if vals.Get("overlap") == "none" {
		overlap = 0
	}
	e, secret, err := s.webhooks.RotateSecret(r.Context(), owner, r.PathValue("id"), overlap)
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		if key, known := webhookErrorKey(err); known {
			s.renderWebhooks(w, r, owner, true, http.StatusUnprocessableEntity, webhooksData{Form: newForm(), Selected: map[string]bool{}, Error: s.Locale(r).T(key)})
			return
		}
		s.ServerError(w, r, err)
		return
	}
	d := webhooksData{Form: newForm(), Selected: map[string]bool{}, Secret: secret, SecretFor: e.ID, Rotated: true}
	loc := s.Locale(r)
	if e.Rotating(s.now()) {
		d.Notice = loc.T("webhooks.done.rotated", "until", loc.DateTime(e.PreviousUntil.In(s.tz)))
	} else {
		d.Notice = loc.T("webhooks.done.rotated_now")
	}
	s.renderWebhooks(w, r, owner, true, http.StatusOK, d)
}

// webhookDeliveryData is what merchant_webhook_delivery.html shows.
type webhookDeliveryData struct {
	Delivery webhook.Delivery
	Attempts []webhook.Attempt
	Endpoint webhook.Endpoint
	// Payload is the event's JSON, indented.
	Payload string
	CanEdit bool
	Notice  string
	Error   string
}

func (s *Site) webhookDelivery(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.renderWebhookDelivery(w, r, si, r.URL.Query().Get("mode"), http.StatusOK, "")
}

func (s *Site) renderWebhookDelivery(w http.ResponseWriter, r *http.Request, si *signedIn, mode string, status int, errKey string) {
	owner, canEdit, ok := s.webhookOwner(w, r, si, mode, false)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.NotFound(w, r)
		return
	}
	d := webhookDeliveryData{CanEdit: canEdit}
	d.Delivery, d.Attempts, err = s.webhooks.Delivery(r.Context(), owner, id)
	if errors.Is(err, webhook.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	ev, err := s.webhooks.Event(r.Context(), owner, d.Delivery.EventID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, ev.Payload, "", "  ") == nil {
		d.Payload = buf.String()
	} else {
		d.Payload = string(ev.Payload)
	}
	if d.Endpoint, err = s.webhooks.Endpoint(r.Context(), owner, d.Delivery.EndpointID); err != nil {
		s.ServerError(w, r, err)
		return
	}
	for i := range d.Attempts {
		d.Attempts[i].Duration = d.Attempts[i].Duration.Round(time.Millisecond)
	}
	if r.URL.Query().Get("done") == "resent" {
		d.Notice = s.Locale(r).T("webhooks.done.resent")
	}
	if errKey != "" {
		d.Error = s.Locale(r).T(errKey)
	}
	s.Render(w, r, status, "merchant_webhook_delivery", d)
}

// webhookResend queues the delivery's event again as a new delivery and
// shows that one.
func (s *Site) webhookResend(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	owner, _, ok := s.webhookOwner(w, r, si, vals.Get("mode"), true)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.NotFound(w, r)
		return
	}
	nd, err := s.webhooks.Resend(r.Context(), owner, id)
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		s.NotFound(w, r)
		return
	case errors.Is(err, webhook.ErrDisabled):
		s.renderWebhookDelivery(w, r, si, string(owner.Mode), http.StatusUnprocessableEntity, "webhooks.error.disabled")
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, webhooksBase(owner.Merchant)+"/deliveries/"+strconv.FormatInt(nd.ID, 10)+"?"+
		url.Values{"mode": {string(owner.Mode)}, "done": {"resent"}}.Encode(), http.StatusSeeOther)
}

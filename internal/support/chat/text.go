package chat

import (
	"strconv"
	"sync"

	"github.com/okpay/okpay/internal/web/i18n"
)

var (
	catOnce sync.Once
	catalog *i18n.Catalogue
	catErr  error
)

// locale returns the catalogue's locale for lang (Chinese when unknown).
// The chat's texts live in the catalogue area "chat".
func locale(lang string) (*i18n.Locale, error) {
	catOnce.Do(func() { catalog, catErr = i18n.Load() })
	if catErr != nil {
		return nil, catErr
	}
	if l, ok := catalog.Lookup(lang); ok {
		return l, nil
	}
	return catalog.Default(), nil
}

// EventText says in l's words what a system message of chat c records.
func EventText(l *i18n.Locale, c Chat, m Message) string {
	n := strconv.FormatInt(c.TicketNumber, 10)
	switch m.Event {
	case EventWaiting:
		return l.T("chat.event.waiting")
	case EventJoined:
		return l.T("chat.event.joined")
	case EventEnded:
		if m.Detail == string(KindAgent) {
			return l.T("chat.event.ended_agent")
		}
		return l.T("chat.event.ended_customer")
	case EventQueued:
		if m.Detail == ReasonHours {
			return l.T("chat.event.queued_hours", "number", n)
		}
		return l.T("chat.event.queued_agents", "number", n)
	case EventTranscript:
		return l.T("chat.event.transcript")
	}
	return m.Event
}

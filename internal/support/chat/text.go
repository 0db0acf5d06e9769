package chat

import (
	"strconv"

	"github.com/okpay/okpay/internal/web/i18n"
)

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

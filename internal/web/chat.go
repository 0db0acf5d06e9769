package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/support/chat"
	"github.com/okpay/okpay/internal/web/i18n"
)

// chatRoutes are live chat's pages (SUP-3): the customer's panel at
// /support/chat, the agents' at /agent/chats, and the WebSocket both
// speak (chat_socket.go). Starting, ending and mailing the transcript are
// plain forms; the conversation itself needs JavaScript (static/chat.js).
func (s *Site) chatRoutes() []route {
	return []route{
		{"GET /support/chat", s.requireUser(s.chatPage)},
		{"POST /support/chat", s.requireUser(s.chatStart)},
		{"POST /support/chat/{id}/end", s.requireUser(s.chatEnd)},
		{"POST /support/chat/{id}/transcript", s.requireUser(s.chatTranscript)},
		{"GET /chat/ws", s.chatSocket},
		{"GET /agent/chats", s.requireUser(s.agentChats)},
		{"GET /agent/chats/ws", s.agentChatsSocket},
		{"GET /agent/chats/{id}", s.requireUser(s.agentChat)},
		{"POST /agent/chats/{id}/take", s.requireUser(s.agentChatTake)},
		{"POST /agent/chats/{id}/end", s.requireUser(s.chatEnd)},
		{"POST /agent/chats/{id}/transcript", s.requireUser(s.chatTranscript)},
	}
}

// chatErrorKeys are the messages of the chat's refusals.
var chatErrorKeys = map[error]string{
	chat.ErrEmpty:       "chat.error.empty",
	chat.ErrTooLong:     "chat.error.too_long",
	chat.ErrState:       "chat.error.state",
	chat.ErrRateLimited: "chat.error.rate",
}

// chatErrorText says err in the reader's words, or reports false for an
// unexpected error.
func chatErrorText(loc *i18n.Locale, err error) (string, bool) {
	for e, key := range chatErrorKeys {
		if errors.Is(err, e) {
			return loc.T(key, "max", chat.MaxLen), true
		}
	}
	return "", false
}

// chatLine is one message as the panel shows it, in the page and on the
// socket (the same fields, so chat.js draws both alike).
type chatLine struct {
	T      string `json:"t"` // "msg"
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Mine   bool   `json:"mine"`
	Who    string `json:"who"`
	Text   string `json:"text"`
	At     string `json:"at"`
	Masked bool   `json:"masked,omitempty"`
	CID    string `json:"cid,omitempty"`
}

// chatState is the chat's state as a reader sees it.
type chatState struct {
	T      string `json:"t"` // "state"
	Status string `json:"status"`
	Label  string `json:"label"`
	Open   bool   `json:"open"`
	Typing bool   `json:"typing"`
}

func (s *Site) chatLine(loc *i18n.Locale, a auth.Actor, c chat.Chat, m chat.Message) chatLine {
	l := chatLine{T: "msg", Seq: m.Seq, Kind: string(m.Kind), Mine: m.AuthorID == a.UserID && m.Kind != chat.KindSystem,
		Text: m.Body, At: m.CreatedAt.In(s.tz).Format("15:04"), CID: m.ClientID}
	switch m.Kind {
	case chat.KindCustomer:
		l.Who = loc.T("chat.who.customer")
	case chat.KindAgent:
		l.Who = loc.T("chat.who.agent")
	default:
		l.Text = chat.EventText(loc, c, m)
		if m.Event == chat.EventWaiting && c.CustomerID != a.UserID {
			l.Text = loc.T("chat.event.waiting_staff") // the customer's words are not for the agent
		}
	}
	if l.Mine {
		l.Who = loc.T("chat.who.me")
		l.Masked = m.Findings != 0
	}
	return l
}

func chatStateOf(loc *i18n.Locale, v chat.View) chatState {
	st := chatState{T: "state", Status: string(v.Chat.Status), Open: v.Chat.Status.Open(), Typing: v.OtherTyping}
	customer := v.Side == chat.KindCustomer
	switch v.Chat.Status {
	case chat.StatusWaiting:
		st.Label = loc.T("chat.status.waiting")
		if !customer {
			st.Label = loc.T("chat.status.waiting_staff")
		}
	case chat.StatusActive:
		st.Label = loc.T("chat.status.active")
		if !customer {
			st.Label = loc.T("chat.status.active_staff")
		}
	case chat.StatusEnded:
		st.Label = loc.T("chat.status.ended")
	case chat.StatusTicket:
		st.Label = loc.T("chat.status.ticket", "number", v.Chat.TicketNumber)
	}
	return st
}

// chatPageData is what chat.html shows, to the customer or to an agent.
type chatPageData struct {
	Agent    bool // the agents' view
	Chat     *chat.Chat
	Lines    []chatLine
	State    chatState
	LastSeq  int64
	CanWrite bool
	// Avail: whether a new chat would reach an agent (customer view).
	Avail  chat.Availability
	Masked bool
	Queued string // why the chat went to the ticket queue, in words
	Notice string
	Error  string
	Body   string
	// StartID names the start form's message, so a double submit
	// stores it once.
	StartID string
}

func chatID(r *http.Request) int64 {
	n, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return n
}

// chatView loads a chat for the panel: all its messages as lines.
func (s *Site) chatView(r *http.Request, a auth.Actor, id int64) (chatPageData, error) {
	loc := s.Locale(r)
	v, err := s.chat.Since(r.Context(), a, id, 0)
	if err != nil {
		return chatPageData{}, err
	}
	d := chatPageData{Chat: &v.Chat, State: chatStateOf(loc, v), LastSeq: v.Chat.LastSeq, CanWrite: v.Side != "" && v.Chat.Status.Open()}
	for _, m := range v.Messages {
		d.Lines = append(d.Lines, s.chatLine(loc, a, v.Chat, m))
		if m.Kind == chat.KindSystem && m.Event == chat.EventQueued {
			d.Queued = chat.EventText(loc, v.Chat, m)
		}
		d.LastSeq = max(d.LastSeq, m.Seq)
	}
	return d, nil
}

// chatPage is the customer's panel: their current (or last) chat, and
// the form to start one when none is going.
func (s *Site) chatPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.renderChatPage(w, r, si, http.StatusOK, chatPageData{})
}

func (s *Site) renderChatPage(w http.ResponseWriter, r *http.Request, si *signedIn, status int, base chatPageData) {
	a := actor(si)
	loc := s.Locale(r)
	d := base
	c, err := s.chat.Current(r.Context(), a)
	switch {
	case errors.Is(err, chat.ErrNotFound):
	case err != nil:
		s.ServerError(w, r, err)
		return
	default:
		if c.Status == chat.StatusWaiting {
			// Left waiting while every agent went away: it becomes a
			// ticket now rather than wait for nobody.
			if _, err := s.chat.Requeue(r.Context(), c.ID); err != nil {
				s.ServerError(w, r, err)
				return
			}
		}
		v, err := s.chatView(r, a, c.ID)
		if err != nil {
			s.ServerError(w, r, err)
			return
		}
		v.Notice, v.Error, v.Body, v.Masked = base.Notice, base.Error, base.Body, base.Masked
		d = v
	}
	d.StartID = newFormKey()
	if d.Avail, err = s.chat.Available(r.Context()); err != nil {
		s.ServerError(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "transcript":
		d.Notice = loc.T("chat.transcript.sent")
	case "masked":
		d.Masked = true
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "chat", d)
}

// chatStart starts a chat (or adds to the one going) with the form's
// first message.
func (s *Site) chatStart(w http.ResponseWriter, r *http.Request, si *signedIn) {
	vals := s.postForm(w, r)
	body := vals.Get("body")
	st, err := s.chat.Start(r.Context(), actor(si), body, vals.Get("cid"))
	if err != nil {
		msg, ok := chatErrorText(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		s.renderChatPage(w, r, si, http.StatusUnprocessableEntity, chatPageData{Error: msg, Body: body})
		return
	}
	next := "/support/chat"
	if st.Findings != 0 {
		next += "?done=masked"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// chatBack is where a chat form returns: the agent's panel or the
// customer's.
func chatBack(r *http.Request, id int64) string {
	if strings.HasPrefix(r.URL.Path, "/agent/") {
		return "/agent/chats/" + strconv.FormatInt(id, 10)
	}
	return "/support/chat"
}

// chatEnd ends a chat, from either side's panel.
func (s *Site) chatEnd(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	id := chatID(r)
	if err := s.chat.End(r.Context(), actor(si), id); err != nil {
		s.chatFormError(w, r, err)
		return
	}
	http.Redirect(w, r, chatBack(r, id), http.StatusSeeOther)
}

// chatTranscript mails the transcript to the customer's address.
func (s *Site) chatTranscript(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	id := chatID(r)
	if err := s.chat.Transcript(r.Context(), actor(si), id); err != nil {
		s.chatFormError(w, r, err)
		return
	}
	http.Redirect(w, r, chatBack(r, id)+"?done=transcript", http.StatusSeeOther)
}

// chatFormError answers a refused chat form.
func (s *Site) chatFormError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, chat.ErrNotFound):
		s.NotFound(w, r)
	case errors.Is(err, chat.ErrForbidden):
		s.Forbidden(w, r)
	default:
		msg, ok := chatErrorText(s.Locale(r), err)
		if !ok {
			s.ServerError(w, r, err)
			return
		}
		si := currentUser(r)
		if strings.HasPrefix(r.URL.Path, "/agent/") {
			s.renderAgentChat(w, r, si, http.StatusConflict, chatPageData{Error: msg})
			return
		}
		s.renderChatPage(w, r, si, http.StatusConflict, chatPageData{Error: msg})
	}
}

// agentChatsData is what agent_chats.html shows.
type agentChatsData struct {
	Waiting []chat.Chat
	Mine    []chat.Chat
	Error   string
}

// agentChats is the agents' chat console: the chats waiting for an
// agent (kept current by the socket, which also keeps the agent online)
// and the agent's own.
func (s *Site) agentChats(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.renderAgentChats(w, r, si, http.StatusOK, "")
}

func (s *Site) renderAgentChats(w http.ResponseWriter, r *http.Request, si *signedIn, status int, msg string) {
	a := actor(si)
	if !chat.IsStaff(a) {
		s.Forbidden(w, r)
		return
	}
	var d agentChatsData
	var err error
	if d.Waiting, err = s.chat.Waiting(r.Context(), a); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if d.Mine, err = s.chat.Mine(r.Context(), a); err != nil {
		s.ServerError(w, r, err)
		return
	}
	// Opening the console makes the agent available at once; the socket
	// keeps it so while the page is open.
	if err := s.chat.Online(r.Context(), a); err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Error = msg
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "agent_chats", d)
}

// agentChatTake gives a waiting chat to the agent and opens it.
func (s *Site) agentChatTake(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.postForm(w, r)
	id := chatID(r)
	_, err := s.chat.Take(r.Context(), actor(si), id)
	switch {
	case err == nil:
		http.Redirect(w, r, "/agent/chats/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case errors.Is(err, chat.ErrForbidden):
		s.Forbidden(w, r)
	case errors.Is(err, chat.ErrNotFound):
		s.NotFound(w, r)
	case errors.Is(err, chat.ErrState):
		s.renderAgentChats(w, r, si, http.StatusConflict, s.Locale(r).T("chat.agent.taken"))
	default:
		s.ServerError(w, r, err)
	}
}

// agentChat is an agent's panel on one chat.
func (s *Site) agentChat(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d := chatPageData{}
	if r.URL.Query().Get("done") == "transcript" {
		d.Notice = s.Locale(r).T("chat.transcript.sent_agent")
	}
	s.renderAgentChat(w, r, si, http.StatusOK, d)
}

func (s *Site) renderAgentChat(w http.ResponseWriter, r *http.Request, si *signedIn, status int, base chatPageData) {
	a := actor(si)
	if !chat.IsStaff(a) {
		s.Forbidden(w, r)
		return
	}
	d, err := s.chatView(r, a, chatID(r))
	switch {
	case errors.Is(err, chat.ErrNotFound):
		s.NotFound(w, r)
		return
	case err != nil:
		s.ServerError(w, r, err)
		return
	}
	d.Agent, d.Notice, d.Error = true, base.Notice, base.Error
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "chat", d)
}

// chatSocketURL is the path of a chat's socket.
func chatSocketURL(id int64) string {
	return "/chat/ws?" + url.Values{"chat": {strconv.FormatInt(id, 10)}}.Encode()
}

// SocketURL is the chat's socket path, for the page's data attribute.
func (d chatPageData) SocketURL() string {
	if d.Chat == nil {
		return ""
	}
	return chatSocketURL(d.Chat.ID)
}

// ChatOn reports whether live chat is served, for links to it.
func (p *Page) ChatOn() bool { return p.site.chat != nil }

// chatTextKeys are the texts internal/support/chat and the desk's chat
// hooks write in the reader's language (system lines, the transcript
// mail, the ticket's subject); listed here so the catalogue check sees
// them used.
var chatTextKeys = map[string]string{
	"event.waiting":       "chat.event.waiting",
	"event.joined":        "chat.event.joined",
	"event.ended_agent":   "chat.event.ended_agent",
	"event.ended_cust":    "chat.event.ended_customer",
	"event.queued_agents": "chat.event.queued_agents",
	"event.queued_hours":  "chat.event.queued_hours",
	"event.transcript":    "chat.event.transcript",
	"ticket.subject":      "chat.ticket.subject",
	"transcript.head":     "chat.transcript.head",
	"transcript.recorded": "chat.transcript.recorded",
	"transcript.reminder": "chat.transcript.reminder",
}

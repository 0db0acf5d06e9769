package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/support/chat"
)

// chatPoll is how often a socket reads the database even without a
// signal: the fallback that makes a lost NOTIFY (or a node's listener
// reconnecting) cost a moment, never a message.
const chatPoll = 2 * time.Second

// chatWriteTimeout bounds one frame's write to a slow or gone client.
const chatWriteTimeout = 10 * time.Second

// chatRecheck is how often an open socket checks that its session still
// exists: signing out (here or from another device) or the session's
// expiry closes the socket within it.
const chatRecheck = time.Minute

// statusSignedOut closes a socket whose session ended; chat.js then
// reloads the page (which asks to sign in) instead of reconnecting.
const statusSignedOut websocket.StatusCode = 4001

// signedOut reports whether si's session has ended since the handshake.
func (s *Site) signedOut(ctx context.Context, si *signedIn) bool {
	_, _, err := s.auth.Authenticate(ctx, si.token)
	return errors.Is(err, auth.ErrSessionExpired) || errors.Is(err, auth.ErrDisabled)
}

// socketOriginOK is the WebSocket handshake's cross-site check: a
// browser always sends Origin on a WebSocket, and it must be this site
// (or a trusted origin). Without it any page on the web could open a
// socket with the customer's cookie and read their chat.
func (s *Site) socketOriginOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	u, err := url.Parse(o)
	if o == "" || err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(s.chatOrigins, func(t string) bool { return strings.EqualFold(strings.TrimRight(t, "/"), u.Scheme+"://"+u.Host) })
}

// socketUser checks a socket handshake: a signed-in session and this
// site's origin. It answers the refusal itself (401 or 403, before any
// upgrade) and reports false.
func (s *Site) socketUser(w http.ResponseWriter, r *http.Request) (*signedIn, bool) {
	si := currentUser(r)
	if !s.socketOriginOK(r) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "web: chat socket from another origin refused",
			slog.String("origin", r.Header.Get("Origin")), slog.String("path", r.URL.Path))
		s.Forbidden(w, r)
		return nil, false
	}
	if si == nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return nil, false
	}
	return si, true
}

func writeFrame(ctx context.Context, c *websocket.Conn, v any) error {
	ctx, cancel := context.WithTimeout(ctx, chatWriteTimeout)
	defer cancel()
	return wsjson.Write(ctx, c, v)
}

// clientFrame is what chat.js sends.
type clientFrame struct {
	T    string `json:"t"` // "send" or "typing"
	Text string `json:"text"`
	CID  string `json:"cid"`
}

// chatSocket is a chat's WebSocket, for its customer and for staff. The
// client says the last seq it has (?after=); the socket sends every
// message after it, then each new one as it is stored, and the chat's
// state (status, typing) when it changes. Messages the client sends are
// stored before anyone, the sender included, is sent them.
func (s *Site) chatSocket(w http.ResponseWriter, r *http.Request) {
	si, ok := s.socketUser(w, r)
	if !ok {
		return
	}
	a, loc := actor(si), s.Locale(r)
	id, _ := strconv.ParseInt(r.URL.Query().Get("chat"), 10, 64)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if _, err := s.chat.Since(r.Context(), a, id, 0); err != nil {
		if errors.Is(err, chat.ErrNotFound) {
			s.NotFound(w, r)
			return
		}
		s.ServerError(w, r, err)
		return
	}
	release, ok := s.chat.Hold()
	if !ok {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer release()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // origin checked above
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 10)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	wake, stop := s.chat.Subscribe(id)
	defer stop()

	// The reader stores what the client sends; the handler returns (and
	// so lets the node shut down) only once it has stopped.
	readerDone := make(chan struct{})
	defer func() {
		cancel()
		conn.CloseNow()
		<-readerDone
	}()
	go func() {
		defer close(readerDone)
		defer cancel()
		for {
			var f clientFrame
			if err := wsjson.Read(ctx, conn, &f); err != nil {
				return
			}
			switch f.T {
			case "send":
				// A message is written only for a session that still
				// exists (signed out elsewhere, expired: the socket ends).
				if s.signedOut(ctx, si) {
					conn.Close(statusSignedOut, "signed out")
					return
				}
				m, err := s.chat.Post(ctx, a, id, f.Text, f.CID)
				if err != nil {
					msg, ok := chatErrorText(loc, err)
					if !ok {
						s.log.LogAttrs(ctx, slog.LevelError, "web: chat post", slog.Int64("chat", id), slog.Any("err", err))
						msg = loc.T("chat.error.failed")
					}
					if writeFrame(ctx, conn, map[string]any{"t": "error", "cid": f.CID, "text": msg}) != nil {
						return
					}
					continue
				}
				if writeFrame(ctx, conn, map[string]any{"t": "ack", "cid": f.CID, "seq": m.Seq}) != nil {
					return
				}
			case "typing":
				_ = s.chat.Typing(ctx, a, id) // best effort: a refused one changes nothing
			}
		}
	}()

	staff := chat.IsStaff(a)
	beat := time.NewTicker(s.chat.Heartbeat())
	defer beat.Stop()
	if staff {
		_ = s.chat.Online(ctx, a)
	}
	poll := time.NewTicker(chatPoll)
	defer poll.Stop()
	recheck := time.NewTicker(chatRecheck)
	defer recheck.Stop()
	last, sent := after, chatState{}
	for {
		v, err := s.chat.Since(ctx, a, id, last)
		if err != nil {
			if ctx.Err() == nil {
				s.log.LogAttrs(ctx, slog.LevelError, "web: chat socket read", slog.Int64("chat", id), slog.Any("err", err))
			}
			conn.Close(websocket.StatusInternalError, "")
			return
		}
		for _, m := range v.Messages {
			if err := writeFrame(ctx, conn, s.chatLine(loc, a, v.Chat, m)); err != nil {
				return
			}
			last = m.Seq
		}
		if st := chatStateOf(loc, v); st != sent {
			if err := writeFrame(ctx, conn, st); err != nil {
				return
			}
			sent = st
		}
		if len(v.Messages) == chat.MaxBatch {
			continue // more to catch up on
		}
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "")
			return
		case <-s.chat.Stopping():
			conn.Close(websocket.StatusGoingAway, "node shutting down")
			return
		case <-wake:
		case <-beat.C:
			if staff {
				_ = s.chat.Online(ctx, a)
			}
		case <-recheck.C:
			if s.signedOut(ctx, si) {
				conn.Close(statusSignedOut, "signed out")
				return
			}
		case <-poll.C:
			if v.Chat.Status == chat.StatusWaiting && v.Side == chat.KindCustomer {
				// The agents may all have gone: then it becomes a ticket.
				if _, err := s.chat.Requeue(ctx, id); err != nil && ctx.Err() == nil {
					s.log.LogAttrs(ctx, slog.LevelError, "web: chat requeue", slog.Int64("chat", id), slog.Any("err", err))
				}
			}
		}
	}
}

// queueRow is a waiting chat in the agents' console.
type queueRow struct {
	ID       int64  `json:"id"`
	Number   int64  `json:"number"`
	Customer string `json:"customer"`
	Subject  string `json:"subject"`
	Since    string `json:"since"`
}

// agentChatsSocket keeps an agent's console current: the waiting chats
// whenever they change, and the agent online while it is open.
func (s *Site) agentChatsSocket(w http.ResponseWriter, r *http.Request) {
	si, ok := s.socketUser(w, r)
	if !ok {
		return
	}
	a := actor(si)
	if !chat.IsStaff(a) {
		s.Forbidden(w, r)
		return
	}
	release, ok := s.chat.Hold()
	if !ok {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer release()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // origin checked above
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 10)
	ctx := conn.CloseRead(r.Context()) // the console sends nothing; this notices it closing
	wake, stop := s.chat.SubscribeQueue()
	defer stop()
	beat := time.NewTicker(s.chat.Heartbeat())
	defer beat.Stop()
	poll := time.NewTicker(chatPoll)
	defer poll.Stop()
	recheck := time.NewTicker(chatRecheck)
	defer recheck.Stop()
	_ = s.chat.Online(ctx, a)
	var sent []queueRow
	first := true
	for {
		rows, err := s.queueRows(ctx, a)
		if err != nil {
			if ctx.Err() == nil {
				s.log.LogAttrs(ctx, slog.LevelError, "web: chat queue", slog.Any("err", err))
			}
			conn.Close(websocket.StatusInternalError, "")
			return
		}
		if first || !slices.Equal(rows, sent) {
			if err := writeFrame(ctx, conn, map[string]any{"t": "queue", "chats": rows}); err != nil {
				return
			}
			sent, first = rows, false
		}
		select {
		case <-ctx.Done():
			return
		case <-s.chat.Stopping():
			conn.Close(websocket.StatusGoingAway, "node shutting down")
			return
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			_ = s.chat.Online(ctx, a)
		case <-recheck.C:
			if s.signedOut(ctx, si) {
				conn.Close(statusSignedOut, "signed out")
				return
			}
		}
	}
}

func (s *Site) queueRows(ctx context.Context, a auth.Actor) ([]queueRow, error) {
	cs, err := s.chat.Waiting(ctx, a)
	if err != nil {
		return nil, err
	}
	rows := []queueRow{}
	for _, c := range cs {
		rows = append(rows, queueRow{ID: c.ID, Number: c.TicketNumber, Customer: c.CustomerEmail, Subject: c.Subject,
			Since: c.CreatedAt.In(s.tz).Format("15:04")})
	}
	return rows, nil
}

package chat

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Payloads of the "something changed" signal. They carry no data: a
// woken socket reads what changed from the database.
const queuePayload = "q"

func chatPayload(id int64) string { return "c:" + strconv.FormatInt(id, 10) }

// hub wakes the sockets of this node that follow a chat or the queue.
type hub struct {
	mu    sync.Mutex
	chats map[int64]map[chan struct{}]struct{}
	queue map[chan struct{}]struct{}
}

func newHub() *hub {
	return &hub{chats: map[int64]map[chan struct{}]struct{}{}, queue: map[chan struct{}]struct{}{}}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // already woken; one wake reads everything new
	}
}

func (h *hub) wake(payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if payload == queuePayload {
		for c := range h.queue {
			poke(c)
		}
		return
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(payload, "c:"), 10, 64)
	if err != nil || !strings.HasPrefix(payload, "c:") {
		return
	}
	for c := range h.chats[id] {
		poke(c)
	}
}

func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.queue {
		poke(c)
	}
	for _, cs := range h.chats {
		for c := range cs {
			poke(c)
		}
	}
}

// Subscribe returns a channel that receives (coalesced) when chat id
// changes, and the function that stops it.
func (s *Service) Subscribe(id int64) (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h := s.hub
	h.mu.Lock()
	if h.chats[id] == nil {
		h.chats[id] = map[chan struct{}]struct{}{}
	}
	h.chats[id][c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.chats[id], c)
		if len(h.chats[id]) == 0 {
			delete(h.chats, id)
		}
		h.mu.Unlock()
	}
}

// SubscribeQueue is Subscribe for the list of waiting chats.
func (s *Service) SubscribeQueue() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h := s.hub
	h.mu.Lock()
	h.queue[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.queue, c)
		h.mu.Unlock()
	}
}

// publish wakes this node's sockets after a commit. Other nodes hear of
// it through the store's signal (Tx.Notify), and everyone polls anyway.
func (s *Service) publish(payloads ...string) {
	for _, p := range payloads {
		s.hub.wake(p)
	}
}

// sockets counts the sockets open on this node, so that shutting down
// waits for them to close before the database does.
type sockets struct {
	mu       sync.Mutex
	n        int
	closed   bool
	stopping chan struct{} // closed when the node shuts down
	idle     chan struct{} // closed when, shutting down, none is left
}

func newSockets() *sockets {
	return &sockets{stopping: make(chan struct{}), idle: make(chan struct{})}
}

// Hold registers an open socket and returns the function to call when it
// ends; false means the node is shutting down and takes no new socket.
func (s *Service) Hold() (release func(), ok bool) {
	k := s.socks
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, false
	}
	k.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if k.n--; k.n == 0 && k.closed {
				close(k.idle)
			}
		})
	}, true
}

// Stopping is closed when the node shuts down: open sockets close (the
// browsers reconnect, to another node behind the load balancer).
func (s *Service) Stopping() <-chan struct{} { return s.socks.stopping }

// stop tells the sockets to close and waits (bounded) until they have.
func (s *Service) stop() {
	k := s.socks
	k.mu.Lock()
	if !k.closed {
		k.closed = true
		close(k.stopping)
		if k.n == 0 {
			close(k.idle)
		}
	}
	k.mu.Unlock()
	select {
	case <-k.idle:
	case <-time.After(10 * time.Second):
		s.log.Warn("chat: sockets still open at shutdown")
	}
}

// Run carries the store's signals from other nodes to this node's
// sockets until ctx ends, reconnecting after a failure (and then waking
// every socket, since signals may have been lost meanwhile). On a store
// without cross-node signals it just waits for ctx.
//
// When ctx ends, Run closes this node's sockets and returns once they
// are gone, so the caller may close the database after it.
func (s *Service) Run(ctx context.Context) error {
	defer s.stop()
	backoff := 200 * time.Millisecond
	for {
		err := s.store.Listen(ctx, func() {
			backoff = 200 * time.Millisecond
			s.hub.wakeAll()
		}, s.hub.wake)
		if errors.Is(err, ErrNoListen) {
			<-ctx.Done()
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("chat: signal listener failed; polling covers until it is back", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > 30*time.Second {
			backoff = 30 * time.Second
		}
	}
}

package engine

import "sync"

// Update says that an execution changed; subscribers reload what they show.
type Update struct {
	// ID is the change's place in the outbox (commit order); a stream
	// sends it as the SSE id, so a client that reconnects with
	// Last-Event-ID gets what it missed.
	ID          int64  `json:"id,omitempty"`
	ExecutionID string `json:"executionId"`
	// Application is the execution's application (streams filter on it).
	Application string `json:"application,omitempty"`
	Stage       string `json:"stage,omitempty"`
	Status      string `json:"status,omitempty"`
}

// Bus fans execution updates out to live subscribers (the SSE stream). It
// never blocks a publisher: a subscriber that falls behind loses updates,
// and its next reload catches up.
type Bus struct {
	mu   sync.Mutex
	subs map[chan Update]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[chan Update]struct{}{}} }

// Subscribe returns a channel of updates and a function to unsubscribe.
func (b *Bus) Subscribe() (<-chan Update, func()) {
	ch := make(chan Update, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}
}

// Publish sends u to every subscriber that has room for it.
func (b *Bus) Publish(u Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- u:
		default:
		}
	}
}

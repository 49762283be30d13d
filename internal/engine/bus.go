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
	// Lost says the subscriber fell behind and lost updates (its buffer
	// was full): it reloads whatever it shows. The other fields are empty.
	Lost bool `json:"-"`
}

// Bus fans execution updates out to live subscribers (the SSE stream). It
// never blocks a publisher: a subscriber that falls behind loses updates,
// and is told so (an Update with Lost set), so it reloads instead of
// polling for what it may have missed.
type Bus struct {
	mu   sync.Mutex
	subs map[chan Update]struct{}
	// watched gets a value when the bus gains a subscriber: the feed reads
	// the outbox only while someone watches.
	watched chan struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[chan Update]struct{}{}, watched: make(chan struct{}, 1)}
}

// Watched reports whether the bus has subscribers.
func (b *Bus) Watched() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) > 0
}

// Subscribe returns a channel of updates and a function to unsubscribe.
func (b *Bus) Subscribe() (<-chan Update, func()) {
	ch := make(chan Update, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	select {
	case b.watched <- struct{}{}:
	default:
	}
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}
}

// Publish sends u to every subscriber. One whose buffer is full loses its
// oldest update and u, and gets an Update with Lost set instead (Publish
// holds the lock, so the room it makes is its own).
func (b *Bus) Publish(u Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- u:
			continue
		default:
		}
		select {
		case <-ch:
		default:
		}
		select {
		case ch <- Update{Lost: true}:
		default:
		}
	}
}

package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/riverqueue/river/riverdriver"
)

// Waking River's workers without polling.
//
// River's producers fetch jobs when a listener tells them jobs were inserted
// (the "river_insert" topic), and otherwise every FetchPollInterval. On
// PostgreSQL the listener is LISTEN/NOTIFY: an insert's NOTIFY reaches every
// replica when its transaction commits. River's SQLite driver emulates it by
// polling a notification table every 50 ms, which is what an idle server did
// all day. The queue's driver therefore carries a wakeListener:
//
//   - on SQLite (inProcess) it is the whole listener: River's notifications
//     are not stored but delivered to this process when the transaction
//     that sent them commits, and Queue.Wake delivers an insert notification
//     after a store transaction that enqueued jobs has committed;
//   - on PostgreSQL it wraps River's LISTEN connection and adds Queue.Wake,
//     so this process's own jobs never wait for River's notify limiter.

// insertTopic is River's notification topic for inserted jobs.
const insertTopic = "river_insert"

// wakeListener is a riverdriver.Listener that delivers notifications made in
// this process, besides those of inner (nil: none).
type wakeListener struct {
	inner  riverdriver.Listener
	schema string

	onInsert func() // hears of every insert notification (the sleeper), or nil

	mu      sync.Mutex
	pending []riverdriver.Notification // delivered in order; no duplicates
	signal  chan struct{}              // one wake-up for a waiter
}

var _ riverdriver.Listener = (*wakeListener)(nil)

func newWakeListener() *wakeListener { return &wakeListener{signal: make(chan struct{}, 1)} }

// deliver queues notifications for River's notifier. Notifications only say
// "look again", so one already pending is not queued twice.
func (l *wakeListener) deliver(topic string, payloads ...string) {
	if topic == insertTopic && l.onInsert != nil {
		l.onInsert()
	}
	l.mu.Lock()
	for _, p := range payloads {
		n := riverdriver.Notification{Topic: topic, Payload: p}
		dup := false
		for _, q := range l.pending {
			if q == n {
				dup = true
				break
			}
		}
		if !dup {
			l.pending = append(l.pending, n)
		}
	}
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

// wakeQueues delivers an insert notification for each queue.
func (l *wakeListener) wakeQueues(queues []string) {
	payloads := make([]string, len(queues))
	for i, q := range queues {
		payloads[i] = fmt.Sprintf(`{"queue": %q}`, q)
	}
	l.deliver(insertTopic, payloads...)
}

func (l *wakeListener) pop() (*riverdriver.Notification, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil, false
	}
	n := l.pending[0]
	l.pending = l.pending[1:]
	return &n, true
}

// WaitForNotification returns the next notification of this process, or of
// inner, whichever comes first.
func (l *wakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n, ok := l.pop(); ok {
			return n, nil
		}
		if l.inner == nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-l.signal:
				continue
			}
		}
		waitCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-l.signal:
				cancel() // interrupts inner's wait; River's notifier does so too
			case <-waitCtx.Done():
			}
		}()
		n, err := l.inner.WaitForNotification(waitCtx)
		cancel()
		if err == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if n, ok := l.pop(); ok {
			return n, nil
		}
		if waitCtx.Err() == nil {
			return nil, err // inner failed on its own: River reconnects
		}
	}
}

func (l *wakeListener) Close(ctx context.Context) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.Close(ctx)
}

func (l *wakeListener) Connect(ctx context.Context) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.Connect(ctx)
}

func (l *wakeListener) Listen(ctx context.Context, topic string) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.Listen(ctx, topic)
}

func (l *wakeListener) Unlisten(ctx context.Context, topic string) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.Unlisten(ctx, topic)
}

func (l *wakeListener) Ping(ctx context.Context) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.Ping(ctx)
}

func (l *wakeListener) Schema() string {
	if l.inner == nil {
		return l.schema
	}
	return l.inner.Schema()
}

func (l *wakeListener) SetAfterConnectExec(sql string) {
	if l.inner != nil {
		l.inner.SetAfterConnectExec(sql)
	}
}

// wakeDriver is River's driver with a wakeListener. In process (SQLite), the
// notifications River sends are delivered by the listener instead of
// written to the database: at once outside a transaction, when it commits
// inside one River began, and not at all in a store transaction (River
// cannot see its commit; the store's caller calls Queue.Wake after it).
type wakeDriver[TTx any] struct {
	riverdriver.Driver[TTx]
	listener  *wakeListener
	inProcess bool
}

func (d *wakeDriver[TTx]) SupportsListener() bool     { return true }
func (d *wakeDriver[TTx]) SupportsListenNotify() bool { return true }

func (d *wakeDriver[TTx]) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	d.listener.schema = params.Schema
	if !d.inProcess {
		d.listener.inner = d.Driver.GetListener(params)
	}
	return d.listener
}

func (d *wakeDriver[TTx]) GetExecutor() riverdriver.Executor {
	if !d.inProcess {
		return d.Driver.GetExecutor()
	}
	return wakeExecutor{Executor: d.Driver.GetExecutor(), l: d.listener}
}

func (d *wakeDriver[TTx]) UnwrapExecutor(tx TTx) riverdriver.ExecutorTx {
	if !d.inProcess {
		return d.Driver.UnwrapExecutor(tx)
	}
	return &wakeTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), l: d.listener, foreign: true}
}

// wakeExecutor delivers notifications in process (see wakeDriver).
type wakeExecutor struct {
	riverdriver.Executor
	l *wakeListener
}

func (e wakeExecutor) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.Executor.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &wakeTx{ExecutorTx: tx, l: e.l}, nil
}

func (e wakeExecutor) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	e.l.deliver(p.Topic, p.Payload...)
	return nil
}

// wakeTx holds a transaction's notifications until it commits (a
// subtransaction's until its parent does). A foreign one (a store
// transaction) drops them: its committer wakes the queue.
type wakeTx struct {
	riverdriver.ExecutorTx
	l       *wakeListener
	foreign bool
	parent  *wakeTx
	held    []riverdriver.NotifyManyParams
}

func (t *wakeTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	sub, err := t.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &wakeTx{ExecutorTx: sub, l: t.l, foreign: t.foreign, parent: t}, nil
}

func (t *wakeTx) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	if !t.foreign {
		t.held = append(t.held, *p)
	}
	return nil
}

func (t *wakeTx) Commit(ctx context.Context) error {
	if err := t.ExecutorTx.Commit(ctx); err != nil {
		return err
	}
	if t.parent != nil {
		t.parent.held = append(t.parent.held, t.held...)
		t.held = nil
		return nil
	}
	for _, p := range t.held {
		t.l.deliver(p.Topic, p.Payload...)
	}
	t.held = nil
	return nil
}

func (t *wakeTx) Rollback(ctx context.Context) error {
	t.held = nil
	return t.ExecutorTx.Rollback(ctx)
}

package store

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// NotificationQueries keep the Notification config objects and the
// notification outbox: the dispatcher's cursor over the event log, and one
// delivery per (event, notification) that workers claim, send and finish.
type NotificationQueries interface {
	// NotificationList returns every Notification by name.
	NotificationList(ctx context.Context) ([]model.Notification, error)
	// NotificationGet returns one Notification; ErrNotFound if none.
	NotificationGet(ctx context.Context, name string) (*model.Notification, error)

	// NotifyCursor returns the last event ID the dispatcher has turned
	// into deliveries, and false when it has never run.
	NotifyCursor(ctx context.Context) (int64, bool, error)
	// NotifyDispatch, in one transaction, moves the cursor from
	// params.From to params.To and inserts params.Deliveries; a delivery
	// whose ID is stored already is left as it is. When the cursor is not
	// at params.From (another dispatcher moved it; params.From is -1 for
	// "never ran") it changes nothing and returns ErrConflict. It returns
	// how many deliveries it inserted.
	NotifyDispatch(ctx context.Context, params NotifyDispatchParams) (int, error)
	// DeliveryClaim takes up to params.Limit pending deliveries whose
	// NextAt has come and that nobody holds (no claim, or one that expired
	// by params.Now), oldest first, for params.Claimant until params.Until,
	// counting an attempt on each: of concurrent callers, each delivery goes
	// to one.
	DeliveryClaim(ctx context.Context, params DeliveryClaimParams) ([]Delivery, error)
	// DeliveryFinish records a claimed delivery's attempt: sent, failed
	// (pending again at params.NextAt) or dead, with params.Error. Only
	// while the delivery is pending and claimed by params.Claimant;
	// otherwise ErrConflict.
	DeliveryFinish(ctx context.Context, params DeliveryFinishParams) error
	// DeliveryReleaseClaims drops every delivery's claim, so the sends a
	// crashed process was making are made again at once instead of when
	// their claims expire; it returns how many it released. Only safe when
	// no other process works this database (a single node at start-up).
	DeliveryReleaseClaims(ctx context.Context) (int64, error)
	// DeliveryDeleteBefore deletes sent and dead deliveries created before
	// a time (pending ones stay until they end) and returns how many.
	DeliveryDeleteBefore(ctx context.Context, before time.Time) (int64, error)
	// DeliveryList returns deliveries, newest first.
	DeliveryList(ctx context.Context, params DeliveryListParams) ([]Delivery, error)
	// NotifyStats sums each notification's deliveries (notifications with
	// none are left out).
	NotifyStats(ctx context.Context) ([]NotifyStats, error)
}

// DeliveryStatus is where a delivery is in its life.
type DeliveryStatus string

const (
	// DeliveryPending: not sent yet; due at NextAt (again, after a failure).
	DeliveryPending DeliveryStatus = "pending"
	// DeliverySent: the target accepted it.
	DeliverySent DeliveryStatus = "sent"
	// DeliveryDead: every attempt failed, or the target is gone; never sent.
	DeliveryDead DeliveryStatus = "dead"
)

// Delivery is one message of one notification about one event.
type Delivery struct {
	// ID is deterministic (notify.DeliveryID): the receiver sees it and
	// may drop a redelivery.
	ID           string `json:"id"`
	Notification string `json:"notification"`
	EventID      int64  `json:"eventId"`
	// Pipeline is the pipeline of the event's execution ("" when none).
	Pipeline     string         `json:"pipeline,omitempty"`
	Event        model.Event    `json:"event"`
	Status       DeliveryStatus `json:"status"`
	Attempts     int            `json:"attempts"`
	NextAt       time.Time      `json:"nextAt"`
	ClaimedBy    string         `json:"claimedBy,omitempty"`
	ClaimedUntil *time.Time     `json:"claimedUntil,omitempty"`
	LastError    string         `json:"lastError,omitempty"`
	// TriedAt is when the last attempt ended.
	TriedAt   *time.Time `json:"triedAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	SentAt    *time.Time `json:"sentAt,omitempty"`
}

// NotifyDispatchParams moves the dispatcher's cursor and inserts deliveries.
type NotifyDispatchParams struct {
	From, To   int64
	Deliveries []Delivery
}

// DeliveryClaimParams asks for due deliveries.
type DeliveryClaimParams struct {
	Claimant   string
	Now, Until time.Time
	Limit      int // 0: 10
}

// DeliveryFinishParams records one attempt of a claimed delivery.
type DeliveryFinishParams struct {
	ID, Claimant string
	// Status is DeliverySent, DeliveryPending (failed, retried at NextAt)
	// or DeliveryDead.
	Status DeliveryStatus
	NextAt time.Time
	Error  string
	At     time.Time
}

// DeliveryListParams filters DeliveryList.
type DeliveryListParams struct {
	Notification string // "": all
	Limit        int    // 0: 100
}

// NotifyStats sums one notification's deliveries.
type NotifyStats struct {
	Notification string `json:"notification"`
	Pending      int    `json:"pending"`
	// Failing counts pending deliveries that failed at least once.
	Failing   int        `json:"failing"`
	Sent      int        `json:"sent"`
	Dead      int        `json:"dead"`
	LastSent  *time.Time `json:"lastSent,omitempty"`
	LastError string     `json:"lastError,omitempty"`
	// LastErrorAt is when the delivery holding LastError was last tried.
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// SLOConfigQueries read the resolved SLOs of the applied config (kept in
// the config table as kind SLO by ConfigApply).
type SLOConfigQueries interface {
	// SLOList returns the resolved SLOs by name; SLOGet one, ErrNotFound
	// when there is none. Applications' shorthand SLOs are not stored:
	// model.ConfigSLOs adds them.
	SLOList(ctx context.Context) ([]model.SLO, error)
	SLOGet(ctx context.Context, name string) (*model.SLO, error)
}

// SLOQueries keep SLO evaluations: the latest status of each SLO, a
// history of points for burn-down charts, and the front doors' traffic
// counted per minute (the SLI source of local targets, kept for the
// longest window an SLO may have).
type SLOQueries interface {
	// SLOStatusPut replaces the SLO's status.
	SLOStatusPut(ctx context.Context, st model.SLOStatus) error
	// SLOStatusGet returns the latest status, ErrNotFound before the first.
	SLOStatusGet(ctx context.Context, name string) (*model.SLOStatus, error)
	SLOStatusList(ctx context.Context) ([]model.SLOStatus, error)

	// SLOPointAdd stores points of SLO history (one per SLO and At; a
	// second copy of a point is ignored).
	SLOPointAdd(ctx context.Context, pts []SLOPoint) error
	// SLOPointList returns an SLO's points in [From, To), oldest first;
	// past the cap, the newest ones.
	SLOPointList(ctx context.Context, params SLOPointListParams) ([]SLOPoint, error)
	SLOPointDeleteBefore(ctx context.Context, before time.Time) (int64, error)

	// TrafficMinutePut stores per-minute front-door counts, replacing a
	// row of the same application, environment and minute (a minute is
	// recomputed whole from the stored seconds, so writing it twice after
	// a crash counts nothing twice).
	TrafficMinutePut(ctx context.Context, mins []TrafficMinute) error
	// TrafficMinuteList returns the minutes in [From, To) of an
	// application (and environment, when set), oldest first.
	TrafficMinuteList(ctx context.Context, params TrafficMinuteListParams) ([]TrafficMinute, error)
	TrafficMinuteDeleteBefore(ctx context.Context, before time.Time) (int64, error)

	// SLOStatusDelete removes the status and points of an SLO that is no
	// longer configured (nothing when there are none).
	SLOStatusDelete(ctx context.Context, name string) error
	// TrafficSecondsBetween returns every server group's stored seconds in
	// [from, to), by application, environment, then second: what the
	// minute rollup adds up.
	TrafficSecondsBetween(ctx context.Context, from, to time.Time) ([]TrafficSecond, error)
	// SLOLeaseAcquire gives the evaluator's lease to holder until
	// now+ttl when it is free, expired at now, or already holder's, in
	// one conditional write: of replicas racing, exactly one gets it. It
	// reports whether holder has it.
	SLOLeaseAcquire(ctx context.Context, holder string, now time.Time, ttl time.Duration) (bool, error)
}

// Size guards of the SLO store.
const (
	// MaxSLOStatusBytes caps a status's JSON (objectives, burn rates and
	// alerts of one SLO: a few KB in practice).
	MaxSLOStatusBytes = 64 << 10
	// MaxSLOPoints caps the points one SLOPointList returns (a 90-day
	// history at one point per 5 minutes is 25,920).
	MaxSLOPoints = 30000
	// MaxTrafficMinuteLatency caps one minute's encoded histogram (the
	// fine layout's 584 buckets at most, a few bytes each).
	MaxTrafficMinuteLatency = 8 << 10
)

// SLOPoint is an SLO's standing at one time: the first objective's window
// totals and budget, and its burn rate over the shortest alert window.
type SLOPoint struct {
	SLO             string    `json:"slo"`
	At              time.Time `json:"at"`
	Good            float64   `json:"good"`
	Total           float64   `json:"total"`
	BudgetRemaining float64   `json:"budgetRemaining"`
	BurnRate        float64   `json:"burnRate"`
}

// SLOPointListParams selects an SLO's points.
type SLOPointListParams struct {
	SLO      string
	From, To time.Time
	// Limit caps the points returned (0 or above MaxSLOPoints:
	// MaxSLOPoints); the oldest are returned first.
	Limit int
}

// TrafficMinute is one minute of an application's traffic through its
// front door in one environment (all server groups together).
type TrafficMinute struct {
	Application string    `json:"application"`
	Environment string    `json:"environment"`
	Minute      time.Time `json:"minute"`
	Requests    uint64    `json:"requests"`
	Errors      uint64    `json:"errors"`
	// Latency counts requests per latency bucket of package latency's fine
	// layout (sparse), so any latencyUnder bound can be counted later.
	Latency []byte `json:"latency,omitempty"`
}

// TrafficMinuteListParams selects minutes.
type TrafficMinuteListParams struct {
	Application string
	Environment string // "" for every environment
	From, To    time.Time
}

// SLOPointLimit is the cap SLOPointList applies to a requested limit.
func SLOPointLimit(limit int) int {
	if limit <= 0 || limit > MaxSLOPoints {
		return MaxSLOPoints
	}
	return limit
}

// MinuteCeil is the first minute start at or after t, as Unix seconds: a
// minute starts in [From, To) when it is in [MinuteCeil(From),
// MinuteCeil(To)).
func MinuteCeil(t time.Time) int64 {
	s := t.Unix()
	if t.After(time.Unix(s, 0)) {
		s++
	}
	return (s + 59) / 60 * 60
}

// CheckTrafficMinute refuses a minute a store must not keep.
func CheckTrafficMinute(m TrafficMinute) error {
	switch {
	case m.Minute.Unix()%60 != 0 || m.Minute.Nanosecond() != 0:
		return fmt.Errorf("traffic minute of %s in %s at %s: not the start of a minute", m.Application, m.Environment, m.Minute.Format(time.RFC3339Nano))
	case m.Errors > m.Requests:
		return fmt.Errorf("traffic minute of %s in %s at %s: %d errors in %d requests", m.Application, m.Environment, m.Minute.Format(time.RFC3339), m.Errors, m.Requests)
	case len(m.Latency) > MaxTrafficMinuteLatency:
		return fmt.Errorf("traffic minute of %s in %s at %s: latency histogram of %d bytes, above %d", m.Application, m.Environment, m.Minute.Format(time.RFC3339), len(m.Latency), MaxTrafficMinuteLatency)
	}
	return nil
}

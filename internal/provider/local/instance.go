package local

import (
	"context"
	"time"
)

// instance is one slot (index) of a server group. The status fields are
// guarded by the group's mu.
type instance struct {
	index  int
	port   int
	cancel context.CancelFunc // stops the supervisor, not the process
	done   chan struct{}      // closed when the supervisor has returned

	proc      *process // nil while waiting to restart
	startedAt time.Time
	healthy   bool
	// procHealthy is whether the current process has ever answered its health check.
	procHealthy bool
	// failure is set when the last process exited before it ever became
	// healthy: WaitHealthy reports it at once instead of waiting.
	failure  *InstanceError
	restarts int
	lastErr  string
}

// Health is the state of one server group's instances.
type Health struct {
	ServerGroup string           `json:"serverGroup"`
	Desired     int              `json:"desired"`
	Healthy     int              `json:"healthy"`
	Instances   []InstanceHealth `json:"instances"`
}

// AllHealthy reports whether every desired instance answers its health check.
func (h Health) AllHealthy() bool { return h.Healthy == h.Desired && len(h.Instances) == h.Desired }

// InstanceHealth is the state of one instance.
type InstanceHealth struct {
	Index   int  `json:"index"`
	Port    int  `json:"port"`
	PID     int  `json:"pid,omitempty"` // 0 while waiting to restart
	Healthy bool `json:"healthy"`
	// Adopted instances were started by an earlier gennaker process.
	Adopted   bool      `json:"adopted,omitempty"`
	Restarts  int       `json:"restarts"`
	StartedAt time.Time `json:"startedAt"`
	LastError string    `json:"lastError,omitempty"`
}

// status reports the instance. Callers hold the group's mu.
func (in *instance) status() InstanceHealth {
	h := InstanceHealth{Index: in.index, Port: in.port, Healthy: in.healthy, Restarts: in.restarts,
		StartedAt: in.startedAt, LastError: in.lastErr}
	if in.proc != nil {
		h.PID, h.Adopted = in.proc.pid, in.proc.adopted
	}
	return h
}

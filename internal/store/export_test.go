package store

import "time"

// SetQueueSleep shortens the sleeper's intervals of a queue built by a
// store (before its Start) and returns whether River's client is asleep;
// ok is false for a queue that never sleeps.
func SetQueueSleep(q Queue, idle, safety time.Duration) (asleep func() bool, ok bool) {
	s := q.(interface{ sleepy() *sleeper }).sleepy()
	if s == nil {
		return nil, false
	}
	s.idle, s.safety = idle, safety
	return s.asleep.Load, true
}

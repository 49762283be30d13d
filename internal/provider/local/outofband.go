package local

import (
	"fmt"
	"syscall"
	"time"
)

// OutOfBandExit is an instance process of a server group that was killed
// from outside gennaker (`kill -9 PID`, a person or a script), reported
// through Config.OutOfBand.
type OutOfBandExit struct {
	Application, Environment, ServerGroup string
	Instance, PID                         int
	// StartTime is the process's start time in clock ticks since boot
	// (with PID, unique on this machine).
	StartTime uint64
	Signal    syscall.Signal
	// Time is when the supervisor saw it end.
	Time time.Time
}

// Key identifies the exit for recording it once.
func (e OutOfBandExit) Key() string {
	return fmt.Sprintf("local/%s/%s/%d/pid-%d-%d", e.Environment, e.ServerGroup, e.Instance, e.PID, e.StartTime)
}

// Ref names the process: "process checkout-v003/2 pid 1234".
func (e OutOfBandExit) Ref() string {
	return fmt.Sprintf("process %s/%d pid %d", e.ServerGroup, e.Instance, e.PID)
}

// Detail says what happened: "instance 2 (pid 1234) was killed by signal
// 9 (killed) outside gennaker".
func (e OutOfBandExit) Detail() string {
	return fmt.Sprintf("instance %d (pid %d) was killed by signal %d (%v) outside gennaker", e.Instance, e.PID, int(e.Signal), e.Signal)
}

// killedOutside decides (pure) whether a supervised process's end, which
// gennaker did not ask for, was a change made from outside: it was killed
// by a signal other than those a program raises itself when it faults
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT: a crash).
// An exit with a status, zero or not, is the program's own doing (a
// crash, or a wrapper script reporting its child's death as 128+N); the
// status of an adopted process (sig 0: not our child) is unknown, so it
// never counts.
func killedOutside(sig syscall.Signal) bool {
	switch sig {
	case 0, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT:
		return false
	}
	return true
}

package local

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned by calls made after Close or Shutdown.
var ErrClosed = errors.New("local provider is closed")

// ErrUnknownServerGroup is returned for a server group this provider does not run.
var ErrUnknownServerGroup = errors.New("unknown server group")

// InstanceError says why one instance of a server group is not healthy, in
// the instance's own words when it left any in its log.
type InstanceError struct {
	ServerGroup string
	Instance    int
	// Reason is what happened, e.g. "exited with status 1".
	Reason string
	// LogTail holds the last lines the instance wrote before it failed.
	LogTail []string
	// LogPath is where its whole log is.
	LogPath string
}

func (e *InstanceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s instance %d %s", e.ServerGroup, e.Instance, e.Reason)
	if len(e.LogTail) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.LogTail, "\n"))
	}
	if e.LogPath != "" {
		fmt.Fprintf(&b, "\n(full log: %s)", e.LogPath)
	}
	return b.String()
}

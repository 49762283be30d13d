package local

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// markerVar is set in every instance's environment to the provider's data
// directory. A server killed between starting an instance and recording it
// in the state file leaves a process nobody knows; the marker lets the next
// start find it and stop it (reapStrays).
const markerVar = "GENNAKER_LOCAL_DATA"

func (p *Provider) marker() string {
	dir, err := filepath.Abs(p.cfg.DataDir)
	if err != nil {
		dir = p.cfg.DataDir
	}
	return markerVar + "=" + dir
}

// reapStrays kills every process that carries this provider's marker but is
// neither a recorded instance or front-door process nor in the process
// group of one (an instance's own children). It returns how many it killed.
func (p *Provider) reapStrays() int {
	known := map[int]bool{} // recorded instance pids, which are also their process groups
	p.mu.Lock()
	for _, rec := range p.orphans {
		for _, in := range rec.Instances {
			if in.PID > 0 && alive(in.PID, in.StartTime) {
				known[in.PID] = true
			}
		}
	}
	for _, rec := range p.doorRecs {
		if alive(rec.PID, rec.StartTime) {
			known[rec.PID] = true
		}
	}
	for _, d := range p.doors {
		known[d.proc.pid] = true
	}
	for _, g := range p.groups {
		g.mu.Lock()
		for _, in := range g.instances {
			if in.proc != nil {
				known[in.proc.pid] = true
			}
		}
		g.mu.Unlock()
	}
	p.mu.Unlock()

	marker := []byte(p.marker())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var killed []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || known[pid] {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !hasEnvEntry(env, marker) {
			continue
		}
		if pgid, err := syscall.Getpgid(pid); err == nil && known[pgid] {
			continue // a child of a known instance
		}
		p.log.Warn("stopping an instance process left unrecorded by a crash", "pid", pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL) // its group, when it leads one
		_ = syscall.Kill(pid, syscall.SIGKILL)
		killed = append(killed, pid)
	}
	// Wait (briefly) until they are gone: an unrecorded front-door process
	// still holds the address a new one is about to listen on.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !slices.ContainsFunc(killed, procRunning) {
			break
		}
	}
	return len(killed)
}

func hasEnvEntry(environ, entry []byte) bool {
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if bytes.Equal(kv, entry) {
			return true
		}
	}
	return false
}

// procRunning reports whether pid exists and is not a zombie.
func procRunning(pid int) bool {
	_, state, err := procStat(pid)
	return err == nil && state != 'Z' && state != 'X'
}

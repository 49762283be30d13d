package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procInfo is a live process of this test found in /proc.
type procInfo struct {
	Version  string
	Instance string
}

// procs lists the live (non-zombie) processes, other than the server,
// whose environment carries this test's mark: its instances.
func (r *rig) procs() map[int]procInfo {
	out := map[int]procInfo{}
	entries, _ := os.ReadDir("/proc")
	serverPID := 0
	if r.srv != nil {
		serverPID = r.srv.cmd.Process.Pid
	}
	want := []byte(markVar + "=" + r.mark)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == serverPID || !alive(pid) {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		var info procInfo
		found := false
		for _, kv := range bytes.Split(env, []byte{0}) {
			switch {
			case bytes.Equal(kv, want):
				found = true
			case bytes.HasPrefix(kv, []byte("VERSION=")):
				info.Version = string(kv[len("VERSION="):])
			case bytes.HasPrefix(kv, []byte("INSTANCE=")):
				info.Instance = string(kv[len("INSTANCE="):])
			}
		}
		if found {
			out[pid] = info
		}
	}
	return out
}

// procsOf lists this test's live instance pids running version v.
func (r *rig) procsOf(v string) []int {
	var pids []int
	for pid, info := range r.procs() {
		if info.Version == v {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitNoProcsOf waits until no instance of version v runs.
func (r *rig) waitNoProcsOf(v string, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		pids := r.procsOf(v)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("instances of %s still run %s later: pids %v", v, within, pids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] != 'Z' && b[i+2] != 'X'
}

// providerState is DATA/local-state.json as far as the tests read it.
type providerState struct {
	ServerGroups map[string]struct {
		Spec struct {
			Name        string `json:"name"`
			Environment string `json:"environment"`
			Version     string `json:"version"`
		} `json:"spec"`
		Instances []struct {
			Index int `json:"index"`
			Port  int `json:"port"`
			PID   int `json:"pid"`
		} `json:"instances"`
	} `json:"serverGroups"`
}

// statePIDs reads the provider's state file: pids by server group name
// (the tests deploy to one environment; the file keys groups by ENV/NAME).
func (r *rig) statePIDs() map[string][]int {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.data, "local-state.json"))
	if os.IsNotExist(err) {
		return map[string][]int{}
	}
	if err != nil {
		r.t.Fatal(err)
	}
	var st providerState
	if err := json.Unmarshal(b, &st); err != nil {
		r.t.Fatalf("local-state.json: %v\n%s", err, b)
	}
	out := map[string][]int{}
	for _, g := range st.ServerGroups {
		for _, in := range g.Instances {
			out[g.Spec.Name] = append(out[g.Spec.Name], in.PID)
		}
	}
	return out
}

// logDirs lists the server groups that ever started an instance
// (DATA/logs/ENV/NAME), by name.
func (r *rig) logDirs() []string {
	envs, _ := os.ReadDir(filepath.Join(r.data, "logs"))
	var names []string
	for _, env := range envs {
		if !env.IsDir() {
			continue
		}
		groups, _ := os.ReadDir(filepath.Join(r.data, "logs", env.Name()))
		for _, e := range groups {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	return names
}

func pidsString(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

var _ = testing.Verbose

package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateFileName is the provider's memory across restarts, under DataDir.
const stateFileName = "local-state.json"

// The state file and the instance logs are readable by the server's user
// only: the state holds instance specs and the logs what instances print,
// which may be more than a viewer should see. (The state file is written
// through os.CreateTemp, which makes it 0600.) Secrets in run.env are kept
// as references in the state and resolved at each start.
const (
	dirMode     = 0o700
	logFileMode = 0o600
)

// stateVersion 2 keys server groups by environment/name (names count per
// environment); version 1 keyed them by name. Both are read the same way:
// by the spec each record holds.
const stateVersion = 2

// state is the JSON document kept in DataDir/local-state.json.
type state struct {
	Version      int                    `json:"version"`
	ServerGroups map[string]groupRecord `json:"serverGroups"`
	// FrontDoors are the front-door processes, by environment.
	FrontDoors map[string]doorRecord `json:"frontDoors,omitempty"`
}

// doorRecord remembers a front-door process: enough to find it again, make
// sure it is the same process (pid and start time, then the token over
// its socket) and stop it.
type doorRecord struct {
	Environment string `json:"environment"`
	PID         int    `json:"pid"`
	StartTime   uint64 `json:"startTime"`
	// Token is what the process asks of a server before it obeys (this
	// file is readable by the server's user only).
	Token    string `json:"token"`
	Socket   string `json:"socket"`
	Protocol int    `json:"protocol"`
}

// byRef is the recorded groups by the server group their spec names.
func (st state) byRef() map[GroupRef]groupRecord {
	out := make(map[GroupRef]groupRecord, len(st.ServerGroups))
	for _, rec := range st.ServerGroups {
		out[rec.Spec.Ref()] = rec
	}
	return out
}

// groupRecord remembers a server group and its instances.
type groupRecord struct {
	Spec      ServerGroupSpec  `json:"spec"`
	Instances []instanceRecord `json:"instances"`
}

// instanceRecord remembers one instance; PID is 0 while it is not running.
type instanceRecord struct {
	Index     int    `json:"index"`
	Port      int    `json:"port"`
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"startTime,omitempty"`
}

func loadState(path string) (state, error) {
	st := state{Version: stateVersion, ServerGroups: map[string]groupRecord{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read local provider state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("local provider state %s is corrupt: %w (move it away to start afresh; running instances will then not be adopted)", path, err)
	}
	if st.ServerGroups == nil {
		st.ServerGroups = map[string]groupRecord{}
	}
	return st, nil
}

// writeState replaces the state file atomically: temp file, fsync, rename.
func writeState(path string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), stateFileName+".tmp-*")
	if err != nil {
		return fmt.Errorf("write local provider state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write local provider state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write local provider state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write local provider state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write local provider state: %w", err)
	}
	return nil
}

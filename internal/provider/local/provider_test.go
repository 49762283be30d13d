package local

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	spec := sampleSpec(t, "checkout-v001", "v1", 2, nil)
	ensureHealthy(t, p, spec)
	before := pids(t, p, spec.Ref())
	ensureHealthy(t, p, spec)
	if after := pids(t, p, spec.Ref()); !slices.Equal(before, after) {
		t.Fatalf("second ensure changed pids %v -> %v", before, after)
	}
	h, _ := p.Health(t.Context(), spec.Ref())
	if !h.AllHealthy() || len(h.Instances) != 2 {
		t.Fatalf("health: %+v", h)
	}
	code, body := get(t, httpClient(), "http://127.0.0.1:"+itoa(h.Instances[1].Port)+"/", nil)
	if code != 200 || body != "version=v1 instance=1" {
		t.Fatalf("instance 1 answered %d %q", code, body)
	}
	lines, err := p.Logs(t.Context(), spec.Ref(), 10)
	if err != nil || len(lines) == 0 || lines[0].Instance != 0 {
		t.Fatalf("logs: %v %v", lines, err)
	}
}

func TestCrashedInstanceRestarts(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	spec := sampleSpec(t, "checkout-v002", "v2", 1, nil)
	ensureHealthy(t, p, spec)
	old := pids(t, p, spec.Ref())[0]
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "killed instance came back healthy", func() bool {
		h, _ := p.Health(t.Context(), spec.Ref())
		in := h.Instances[0]
		return in.Healthy && in.PID != old && in.Restarts == 1
	})
	// The log says why the output stopped and started again.
	lines, err := p.Logs(t.Context(), spec.Ref(), 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		found = found || (strings.Contains(l.Text, "[gennaker ") && strings.Contains(l.Text, "pid "+itoa(old)) && strings.Contains(l.Text, "restarting in"))
	}
	if !found {
		t.Errorf("no line about the crash in the instance's log: %v", lines)
	}
}

func TestResizeAndDestroy(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	spec := sampleSpec(t, "checkout-v003", "v3", 1, nil)
	ensureHealthy(t, p, spec)
	if err := p.Resize(t.Context(), spec.Ref(), 3); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	all := pids(t, p, spec.Ref())
	if len(all) != 3 {
		t.Fatalf("after resize to 3: pids %v", all)
	}
	if err := p.Resize(t.Context(), spec.Ref(), 1); err != nil {
		t.Fatal(err)
	}
	if got := pids(t, p, spec.Ref()); !slices.Equal(got, all[:1]) {
		t.Fatalf("resize to 1 kept %v, want %v", got, all[:1])
	}
	for _, pid := range all[1:] {
		if procExists(pid) {
			t.Errorf("stopped instance pid %d still runs", pid)
		}
	}
	if err := p.Destroy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	if procExists(all[0]) {
		t.Errorf("destroyed instance pid %d still runs", all[0])
	}
	if err := p.Destroy(t.Context(), spec.Ref()); err != nil {
		t.Fatalf("destroying again: %v", err)
	}
	if _, err := p.Health(t.Context(), spec.Ref()); !errors.Is(err, ErrUnknownServerGroup) {
		t.Fatalf("health of destroyed group: %v", err)
	}
}

func TestWaitHealthyQuotesTheInstance(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	spec := sampleSpec(t, "checkout-v004", "v4", 1, map[string]string{"SAMPLE_ERROR_RATE": "7"})
	if err := p.EnsureServerGroup(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	err := p.WaitHealthy(t.Context(), spec.Ref())
	var ie *InstanceError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "checkout-v004 instance 0 exited with status 1") ||
		!strings.Contains(err.Error(), "SAMPLE_ERROR_RATE") {
		t.Fatalf("want the instance's exit and its own words, got: %v", err)
	}

	spec = sampleSpec(t, "checkout-v005", "v5", 1, map[string]string{"SAMPLE_ERROR_RATE": "1"})
	spec.HealthCheck.Path = "/"
	spec.HealthCheck.StartupTimeout = 1e9
	if err := p.EnsureServerGroup(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	err = p.WaitHealthy(t.Context(), spec.Ref())
	if err == nil || !strings.Contains(err.Error(), "instance 0 did not answer GET / on 127.0.0.1:") ||
		!strings.Contains(err.Error(), "within 1s: answered 500 Internal Server Error") {
		t.Fatalf("want a timeout naming the check, got: %v", err)
	}
}

func TestReconcileAdoptsAndKills(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newTestProvider(t, dir)
	keep := sampleSpec(t, "checkout-v006", "v6", 2, nil)
	drop := sampleSpec(t, "checkout-v007", "v7", 1, nil)
	ensureHealthy(t, first, keep)
	ensureHealthy(t, first, drop)
	keepPIDs, dropPIDs := pids(t, first, keep.Ref()), pids(t, first, drop.Ref())
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range append(keepPIDs, dropPIDs...) {
		if !procExists(pid) {
			t.Fatalf("Close stopped instance pid %d", pid)
		}
	}

	second := newTestProvider(t, dir)
	if err := second.Reconcile(t.Context(), []ServerGroupSpec{keep}); err != nil {
		t.Fatal(err)
	}
	if err := second.WaitHealthy(t.Context(), keep.Ref()); err != nil {
		t.Fatal(err)
	}
	h, _ := second.Health(t.Context(), keep.Ref())
	for i, in := range h.Instances {
		if in.PID != keepPIDs[i] || !in.Adopted || in.Restarts != 0 {
			t.Errorf("instance %d: %+v, want adopted pid %d without restart", i, in, keepPIDs[i])
		}
	}
	for _, pid := range dropPIDs {
		if procExists(pid) {
			t.Errorf("instance pid %d of an undesired group still runs", pid)
		}
	}
	// Adopted instances are supervised by polling: a killed one comes back.
	_ = syscall.Kill(keepPIDs[0], syscall.SIGKILL)
	eventually(t, 10*time.Second, "adopted instance restarted", func() bool {
		h, _ := second.Health(t.Context(), keep.Ref())
		return h.Instances[0].Healthy && h.Instances[0].PID != keepPIDs[0]
	})
}

func TestReconcileIgnoresReusedPID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	spec := sampleSpec(t, "checkout-v008", "v8", 1, nil)
	gone := sampleSpec(t, "checkout-v009", "v9", 1, nil)
	st := state{Version: 1, ServerGroups: map[string]groupRecord{
		spec.Name: {Spec: spec, Instances: []instanceRecord{{Index: 0, Port: 0, PID: other.Process.Pid, StartTime: 1}}},
		gone.Name: {Spec: gone, Instances: []instanceRecord{{Index: 0, Port: 0, PID: other.Process.Pid, StartTime: 1}}},
	}}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, stateFileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newTestProvider(t, dir)
	if err := p.Reconcile(t.Context(), []ServerGroupSpec{spec}); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	if got := pids(t, p, spec.Ref())[0]; got == other.Process.Pid {
		t.Fatal("adopted a process whose start time does not match")
	}
	if !procExists(other.Process.Pid) {
		t.Fatal("killed an unrelated process that reused a recorded pid")
	}
}

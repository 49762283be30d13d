package local

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Server-group numbers count per environment, so checkout-v001 can run in
// staging and in prod at once: each runs its own instances behind its own
// environment's front door, and destroying one leaves the other running.
func TestSameNameInTwoEnvironments(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	staging := sampleSpec(t, "checkout-v001", "v1", 1, nil)
	staging.Environment = "staging"
	prod := sampleSpec(t, "checkout-v001", "v2", 2, nil)
	prod.Environment = "prod"
	ensureHealthy(t, p, staging)
	ensureHealthy(t, p, prod)
	if s, pr := pids(t, p, staging.Ref()), pids(t, p, prod.Ref()); len(s) != 1 || len(pr) != 2 {
		t.Fatalf("staging runs %v and prod %v; want 1 and 2 instances of their own", s, pr)
	}
	c := httpClient()
	for _, spec := range []ServerGroupSpec{staging, prod} {
		fd := FrontDoor{Application: "checkout", Environment: spec.Environment, Address: "127.0.0.1:0",
			Routes: []Route{{ServerGroup: spec.Name, Weight: 100}}}
		if err := p.SetRoutes(t.Context(), fd); err != nil {
			t.Fatal(err)
		}
	}
	door := func(env string) string { return "http://" + p.FrontDoorAddress("checkout", env) + "/" }
	for env, want := range map[string]string{"staging": "version=v1", "prod": "version=v2"} {
		for range 20 {
			if _, body := get(t, c, door(env), nil); !strings.HasPrefix(body, want) {
				t.Fatalf("%s front door answered %q, want %s (its own checkout-v001)", env, body, want)
			}
		}
	}
	lines, err := p.Logs(t.Context(), prod.Ref(), 0)
	if err != nil || len(lines) == 0 {
		t.Fatalf("prod logs: %d lines, %v", len(lines), err)
	}
	for _, l := range lines {
		if l.Instance > 1 {
			t.Fatalf("prod logs hold instance %d; prod runs instances 0 and 1 only", l.Instance)
		}
	}

	if err := p.Destroy(t.Context(), staging.Ref()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Health(t.Context(), staging.Ref()); !errors.Is(err, ErrUnknownServerGroup) {
		t.Fatalf("staging after destroy: %v, want ErrUnknownServerGroup", err)
	}
	if h, err := p.Health(t.Context(), prod.Ref()); err != nil || h.Healthy != 2 {
		t.Fatalf("prod after destroying staging's group of the same name: %+v, %v; want 2 healthy", h, err)
	}
	if _, body := get(t, c, door("prod"), nil); !strings.HasPrefix(body, "version=v2") {
		t.Fatalf("prod front door after destroying staging's group: %q", body)
	}
}

// A state file written when names were unique across environments (version
// 1, keyed by name) is read by the spec of each record: its instances are
// adopted, not restarted, and their logs move to the per-environment
// directory.
func TestVersion1StateIsAdopted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newTestProvider(t, dir)
	spec := sampleSpec(t, "checkout-v012", "v12", 1, nil)
	ensureHealthy(t, first, spec)
	before := pids(t, first, spec.Ref())
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Rewrite what the first provider left as an older gennaker kept it.
	b, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	old := state{Version: 1, ServerGroups: map[string]groupRecord{}}
	for _, rec := range st.ServerGroups {
		old.ServerGroups[rec.Spec.Name] = rec
	}
	if b, err = json.Marshal(old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "logs", spec.Environment, spec.Name), filepath.Join(dir, "logs", spec.Name)); err != nil {
		t.Fatal(err)
	}

	second := newTestProvider(t, dir)
	if err := second.Reconcile(t.Context(), []ServerGroupSpec{spec}); err != nil {
		t.Fatal(err)
	}
	if got := pids(t, second, spec.Ref()); len(got) != 1 || got[0] != before[0] {
		t.Fatalf("instances after the upgrade %v, want the adopted pid %v", got, before)
	}
	lines, err := second.Logs(t.Context(), spec.Ref(), 0)
	if err != nil || len(lines) == 0 || !strings.Contains(lines[0].Text, "checkout-v012 instance 0 starting") {
		t.Fatalf("logs after the upgrade: %v, %v; want the lines written before it", lines, err)
	}
}

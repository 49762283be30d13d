package local

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// A version is put into run.args as it is, so one that is not a safe token
// never reaches a command: here, a shell that would touch a file.
func TestUnsafeVersionStartsNothing(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	marker := filepath.Join(t.TempDir(), "pwned")
	spec := sampleSpec(t, "checkout-v001", "v1; touch "+marker, 1, nil)
	spec.Run.Command, spec.Run.Args = "/bin/sh", []string{"-c", "echo {{version}}; exec sleep 30"}
	err := p.EnsureServerGroup(t.Context(), spec)
	if !errors.Is(err, model.ErrInvalidVersion) {
		t.Fatalf("EnsureServerGroup = %v, want ErrInvalidVersion", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the version's shell command ran")
	}
	// Below the provider's entry point too: the instance's command is refused.
	if _, _, _, err := spec.command(nil, nil, 0, 20000); !errors.Is(err, model.ErrInvalidVersion) {
		t.Fatalf("command = %v, want ErrInvalidVersion", err)
	}
}

// A group recorded before versions were checked, whose version is not a
// token, keeps the instances that run: a restarted server adopts them.
func TestRecordedUnsafeVersionIsStillAdopted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newTestProvider(t, dir)
	spec := sampleSpec(t, "checkout-v001", "v1", 1, nil)
	ensureHealthy(t, first, spec)
	pid := pids(t, first, spec.Ref())[0]
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, stateFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte(`"version":"v1"`), []byte(`"version":"v1 beta"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	spec.Version = "v1 beta"
	second := newTestProvider(t, dir)
	if err := second.Reconcile(t.Context(), []ServerGroupSpec{spec}); err != nil {
		t.Fatal(err)
	}
	if err := second.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	if got := pids(t, second, spec.Ref())[0]; got != pid {
		t.Errorf("instance pid %d, want pid %d adopted", got, pid)
	}
}

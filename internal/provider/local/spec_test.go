package local

import (
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
	if _, _, _, err := spec.command(t.Context(), nil, nil, 0, 20000); !errors.Is(err, model.ErrInvalidVersion) {
		t.Fatalf("command = %v, want ErrInvalidVersion", err)
	}
}

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/server"
)

// The triggers commands against a real server: list, a dry run from a
// payload file, pause and resume.
func TestTriggersCommands(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	ready, done := make(chan string, 1), make(chan error, 1)
	var token string
	go func() {
		done <- server.Run(ctx, server.Options{
			DataDir: dir + "/data", Addr: "127.0.0.1:0", CLIConfig: dir + "/cli.yaml",
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			Bootstrapped: func(b server.Bootstrap) { token = b.Token },
			Ready:        func(url string) { ready <- url },
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("server: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	_, err := client.New(url, token).Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}}, Instances: 1}},
		Pipelines: []model.Pipeline{{Name: "ship", Application: "checkout",
			Stages: []model.StageSpec{{Name: "soak", Wait: &model.WaitStage{Duration: model.Duration(time.Hour)}}},
			Triggers: []model.TriggerSpec{{Name: "tags", Registry: &model.RegistryTrigger{Repository: "ghcr.io/acme/checkout"},
				When: []string{`tag.startsWith("v")`}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		out, err := run(t, append([]string{"--server", url, "--token", token}, args...)...)
		if err != nil {
			t.Fatalf("gennaker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	if out := cli("triggers", "list"); !strings.Contains(out, "checkout/ship/tags") || !strings.Contains(out, "registry") || !strings.Contains(out, "active") {
		t.Fatalf("triggers list:\n%s", out)
	}
	payload := filepath.Join(dir, "tag.json")
	if err := os.WriteFile(payload, []byte(`{"tag":"v1.4.0","digest":"sha256:abc"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cli("triggers", "test", "checkout/ship/tags", "--payload", payload); !strings.Contains(out, "would start pipeline ship") ||
		!strings.Contains(out, "version=v1.4.0") || !strings.Contains(out, `tag.startsWith("v") -> true`) {
		t.Fatalf("triggers test:\n%s", out)
	}
	if out := cli("triggers", "pause", "checkout/ship/tags"); !strings.Contains(out, "paused trigger checkout/ship/tags") {
		t.Fatalf("triggers pause:\n%s", out)
	}
	if out := cli("triggers", "list"); !strings.Contains(out, "paused by") {
		t.Fatalf("triggers list after a pause:\n%s", out)
	}
	if out := cli("triggers", "resume", "checkout/ship/tags"); !strings.Contains(out, "resumed trigger checkout/ship/tags") {
		t.Fatalf("triggers resume:\n%s", out)
	}
	if out, err := run(t, "--server", url, "--token", token, "triggers", "pause", "checkout-ship"); err == nil || !strings.Contains(err.Error(), "APPLICATION/PIPELINE/TRIGGER") {
		t.Fatalf("triggers pause of a malformed key: %v\n%s", err, out)
	}
}

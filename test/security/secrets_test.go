package security

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// TestSecretsNeverShown runs pipelines whose webhook URL (a Slack-style URL
// whose path is the secret), webhook header and application environment
// come from secret references, with a receiver that fails and echoes what
// it got. The secrets reach the receiver and the instance; then every API
// answer, server-sent event, page, CLI output, log line and file of the
// data directory (the database included) is searched for their values.
func TestSecretsNeverShown(t *testing.T) {
	hookPath, bearer, dbPassword := randomSecret(t), randomSecret(t), randomSecret(t)
	rec := newReceiver(t, "/services/"+hookPath, "Bearer "+bearer)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "ci-token")
	if err := os.WriteFile(tokenFile, []byte("Bearer "+bearer+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t,
		"GENNAKER_TEST_HOOK_URL="+rec.url+"/services/"+hookPath,
		"GENNAKER_TEST_BAD_HOOK_URL="+rec.url+"/fail/services/"+hookPath,
		"CHECKOUT_DB_PASSWORD="+dbPassword)
	ctx := context.Background()
	gotEnv := filepath.Join(dir, "instance-saw")
	frontDoor := testserver.FreeAddr(t)
	auth := map[string]model.StringOrSecret{"Authorization": model.FromSecret(model.SecretRef{File: tokenFile}), "X-Team": model.Inline("payments")}
	cfg := model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1,
			Run: model.RunSpec{Command: "/bin/sh", Args: []string{"-c", `printf %s "$DB_PASSWORD" > ` + gotEnv + `; exec ` + exe + ` sample-service`},
				Env: map[string]model.StringOrSecret{"DB_PASSWORD": model.FromSecret(model.SecretRef{Env: "CHECKOUT_DB_PASSWORD"})}},
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(200 * time.Millisecond), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(20 * time.Second)}}},
		Environments: []model.Environment{{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": frontDoor}}},
		Pipelines: []model.Pipeline{
			{Name: "release", Application: "checkout", Parameters: []model.Parameter{{Name: "version", Required: true}}, Stages: []model.StageSpec{
				{Name: "notify", Webhook: &model.WebhookStage{URL: model.FromSecret(model.SecretRef{Env: "GENNAKER_TEST_HOOK_URL"}), Headers: auth, Body: model.Inline(`{"text":"deploying"}`)}},
				{Name: "deploy", Deploy: &model.DeployStage{Environment: "staging", Strategy: model.Strategy{Type: model.StrategyHighlander}}},
			}},
			{Name: "broken-hook", Application: "checkout", Stages: []model.StageSpec{
				{Name: "notify", Webhook: &model.WebhookStage{URL: model.FromSecret(model.SecretRef{Env: "GENNAKER_TEST_BAD_HOOK_URL"}), Headers: auth}},
			}},
		},
	}
	if _, err := s.admin.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var seen collected
	stopStream := seen.stream(t, s, "/api/v1/stream")
	good, err := s.admin.Run(ctx, "release", client.RunRequest{Params: map[string]string{"version": "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if e := seen.watch(t, s, good.ID); e.Status != model.ExecutionSucceeded {
		t.Fatalf("release: %s: %s", e.Status, e.Reason)
	}
	bad, err := s.admin.Run(ctx, "broken-hook", client.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	last := seen.watch(t, s, bad.ID)
	stopStream()

	// The secrets did their job.
	if got := rec.calls(); got["/services/"+hookPath] == 0 {
		t.Fatalf("the receiver never got the webhook at its secret path: %v", got)
	}
	if b, err := os.ReadFile(gotEnv); err != nil || string(b) != dbPassword {
		t.Fatalf("the instance did not get DB_PASSWORD from the secret: %q %v", b, err)
	}
	if last.Status != model.ExecutionFailed || !strings.Contains(last.Reason, "500") || !strings.Contains(last.Reason, "boom: POST") {
		t.Fatalf("the broken hook's execution should fail on the receiver's 500, quoting its answer: %s %s", last.Status, last.Reason)
	}
	t.Logf("the failure as recorded: %s", last.Reason)

	// Everything a person or a program can read.
	for _, path := range []string{
		"/api/v1/config", "/api/v1/pipelines", "/api/v1/pipelines/release", "/api/v1/executions", "/api/v1/executions/" + good.ID,
		"/api/v1/executions/" + bad.ID, "/api/v1/events", "/api/v1/audit?limit=1000", "/api/v1/applications/checkout/status",
		"/api/v1/applications/checkout/logs?environment=staging", "/api/v1/executions/" + good.ID + "/analysis",
		"/", "/applications/checkout", "/executions/" + good.ID, "/executions/" + bad.ID, "/events",
	} {
		seen.add("GET "+path, s.get(t, path))
	}
	for _, args := range [][]string{{"execution", bad.ID, "-o", "json"}, {"execution", bad.ID}, {"logs", "checkout", "--env", "staging"}, {"events"}, {"audit", "list"}} {
		seen.add("gennaker "+strings.Join(args, " "), s.cli(t, args...))
	}
	s.Stop()
	seen.add("server log", s.Log())
	_ = filepath.WalkDir(s.Data, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			seen.add("file "+strings.TrimPrefix(path, s.Data), string(b))
		}
		return nil
	})
	if seen.n < 20 {
		t.Fatalf("collected only %d outputs: the test is not looking", seen.n)
	}
	for name, value := range map[string]string{"the webhook URL's secret path": hookPath, "the webhook's bearer token": bearer, "the instance's DB password": dbPassword} {
		for _, where := range seen.find(value) {
			t.Errorf("%s appears in %s", name, where)
		}
	}
}

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "S3cr" + hex.EncodeToString(b)
}

// collected holds every output searched.
type collected struct {
	mu   sync.Mutex
	outs map[string]string
	n    int
}

func (c *collected) add(where, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outs == nil {
		c.outs = map[string]string{}
	}
	c.outs[where] += text
	c.n++
}

func (c *collected) find(value string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for where, text := range c.outs {
		if strings.Contains(text, value) {
			out = append(out, where)
		}
	}
	return out
}

// stream reads an SSE stream in the background until the returned stop.
func (c *collected) stream(t *testing.T, s *server, path string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.admin.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := io.ReadAll(resp.Body)
		c.add("SSE "+path, string(b))
	}()
	return func() { cancel(); <-done; resp.Body.Close() }
}

// watch follows an execution's own SSE stream until it ends and returns
// its last state.
func (c *collected) watch(t *testing.T, s *server, id string) *model.Execution {
	t.Helper()
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/executions/"+id+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+s.admin.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(io.TeeReader(resp.Body, &buf))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
	}
	resp.Body.Close()
	c.add("SSE execution "+id, buf.String())
	e, err := s.admin.Execution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Status.Terminal() {
		t.Fatalf("execution %s did not end: %s", id, e.Status)
	}
	return e
}

func (s *server) get(t *testing.T, path string) string {
	t.Helper()
	req := newRequest(t, "GET", s.URL+path, "")
	req.Header.Set("Authorization", "Bearer "+s.admin.Token)
	code, _, body := raw(t, req)
	if code != http.StatusOK {
		t.Errorf("GET %s: %d %s", path, code, snippet(body))
	}
	return body
}

func (s *server) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(exe, append([]string{"--server", s.URL}, args...)...)
	cmd.Env = append(os.Environ(), "GENNAKER_CONFIG="+s.CLIConfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("gennaker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// receiver is a webhook endpoint that wants one path and one Authorization
// header, and under /fail answers 500 echoing everything it was sent (as
// careless services do), so the stage's failure reason would carry the
// secrets if gennaker did not redact them.
type receiver struct {
	url string
	mu  sync.Mutex
	hit map[string]int
}

func newReceiver(t *testing.T, wantPath, wantAuth string) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{url: "http://" + ln.Addr().String(), hit: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hit[req.URL.Path]++
		r.mu.Unlock()
		if strings.HasPrefix(req.URL.Path, "/fail/") {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "boom: %s %s with %s", req.Method, req.URL.String(), req.Header.Get("Authorization"))
			return
		}
		if req.URL.Path != wantPath || req.Header.Get("Authorization") != wantAuth {
			http.Error(w, "wrong path or credential", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *receiver) calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.hit {
		out[k] = v
	}
	return out
}

package triggers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

const (
	app       = "cart"
	secretEnv = "GENNAKER_TEST_HOOK_SECRET"
	secret    = "It's a Secret to Everybody"
)

// config is an application with pipelines of one no-op stage each.
func config(pipelines ...model.Pipeline) model.Config {
	for i := range pipelines {
		pipelines[i].Application = app
		if len(pipelines[i].Stages) == 0 {
			pipelines[i].Stages = []model.StageSpec{{Name: "work", Noop: &model.NoopStage{}}}
		}
	}
	return model.Config{
		Applications: []model.Application{{Name: app, Run: model.RunSpec{Command: "/bin/true"}, Instances: 1, HealthCheck: model.HealthCheck{Path: "/healthz"}}},
		Pipelines:    pipelines,
	}
}

func apply(t *testing.T, s *server, cfg model.Config) {
	t.Helper()
	if _, err := s.admin().Apply(context.Background(), cfg); err != nil {
		t.Fatalf("applying config: %v", err)
	}
}

// hookAnswer is the webhook endpoint's answer.
type hookAnswer struct {
	Triggers []struct {
		Key         string `json:"key"`
		ExecutionID string `json:"executionId"`
		Duplicate   bool   `json:"duplicate"`
		Skipped     string `json:"skipped"`
	} `json:"triggers"`
}

// deliver posts body to the hook as GitHub would, signed with key, and
// returns the status and the decoded answer.
func deliver(t *testing.T, s *server, hook, delivery string, body []byte, key string) (int, hookAnswer) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	req, err := http.NewRequest("POST", s.URL+"/api/v1/hooks/"+hook, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("delivering %s: %v", delivery, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a hookAnswer
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("delivery %s: answer %s is not the hook's JSON: %v", delivery, b, err)
		}
	}
	return resp.StatusCode, a
}

// executions lists the executions of pipeline.
func executions(t *testing.T, s *server, pipeline string) []model.Execution {
	t.Helper()
	ex, err := s.admin().Executions(context.Background(), url.Values{"pipeline": {pipeline}, "limit": {"500"}})
	if err != nil {
		t.Fatalf("listing executions of %s: %v", pipeline, err)
	}
	return ex
}

// waitExecutions waits until pipeline has n executions (and not more),
// failing the test after timeout.
func waitExecutions(t *testing.T, s *server, pipeline string, n int, timeout time.Duration) []model.Execution {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ex := executions(t, s, pipeline)
		if len(ex) > n {
			t.Fatalf("pipeline %s has %d executions, want %d: %+v", pipeline, len(ex), n, triggersOf(ex))
		}
		if len(ex) == n {
			return ex
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipeline %s has %d executions after %s, want %d; server log:\n%s", pipeline, len(ex), timeout, n, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func triggersOf(ex []model.Execution) []model.Trigger {
	var out []model.Trigger
	for _, e := range ex {
		out = append(out, e.Trigger)
	}
	return out
}

func secretRef() model.StringOrSecret {
	return model.FromSecret(model.SecretRef{Env: secretEnv})
}

// adminPost posts an empty JSON object to path as the local admin and
// fails the test unless the answer is 2xx.
func adminPost(t *testing.T, s *server, path string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s: %s", path, resp.Status, b)
	}
}

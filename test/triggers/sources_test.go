package triggers

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger/triggertest"
)

// triggerStatus is one entry of GET /api/v1/triggers.
type triggerStatus struct {
	Key        string     `json:"key"`
	LastLookAt *time.Time `json:"lastLookAt"`
	LastError  string     `json:"lastError"`
}

// waitLooked waits until the trigger key has looked at its source since
// after (its first look records what exists without starting anything).
func waitLooked(t *testing.T, s *server, key string, after time.Time, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/triggers", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list []triggerStatus
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET /api/v1/triggers: %v", err)
		}
		for _, st := range list {
			if st.Key == key && st.LastLookAt != nil && st.LastLookAt.After(after) {
				return
			}
			if st.Key == key && st.LastError != "" {
				t.Logf("trigger %s: %s", key, st.LastError)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trigger %s did not look at its source within %s; triggers %+v; server log:\n%s", key, timeout, list, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRegistryAndGitTriggers pushes images to a real OCI registry and
// commits to a real git server: a trigger's first look starts nothing, a
// new matching tag starts its pipeline once with the tag as version and the
// digest recorded, a tag outside the constraint starts nothing, and a new
// commit starts its pipeline with the commit and its time.
func TestRegistryAndGitTriggers(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	git := triggertest.StartGitServer(t, triggertest.GitServerOptions{})
	repo := git.NewRepo(t, "cart", "main")
	repo.Commit(t, triggertest.Commit{Message: "first"})
	reg.Push(t, "acme/cart", "1.4.0")

	s := startServer(t)
	interval := model.Duration(10 * time.Second)
	applied := time.Now()
	apply(t, s, config(
		model.Pipeline{Name: "images", Triggers: []model.TriggerSpec{{Name: "tags",
			Registry: &model.RegistryTrigger{Repository: reg.Repository("acme/cart"), Semver: "^1.4", Interval: interval, Insecure: true}}}},
		model.Pipeline{Name: "commits", Triggers: []model.TriggerSpec{{Name: "main",
			Git: &model.GitTrigger{Repository: repo.URL, Branch: "main", Interval: interval}}}},
	))
	waitLooked(t, s, "cart/images/tags", applied, 20*time.Second)
	waitLooked(t, s, "cart/commits/main", applied, 20*time.Second)
	if n := len(executions(t, s, "images")) + len(executions(t, s, "commits")); n != 0 {
		t.Fatalf("the first looks started %d executions, want none", n)
	}

	reg.Push(t, "acme/cart", "2.0.0") // outside ^1.4
	digest := reg.Push(t, "acme/cart", "1.5.0")
	when := time.Date(2026, 12, 4, 8, 30, 0, 0, time.UTC)
	sha := repo.Commit(t, triggertest.Commit{Message: "fix the cart", Time: when})

	ex := waitExecutions(t, s, "images", 1, 30*time.Second)
	if tr := ex[0].Trigger; ex[0].Params["version"] != "1.5.0" || tr.Kind != "registry" || tr.Digest != digest || tr.DeliveryID != "1.5.0@"+digest {
		t.Errorf("registry execution: params %v trigger %+v, want version 1.5.0 with digest %s", ex[0].Params, tr, digest)
	}
	ex = waitExecutions(t, s, "commits", 1, 30*time.Second)
	if tr := ex[0].Trigger; ex[0].Params["version"] != sha[:12] || tr.Kind != "git" || tr.CommitSHA != sha || tr.CommitTime == nil || !tr.CommitTime.Equal(when) {
		t.Errorf("git execution: params %v trigger %+v, want version %s, commit %s at %s", ex[0].Params, tr, sha[:12], sha, when)
	}
	// The next look (10 s later, give or take 1 s) finds nothing new: still one each. The
	// runner reports a look only when its outcome changes, so this waits
	// out one interval: nothing else can show that nothing happened.
	time.Sleep(12 * time.Second)
	waitExecutions(t, s, "images", 1, time.Second)
	waitExecutions(t, s, "commits", 1, time.Second)
}

// TestPipelineTrigger starts prod when staging succeeds, passing the
// version on.
func TestPipelineTrigger(t *testing.T) {
	s := startServer(t)
	applied := time.Now()
	apply(t, s, config(
		model.Pipeline{Name: "staging"},
		model.Pipeline{Name: "prod", Triggers: []model.TriggerSpec{{Name: "after-staging",
			Pipeline: &model.PipelineTrigger{Pipeline: "staging"}}}},
	))
	waitLooked(t, s, "cart/prod/after-staging", applied, 20*time.Second) // its first look marks where the log ends
	ctx := context.Background()
	up, err := s.admin().Run(ctx, "staging", client.RunRequest{Params: map[string]string{"version": "1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	ex := waitExecutions(t, s, "prod", 1, 20*time.Second)
	if tr := ex[0].Trigger; ex[0].Params["version"] != "1.2.3" || tr.Kind != "pipeline" || tr.DeliveryID != up.ID {
		t.Errorf("prod execution: params %v trigger %+v, want version 1.2.3 from %s", ex[0].Params, tr, up.ID)
	}
}

// TestScheduleAcrossKill runs a schedule every 2 s, kills the server with
// SIGKILL and starts it again on the same data: every tick starts at most
// one execution (no delivery ID twice) and ticks go on after the restart.
func TestScheduleAcrossKill(t *testing.T) {
	s := startKillable(t)
	apply(t, s, config(model.Pipeline{Name: "nightly", Triggers: []model.TriggerSpec{{Name: "tick",
		Schedule: &model.ScheduleTrigger{Cron: "@every 2s", Missed: "skip"}}}}))
	waitAtLeast(t, s, "nightly", 2, 20*time.Second)
	s = restartKilled(t, s)
	n := len(executions(t, s, "nightly"))
	ex := waitAtLeast(t, s, "nightly", n+2, 20*time.Second)
	seen := map[string]bool{}
	for _, e := range ex {
		if e.Trigger.Kind != "schedule" || seen[e.Trigger.DeliveryID] {
			t.Fatalf("tick %q started twice or not by the schedule: %+v", e.Trigger.DeliveryID, triggersOf(ex))
		}
		seen[e.Trigger.DeliveryID] = true
	}
}

func waitAtLeast(t *testing.T, s *server, pipeline string, n int, timeout time.Duration) []model.Execution {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ex := executions(t, s, pipeline)
		if len(ex) >= n {
			return ex
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipeline %s has %d executions after %s, want at least %d; server log:\n%s", pipeline, len(ex), timeout, n, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package triggers

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func pushBody(ref, after string) []byte {
	return fmt.Appendf(nil, `{"ref":%q,"after":%q,"repository":{"full_name":"acme/cart"},"head_commit":{"id":%q,"timestamp":"2026-12-04T10:11:12+01:00"}}`, ref, after, after)
}

// TestGitHubWebhook sends GitHub-style signed pushes to a real server: a
// push to main starts the pipeline once with the version and commit the
// trigger's CEL takes from the payload; a replay, and twenty concurrent
// copies of a new delivery, start nothing twice; a wrong signature, a push
// to another branch and a paused trigger start nothing.
func TestGitHubWebhook(t *testing.T) {
	s := startServer(t)
	pl := model.Pipeline{Name: "build", Triggers: []model.TriggerSpec{{
		Name:    "push",
		Webhook: &model.WebhookTrigger{Hook: "github", Provider: "github", Secret: secretRef()},
		When:    []string{`payload.ref == "refs/heads/main"`},
		Params:  map[string]string{"version": `payload.after.substring(0, 12)`},
	}}}
	apply(t, s, config(pl))
	sha := "0123456789abcdef0123456789abcdef01234567"

	status, a := deliver(t, s, "github", "d-1", pushBody("refs/heads/main", sha), secret)
	if status != http.StatusAccepted || len(a.Triggers) != 1 || a.Triggers[0].ExecutionID == "" || a.Triggers[0].Duplicate {
		t.Fatalf("first delivery: %d %+v, want 202 with one new execution", status, a)
	}
	first := a.Triggers[0].ExecutionID
	ex := waitExecutions(t, s, "build", 1, 10*time.Second)
	tr := ex[0].Trigger
	if ex[0].ID != first || tr.Kind != "webhook" || tr.DeliveryID != "d-1" || tr.Name != "cart/build/push" || ex[0].Params["version"] != sha[:12] {
		t.Fatalf("execution %s: params %v trigger %+v; want the delivery's execution %s, kind webhook, delivery d-1, version %s", ex[0].ID, ex[0].Params, tr, first, sha[:12])
	}
	if tr.CommitSHA != sha || tr.CommitTime == nil || !tr.CommitTime.Equal(time.Date(2026, 12, 4, 9, 11, 12, 0, time.UTC)) {
		t.Errorf("trigger commit %q at %v, want %s at the head commit's timestamp", tr.CommitSHA, tr.CommitTime, sha)
	}

	// GitHub redelivers with the same delivery ID: nothing new starts.
	status, a = deliver(t, s, "github", "d-1", pushBody("refs/heads/main", sha), secret)
	if status != http.StatusAccepted || len(a.Triggers) != 1 || a.Triggers[0].ExecutionID != first || !a.Triggers[0].Duplicate {
		t.Fatalf("replayed delivery: %d %+v, want 202 naming %s as a duplicate", status, a, first)
	}

	// Twenty copies of one new delivery at once: one execution.
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			if st, a := deliver(t, s, "github", "d-2", pushBody("refs/heads/main", sha), secret); st == http.StatusAccepted && len(a.Triggers) == 1 {
				ids[i] = a.Triggers[0].ExecutionID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent copies of delivery d-2 answered executions %v, want one and the same", ids)
		}
	}
	waitExecutions(t, s, "build", 2, 10*time.Second)

	// A wrong key, an unknown hook: 401 alike, nothing starts.
	if st, _ := deliver(t, s, "github", "d-3", pushBody("refs/heads/main", sha), "not the secret"); st != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d, want 401", st)
	}
	if st, _ := deliver(t, s, "nosuchhook", "d-3", pushBody("refs/heads/main", sha), secret); st != http.StatusUnauthorized {
		t.Errorf("unknown hook: %d, want 401 (hooks are not enumerable)", st)
	}
	// Another branch: the when condition is false.
	if st, a := deliver(t, s, "github", "d-4", pushBody("refs/heads/dev", sha), secret); st != http.StatusAccepted || len(a.Triggers) != 1 || a.Triggers[0].Skipped == "" || a.Triggers[0].ExecutionID != "" {
		t.Errorf("push to dev: %d %+v, want 202 with the trigger skipped", st, a)
	}

	// Paused at run time: skipped until resumed.
	adminPost(t, s, "/api/v1/triggers/cart/build/push/pause")
	if st, a := deliver(t, s, "github", "d-5", pushBody("refs/heads/main", sha), secret); st != http.StatusAccepted || len(a.Triggers) != 1 || a.Triggers[0].Skipped == "" {
		t.Errorf("paused trigger: %d %+v, want 202 with the trigger skipped", st, a)
	}
	adminPost(t, s, "/api/v1/triggers/cart/build/push/resume")
	if st, a := deliver(t, s, "github", "d-6", pushBody("refs/heads/main", sha), secret); st != http.StatusAccepted || len(a.Triggers) != 1 || a.Triggers[0].ExecutionID == "" {
		t.Errorf("resumed trigger: %d %+v, want a new execution", st, a)
	}
	waitExecutions(t, s, "build", 3, 10*time.Second)
}

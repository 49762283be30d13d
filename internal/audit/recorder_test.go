package audit

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

type memStore struct{ entries []model.AuditEntry }

func (m *memStore) AuditAppend(_ context.Context, e *model.AuditEntry) error {
	m.entries = append(m.entries, *e)
	return nil
}

// TestRefusalsAreBoundedPerActor: one actor's refusals fill at most
// perMinute entries a minute, the next entry counts what was left out, and
// another actor and actions that were done are not held back.
func TestRefusalsAreBoundedPerActor(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	st := &memStore{}
	r := &Recorder{Store: st, Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 200 {
		r.Record(ctx, model.AuditEntry{Actor: "token:noisy", Action: model.AuditAccess}, model.AuditRefused, "no")
	}
	r.Record(ctx, model.AuditEntry{Actor: "token:quiet", Action: model.AuditAccess}, model.AuditRefused, "no")
	for range 100 {
		r.Record(ctx, model.AuditEntry{Actor: "token:noisy", Action: model.AuditRun}, model.AuditOK, nil)
	}
	count := func(actor string, outcome model.AuditOutcome) int {
		n := 0
		for _, e := range st.entries {
			if e.Actor == actor && e.Outcome == outcome {
				n++
			}
		}
		return n
	}
	if n := count("token:noisy", model.AuditRefused); n != perMinute {
		t.Fatalf("noisy refusals recorded: %d, want %d", n, perMinute)
	}
	if count("token:quiet", model.AuditRefused) != 1 || count("token:noisy", model.AuditOK) != 100 {
		t.Fatal("another actor's refusal and actions that were done must be recorded")
	}
	now = now.Add(time.Minute)
	r.Record(ctx, model.AuditEntry{Actor: "token:noisy", Action: model.AuditAccess}, model.AuditRefused, "no")
	last := st.entries[len(st.entries)-1]
	if !strings.Contains(string(last.Detail), `"suppressed":140`) {
		t.Fatalf("the entry after the pause should count the 140 left out: %s", last.Detail)
	}
}

func TestEntriesAreBounded(t *testing.T) {
	st := &memStore{}
	r := &Recorder{Store: st}
	req := httptest.NewRequest("POST", "/api/v1/executions/"+strings.Repeat("A", 60000)+"%0Afake/approve", nil)
	e := r.Entry(req, model.AuditApprove, RequestObject(req), "")
	r.Record(context.Background(), e, model.AuditRefused, strings.Repeat("x", 100000))
	got := st.entries[0]
	if len(got.Object) > maxObject || strings.Contains(got.Object, "\n") {
		t.Fatalf("object is %d bytes, newline %v", len(got.Object), strings.Contains(got.Object, "\n"))
	}
	if len(got.Detail) > maxRefusalDetail {
		t.Fatalf("a refusal's detail is %d bytes, want at most %d", len(got.Detail), maxRefusalDetail)
	}
}

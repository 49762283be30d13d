package incident_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/incident"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	ok := incident.OpenRequest{Application: "checkout", Environment: "prod", Title: "5xx", Source: model.IncidentSourceAPI}
	both := incident.Known{Application: true, Environment: true}
	with := func(f func(r *incident.OpenRequest)) incident.OpenRequest { r := ok; f(&r); return r }
	for _, tt := range []struct {
		name  string
		req   incident.OpenRequest
		known incident.Known
		want  string // "" valid, else a part of the error
	}{
		{"valid", ok, both, ""},
		{"started a while ago", with(func(r *incident.OpenRequest) { r.StartedAt = now.Add(-48 * time.Hour) }), both, ""},
		{"clock skew allowed", with(func(r *incident.OpenRequest) { r.StartedAt = now.Add(4 * time.Minute) }), both, ""},
		{"future start", with(func(r *incident.OpenRequest) { r.StartedAt = now.Add(time.Hour) }), both, "startedAt"},
		{"unknown application", ok, incident.Known{Environment: true}, `application "checkout" does not exist`},
		{"unknown environment", ok, incident.Known{Application: true}, `environment "prod" does not exist`},
		{"no application", with(func(r *incident.OpenRequest) { r.Application = "" }), both, "application: name"},
		{"no title", with(func(r *incident.OpenRequest) { r.Title = "  " }), both, "title"},
		{"long title", with(func(r *incident.OpenRequest) { r.Title = strings.Repeat("é", 201) }), both, "201 characters"},
		{"title of 200", with(func(r *incident.OpenRequest) { r.Title = strings.Repeat("é", 200) }), both, ""},
		{"bad source", with(func(r *incident.OpenRequest) { r.Source = "pager" }), both, "source"},
		{"resolved before start", with(func(r *incident.OpenRequest) {
			r.StartedAt = now.Add(-time.Hour)
			r.ResolvedAt = new(now.Add(-2 * time.Hour))
		}), both, "before the incident started"},
		{"resolved in the future", with(func(r *incident.OpenRequest) { r.ResolvedAt = new(now.Add(time.Hour)) }), both, "resolvedAt"},
		{"control character in id", with(func(r *incident.OpenRequest) { r.ID = "a\nb" }), both, "id:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := incident.Validate(tt.req, tt.known, now)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want valid", err)
			case tt.want != "" && (err == nil || !errors.Is(err, incident.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestFromAlert(t *testing.T) {
	start := time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC)
	firing := incident.Alert{Status: "firing", Fingerprint: "a1b2c3d4e5f60718", StartsAt: start,
		Labels:      map[string]string{"alertname": "HighErrors", "app": "checkout", "env": "prod", "service": "other"},
		Annotations: map[string]string{"summary": "checkout answers 5xx"}, GeneratorURL: "http://prom/graph"}
	req, err := incident.FromAlert(firing, incident.DefaultLabels)
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "am-a1b2c3d4e5f60718-1796382000" || req.Application != "checkout" || req.Environment != "prod" ||
		req.Title != "checkout answers 5xx" || req.ResolvedAt != nil || req.Source != model.IncidentSourceAlertmanager || req.URL != "http://prom/graph" {
		t.Fatalf("FromAlert(firing) = %+v", req)
	}
	resolved := firing
	resolved.Status, resolved.EndsAt = "resolved", start.Add(time.Hour)
	resolved.Annotations = nil
	req, err = incident.FromAlert(resolved, incident.DefaultLabels)
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "am-a1b2c3d4e5f60718-1796382000" || req.ResolvedAt == nil || !req.ResolvedAt.Equal(start.Add(time.Hour)) || req.Title != "HighErrors" {
		t.Fatalf("FromAlert(resolved) = %+v; want the same ID, resolved at endsAt, titled by alertname", req)
	}
	// Label names of the request's choosing.
	req, err = incident.FromAlert(firing, incident.LabelNames{Application: []string{"service"}, Environment: []string{"env"}})
	if err != nil || req.Application != "other" {
		t.Fatalf("FromAlert with application label service = %+v, %v", req, err)
	}
	for _, tt := range []struct {
		name string
		edit func(a *incident.Alert)
		want string
	}{
		{"no application", func(a *incident.Alert) { a.Labels = map[string]string{"env": "prod"} }, "naming its application"},
		{"no environment", func(a *incident.Alert) { a.Labels = map[string]string{"app": "checkout"} }, "naming its environment"},
		{"bad fingerprint", func(a *incident.Alert) { a.Fingerprint = "../x" }, "fingerprint"},
		{"no start", func(a *incident.Alert) { a.StartsAt = time.Time{} }, "startsAt"},
		{"odd status", func(a *incident.Alert) { a.Status = "pending" }, "status"},
		{"resolved without end", func(a *incident.Alert) { a.Status = "resolved" }, "endsAt"},
	} {
		a := firing
		tt.edit(&a)
		if _, err := incident.FromAlert(a, incident.DefaultLabels); err == nil || !errors.Is(err, incident.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: FromAlert = %v, want an ErrInvalid containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCapLabelsAndTitle(t *testing.T) {
	labels := map[string]string{}
	for i := range 40 {
		labels[string(rune('a'+i%26))+string(rune('a'+i/26))+strings.Repeat("k", 200)] = strings.Repeat("v", 2000)
	}
	got := incident.CapLabels(labels)
	if len(got) != incident.MaxLabels {
		t.Fatalf("CapLabels kept %d labels, want %d", len(got), incident.MaxLabels)
	}
	for k, v := range got {
		if len(k) > incident.MaxLabelKey || len(v) > incident.MaxLabelValue {
			t.Fatalf("CapLabels kept a label of %d/%d bytes", len(k), len(v))
		}
	}
	if n := len([]rune(incident.Title(strings.Repeat("x", 500)))); n != incident.MaxTitle {
		t.Fatalf("Title cut to %d characters, want %d", n, incident.MaxTitle)
	}
}

// A service over a real SQLite store: open and resolve write the incident
// and exactly one event each; replays write nothing.
func TestServiceExactlyOnce(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, err = st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "./checkout"}, Instances: 1}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := &incident.Service{Store: st, Now: func() time.Time { return now }}
	start := now.Add(-time.Hour)
	req := incident.OpenRequest{ID: "am-x-1", Application: "checkout", Environment: "prod", Title: "5xx",
		Source: model.IncidentSourceAlertmanager, StartedAt: start, By: "token:alertmanager",
		Audit: &model.AuditEntry{Actor: "token:alertmanager", Time: now}}
	for i := range 3 {
		res, err := svc.Open(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Opened != (i == 0) || res.Incident.ID != "am-x-1" || !res.Incident.Open() {
			t.Fatalf("open #%d = %+v", i, res)
		}
	}
	// A replay naming another application is a conflict.
	other := req
	other.Environment = "nope"
	if _, err := svc.Open(ctx, other); !errors.Is(err, incident.ErrInvalid) {
		t.Fatalf("open in an unknown environment = %v, want ErrInvalid", err)
	}
	// Resolving before the start is refused; then once; then a no-op.
	if _, err := svc.Resolve(ctx, incident.ResolveRequest{ID: "am-x-1", At: start.Add(-time.Minute)}); !errors.Is(err, incident.ErrInvalid) {
		t.Fatalf("resolve before the start = %v, want ErrInvalid", err)
	}
	for i := range 2 {
		res, err := svc.Resolve(ctx, incident.ResolveRequest{ID: "am-x-1", At: now.Add(-time.Duration(10-i) * time.Minute), By: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Resolved != (i == 0) || !res.Incident.ResolvedAt.Equal(now.Add(-10*time.Minute)) {
			t.Fatalf("resolve #%d = %+v (resolved at %v)", i, res, res.Incident.ResolvedAt)
		}
	}
	if _, err := svc.Resolve(ctx, incident.ResolveRequest{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("resolve of an unknown incident = %v, want ErrNotFound", err)
	}
	// A resolved alert gennaker never saw firing: opened and resolved at once.
	late := req
	late.ID, late.ResolvedAt = "am-y-1", new(now.Add(-5*time.Minute))
	for i := range 2 {
		res, err := svc.Open(ctx, late)
		if err != nil {
			t.Fatal(err)
		}
		if res.Opened != (i == 0) || res.Resolved != (i == 0) || res.Incident.Open() {
			t.Fatalf("late resolved alert #%d = %+v", i, res)
		}
	}
	evs, err := st.EventList(ctx, store.EventListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Kind)+" "+ev.Ref+" "+ev.Time.Format(time.TimeOnly)+" "+ev.Action+" "+ev.Detail+" "+ev.Actor)
	}
	want := []string{
		"incident_opened am-x-1 11:00:00 alertmanager 5xx token:alertmanager",
		"incident_resolved am-x-1 11:50:00 alertmanager  ada",
		"incident_opened am-y-1 11:00:00 alertmanager 5xx token:alertmanager",
		"incident_resolved am-y-1 11:55:00 alertmanager  token:alertmanager",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	audit, err := st.AuditList(ctx, store.AuditListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, string(e.Action)+" "+e.Object)
	}
	if strings.Join(actions, ",") != "incident.open incident/am-x-1,incident.open incident/am-y-1,incident.resolve incident/am-y-1" {
		t.Fatalf("audit entries = %v; want one per write (the plain resolve had no audit entry)", actions)
	}
}

package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
)

// The incident API over a real server: an Idempotency-Key replay opens
// nothing new, bad requests name their field, resolving twice writes one
// event, and lists page with their Link header.
func TestIncidentAPI(t *testing.T) {
	admin := startServer(t)
	ctx := t.Context()
	if _, err := admin.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}}}},
		Environments: []model.Environment{{Name: "production", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	other, err := admin.CreateToken(ctx, api.TokenRequest{Name: "oncall", Role: model.RoleDeployer, Scope: model.Scope{Environments: []string{"production"}}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(token, method, path, key, body string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, admin.Base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	open := `{"application":"checkout","environment":"production","title":"checkout 5xx","startedAt":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `"}`
	var first model.Incident
	for i, want := range []int{http.StatusCreated, http.StatusOK} {
		code, body, _ := call(admin.Token, "POST", "/api/v1/incidents", "page-42", open)
		var inc model.Incident
		if err := json.Unmarshal([]byte(body), &inc); err != nil || code != want {
			t.Fatalf("open #%d with an Idempotency-Key: %d %s, want %d", i, code, body, want)
		}
		if i == 0 {
			first = inc
		} else if inc.ID != first.ID {
			t.Fatalf("the replay answered incident %s, want %s", inc.ID, first.ID)
		}
	}
	// The same key from another caller is another incident.
	code, body, _ := call(other.Secret, "POST", "/api/v1/incidents", "page-42", open)
	if code != http.StatusCreated || strings.Contains(body, first.ID) {
		t.Fatalf("another caller's key: %d %s, want a new incident", code, body)
	}

	for _, tt := range []struct{ body, want string }{
		{`{"application":"nope","environment":"production","title":"x"}`, `application \"nope\" does not exist`},
		{`{"application":"checkout","environment":"nope","title":"x"}`, `environment \"nope\" does not exist`},
		{`{"application":"checkout","environment":"production","title":"` + strings.Repeat("x", 201) + `"}`, "title is 201 characters long"},
		{`{"application":"checkout","environment":"production","title":"x","startedAt":"2999-01-01T00:00:00Z"}`, "startedAt 2999-01-01T00:00:00Z is in the future"},
		{`{"application":"checkout","environment":"production","title":"x","severity":"high"}`, "unknown field"},
	} {
		if code, body, _ := call(admin.Token, "POST", "/api/v1/incidents", "", tt.body); code != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("open %s: %d %s, want 400 saying %q", tt.body, code, body, tt.want)
		}
	}

	resolve := "/api/v1/incidents/" + first.ID + "/resolve"
	if code, body, _ := call(admin.Token, "POST", resolve, "", `{"resolvedAt":"2000-01-01T00:00:00Z"}`); code != http.StatusBadRequest || !strings.Contains(body, "before the incident started") {
		t.Fatalf("resolve before the start: %d %s, want 400", code, body)
	}
	var resolvedAt []string
	for range 2 {
		code, body, _ := call(other.Secret, "POST", resolve, "", `{}`)
		var inc model.Incident
		if err := json.Unmarshal([]byte(body), &inc); err != nil || code != http.StatusOK || inc.ResolvedAt == nil || inc.ResolvedBy != "token:oncall" {
			t.Fatalf("resolve: %d %s", code, body)
		}
		resolvedAt = append(resolvedAt, inc.ResolvedAt.String())
	}
	if resolvedAt[0] != resolvedAt[1] {
		t.Fatalf("a second resolve moved the resolution: %v", resolvedAt)
	}
	if code, _, _ := call(admin.Token, "POST", "/api/v1/incidents/nope/resolve", "", `{}`); code != http.StatusNotFound {
		t.Fatalf("resolve of an unknown incident: %d, want 404", code)
	}
	if code, _, _ := call(admin.Token, "GET", "/api/v1/incidents/nope", "", ""); code != http.StatusNotFound {
		t.Fatalf("get of an unknown incident: %d, want 404", code)
	}
	got, err := admin.Incident(ctx, first.ID)
	if err != nil || got.Open() || got.Title != "checkout 5xx" {
		t.Fatalf("get %s = %+v, %v", first.ID, got, err)
	}

	evs, err := admin.Events(ctx, url.Values{"kind": {"incident_opened,incident_resolved"}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, string(ev.Kind))
	}
	if strings.Join(kinds, " ") != "incident_opened incident_opened incident_resolved" {
		t.Fatalf("events = %v, want one opened per incident and one resolved", kinds)
	}

	// Paging: one a page, newest first, following the Link header.
	var ids []string
	q := url.Values{"limit": {"1"}}
	page, next, err := admin.Incidents(ctx, q)
	for err == nil {
		for _, inc := range page {
			ids = append(ids, inc.ID)
		}
		if next == "" {
			break
		}
		var cursor *url.URL
		if cursor, err = url.Parse(next); err != nil {
			break
		}
		page, next, err = admin.Incidents(ctx, cursor.Query())
	}
	if err != nil || len(ids) != 2 || ids[0] == ids[1] || (ids[0] != first.ID && ids[1] != first.ID) {
		t.Fatalf("paged list = %v, %v; want both incidents once", ids, err)
	}
	if open, _, err := admin.Incidents(ctx, url.Values{"open": {"true"}}); err != nil || len(open) != 1 || open[0].ID == first.ID {
		t.Fatalf("open incidents = %+v, %v; want the other one", open, err)
	}
}

package source

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

func TestWebCheckMeasures(t *testing.T) {
	t.Parallel()

	const token = "s3cr3t-t0ken-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/budget/shop-v002":
			_, _ = w.Write([]byte(`{"data": {"burnRate": 0.4, "status": "ok"}}`))
		case "/burning":
			_, _ = w.Write([]byte(`{"data": {"burnRate": 3}}`))
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "body": string(b)})
		case "/huge":
			_, _ = w.Write([]byte(`{"x": "` + strings.Repeat("a", MaxWebCheckBody) + `"}`))
		case "/html":
			_, _ = w.Write([]byte(`<html>oops</html>`))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
			_, _ = w.Write([]byte(`1`))
		case "/down":
			http.Error(w, `{"error": "maintenance, token `+token+`"}`, http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)

	res := &secret.Resolver{LookupEnv: func(name string) (string, bool) {
		return "Bearer " + token, name == "SLO_TOKEN"
	}}
	web := Web{Secrets: res}
	scope := Scope{Application: "shop", ServerGroup: "shop-v002"}
	check := func(path, success, failure string) model.AnalysisCheck {
		return model.AnalysisCheck{Name: "budget", SuccessCondition: success, FailureCondition: failure, Web: &model.WebCheck{
			URL:      srv.URL + path,
			Headers:  map[string]model.StringOrSecret{"Authorization": model.FromSecret(model.SecretRef{Env: "SLO_TOKEN"})},
			JSONPath: "{$.data.burnRate}",
			Timeout:  model.Duration(100 * time.Millisecond),
		}}
	}
	cases := []struct {
		name  string
		check model.AnalysisCheck
		want  analysis.CheckPhase
		msg   string
	}{
		{"placeholders, a secret header and a passing value", check("/budget/{{serverGroup}}", "result < 1", "result >= 2"), analysis.CheckSuccessful, "0.4 meets the success condition"},
		{"a failing value", check("/burning", "result < 1", "result >= 2"), analysis.CheckFailed, "3 meets the failure condition"},
		{"between the conditions", func() model.AnalysisCheck {
			c := check("/burning", "result < 1", "result >= 5")
			return c
		}(), analysis.CheckInconclusive, "meets neither"},
		{"a body too large", func() model.AnalysisCheck {
			// Reading a megabyte is no race against the slow case's 100 ms
			// on a loaded machine.
			c := check("/huge", "true", "")
			c.Web.Timeout = model.Duration(10 * time.Second)
			return c
		}(), analysis.CheckError, "larger than 1048576 bytes"},
		{"not JSON", check("/html", "true", ""), analysis.CheckError, "not JSON"},
		{"too slow", check("/slow", "true", ""), analysis.CheckError, "no answer within 100ms (web.timeout)"},
		{"a 503", check("/down", "true", ""), analysis.CheckError, "answered 503"},
		{"a path that finds nothing", func() model.AnalysisCheck {
			c := check("/budget/shop-v002", "true", "")
			c.Web.JSONPath = "{$.data.missing}"
			return c
		}(), analysis.CheckError, "fix web.jsonPath"},
		{"a missing secret", func() model.AnalysisCheck {
			c := check("/budget/shop-v002", "true", "")
			c.Web.Headers["Authorization"] = model.FromSecret(model.SecretRef{Env: "NOT_SET"})
			return c
		}(), analysis.CheckError, "header Authorization"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := web.Measure(t.Context(), c.check, scope)
			if m.Phase != c.want || !strings.Contains(m.Message, c.msg) {
				t.Errorf("got %s: %s\nwant %s with %q", m.Phase, m.Message, c.want, c.msg)
			}
			if m.Phase == analysis.CheckError && !strings.Contains(m.Message, "check budget") {
				t.Errorf("an error names the check: %s", m.Message)
			}
			b, _ := json.Marshal(m)
			if strings.Contains(string(b), token) {
				t.Errorf("the secret leaked into the measurement: %s", b)
			}
		})
	}

	post := model.AnalysisCheck{Name: "echo", SuccessCondition: `result.method == "POST" && result.body == "{\"group\": \"shop-v002\"}"`, Web: &model.WebCheck{
		URL: srv.URL + "/echo", Method: "post", Body: `{"group": "{{serverGroup}}"}`,
		Headers: map[string]model.StringOrSecret{"Authorization": model.Inline("Bearer " + token)},
	}}
	if m := web.Measure(t.Context(), post, scope); m.Phase != analysis.CheckSuccessful {
		t.Errorf("POST with a rendered body: %s: %s", m.Phase, m.Message)
	}
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The handlers below serve the action forms of browsers without JavaScript.
// Each forwards the form to the API route the CLI and the JS use (so there is
// one implementation of every action), then redirects to the page that shows
// the result, or renders the API's error.

// postRollback: POST /applications/{name}/rollback (environment, reason).
func (h *ui) postRollback(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body := map[string]string{"environment": r.FormValue("environment"), "reason": r.FormValue("reason")}
	h.forward(w, r, "/api/v1/applications/"+url.PathEscape(name)+"/rollback", body, "/applications/"+url.PathEscape(name))
}

// postDeploy: POST /applications/{name}/deploy (environment, version, pipeline, params as key=value lines).
func (h *ui) postDeploy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	params, err := parseParams(r.FormValue("params"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Deploy not started", Data: errorView{
			Title: "Deploy not started", Detail: err.Error(), Hint: "Write one parameter per line as key=value.", Back: "/applications/" + url.PathEscape(name)}})
		return
	}
	body := map[string]any{"environment": r.FormValue("environment"), "version": r.FormValue("version"), "pipeline": r.FormValue("pipeline"), "params": params}
	h.forward(w, r, "/api/v1/applications/"+url.PathEscape(name)+"/deploy", body, "/applications/"+url.PathEscape(name))
}

// postExecutionAction: POST /executions/{id}/approve|reject|cancel.
func (h *ui) postExecutionAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	back := "/executions/" + url.PathEscape(id)
	var body map[string]string
	switch action {
	case "approve", "reject":
		body = map[string]string{"stage": r.FormValue("stage"), "comment": r.FormValue("comment")}
	case "cancel":
		body = map[string]string{"reason": r.FormValue("reason")}
	default:
		http.NotFound(w, r)
		return
	}
	h.forward(w, r, "/api/v1/executions/"+url.PathEscape(id)+"/"+action, body, back)
}

// parseParams reads key=value lines; blank lines and lines starting with # are skipped.
func parseParams(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("parameters line %d: %q is not key=value", i+1, line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// forward sends body as JSON to the API route path on the same router, as
// the logged-in caller (the request's context carries who they are), and
// redirects to the execution it started or changed.
func (h *ui) forward(w http.ResponseWriter, r *http.Request, path string, body any, back string) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, path, bytes.NewReader(b))
	if err != nil {
		h.fail(w, r, err, "Action")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = r.RemoteAddr
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	h.api.ServeHTTP(rec, req)
	var answer struct {
		ID     string   `json:"id"`
		Error  string   `json:"error"`
		Errors []string `json:"errors"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &answer)
	if rec.code >= 300 {
		detail := answer.Error
		if detail == "" {
			detail = strings.TrimSpace(rec.body.String())
		}
		h.render(w, r, rec.code, "error.html", page{Title: "Action not done", Data: errorView{
			Title: "The server refused the action", Detail: detail, Hint: "Nothing was changed. Go back, fix what the message says, and try again.", Back: back}})
		return
	}
	to := back
	if answer.ID != "" {
		to = "/executions/" + url.PathEscape(answer.ID)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// recorder captures an in-process API answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

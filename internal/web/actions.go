package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The handlers below serve the action forms of browsers without JavaScript.
// Each forwards the form to the API route the CLI and the JS use (so there is
// one implementation of every action), then redirects to the page that shows
// the result, or renders the API's error.

// maxFormBody bounds a form post (the API's limit for an action's body).
const maxFormBody = 64 << 10

// errForm is a form post the UI does not read.
var errForm = errors.New("form")

// readForm reads a URL-encoded form body of at most maxFormBody bytes.
// Multipart bodies are refused: Go spills a large one to temporary files,
// and no page of gennaker sends one.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, fmt.Errorf("%w: send the form as application/x-www-form-urlencoded", errForm)
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("%w: the form could not be read (%v); forms are limited to 64 KiB", errForm, err)
	}
	return r.PostForm, nil
}

// formHandler reads the form of a post, or renders why it could not.
func (h *ui) formHandler(fn func(w http.ResponseWriter, r *http.Request, form url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		form, err := readForm(w, r)
		if err != nil {
			h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Form not read", Data: errorView{
				Title: "The form could not be read", Detail: err.Error(), Hint: "Go back and send it again from gennaker's own page."}})
			return
		}
		fn(w, r, form)
	}
}

// postRollback: POST /applications/{name}/rollback (environment, reason).
func (h *ui) postRollback(w http.ResponseWriter, r *http.Request, form url.Values) {
	name := r.PathValue("name")
	body := map[string]string{"environment": form.Get("environment"), "reason": form.Get("reason")}
	h.forward(w, r, "/api/v1/applications/"+url.PathEscape(name)+"/rollback", body, "/applications/"+url.PathEscape(name))
}

// postDeploy: POST /applications/{name}/deploy (environment, version, pipeline, params as key=value lines).
func (h *ui) postDeploy(w http.ResponseWriter, r *http.Request, form url.Values) {
	name := r.PathValue("name")
	params, err := parseParams(form.Get("params"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Deploy not started", Data: errorView{
			Title: "Deploy not started", Detail: err.Error(), Hint: "Write one parameter per line as key=value.", Back: "/applications/" + url.PathEscape(name)}})
		return
	}
	body := map[string]any{"environment": form.Get("environment"), "version": form.Get("version"), "pipeline": form.Get("pipeline"), "params": params}
	h.forward(w, r, "/api/v1/applications/"+url.PathEscape(name)+"/deploy", body, "/applications/"+url.PathEscape(name))
}

// postExecutionAction: POST /executions/{id}/approve|reject|cancel|promote|abort|retry.
func (h *ui) postExecutionAction(w http.ResponseWriter, r *http.Request, form url.Values) {
	id, action := r.PathValue("id"), r.PathValue("action")
	back := "/executions/" + url.PathEscape(id)
	var body map[string]any
	switch action {
	case "approve", "reject":
		body = map[string]any{"stage": form.Get("stage"), "comment": form.Get("comment")}
	case "promote", "abort", "retry":
		body = map[string]any{"stage": form.Get("stage"), "comment": form.Get("comment")}
		if v := form.Get("version"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Action not done", Data: errorView{
					Title: "The form could not be read", Detail: fmt.Sprintf("version %q is not an execution version (a whole number)", v),
					Hint: "Go back, reload the execution's page and send it again.", Back: back}})
				return
			}
			body["version"] = n
		}
	case "cancel":
		body = map[string]any{"reason": form.Get("reason")}
	default:
		h.notFound(w, r)
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

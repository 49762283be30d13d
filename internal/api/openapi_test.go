package api

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/authn"
)

// undocumentedOK are routes the document may leave out.
var undocumentedOK = map[string]bool{"GET /healthz": true, "GET /metrics": true}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	return doc
}

// serverRoutes returns "METHOD /path" for every API route the server registers.
func serverRoutes(t *testing.T) map[string]bool {
	t.Helper()
	srv := New(Config{Auth: authn.New(authn.Config{})})
	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		// Go's ServeMux writes wildcards as {name} (or {name...}); OpenAPI as {name}.
		path := strings.ReplaceAll(r.Path, "...}", "}")
		path = strings.TrimSuffix(path, "{$}")
		routes[r.Method+" "+path] = true
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes; has the registration changed?", len(routes))
	}
	return routes
}

// documentedRoutes returns "METHOD /path" for every operation in the document.
func documentedRoutes(t *testing.T, doc map[string]any) map[string]bool {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.yaml: paths is missing or not a map")
	}
	routes := map[string]bool{}
	for path, item := range paths {
		ops, ok := item.(map[string]any)
		if !ok {
			t.Errorf("openapi.yaml: path %s is not a map", path)
			continue
		}
		for _, method := range httpMethods {
			if _, ok := ops[method]; ok {
				routes[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return routes
}

func TestOpenAPIDocumentIsOpenAPI3(t *testing.T) {
	doc := loadOpenAPI(t)
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %q, want a 3.x version", v)
	}
	info, ok := doc["info"].(map[string]any)
	if !ok {
		t.Fatal("openapi.yaml: info is missing")
	}
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("openapi.yaml: info.%s is missing", k)
		}
	}
	if paths, _ := doc["paths"].(map[string]any); len(paths) == 0 {
		t.Error("openapi.yaml: paths is empty")
	}
	if _, err := openAPIJSON(); err != nil {
		t.Errorf("the embedded document does not convert to JSON: %v", err)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	server := serverRoutes(t)
	documented := documentedRoutes(t, doc)
	for _, r := range sortedKeys(server) {
		if !documented[r] && !undocumentedOK[r] {
			t.Errorf("route %s is registered by the server but missing from openapi.yaml", r)
		}
	}
	for _, r := range sortedKeys(documented) {
		if !server[r] && !undocumentedOK[r] {
			t.Errorf("openapi.yaml documents %s, which the server does not register", r)
		}
	}
}

func TestOpenAPIPathParametersAreDeclared(t *testing.T) {
	doc := loadOpenAPI(t)
	paths, _ := doc["paths"].(map[string]any)
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for _, method := range httpMethods {
			op, ok := ops[method].(map[string]any)
			if !ok {
				continue
			}
			declared := map[string]bool{}
			for _, list := range []any{ops["parameters"], op["parameters"]} {
				params, _ := list.([]any)
				for _, p := range params {
					pm, _ := resolve(doc, p).(map[string]any)
					if pm["in"] == "path" {
						declared[fmt.Sprint(pm["name"])] = true
					}
				}
			}
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %q is not declared", strings.ToUpper(method), path, m[1])
				}
			}
			if _, ok := op["responses"].(map[string]any); !ok {
				t.Errorf("%s %s: no responses", strings.ToUpper(method), path)
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var walk func(where string, v any)
	n := 0
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"]; ok {
				n++
				s, _ := ref.(string)
				if _, err := lookupRef(doc, s); err != nil {
					t.Errorf("%s: $ref %q: %v", where, s, err)
				}
			}
			for k, child := range v {
				walk(where+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s/%d", where, i), child)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("openapi.yaml has no $ref at all; expected component schemas")
	}
}

func TestOpenAPIHasComponentSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, name := range []string{
		"Error", "Application", "Environment", "Pipeline", "StageSpec", "NoopStage", "WaitStage",
		"JudgmentStage", "WebhookStage", "DeployStage", "RollbackStage", "Strategy", "CanarySpec",
		"CanaryStep", "AnalysisSpec", "Execution", "Stage", "Judgment", "Trigger", "Event",
		"ServerGroup", "Config", "ApplyResult", "RunRequest", "JudgeRequest", "CancelRequest",
		"DeployRequest", "RollbackRequest", "AppStatus", "AnalysisRecord",
	} {
		if _, err := lookupRef(doc, "#/components/schemas/"+name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

// lookupRef follows a local JSON pointer such as #/components/schemas/Execution.
func lookupRef(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("only local references are used in this document")
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not an object", part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("no %q", part)
		}
	}
	return cur, nil
}

// resolve returns v, or what it references when it is a {$ref: ...} object.
func resolve(doc map[string]any, v any) any {
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok {
			if target, err := lookupRef(doc, ref); err == nil {
				return target
			}
		}
	}
	return v
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

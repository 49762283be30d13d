package source

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// HTTPJSON fetches samples from any HTTP endpoint that answers JSON. The
// query is "URL" or "URL#path": the URL (placeholders rendered, values
// URL-escaped by the caller's template) answers either a JSON array of
// numbers, or an object in which the dotted path (default "values") holds
// one. null entries become NaN.
type HTTPJSON struct {
	Client *http.Client
}

var _ Source = HTTPJSON{}

// Fetch implements Source.
func (h HTTPJSON) Fetch(ctx context.Context, tmpl string, s Scope) (Fetched, error) {
	q := Render(tmpl, s)
	out := Fetched{Query: q}
	url, path, _ := strings.Cut(q, "#")
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var body []byte
	err := retry(ctx, 3, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("answered %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("http source %s: %w", url, err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return out, fmt.Errorf("http source %s: the answer is not JSON: %w", url, err)
	}
	if _, isArray := doc.([]any); !isArray {
		if path == "" {
			path = "values"
		}
		for _, part := range strings.Split(path, ".") {
			m, ok := doc.(map[string]any)
			if !ok {
				return out, fmt.Errorf("http source %s: no %q in the answer: give the path to the array after '#'", url, path)
			}
			doc = m[part]
		}
	}
	arr, ok := doc.([]any)
	if !ok {
		return out, fmt.Errorf("http source %s: %q is not an array of numbers", url, path)
	}
	for _, v := range arr {
		switch n := v.(type) {
		case float64:
			out.Samples = append(out.Samples, n)
		case nil:
			out.Samples = append(out.Samples, math.NaN())
		default:
			return out, fmt.Errorf("http source %s: %v is not a number", url, v)
		}
	}
	return out, nil
}

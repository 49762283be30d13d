package source

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHTTPJSONReadsArraysAndPaths(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain/shop-v002":
			_, _ = w.Write([]byte(`[1, 2.5, null]`))
		case "/nested":
			_, _ = w.Write([]byte(`{"data": {"points": [3, 4]}}`))
		default:
			http.Error(w, "nope", http.StatusNotFound)
		}
	}))
	defer srv.Close()

	got, err := HTTPJSON{}.Fetch(t.Context(), srv.URL+"/plain/{{serverGroup}}", Scope{ServerGroup: "shop-v002"})
	if err != nil || len(got.Samples) != 3 || got.Samples[1] != 2.5 || !math.IsNaN(got.Samples[2]) {
		t.Errorf("plain array: %v %v", got, err)
	}
	got, err = HTTPJSON{}.Fetch(t.Context(), srv.URL+"/nested#data.points", Scope{})
	if err != nil || len(got.Samples) != 2 || got.Samples[0] != 3 {
		t.Errorf("nested path: %v %v", got, err)
	}
	if _, err := (HTTPJSON{}).Fetch(t.Context(), srv.URL+"/missing", Scope{}); err == nil {
		t.Error("a 404 must be an error, not an empty sample")
	}
}

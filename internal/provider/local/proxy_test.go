package local

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func itoa(i int) string { return strconv.Itoa(i) }

func httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}
}

func TestFrontDoorWeightsAndHeaders(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	stable := sampleSpec(t, "checkout-v010", "v10", 2, nil)
	canary := sampleSpec(t, "checkout-v011", "v11", 1, nil)
	ensureHealthy(t, p, stable)
	ensureHealthy(t, p, canary)
	fd := FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0", Routes: []Route{
		{ServerGroup: stable.Name, Weight: 90}, {ServerGroup: canary.Name, Weight: 10, Canary: true}}}
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	url := "http://" + p.FrontDoorAddress("checkout", "test") + "/"
	c := httpClient()
	const n = 2000
	versions := map[string]int{}
	for range n {
		code, body := get(t, c, url, nil)
		if code != 200 {
			t.Fatalf("front door answered %d %q", code, body)
		}
		versions[strings.Fields(body)[0]]++
	}
	if versions["version=v11"] != n/10 || versions["version=v10"] != n*9/10 {
		t.Fatalf("%d requests split %v, want exactly 90%%/10%%", n, versions)
	}
	snap := p.Snapshot("checkout", "test")
	if got := snap[stable.Name].Requests + snap[canary.Name].Requests; got != n {
		t.Fatalf("snapshot counted %d requests, want %d: %+v", got, n, snap)
	}

	for header, want := range map[string]string{"canary": "version=v11", stable.Name: "version=v10", canary.Name: "version=v11"} {
		for range 20 {
			if _, body := get(t, c, url, map[string]string{RouteHeader: header}); !strings.HasPrefix(body, want) {
				t.Fatalf("%s: %s answered %q, want %s", RouteHeader, header, body, want)
			}
		}
	}

	// Moving all traffic is atomic and takes effect for the next request.
	fd.Routes = []Route{{ServerGroup: stable.Name, Weight: 0}, {ServerGroup: canary.Name, Weight: 100, Canary: true}}
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, body := get(t, c, url, nil); !strings.HasPrefix(body, "version=v11") {
			t.Fatalf("after moving all traffic to the canary, got %q", body)
		}
	}
	if _, body := get(t, c, url, map[string]string{RouteHeader: stable.Name}); !strings.HasPrefix(body, "version=v10") {
		t.Fatalf("weight 0 group is not reachable by header: %q", body)
	}

	// No healthy instance: a clear 503, counted against the group.
	if err := p.Destroy(t.Context(), canary.Ref()); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, c, url, nil); code != 503 || !strings.Contains(body, canary.Name+" has no healthy instance") {
		t.Fatalf("want 503 naming the group, got %d %q", code, body)
	}
}

func TestFrontDoorCountsErrorsPerGroup(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	good := sampleSpec(t, "checkout-v020", "v20", 1, nil)
	bad := sampleSpec(t, "checkout-v021", "v21", 1, map[string]string{"SAMPLE_ERROR_RATE": "0.5"})
	ensureHealthy(t, p, good)
	ensureHealthy(t, p, bad)
	if err := p.SetRoutes(t.Context(), FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0", Routes: []Route{
		{ServerGroup: good.Name, Weight: 50}, {ServerGroup: bad.Name, Weight: 50, Canary: true}}}); err != nil {
		t.Fatal(err)
	}
	url := "http://" + p.FrontDoorAddress("checkout", "test") + "/"
	c := httpClient()
	before := p.Snapshot("checkout", "test")
	for range 400 {
		get(t, c, url, nil)
	}
	after := p.Snapshot("checkout", "test")
	g, b := after[good.Name].Sub(before[good.Name]), after[bad.Name].Sub(before[bad.Name])
	if g.Errors != 0 {
		t.Errorf("healthy group counted %d errors", g.Errors)
	}
	if rate := float64(b.Errors) / float64(b.Requests); b.Requests < 100 || rate < 0.35 || rate > 0.65 {
		t.Errorf("faulty group: %d errors in %d requests, want about half", b.Errors, b.Requests)
	}
	if b.Buckets[len(b.Buckets)-1] != b.Requests || b.Sum <= 0 {
		t.Errorf("latency histogram does not add up: %+v", b)
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(p.Collector())
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 2 || len(mfs[0].GetMetric())+len(mfs[1].GetMetric()) != 6 {
		t.Fatalf("collector gathered %v, %v", mfs, err)
	}
}

func TestSetRoutesRejectsBadTables(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	for _, routes := range [][]Route{
		{{ServerGroup: "a", Weight: 90}},
		{{ServerGroup: "a", Weight: 50, Canary: true}, {ServerGroup: "b", Weight: 50, Canary: true}},
		{{ServerGroup: "a", Weight: 100}, {ServerGroup: "a", Weight: 0}},
	} {
		if err := p.SetRoutes(t.Context(), FrontDoor{Application: "x", Environment: "y", Address: "127.0.0.1:0", Routes: routes}); err == nil {
			t.Errorf("accepted %+v", routes)
		}
	}
}

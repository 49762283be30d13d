package local

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStickyChoice is the decision of a sticky front door, request by request.
func TestStickyChoice(t *testing.T) {
	t.Parallel()
	stable := &route{name: "checkout-v010", weight: 100}
	canary := &route{name: "checkout-v011", weight: 0}
	tb := newRouteTable([]*route{stable, canary}, canary, "gennaker-route.test.checkout", nil)
	for _, c := range []struct {
		name, header, cookie string
		want                 *route
		remember             bool
	}{
		{"a new client is picked by weight and remembered", "", "", stable, true},
		{"a client with a cookie stays on its group", "", "checkout-v010", stable, false},
		{"a cookie naming a group at weight 0 is re-picked and reset", "", "checkout-v011", stable, true},
		{"a cookie naming a group that is gone is re-picked and reset", "", "checkout-v009", stable, true},
		{"the header wins over the cookie and sets none", "canary", "checkout-v010", canary, false},
		{"the header naming a group sets no cookie", "checkout-v011", "", canary, false},
	} {
		rt, remember := tb.choose(c.header, c.cookie)
		if rt != c.want || remember != c.remember {
			t.Errorf("%s: got %v remember %v, want %s remember %v", c.name, rt, remember, c.want.name, c.remember)
		}
	}

	notSticky := newRouteTable([]*route{stable, canary}, canary, "", nil)
	if rt, remember := notSticky.choose("", "checkout-v010"); rt != stable || remember {
		t.Errorf("a door that is not sticky: got %v remember %v, want the weighted pick and no cookie", rt, remember)
	}
	if rt, remember := newRouteTable(nil, nil, "c", nil).choose("", "x"); rt != nil || remember {
		t.Errorf("no routes: got %v remember %v, want none", rt, remember)
	}
}

// TestStickyCookieKeepsClientsOnTheirGroup runs real instances behind a
// sticky front door: clients with a cookie jar stay on their first group
// through a weight change, new clients split exactly by the weights, and
// a group set to weight 0 sends its clients elsewhere with a new cookie.
func TestStickyCookieKeepsClientsOnTheirGroup(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	stable := sampleSpec(t, "checkout-v030", "v30", 1, nil)
	canary := sampleSpec(t, "checkout-v031", "v31", 1, nil)
	ensureHealthy(t, p, stable)
	ensureHealthy(t, p, canary)
	fd := FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0", Sticky: true, Routes: []Route{
		{ServerGroup: stable.Name, Weight: 50}, {ServerGroup: canary.Name, Weight: 50, Canary: true}}}
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	url := "http://" + p.FrontDoorAddress("checkout", "test") + "/"
	const clients = 20
	jars := make([]*http.Client, clients)
	first := make([]string, clients)
	versions := map[string]int{}
	for i := range jars {
		jar, _ := cookiejar.New(nil)
		jars[i] = &http.Client{Jar: jar, Transport: httpClient().Transport}
		first[i] = version(t, jars[i], url)
		versions[first[i]]++
	}
	if versions["version=v30"] != clients/2 || versions["version=v31"] != clients/2 {
		t.Fatalf("new clients split %v, want %d each", versions, clients/2)
	}

	// More traffic to the canary does not move clients that have a group.
	fd.Routes[0].Weight, fd.Routes[1].Weight = 10, 90
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	for i, c := range jars {
		for range 5 {
			if v := version(t, c, url); v != first[i] {
				t.Fatalf("client %d moved from %s to %s while its group still had weight", i, first[i], v)
			}
		}
	}

	// Weight 0: the canary's clients go to the stable group, and stay there.
	fd.Routes[0].Weight, fd.Routes[1].Weight = 100, 0
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	for i, c := range jars {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		set := resp.Header.Get("Set-Cookie")
		switch {
		case first[i] == "version=v31" && !strings.Contains(set, "gennaker-route.test.checkout="+stable.Name):
			t.Fatalf("client %d of the drained canary: Set-Cookie %q, want one naming %s", i, set, stable.Name)
		case first[i] == "version=v30" && set != "":
			t.Fatalf("client %d of the stable group got a new cookie %q", i, set)
		}
		if v := version(t, c, url); v != "version=v30" {
			t.Fatalf("client %d went to %s after its canary was drained", i, v)
		}
	}

	// A client without cookies is not sticky: 10 requests split 50/50 again.
	fd.Routes[0].Weight, fd.Routes[1].Weight = 50, 50
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	plain := httpClient()
	got := map[string]int{}
	for range 10 {
		got[version(t, plain, url)]++
	}
	if got["version=v30"] != 5 || got["version=v31"] != 5 {
		t.Errorf("a client without a cookie jar split %v, want 5 each", got)
	}
}

// version is the sample service's version= field of one answer.
func version(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	code, body := get(t, c, url, nil)
	if code != 200 {
		t.Fatalf("front door answered %d %q", code, body)
	}
	return strings.Fields(body)[0]
}

// TestStickyCookieBesideTheInstancesCookies: on both serving paths the
// sticky cookie is added to the instance's own cookies, not in their place.
func TestStickyCookieBesideTheInstancesCookies(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1"})
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(inst.Close)
	door, _, url := doorTo(t, inst.Listener.Addr().String())
	old := door.table.Load()
	door.table.Store(newRouteTable(old.routes, nil, "gennaker-route.test.checkout", old))
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	names := map[string]string{}
	for _, c := range resp.Cookies() {
		names[c.Name] = c.Value
	}
	if names["session"] != "s1" || names["gennaker-route.test.checkout"] != "checkout-v001" {
		t.Errorf("cookies %v, want the instance's session and the sticky one naming checkout-v001", resp.Header.Values("Set-Cookie"))
	}
}

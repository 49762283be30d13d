package frontdoor

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// The front door's counters live in its process: a server killed in the
// middle of the traffic neither loses nor repeats a request, in the
// cumulative counters the threshold judge diffs (exported on /metrics from
// the same source) nor in the per-second samples the statistical judge
// reads from the store.
func TestCountsAcrossAKillEqualRequestsSent(t *testing.T) {
	t.Parallel()
	r := newRig(t, exe)
	r.apply(highlander())
	r.mustSucceed(r.deploy("highlander", "v1"), time.Minute)
	waitServes(t, r.frontDoor, 5*time.Second)
	before := r.frontDoorRequests()
	// The probe starts on a second of its own: the samples from then on are its requests.
	from := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(from))
	pr := startProbe(t, r.frontDoor)
	time.Sleep(3 * time.Second) // more than a flush behind when killed: seconds not stored yet
	r.kill9()
	time.Sleep(500 * time.Millisecond)
	r.start(true)
	time.Sleep(2 * time.Second)
	pr.halt()
	time.Sleep(200 * time.Millisecond) // the last answer is counted once sent
	sent := uint64(pr.ok.Load() + pr.failed.Load())
	if pr.failed.Load() > 0 {
		t.Errorf("%d requests failed across the kill: %s", pr.failed.Load(), pr)
	}
	if got := r.frontDoorRequests() - before; got != sent {
		t.Errorf("the front door's counters went up by %d across the kill; the probe sent %d", got, sent)
	}

	time.Sleep(1100 * time.Millisecond) // the last second completes
	r.stop()                            // stores the last samples
	st, err := sqlite.Open(context.Background(), filepath.Join(r.data, "gennaker.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	groups, err := st.ServerGroupList(context.Background(), store.ServerGroupListParams{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	var stored uint64
	for _, g := range groups {
		secs, err := st.TrafficSecondsList(context.Background(), store.TrafficSecondsParams{Application: app, Environment: env, ServerGroup: g.Name,
			From: from, To: time.Now().Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secs {
			stored += s.Requests
		}
	}
	if stored != sent {
		t.Errorf("the stored per-second samples count %d requests; the probe sent %d", stored, sent)
	}
	t.Logf("sent %d; counters and stored samples agree: %s", sent, pr)
}

// frontDoorRequests sums the front door's requests of app on /metrics.
func (r *rig) frontDoorRequests() uint64 {
	r.t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var n uint64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gennaker_frontdoor_requests_total{") || !strings.Contains(line, `app="`+app+`"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			r.t.Fatalf("cannot parse %q", line)
		}
		n += uint64(v)
	}
	return n
}

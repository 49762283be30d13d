package crash

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/webhookrecv"
	"github.com/gennaker/gennaker/test/testserver"
)

// design says how each pipeline of testdata/pipelines.yaml must end.
var design = map[string]struct {
	status   model.ExecutionStatus
	stages   map[string]model.StageStatus // expected per stage; absent: succeeded
	decision string                       // what the test answers its judgment
}{
	"chain":    {status: model.ExecutionSucceeded},
	"waits":    {status: model.ExecutionSucceeded},
	"hooks":    {status: model.ExecutionSucceeded},
	"polled":   {status: model.ExecutionSucceeded},
	"fanout":   {status: model.ExecutionSucceeded},
	"gated":    {status: model.ExecutionSucceeded, decision: model.DecisionApprove},
	"rejected": {status: model.ExecutionFailed, decision: model.DecisionReject, stages: map[string]model.StageStatus{"gate": model.StageFailed, "never": model.StageSkipped}},
	"broken":   {status: model.ExecutionFailed, stages: map[string]model.StageStatus{"boom": model.StageFailed, "unreachable": model.StageSkipped}},
}

// Phases a kill can land in.
const (
	phaseWebhookCall = "in a webhook call"
	phaseWait        = "in a wait"
	phaseJudgment    = "while a judgment waits"
	phaseBetween     = "between stages"
	phaseIdle        = "no execution running"
)

const (
	randomKills   = 10
	settleTimeout = 60 * time.Second
)

// inFlightSlack is how long after a kill a request the killed server had
// already sent may still be seen arriving.
const inFlightSlack = 50 * time.Millisecond

// TestKillDuringExecutions kills the server at random moments and at each
// phase of an execution, on each store, and checks every execution ends
// once as designed with each webhook called once per key.
func TestKillDuringExecutions(t *testing.T) { onEachStore(t, testKillDuringExecutions) }

func testKillDuringExecutions(t *testing.T, kind testserver.StoreKind) {
	seed := uint64(20261127)
	if s := os.Getenv("GENNAKER_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GENNAKER_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with GENNAKER_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	rcv := webhookrecv.New()
	hooks := httptest.NewServer(rcv)
	t.Cleanup(hooks.Close)

	srv := newServerProc(t, kind)
	srv.Start()
	applyConfig(t, srv, hooks.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := newAPI(srv.URL(), srv.token())

	startBatch(ctx, t, a, 4)

	judge := newApprover(a)
	judgeCtx, stopJudge := context.WithCancel(ctx)
	var judgeWG sync.WaitGroup
	judgeWG.Add(1)
	go func() { defer judgeWG.Done(); judge.loop(judgeCtx) }()

	// Kill at random moments, then aim at the phases the dice missed.
	var kills []killRecord
	hit := map[string]int{}
	killAt := func(why string, phases []string, detail string) {
		at := time.Now()
		srv.Kill()
		kills = append(kills, killRecord{At: at, Phases: phases})
		for _, p := range phases {
			hit[p]++
		}
		t.Logf("kill #%d (%s) at %s: %s [%s]", len(kills), why, at.Format("15:04:05.000"), strings.Join(phases, ", "), detail)
		srv.Start()
	}
	for i := range randomKills {
		time.Sleep(time.Duration(100+rng.IntN(601)) * time.Millisecond)
		phases, detail := snapshot(ctx, a, rcv)
		killAt("random", phases, detail)
		if i == 3 || i == 6 {
			startBatch(ctx, t, a, 1) // executions that begin between crashes
		}
	}
	for _, want := range []string{phaseWebhookCall, phaseWait, phaseJudgment, phaseBetween} {
		if hit[want] > 0 {
			continue
		}
		startBatch(ctx, t, a, 1)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			phases, detail := snapshot(ctx, a, rcv)
			if containsStr(phases, want) {
				killAt("aimed at "+want, phases, detail)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if hit[want] == 0 {
			t.Logf("could not aim a kill %s within 5s", want)
		}
	}
	t.Logf("%d kills; by phase (a kill can be in several): %s", len(kills), phaseSummary(hit))
	if len(kills) < 8 {
		t.Errorf("only %d kills; want at least 8", len(kills))
	}

	// Let everything finish on the last server.
	settled := time.Now()
	execs := waitAllTerminal(ctx, t, a, settleTimeout)
	stopJudge()
	judgeWG.Wait()
	t.Logf("all %d executions terminal %s after the last restart", len(execs), time.Since(settled).Round(time.Millisecond))

	checkExecutions(t, execs)
	checkEvents(ctx, t, a, execs)
	checkWebhooks(t, execs, rcv.Report(), kills)
	judge.logSummary(t)
	if lines := srv.GrepLog("level=ERROR", "panic"); len(lines) > 0 {
		t.Logf("server logged %d error lines, first: %s", len(lines), lines[0])
	}
}

type killRecord struct {
	At     time.Time
	Phases []string
}

func applyConfig(t *testing.T, srv *serverProc, receiverURL string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/pipelines.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := strings.ReplaceAll(string(raw), "RECEIVER", receiverURL)
	if err := os.WriteFile(filepath.Join(dir, "pipelines.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--server", srv.URL(), "apply", "-f", dir)
	// The CLI reads the credential the server wrote for the local user.
	cmd.Env = append(os.Environ(), "GENNAKER_CONFIG="+srv.dataDir+".cli.yaml")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gennaker apply: %v\n%s", err, out)
	}
	t.Logf("gennaker apply:\n%s", out)
}

// startBatch starts n executions of every pipeline.
func startBatch(ctx context.Context, t *testing.T, a *api, n int) {
	t.Helper()
	started := 0
	for range n {
		for _, name := range slices.Sorted(maps.Keys(design)) {
			if _, err := a.run(ctx, name); err != nil {
				t.Fatalf("starting %s: %v", name, err)
			}
			started++
		}
	}
	t.Logf("started %d executions", started)
}

// snapshot says which phases the running executions are in right now.
func snapshot(ctx context.Context, a *api, rcv *webhookrecv.Receiver) ([]string, string) {
	set := map[string]bool{}
	var detail []string
	if n := rcv.InFlight(); n > 0 {
		set[phaseWebhookCall] = true
		detail = append(detail, fmt.Sprintf("%d webhook calls in flight", n))
	}
	execs, err := a.executions(ctx, "&status=running")
	if err != nil {
		detail = append(detail, "could not list executions: "+err.Error())
	}
	counts := map[string]int{}
	for _, e := range execs {
		busy := false
		for _, st := range e.Stages {
			switch {
			case st.Status == model.StageRunning && st.Type == model.StageWait:
				set[phaseWait] = true
				counts["waits running"]++
				busy = true
			case st.Status == model.StageWaiting:
				set[phaseJudgment] = true
				counts["judgments waiting"]++
				busy = true
			case st.Status == model.StageRunning && st.Type == model.StageWebhook:
				counts["webhook stages running"]++
				busy = true
			case st.Status == model.StageRunning:
				set[phaseBetween] = true
				counts[string(st.Type)+" stages running"]++
				busy = true
			}
		}
		if !busy {
			set[phaseBetween] = true
			counts["executions between stages"]++
		}
	}
	if len(execs) == 0 && err == nil {
		set[phaseIdle] = true
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		detail = append(detail, fmt.Sprintf("%d %s", counts[k], k))
	}
	detail = append(detail, fmt.Sprintf("%d executions running", len(execs)))
	return slices.Sorted(maps.Keys(set)), strings.Join(detail, ", ")
}

func waitAllTerminal(ctx context.Context, t *testing.T, a *api, limit time.Duration) []model.Execution {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last []model.Execution
	for {
		execs, err := a.executions(ctx, "")
		if err == nil {
			last = execs
			running := 0
			for _, e := range execs {
				if !e.Status.Terminal() {
					running++
				}
			}
			if running == 0 {
				return execs
			}
			if time.Now().After(deadline) {
				for _, e := range execs {
					if !e.Status.Terminal() {
						t.Errorf("execution %s (%s) still %s after %s: %s", e.ID, e.Pipeline, e.Status, limit, stageLine(e))
					}
				}
				t.FailNow()
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("listing executions: %v (last seen %d)", err, len(last))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func checkExecutions(t *testing.T, execs []model.Execution) {
	t.Helper()
	byPipeline := map[string]int{}
	for _, e := range execs {
		byPipeline[e.Pipeline]++
		d, ok := design[e.Pipeline]
		if !ok {
			t.Errorf("execution %s of unknown pipeline %q", e.ID, e.Pipeline)
			continue
		}
		if e.Status != d.status {
			t.Errorf("execution %s (%s) ended %s (%s), want %s: %s", e.ID, e.Pipeline, e.Status, e.Reason, d.status, stageLine(e))
		}
		if e.Status != model.ExecutionSucceeded && e.Reason == "" {
			t.Errorf("execution %s (%s) ended %s without a reason", e.ID, e.Pipeline, e.Status)
		}
		if e.EndedAt == nil {
			t.Errorf("execution %s (%s) is %s but has no endedAt", e.ID, e.Pipeline, e.Status)
		}
		if len(e.Stages) != len(e.Spec.Stages) {
			t.Errorf("execution %s (%s) has %d stage records for %d stages", e.ID, e.Pipeline, len(e.Stages), len(e.Spec.Stages))
		}
		for _, st := range e.Stages {
			want, ok := d.stages[st.Name]
			if !ok {
				want = model.StageSucceeded
			}
			if !st.Status.Terminal() {
				t.Errorf("execution %s (%s) stage %s is %s, not terminal", e.ID, e.Pipeline, st.Name, st.Status)
			} else if st.Status != want {
				t.Errorf("execution %s (%s) stage %s is %s (%s), want %s", e.ID, e.Pipeline, st.Name, st.Status, st.Reason, want)
			}
		}
	}
	t.Logf("executions by pipeline: %v", byPipeline)
}

func checkEvents(ctx context.Context, t *testing.T, a *api, execs []model.Execution) {
	t.Helper()
	known := map[string]model.Execution{}
	for _, e := range execs {
		known[e.ID] = e
	}
	for _, kind := range []model.EventKind{model.EventExecutionStarted, model.EventExecutionFinished} {
		evs, err := a.events(ctx, string(kind))
		if err != nil {
			t.Fatalf("listing %s events: %v", kind, err)
		}
		per := map[string][]model.Event{}
		for _, ev := range evs {
			per[ev.ExecutionID] = append(per[ev.ExecutionID], ev)
			if _, ok := known[ev.ExecutionID]; !ok {
				t.Errorf("%s event %d names execution %q that the server does not list", kind, ev.ID, ev.ExecutionID)
			}
		}
		for _, e := range execs {
			if n := len(per[e.ID]); n != 1 {
				var details []string
				for _, ev := range per[e.ID] {
					details = append(details, fmt.Sprintf("#%d %q", ev.ID, ev.Detail))
				}
				t.Errorf("execution %s (%s) has %d %s events, want exactly 1: %s", e.ID, e.Pipeline, n, kind, strings.Join(details, "; "))
			}
			if kind == model.EventExecutionFinished && len(per[e.ID]) == 1 && !strings.HasPrefix(per[e.ID][0].Detail, string(e.Status)) {
				t.Errorf("execution %s is %s but its execution_finished event says %q", e.ID, e.Status, per[e.ID][0].Detail)
			}
		}
		t.Logf("%d %s events for %d executions", len(evs), kind, len(execs))
	}
	steps, err := a.events(ctx, string(model.EventManualStep))
	if err != nil {
		t.Fatalf("listing manual_step events: %v", err)
	}
	decisions := map[string]int{}
	for _, ev := range steps {
		if ev.Action == model.DecisionApprove || ev.Action == model.DecisionReject {
			decisions[ev.ExecutionID+"/"+ev.Stage]++
		}
	}
	for _, e := range execs {
		for _, st := range e.Stages {
			if st.Type != model.StageJudgment {
				continue
			}
			if n := decisions[e.ID+"/"+st.Name]; n != 1 {
				t.Errorf("judgment %s/%s (%s) has %d approve/reject events, want 1", e.ID, st.Name, e.Pipeline, n)
			}
			want := design[e.Pipeline].decision
			if st.Judgment == nil || st.Judgment.Decision != want {
				t.Errorf("judgment %s/%s records %+v, want decision %s", e.ID, st.Name, st.Judgment, want)
			}
		}
	}
}

// checkWebhooks asserts one side effect per webhook stage, and that every
// repeated call is explained by a kill between the two calls.
func checkWebhooks(t *testing.T, execs []model.Execution, rep webhookrecv.Report, kills []killRecord) {
	t.Helper()
	want := map[string]bool{}
	polled := map[string]bool{}
	for _, e := range execs {
		if design[e.Pipeline].status != model.ExecutionSucceeded {
			continue
		}
		for _, s := range e.Spec.Stages {
			if s.Webhook != nil {
				want[e.ID+"/"+s.Name] = true
				if !s.Webhook.StatusURL.IsZero() {
					polled[e.ID+"/"+s.Name] = true
				}
			}
		}
	}
	if rep.NoKey > 0 {
		t.Errorf("%d webhook calls carried no Idempotency-Key header", rep.NoKey)
	}
	if len(rep.Effects) != len(want) {
		t.Errorf("%d distinct idempotency keys called, want %d (one per webhook stage)", len(rep.Effects), len(want))
	}
	for key := range want {
		if rep.Effects[key] != 1 {
			t.Errorf("webhook %s: %d side effects, want 1", key, rep.Effects[key])
		}
		if polled[key] && rep.Polls[key] < 2 {
			t.Errorf("webhook %s: status URL polled %d times, want at least 2 (it says done on the 2nd)", key, rep.Polls[key])
		}
	}
	repeated, midCall := 0, 0
	for _, key := range slices.Sorted(maps.Keys(rep.Calls)) {
		if !want[key] {
			t.Errorf("webhook call with unexpected key %s", key)
		}
		calls := rep.Calls[key]
		for i, c := range calls {
			for _, k := range kills {
				if !k.At.Before(c.Start) && !k.At.After(c.End) {
					midCall++
					t.Logf("webhook %s call %d (%s %s..%s) was in flight at the kill at %s", key, i+1, c.Path, c.Start.Format("15:04:05.000"), c.End.Format("15:04:05.000"), k.At.Format("15:04:05.000"))
				}
			}
			if i == 0 {
				continue
			}
			repeated++
			prev := calls[i-1]
			explained := false
			for _, k := range kills {
				// A call the dying server sent just before the kill reaches the
				// webhook a moment after it (the test notes the kill's time just
				// before it sends SIGKILL); allow for that much.
				if !k.At.Before(prev.Start.Add(-inFlightSlack)) && k.At.Before(c.Start) {
					explained = true
				}
			}
			if explained {
				t.Logf("webhook %s called %d times: repeat %d follows a kill after the previous call began (allowed)", key, len(calls), i+1)
			} else {
				t.Errorf("webhook %s called again at %s with no kill since the previous call at %s: duplicate call without a crash", key, c.Start.Format("15:04:05.000"), prev.Start.Format("15:04:05.000"))
			}
		}
	}
	t.Logf("webhooks: %d keys, %d side effects, %d repeated calls, %d calls cut by a kill, %d status polls", len(rep.Calls), sum(rep.Effects), repeated, midCall, sum(rep.Polls))
}

func stageLine(e model.Execution) string {
	parts := make([]string, len(e.Stages))
	for i, st := range e.Stages {
		parts[i] = st.Name + "=" + string(st.Status)
		if st.Reason != "" {
			parts[i] += " (" + st.Reason + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func phaseSummary(hit map[string]int) string {
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(hit)) {
		parts = append(parts, fmt.Sprintf("%s: %d", p, hit[p]))
	}
	return strings.Join(parts, "; ")
}

func containsStr(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

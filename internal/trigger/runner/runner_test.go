package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/schedule"
)

// The fakes below stand in for the store and the trigger service: these
// tests are about the loop's logic (what it fires, when it saves the
// cursor), not about storage.

// starter starts each (trigger, delivery) once, as the real one does by
// its delivery claim, and records what it was asked.
type starter struct {
	mu       sync.Mutex
	started  map[string]string // key|delivery -> execution
	calls    int
	failNext int               // transient failures to return first
	refuse   map[string]bool   // deliveries the pipeline refuses
	params   map[string]string // last firing's params
}

func newStarter() *starter {
	return &starter{started: map[string]string{}, refuse: map[string]bool{}}
}

func (s *starter) Fire(_ context.Context, f trigger.Firing) (trigger.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failNext > 0 {
		s.failNext--
		return trigger.Result{}, errors.New("database is locked")
	}
	if s.refuse[f.DeliveryID] {
		return trigger.Result{}, fmt.Errorf("%w: parameter %q is required", engine.ErrBadRequest, "region")
	}
	k := f.Ref.Key() + "|" + f.DeliveryID
	if id, ok := s.started[k]; ok {
		return trigger.Result{ExecutionID: id, Duplicate: true}, nil
	}
	id := "ex-" + strconv.Itoa(len(s.started)+1)
	s.started[k] = id
	s.params = f.Params
	return trigger.Result{ExecutionID: id}, nil
}

func (s *starter) deliveries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.started {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

type cursors struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *cursors) TriggerCursor(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

func (c *cursors) SetTriggerCursor(_ context.Context, key string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = v
	return nil
}

type pipelines struct {
	mu    sync.Mutex
	pls   []model.Pipeline
	rev   int64 // moved on by set, as the store's by an apply
	lists int
	looks int // ConfigRevision calls
}

func (p *pipelines) PipelineList(context.Context, store.PipelineListParams) ([]model.Pipeline, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lists++
	return slices.Clone(p.pls), nil
}

func (p *pipelines) ConfigRevision(context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.looks++
	return p.rev, nil
}

func (p *pipelines) set(pls ...model.Pipeline) {
	p.mu.Lock()
	p.pls = pls
	p.rev++
	p.mu.Unlock()
}

// counts returns how often the pipelines were listed and the revision
// looked at.
func (p *pipelines) counts() (lists, looks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lists, p.looks
}

// feed is a source: a growing list of occurrences. Its poller's cursor is
// how many it has handed out ({"seen": n}); a nil cursor is a first look,
// which fires nothing, as a watching source does.
type feed struct {
	mu      sync.Mutex
	items   []string
	cursors []string // the cursors it was given, "" for nil
}

func (f *feed) add(items ...string) {
	f.mu.Lock()
	f.items = append(f.items, items...)
	f.mu.Unlock()
}

func (f *feed) Poll(_ context.Context, ref trigger.Ref, cursor []byte) ([]trigger.Firing, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursors = append(f.cursors, string(cursor))
	var c struct{ Seen int }
	if cursor == nil {
		c.Seen = len(f.items)
	} else if err := json.Unmarshal(cursor, &c); err != nil {
		return nil, nil, err
	}
	var out []trigger.Firing
	for _, it := range f.items[c.Seen:] {
		out = append(out, trigger.Firing{Ref: ref, DeliveryID: it, Params: map[string]string{"version": it}})
	}
	next, _ := json.Marshal(struct{ Seen int }{len(f.items)})
	return out, next, nil
}

func (f *feed) NextRun(_ trigger.Ref, now time.Time) time.Time { return now.Add(5 * time.Millisecond) }

func (f *feed) given() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cursors)
}

type reports struct {
	mu   sync.Mutex
	errs map[string][]string
}

func (r *reports) TriggerPolled(_ context.Context, key string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.errs[key] = append(r.errs[key], msg)
}

func (r *reports) of(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs[key])
}

// bundle is one test's runner world.
type bundle struct {
	starter   *starter
	cursors   *cursors
	pipelines *pipelines
	feed      *feed
	reports   *reports
}

func setup() *bundle {
	return &bundle{
		starter: newStarter(), cursors: &cursors{m: map[string][]byte{}},
		pipelines: &pipelines{}, feed: &feed{}, reports: &reports{errs: map[string][]string{}},
	}
}

// run starts a runner over b and stops it when the test ends.
func (b *bundle) run(t *testing.T) *Runner {
	t.Helper()
	r := New(Config{
		Pipelines: b.pipelines, Starter: b.starter, Cursors: b.cursors, Reporter: b.reports,
		Pollers: map[string]trigger.Poller{"registry": b.feed},
		Logger:  slog.New(slog.DiscardHandler), ConfigEvery: 10 * time.Millisecond,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the runner did not stop within 5s of its context ending")
		}
	})
	return r
}

func pipelineWith(name string, triggers ...model.TriggerSpec) model.Pipeline {
	return model.Pipeline{Name: name, Application: "cart", Triggers: triggers}
}

func registryTrigger(name, repo string) model.TriggerSpec {
	return model.TriggerSpec{Name: name, Registry: &model.RegistryTrigger{Repository: repo}}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRunnerFiresNewOccurrencesOnce(t *testing.T) {
	t.Parallel()
	b := setup()
	b.feed.add("v1") // there before the trigger: not fired
	b.pipelines.set(pipelineWith("deploy", registryTrigger("images", "ghcr.io/acme/cart")))
	b.run(t)
	eventually(t, "the first look saved a cursor", b.hasCursor)
	b.feed.add("v2", "v3")
	eventually(t, "v2 and v3 started", func() bool { return len(b.starter.deliveries()) == 2 })
	time.Sleep(30 * time.Millisecond) // more looks: nothing new fires
	if got := b.starter.deliveries(); !slices.Equal(got, []string{"cart/deploy/images|v2", "cart/deploy/images|v3"}) {
		t.Errorf("started %v, want v2 and v3 once each", got)
	}
	b.starter.mu.Lock()
	calls := b.starter.calls
	b.starter.mu.Unlock()
	if calls != 2 {
		t.Errorf("the starter was asked %d times, want 2: a saved cursor keeps a look from firing again", calls)
	}
}

func (b *bundle) hasCursor() bool {
	c, _ := b.cursors.TriggerCursor(context.Background(), "cart/deploy/images")
	return c != nil
}

func TestRunnerTwoReplicasStartEachOccurrenceOnce(t *testing.T) {
	t.Parallel()
	b := setup()
	b.pipelines.set(pipelineWith("deploy", registryTrigger("images", "ghcr.io/acme/cart")))
	b.run(t)
	b.run(t) // a second replica: same store (cursors, delivery claims), same source
	eventually(t, "a cursor was saved", b.hasCursor)
	for i := range 20 {
		b.feed.add(fmt.Sprintf("v%d", i))
		time.Sleep(time.Millisecond)
	}
	eventually(t, "all 20 started", func() bool { return len(b.starter.deliveries()) == 20 })
	time.Sleep(30 * time.Millisecond)
	if n := len(b.starter.deliveries()); n != 20 {
		t.Errorf("%d executions for 20 occurrences", n)
	}
}

func TestRunnerFollowsConfigChanges(t *testing.T) {
	t.Parallel()
	b := setup()
	hook := model.TriggerSpec{Name: "push", Webhook: &model.WebhookTrigger{Provider: "github"}}
	b.pipelines.set(pipelineWith("deploy", hook))
	r := b.run(t)
	time.Sleep(30 * time.Millisecond)
	if got := r.Running(); len(got) != 0 {
		t.Fatalf("running %v: a webhook trigger needs no loop", got)
	}

	b.pipelines.set(pipelineWith("deploy", hook, registryTrigger("images", "ghcr.io/acme/cart")))
	eventually(t, "the new trigger runs", func() bool { return slices.Equal(r.Running(), []string{"cart/deploy/images"}) })
	eventually(t, "it saved a cursor", b.hasCursor)
	b.feed.add("v1")
	eventually(t, "v1 started", func() bool { return len(b.starter.deliveries()) == 1 })

	// The trigger now watches another repository: the old cursor is not
	// the new source's, so the poller gets none and fires nothing old.
	looks := len(b.feed.given())
	b.pipelines.set(pipelineWith("deploy", hook, registryTrigger("images", "ghcr.io/acme/other")))
	eventually(t, "the changed trigger looked with no cursor", func() bool {
		return slices.Contains(b.feed.given()[looks:], "")
	})
	b.feed.add("v2")
	eventually(t, "v2 started", func() bool { return len(b.starter.deliveries()) == 2 })

	// Only the interval changes: the cursor stays the source's.
	spec := registryTrigger("images", "ghcr.io/acme/other")
	spec.Registry.Interval = model.Duration(time.Hour)
	looks = len(b.feed.given())
	b.pipelines.set(pipelineWith("deploy", hook, spec))
	eventually(t, "the loop looked again at once", func() bool { return len(b.feed.given()) > looks })
	if slices.Contains(b.feed.given()[looks:], "") {
		t.Error("changing only the interval dropped the cursor")
	}

	b.pipelines.set(pipelineWith("deploy", hook))
	eventually(t, "the removed trigger stopped", func() bool { return len(r.Running()) == 0 })
}

// The runner looks at the config's revision every ConfigEvery, and lists
// and decodes the pipelines only when it moved.
func TestRunnerReadsThePipelinesWhenTheConfigMoved(t *testing.T) {
	t.Parallel()
	b := setup()
	b.pipelines.set(pipelineWith("deploy", registryTrigger("images", "ghcr.io/acme/cart")))
	r := b.run(t)
	eventually(t, "the trigger runs", func() bool { return len(r.Running()) == 1 })
	eventually(t, "ten looks at the revision", func() bool { _, looks := b.pipelines.counts(); return looks >= 10 })
	if lists, looks := b.pipelines.counts(); lists != 1 {
		t.Fatalf("the pipelines were listed %d times in %d looks at an unchanged config, want once", lists, looks)
	}
	b.pipelines.set(pipelineWith("deploy"))
	eventually(t, "the removed trigger stopped", func() bool { return len(r.Running()) == 0 })
	if lists, _ := b.pipelines.counts(); lists != 2 {
		t.Fatalf("the pipelines were listed %d times, want twice", lists)
	}
}

func TestRunnerRetriesWithoutSavingTheCursor(t *testing.T) {
	t.Parallel()
	b := setup()
	b.pipelines.set(pipelineWith("deploy", registryTrigger("images", "ghcr.io/acme/cart")))
	b.run(t)
	eventually(t, "a cursor was saved", b.hasCursor)
	before, _ := b.cursors.TriggerCursor(context.Background(), "cart/deploy/images")
	b.starter.mu.Lock()
	b.starter.failNext = 2
	b.starter.mu.Unlock()
	b.feed.add("v1")
	eventually(t, "v1 started after two failures", func() bool { return len(b.starter.deliveries()) == 1 })
	got := b.reports.of("cart/deploy/images")
	failed := 0
	for _, e := range got {
		if e != "" {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("reported %d failed looks, want 1: the same error twice in a row is reported once (%q)", failed, got)
	}
	after, _ := b.cursors.TriggerCursor(context.Background(), "cart/deploy/images")
	if string(after) == string(before) {
		t.Error("the cursor did not move after v1 started")
	}
	eventually(t, "a clean look was reported last", func() bool {
		r := b.reports.of("cart/deploy/images")
		return r[len(r)-1] == ""
	})
}

func TestRunnerPassesOverARefusedFiring(t *testing.T) {
	t.Parallel()
	b := setup()
	b.starter.refuse["v1"] = true
	b.pipelines.set(pipelineWith("deploy", registryTrigger("images", "ghcr.io/acme/cart")))
	b.run(t)
	eventually(t, "a cursor was saved", b.hasCursor)
	b.feed.add("v1", "v2")
	eventually(t, "v2 started", func() bool { return len(b.starter.deliveries()) == 1 })
	eventually(t, "the refusal was reported", func() bool {
		for _, e := range b.reports.of("cart/deploy/images") {
			if e != "" {
				return true
			}
		}
		return false
	})
	time.Sleep(30 * time.Millisecond)
	b.starter.mu.Lock()
	calls := b.starter.calls
	b.starter.mu.Unlock()
	if calls != 2 {
		t.Errorf("the starter was asked %d times, want 2: a refused firing is not retried forever", calls)
	}
}

func TestRunnerWithoutPollerReports(t *testing.T) {
	t.Parallel()
	b := setup()
	b.pipelines.set(pipelineWith("deploy", model.TriggerSpec{Name: "main", Git: &model.GitTrigger{Repository: "https://example.com/r.git"}}))
	b.run(t)
	eventually(t, "the missing poller was reported", func() bool { return len(b.reports.of("cart/deploy/main")) > 0 })
	if e := b.reports.of("cart/deploy/main")[0]; e == "" {
		t.Error("a trigger without a poller reported a clean look")
	}
}

func TestSourceID(t *testing.T) {
	t.Parallel()
	pl := model.Pipeline{Name: "prod", Application: "cart"}
	ref := func(p *model.PipelineTrigger) trigger.Ref {
		return trigger.Ref{Pipeline: pl, Spec: model.TriggerSpec{Name: "after", Pipeline: p}}
	}
	implicit := SourceID(ref(&model.PipelineTrigger{Pipeline: "staging"}))
	explicit := SourceID(ref(&model.PipelineTrigger{Application: "cart", Pipeline: "staging", Status: []model.ExecutionStatus{"succeeded"}}))
	if implicit != explicit {
		t.Error("writing out the defaults changed what the trigger watches")
	}
	if implicit == SourceID(ref(&model.PipelineTrigger{Pipeline: "canary"})) {
		t.Error("another upstream pipeline has the same source ID")
	}
}

// Two replicas run a schedule that ticks every second with the real
// schedule poller: each tick after the first look starts once.
func TestRunnerScheduleOnTwoReplicas(t *testing.T) {
	t.Parallel()
	b := setup()
	spec := model.TriggerSpec{Name: "tick", Schedule: &model.ScheduleTrigger{Cron: "@every 1s"}}
	b.pipelines.set(pipelineWith("report", spec))
	for range 2 {
		r := New(Config{
			Pipelines: b.pipelines, Starter: b.starter, Cursors: b.cursors,
			Pollers: map[string]trigger.Poller{"schedule": &schedule.Poller{}},
			Logger:  slog.New(slog.DiscardHandler), ConfigEvery: 10 * time.Millisecond,
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	start := time.Now()
	eventually(t, "three ticks started", func() bool { return len(b.starter.deliveries()) >= 3 })
	elapsed := time.Since(start)
	b.starter.mu.Lock()
	defer b.starter.mu.Unlock()
	// Both replicas name each tick by the same instant (a whole second), so
	// there is one delivery per second that passed, not one per replica.
	if n, most := len(b.starter.started), int(elapsed/time.Second)+1; n > most {
		t.Errorf("%d deliveries in %s, want at most %d", n, elapsed, most)
	}
	for k := range b.starter.started {
		tick, err := time.Parse(time.RFC3339, strings.TrimPrefix(k, "cart/report/tick|"))
		if err != nil || tick.Before(start.Truncate(time.Second)) {
			t.Errorf("delivery %q is not a tick after the first look (%v)", k, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	r := New(Config{MinBackoff: 2 * time.Second, MaxBackoff: 5 * time.Minute})
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 9: 5 * time.Minute, 50: 5 * time.Minute} {
		for range 20 {
			if got := r.backoff(n); got < want-want/10 || got > want+want/10 {
				t.Errorf("backoff(%d) = %s, want %s give or take a tenth", n, got, want)
			}
		}
	}
}

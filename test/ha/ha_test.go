package ha

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/webhookrecv"
	"github.com/gennaker/gennaker/test/k8senv"
	"github.com/gennaker/gennaker/test/pgenv"
)

var (
	flagExecutions = flag.Int("ha.executions", 200, "executions to start (the suite's default is 200)")
	flagReleases   = flag.Int("ha.releases", 20, "of them, canary releases to the kwok cluster (the rest run every stage but the deploy)")
	flagApps       = flag.Int("ha.apps", 4, "applications the releases are spread over (one deploy at a time per application)")
	flagKills      = flag.Int("ha.kills", 20, "SIGKILLs of a replica chosen at random")
	flagClaimTTL   = flag.Duration("ha.claim-ttl", 20*time.Second, "the replicas' --claim-ttl (the server's default is 20s)")
)

// startEvery paces the starts of executions, so they keep coming while
// the kills happen.
const startEvery = 400 * time.Millisecond

func TestReplicasUnderKills(t *testing.T) {
	seed := uint64(20261203)
	if s := os.Getenv("GENNAKER_HA_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GENNAKER_HA_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with GENNAKER_HA_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	began := time.Now()

	pg := pgenv.Start(t)
	kc := k8senv.Start(t)
	storeURL := pg.Database(t)
	ns := kc.Namespace(t)
	sa := kc.ServiceAccount(t, ns) // the documented Role, as a user sets it up
	db := openReadOnly(t, storeURL)

	rcv := webhookrecv.New()
	hooks := httptest.NewServer(rcv)
	t.Cleanup(hooks.Close)

	c := newCluster(t, 2, storeURL, *flagClaimTTL, seed)
	apps := make([]string, *flagApps)
	for i := range apps {
		apps[i] = fmt.Sprintf("svc%d", i)
	}
	applyConfig(t, c, configData{Receiver: hooks.URL, Kubeconfig: sa.Kubeconfig, Namespace: ns, Apps: apps})
	t.Logf("set up in %s", time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// A live view on each replica, from the outbox's head before any execution.
	var head int64
	if err := db.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM change`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	viewCtx, stopViews := context.WithCancel(ctx)
	defer stopViews()
	var views []*follower
	var viewWG sync.WaitGroup
	for i, r := range c.replicas {
		f := newFollower(r.Name, r.URL(), c.token, head)
		views = append(views, f)
		ready := make(chan struct{})
		viewWG.Add(1)
		go func() { defer viewWG.Done(); f.run(viewCtx, ready) }()
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatalf("the live view of replica %d did not connect: %v", i, f.lastErr)
		}
	}

	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var work sync.WaitGroup
	judge := &approver{c: c}
	work.Add(1)
	go func() { defer work.Done(); judge.loop(workCtx) }()

	st := &starter{c: c, n: *flagExecutions, releases: *flagReleases, apps: apps}
	startsDone := make(chan struct{})
	go func() { defer close(startsDone); st.run(workCtx, t) }()

	// Kill a replica at random moments; every kill's failover is measured
	// while the next ones happen.
	var fo failoverLog
	for k := 1; k <= *flagKills; k++ {
		time.Sleep(time.Duration(2000+rng.IntN(3001)) * time.Millisecond)
		i := rng.IntN(len(c.replicas))
		at := time.Now()
		c.kill(i)
		fo.measure(ctx, db, &failover{Kill: k, Replica: c.replicas[i].Name, At: at}, 2*time.Minute+*flagClaimTTL)
		t.Logf("kill #%d: %s at %s (%d executions started so far)", k, c.replicas[i].Name, at.Format("15:04:05.000"), st.started.Load())
		time.Sleep(time.Duration(500+rng.IntN(1001)) * time.Millisecond)
		c.restart(i)
	}
	<-startsDone
	killsEnded := time.Now()

	execs, ended := waitAllTerminal(ctx, t, db, 3*time.Minute)
	stopWork()
	work.Wait()
	fo.report(t, *flagClaimTTL)
	if !ended {
		t.FailNow()
	}
	t.Logf("all %d executions ended %s after the last kill", len(execs), time.Since(killsEnded).Round(time.Millisecond))

	checkExecutions(t, execs, st)
	checkEvents(ctx, t, db, execs)
	checkWebhooks(t, execs, rcv.Report(), fo.all)
	checkServerGroups(ctx, t, db, kc, ns, execs, apps)
	checkNoClaims(ctx, t, db)
	checkViews(ctx, t, db, views, head)
	stopViews()
	viewWG.Wait()
	judge.logSummary(t)
	for _, r := range c.replicas {
		if lines := r.GrepLog("panic", "level=ERROR"); len(lines) > 0 {
			t.Logf("%s logged %d error lines, first: %s", r.Name, len(lines), lines[0])
		}
	}
	t.Logf("test took %s", time.Since(began).Round(time.Second))
}

// configData fills testdata/config.yaml.tmpl.
type configData struct {
	Receiver, Kubeconfig, Namespace string
	Apps                            []string
}

// applyConfig applies the config with the CLI, as a user would.
func applyConfig(t *testing.T, c *cluster, d configData) {
	t.Helper()
	tmpl, err := template.ParseFiles("testdata/config.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, d); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--server", c.replicas[0].URL(), "apply", "-f", dir)
	cmd.Env = append(os.Environ(), "GENNAKER_CONFIG="+c.cliFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gennaker apply: %v\n%s\n%s", err, out, buf.String())
	}
	t.Logf("gennaker apply:\n%s", out)
}

// starter starts the executions through either replica's API, one every
// startEvery: every n/releases-th is a canary release of the next
// application, with a version of its own.
type starter struct {
	c        *cluster
	n        int
	releases int
	apps     []string

	started atomic.Int64 // starts the API acknowledged
	lost    atomic.Int64 // starts whose answer a kill swallowed (they may have happened)
}

func (s *starter) run(ctx context.Context, t *testing.T) {
	every := 0
	if s.releases > 0 {
		every = max(1, s.n/s.releases)
	}
	released := 0
	for k := range s.n {
		pipeline, req := "flow", client.RunRequest{}
		if every > 0 && k%every == every-1 && released < s.releases {
			app := s.apps[released%len(s.apps)]
			pipeline = "release-" + app
			req.Params = map[string]string{"version": fmt.Sprintf("1.0.%d", k)}
			released++
		}
		for {
			_, err := s.c.client(s.c.anyUp()).Run(ctx, pipeline, req)
			if err == nil {
				s.started.Add(1)
				break
			}
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, client.ErrUnreachable) {
				t.Errorf("starting %s: %v", pipeline, err)
				return
			}
			s.lost.Add(1) // the replica died under the call; it may have started it
			time.Sleep(50 * time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(startEvery):
		}
	}
}

// approver approves every waiting judgment through the API of a replica
// at random (not necessarily the one running the execution).
type approver struct {
	c         *cluster
	mu        sync.Mutex
	approved  map[string]bool
	conflicts int
	failures  int
}

func (p *approver) loop(ctx context.Context) {
	p.approved = map[string]bool{}
	for ctx.Err() == nil {
		var execs []model.Execution
		err := p.c.call(ctx, func(cl *client.Client) error {
			var err error
			execs, err = cl.Executions(ctx, url.Values{"status": {"running"}, "limit": {"500"}})
			return err
		})
		if err == nil {
			for _, e := range execs {
				for _, st := range e.Stages {
					if st.Type == model.StageJudgment && st.Status == model.StageWaiting {
						p.approve(ctx, e.ID, st.Name)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (p *approver) approve(ctx context.Context, id, stage string) {
	_, err := p.c.client(p.c.anyUp()).Judge(ctx, id, model.DecisionApprove, stage, "HA test")
	var apiErr *client.APIError
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil:
		p.approved[id+"/"+stage] = true
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict:
		p.conflicts++
	default:
		p.failures++
	}
}

func (p *approver) logSummary(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("judgments: %d approved, %d approvals refused with 409 (answered already), %d lost to kills or errors", len(p.approved), p.conflicts, p.failures)
}

// Package demo runs gennaker's demo: a real server with embedded state, a
// sample service deployed by a canary pipeline, real HTTP traffic through
// the front door, and three releases — v1 (first deploy), v2 (healthy, so
// promoted) and v3 (faulty by its config: more 5xx and slower, so rolled back
// by what the canary analysis measures).
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/gennaker/gennaker/internal/cliconfig"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
)

//go:embed demo.yaml.tmpl
var configTemplate string

// Options configure a demo run.
type Options struct {
	// Exe is the gennaker binary (the demo starts `Exe server` and the sample service from it).
	Exe string
	// DataDir holds the demo server's state; a temporary directory when empty.
	DataDir string
	// Addr is the API address; 127.0.0.1:7070, or a free port when that is taken.
	Addr string
	// Keep leaves the server and the service running after the demo.
	Keep bool
	// Linger, when set and not Keep, is called after the summary with the
	// server still up; the demo tears down when it returns (an interactive
	// demo waits for Ctrl-C there, so a person can open the UI).
	Linger func(ctx context.Context, res *Result)
	// Interval is each canary analysis interval (default 10s).
	Interval time.Duration
	// Rate is the demo traffic in requests per second (default 150).
	Rate int
	// Log receives the progress lines.
	Log io.Writer
}

// Release is one version the demo ships, with the config its instances run
// with. Faults live here, in the config, never in the version's name.
type Release struct {
	Version string
	Env     map[string]string
}

// Releases are the demo's three versions.
var Releases = []Release{
	{Version: "v1", Env: map[string]string{"SAMPLE_LATENCY": "2ms"}},
	{Version: "v2", Env: map[string]string{"SAMPLE_LATENCY": "2ms"}},
	{Version: "v3", Env: map[string]string{"SAMPLE_LATENCY": "60ms", "SAMPLE_ERROR_RATE": "0.2"}},
}

// ReleaseResult is what happened to one release.
type ReleaseResult struct {
	Version     string   `json:"version"`
	Outcome     string   `json:"outcome"` // deployed, promoted, rolled_back or failed
	Reason      string   `json:"reason,omitempty"`
	ExecutionID string   `json:"executionId"`
	Seconds     float64  `json:"seconds"`
	Verdicts    []string `json:"verdicts,omitempty"`
}

// Result is the demo's summary.
type Result struct {
	Releases []ReleaseResult `json:"releases"`
	API      string          `json:"api"`
	UI       string          `json:"ui"`
	// LoginURL is a one-time link that logs a browser in to the UI.
	LoginURL string `json:"loginUrl,omitempty"`
	// CLIConfig is the CLI credentials file of the demo's server (export
	// GENNAKER_CONFIG=it to use the CLI against the demo).
	CLIConfig string `json:"cliConfig"`
	FrontDoor string `json:"frontDoor"`
	DataDir   string `json:"dataDir"`
	// ServerPID is set when the server is left running (--keep).
	ServerPID int `json:"serverPid,omitempty"`
	// Stopped: the server and the service were torn down when the demo ended.
	Stopped bool `json:"stopped"`
	// KPI is the delivery KPIs of the demo's run (nil if they could not
	// be read).
	KPI *kpi.Summary `json:"kpi,omitempty"`
	// SLOs are the sample service's SLOs at the end of the run.
	SLOs []SLOResult `json:"slos,omitempty"`
}

// AsDesigned reports whether the releases ended as the demo means them to:
// v1 deployed, v2 promoted, v3 rolled back; otherwise it says what differed.
func (r *Result) AsDesigned() (bool, string) {
	want := []string{"deployed", "promoted", "rolled_back"}
	var got []string
	for _, rel := range r.Releases {
		got = append(got, rel.Version+" "+rel.Outcome)
	}
	if len(r.Releases) != len(want) {
		return false, "releases: " + strings.Join(got, ", ")
	}
	for i, rel := range r.Releases {
		if rel.Outcome != want[i] {
			return false, fmt.Sprintf("%s was %s, meant to be %s (%s)", rel.Version, rel.Outcome, want[i], strings.Join(got, ", "))
		}
	}
	return true, ""
}

// Run runs the demo. Unless opts.Keep, it stops the server and every
// instance before it returns.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Rate <= 0 {
		opts.Rate = 150
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	p := &printer{w: opts.Log}
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "gennaker-demo-")
		if err != nil {
			return nil, err
		}
		opts.DataDir = dir
		if !opts.Keep {
			defer os.RemoveAll(dir)
		}
	}
	addr, err := pickAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	frontDoor, err := pickAddr("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, opts, addr)
	if err != nil {
		return nil, err
	}
	stopServer := func() { srv.stop(p) }
	if !opts.Keep {
		defer stopServer()
	}
	base := "http://" + addr
	res := &Result{API: base + "/api/v1", UI: base + "/", FrontDoor: "http://" + frontDoor, DataDir: opts.DataDir, CLIConfig: cliConfigPath(opts.DataDir)}
	p.say("gennaker server up at %s (state in %s)", base, opts.DataDir)

	c, err := demoClient(res.CLIConfig, base)
	if err != nil {
		return nil, err
	}
	if link, err := c.LoginLink(ctx); err == nil {
		res.LoginURL = link.URL
		p.say("watch it in the web UI: %s (a one-time login link)", link.URL)
	}
	cfgDir, err := writeConfig(opts, frontDoor)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDir(cfgDir, config.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("the demo's own config is invalid (a bug): %w", err)
	}
	applied, err := c.Apply(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.say("applied %s (config as code: %s)", strings.Join(applied.Created, ", "), filepath.Join(cfgDir, "demo.yaml"))

	trafficCtx, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	tr := newTraffic(res.FrontDoor+"/", opts.Rate)
	go tr.run(trafficCtx)
	p.say("sending %d requests/s to the front door %s", opts.Rate, res.FrontDoor)

	for _, rel := range Releases {
		rr, err := ship(ctx, c, p, tr, rel)
		if err != nil {
			return res, err
		}
		res.Releases = append(res.Releases, *rr)
	}
	stopTraffic()
	res.KPI = deliveryKPIs(ctx, c, len(res.Releases))
	res.SLOs = sloResults(ctx, c, time.Now())
	p.summary(res)
	switch {
	case opts.Keep:
		res.ServerPID = srv.cmd.Process.Pid
		p.say("left running: the server (pid %d) and the sample service; stop both with: kill %d", srv.cmd.Process.Pid, srv.cmd.Process.Pid)
		p.say("use the CLI with it: export GENNAKER_CONFIG=%s", res.CLIConfig)
	case opts.Linger != nil:
		if link, err := c.LoginLink(ctx); err == nil {
			res.LoginURL = link.URL
		}
		opts.Linger(ctx, res)
		res.Stopped = true
	default:
		res.Stopped = true
		p.say("the server and the sample service stop now; `gennaker demo --keep` leaves them running to look at the UI")
	}
	return res, nil
}

// ship deploys one release through the canary pipeline and follows it.
func ship(ctx context.Context, c *client.Client, p *printer, tr *traffic, rel Release) (*ReleaseResult, error) {
	start := time.Now()
	var env []string
	for k, v := range rel.Env {
		env = append(env, k+"="+v)
	}
	p.say("")
	p.say("=== release %s  (instance config: %s)", rel.Version, strings.Join(sorted(env), " "))
	// The demo has no git: it counts each release as committed when it
	// starts shipping it, so lead time is the time to production.
	committed := start.UTC()
	exec, err := c.Deploy(ctx, deploy.Request{Application: "sample", Environment: "local", Version: rel.Version, Pipeline: "sample-canary", Env: rel.Env,
		CommitTime: &committed})
	if err != nil {
		return nil, err
	}
	p.say("execution %s started", exec.ID)
	tr.take() // the split printed from here on is this release's only
	last := watch(ctx, c, p, tr, exec.ID)
	if last == nil {
		return nil, fmt.Errorf("lost execution %s: %w", exec.ID, ctx.Err())
	}
	out := stageOutput(last)
	rr := &ReleaseResult{Version: rel.Version, ExecutionID: last.ID, Seconds: time.Since(start).Round(100 * time.Millisecond).Seconds(), Verdicts: out.Verdicts}
	evs, err := c.Events(ctx, url.Values{"application": {"sample"}, "limit": {"1000"}})
	if err != nil {
		return nil, err
	}
	rolledBack := false
	for _, e := range evs {
		if e.ExecutionID == last.ID && e.Kind == model.EventRolledBack {
			rolledBack = true
		}
	}
	switch {
	case last.Status == model.ExecutionSucceeded && len(out.Verdicts) > 0:
		rr.Outcome = "promoted"
	case last.Status == model.ExecutionSucceeded:
		rr.Outcome = "deployed"
	case rolledBack:
		rr.Outcome, rr.Reason = "rolled_back", last.Reason
	default:
		rr.Outcome, rr.Reason = "failed", last.Reason
	}
	// The reason is on the line above and in the summary: not a third time.
	p.say("release %s: %s", rel.Version, strings.ToUpper(strings.ReplaceAll(rr.Outcome, "_", " ")))
	return rr, nil
}

// watch follows an execution, printing stage progress, verdicts and the
// traffic split the demo's own requests see, until it ends.
func watch(ctx context.Context, c *client.Client, p *printer, tr *traffic, id string) *model.Execution {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				split, _ := tr.take()
				p.say("    traffic: %s", split)
			}
		}
	}()
	seenSummary, seenVerdicts := "", 0
	last, _ := c.Watch(ctx, id, func(e *model.Execution) {
		out := stageOutput(e)
		if out.Summary != "" && out.Summary != seenSummary {
			seenSummary = out.Summary
			p.say("  %s", out.Summary)
		}
		for ; seenVerdicts < len(out.Verdicts); seenVerdicts++ {
			p.say("  verdict %s", out.Verdicts[seenVerdicts])
		}
	})
	close(done)
	wg.Wait()
	return last
}

type deployOutput struct {
	Summary  string   `json:"summary"`
	Verdicts []string `json:"verdicts"`
}

func stageOutput(e *model.Execution) deployOutput {
	var out deployOutput
	for _, st := range e.Stages {
		if st.Type == model.StageDeploy && len(st.Output) > 0 {
			_ = json.Unmarshal(st.Output, &out)
		}
	}
	return out
}

func writeConfig(opts Options, frontDoor string) (string, error) {
	dir := filepath.Join(opts.DataDir, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b bytes.Buffer
	t := template.Must(template.New("demo").Parse(configTemplate))
	if err := t.Execute(&b, map[string]string{"Exe": opts.Exe, "FrontDoor": frontDoor, "Interval": opts.Interval.String()}); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "demo.yaml"), b.Bytes(), 0o644)
}

// pickAddr returns addr if it is free, else a free loopback port.
func pickAddr(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:7070"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

type serverProc struct {
	cmd  *exec.Cmd
	exit chan error
}

// startServer runs `gennaker server` as its own process (in its own session,
// so --keep can leave it behind) and waits until its API answers.
func startServer(ctx context.Context, opts Options, addr string) (*serverProc, error) {
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo data directory: %w", err)
	}
	logf, err := os.Create(filepath.Join(opts.DataDir, "server.log"))
	if err != nil {
		return nil, err
	}
	// The demo's server always takes its instances down with it, so `kill
	// PID` after --keep leaves nothing behind.
	// SLOs are evaluated every 2 s, so the summary's budget is current.
	args := []string{"server", "--data", opts.DataDir, "--addr", addr, "--destroy-on-exit", "--cli-config", cliConfigPath(opts.DataDir), "--slo-interval", "2s"}
	cmd := exec.Command(opts.Exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s server: %w", opts.Exe, err)
	}
	s := &serverProc{cmd: cmd, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		select {
		case err := <-s.exit:
			return nil, fmt.Errorf("the demo server exited (%v): see %s", err, filepath.Join(opts.DataDir, "server.log"))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	return nil, errors.New("the demo server did not answer within 15s: see " + filepath.Join(opts.DataDir, "server.log"))
}

// stop ends the server gracefully; it destroys the demo's instances on its way out.
func (s *serverProc) stop(p *printer) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exit
	}
	p.say("server stopped and the sample service's instances destroyed")
}

type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if format == "" {
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (p *printer) summary(res *Result) {
	p.say("")
	p.say("=== summary")
	for _, r := range res.Releases {
		p.say("  %-3s %-12s %5.1fs  %s", r.Version, r.Outcome, r.Seconds, r.Reason)
	}
	if k := res.KPI; k != nil {
		p.say("")
		p.say("=== delivery KPIs of this run (gennaker kpi; the UI's %skpi)", res.UI)
		p.say("  deploys to production  %d of %d attempts", k.Deploys, k.Attempts)
		if r := k.ChangeFailureRate; r != nil {
			p.say("  change failure rate    %s (%d failed: %d by their canary analysis, %d rolled back later, %d by an incident)",
				kpi.FormatPercent(*r), k.ChangeFailures, k.FailedDeploys, k.RolledBack, k.IncidentCaused)
		}
		if m := k.Recovery.Median; m != nil {
			p.say("  recovery time          %s (bad version taking traffic until traffic was back on the good one)", kpi.FormatSeconds(*m))
		}
		if m := k.LeadTime.Median; m != nil {
			pt := k.LeadTimeParts
			p.say("  lead time              %s median (running %s, canary analysis %s, waiting for people %s)",
				kpi.FormatSeconds(*m), kpi.FormatSeconds(pt.Running), kpi.FormatSeconds(pt.CanaryAnalysis), kpi.FormatSeconds(pt.WaitingForPeople))
		}
		if s := k.StepsPerDeploy; s != nil {
			p.say("  steps to deploy        %s per deploy (the demo runs gennaker deploy by hand; a trigger makes it 0)", kpi.FormatNumber(*s))
		}
		p.say("")
	}
	p.sloSummary(res)
	p.say("UI: %s", res.UI)
	p.say("API: %s  (OpenAPI: %s/openapi.json)", res.API, res.API)
	p.say("front door: %s", res.FrontDoor)
}

// deliveryKPIs reads today's KPIs once the server has folded every
// attempt the demo made (it trails the event log by about a second).
func deliveryKPIs(ctx context.Context, c *client.Client, attempts int) *kpi.Summary {
	deadline := time.Now().Add(15 * time.Second)
	for {
		rep, err := c.KPI(ctx, url.Values{"since": {"1d"}, "by": {"day"}})
		if err == nil && rep.Summary.Attempts >= attempts {
			return &rep.Summary
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err == nil {
				return &rep.Summary
			}
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// cliConfigPath is where the demo's server writes its CLI credential: in
// the demo's own data directory, so the demo never touches the user's
// contexts for their own servers.
func cliConfigPath(dataDir string) string { return filepath.Join(dataDir, "cli-config.yaml") }

// demoClient is a client of the demo's server with the admin token the
// server wrote for the user who started it.
func demoClient(path, base string) (*client.Client, error) {
	f, err := cliconfig.Load(path)
	if err != nil {
		return nil, err
	}
	ctx, ok := f.ForServer(base)
	if !ok || ctx.Token == "" {
		return nil, fmt.Errorf("the demo server wrote no CLI credential to %s: see its server.log", path)
	}
	return client.New(base, ctx.Token), nil
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

package frontdoor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/internal/execwait"
	"github.com/gennaker/gennaker/test/testserver"
)

const (
	app = "svc"
	env = "local"
)

// rig is one server on one data directory, started, killed and restarted
// by the test, running bin.
type rig struct {
	t         *testing.T
	bin       string
	data      string
	addr      string
	frontDoor string
	c         *client.Client
	cmd       *exec.Cmd
	exited    chan struct{}
	starts    int
}

// newRig starts a server. Cleanup stops it with --destroy-on-exit and fails
// the test if a front-door process or an instance is left running.
func newRig(t *testing.T, bin string) *rig {
	t.Helper()
	r := &rig{t: t, bin: bin, data: t.TempDir(), addr: testserver.FreeAddr(t), frontDoor: testserver.FreeAddr(t)}
	r.c = client.New("http://"+r.addr, "")
	r.c.HTTP.Timeout = 10 * time.Second
	t.Cleanup(r.teardown)
	r.start(true)
	return r
}

// start runs the server (with --destroy-on-exit when destroy) and waits
// until its API answers.
func (r *rig) start(destroy bool) {
	r.t.Helper()
	r.starts++
	logf, err := os.OpenFile(filepath.Join(r.data, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== test: server start #%d at %s\n", r.starts, time.Now().Format(time.RFC3339Nano))
	cli := r.data + ".cli.yaml"
	args := []string{"server", "--data", r.data, "--addr", r.addr, "--cli-config", cli}
	if destroy {
		args = append(args, "--destroy-on-exit")
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(os.Environ(), "GENNAKER_CONFIG="+cli)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		r.t.Fatalf("starting the server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	r.cmd, r.exited = cmd, exited
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			r.c.Token = testserver.AdminToken(r.t, cli, "http://"+r.addr)
			return
		}
		select {
		case <-exited:
			r.t.Fatalf("the server exited at start #%d; its log:\n%s", r.starts, r.serverLog())
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.t.Fatalf("the server did not answer within 20s; its log:\n%s", r.serverLog())
}

// kill9 kills the server with SIGKILL (its process group: the server alone,
// since instances and front doors run in groups of their own).
func (r *rig) kill9() {
	r.t.Helper()
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		r.t.Fatalf("kill -9 server: %v", err)
	}
	<-r.exited
}

// stop ends the server with SIGTERM.
func (r *rig) stop() {
	if r.cmd == nil {
		return
	}
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(45 * time.Second):
		r.t.Errorf("the server did not stop within 45s of SIGTERM; killing it")
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

func (r *rig) teardown() {
	r.stop()
	deadline := time.Now().Add(10 * time.Second)
	var left []int
	for {
		left = r.ownProcs()
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		r.t.Errorf("processes of this test's data dir still run after the server stopped with --destroy-on-exit: %v", left)
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if r.t.Failed() {
		r.t.Logf("server log (tail):\n%s", r.serverLog())
		b, _ := os.ReadFile(filepath.Join(r.data, "logs", "frontdoor-"+env+".log"))
		r.t.Logf("front door log (tail):\n%s", tail(b, 4000))
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (r *rig) serverLog() string {
	b, _ := os.ReadFile(filepath.Join(r.data, "server.log"))
	return tail(b, 8000)
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	r.t.Cleanup(cancel)
	return ctx
}

// ownProcs lists the live processes the server started for this data dir
// (instances and front doors carry GENNAKER_LOCAL_DATA=<data dir>).
func (r *rig) ownProcs() []int { return procsWith(r.marker(), "") }

// doorProcs lists the live front-door processes of this data dir.
func (r *rig) doorProcs() []int { return procsWith(r.marker(), "GENNAKER_FRONTDOOR_CHILD=1") }

func (r *rig) marker() string {
	dir, _ := filepath.Abs(r.data)
	return "GENNAKER_LOCAL_DATA=" + dir
}

func procsWith(entries ...string) []int {
	var out []int
	dir, _ := os.ReadDir("/proc")
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !alive(pid) {
			continue
		}
		environ, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		vars := bytes.Split(environ, []byte{0})
		all := true
		for _, want := range entries {
			if want == "" {
				continue
			}
			found := false
			for _, kv := range vars {
				if string(kv) == want {
					found = true
				}
			}
			all = all && found
		}
		if all {
			out = append(out, pid)
		}
	}
	return out
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// doorPID is the front-door process the state file records for env.
func (r *rig) doorPID() int {
	b, err := os.ReadFile(filepath.Join(r.data, "local-state.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	var st struct {
		FrontDoors map[string]struct {
			PID int `json:"pid"`
		} `json:"frontDoors"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		r.t.Fatal(err)
	}
	return st.FrontDoors[env].PID
}

// apply stores the application (the sample service, 2 instances), the local
// environment with its front door, and the pipelines.
func (r *rig) apply(pipelines ...model.Pipeline) {
	r.t.Helper()
	for i := range pipelines {
		pipelines[i].Application = app
	}
	cfg := model.Config{
		Applications: []model.Application{{
			Name: app, Instances: 2,
			Run: model.RunSpec{Command: exe, Args: []string{"sample-service"}},
			HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(200 * time.Millisecond),
				Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(20 * time.Second)},
		}},
		Environments: []model.Environment{{Name: env, Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{app: r.frontDoor}}},
		Pipelines:    pipelines,
	}
	if _, err := r.c.Apply(r.ctx(), cfg); err != nil {
		r.t.Fatalf("apply: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func pipeline(name string, s model.Strategy) model.Pipeline {
	return model.Pipeline{Name: name, Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{{Name: "deploy", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{Environment: env, Strategy: s}}}}
}

func highlander() model.Pipeline {
	return pipeline("highlander", model.Strategy{Type: model.StrategyHighlander})
}

// canary sets 20%, judges two 1 s intervals, waits for approval, sets 50%, promotes.
func canary() model.Pipeline {
	return pipeline("canary", model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
		Steps: []model.CanaryStep{{SetWeight: ptr(20)}, {Analysis: &model.AnalysisStep{Interval: model.Duration(time.Second), Intervals: 2}},
			{Pause: &model.PauseStep{}}, {SetWeight: ptr(50)}},
		Analysis: &model.AnalysisSpec{Judge: model.JudgeThreshold, MinRequests: 5, MaxErrorRateIncrease: ptr(0.05), MaxLatencyRatio: ptr(20.0), MaxExtensions: 3},
	}})
}

func (r *rig) deploy(pipeline, version string) string {
	r.t.Helper()
	e, err := r.c.Deploy(r.ctx(), deploy.Request{Application: app, Environment: env, Version: version, Pipeline: pipeline})
	if err != nil {
		r.t.Fatalf("deploy %s via %s: %v", version, pipeline, err)
	}
	return e.ID
}

// waitFor polls an execution until cond holds.
func (r *rig) waitFor(id string, within time.Duration, what string, cond func(*model.Execution) bool) *model.Execution {
	r.t.Helper()
	return execwait.For(r.t, r.ctx(), r.c, id, within, what, cond, nil)
}

func (r *rig) mustSucceed(id string, within time.Duration) {
	r.t.Helper()
	e := r.waitFor(id, within, "to finish", func(e *model.Execution) bool { return e.Status.Terminal() })
	if e.Status != model.ExecutionSucceeded {
		r.t.Fatalf("execution %s: want succeeded, got %s", id, e.Status)
	}
}

// step is the deploy stage's output.step and summary.
func step(e *model.Execution) (int, string) {
	for _, s := range e.Stages {
		var out struct {
			Step    int    `json:"step"`
			Summary string `json:"summary"`
		}
		if len(s.Output) > 0 && json.Unmarshal(s.Output, &out) == nil {
			return out.Step, out.Summary
		}
	}
	return -1, ""
}

// probe sends requests through the front door one after another until
// halted, and counts the answers: any error or non-2xx is a failure.
type probe struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	firstErr   string
	byVersion  map[string]int
	stop       chan struct{}
	done       chan struct{}
}

func startProbe(t *testing.T, frontDoor string) *probe {
	pr := &probe{stop: make(chan struct{}), done: make(chan struct{}), byVersion: map[string]int{}}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second}
	go func() {
		defer close(pr.done)
		for {
			select {
			case <-pr.stop:
				return
			default:
			}
			resp, err := c.Get("http://" + frontDoor + "/")
			var body bytes.Buffer
			if err == nil {
				_, err = body.ReadFrom(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode/100 != 2 {
					err = fmt.Errorf("answered %s: %s", resp.Status, strings.TrimSpace(body.String()))
				}
			}
			if err != nil {
				pr.failed.Add(1)
				pr.mu.Lock()
				if pr.firstErr == "" {
					pr.firstErr = time.Now().Format("15:04:05.000") + " " + err.Error()
				}
				pr.mu.Unlock()
				continue
			}
			pr.ok.Add(1)
			if f := strings.Fields(body.String()); len(f) > 0 {
				pr.mu.Lock()
				pr.byVersion[f[0]]++
				pr.mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	t.Cleanup(pr.halt)
	return pr
}

func (pr *probe) halt() {
	select {
	case <-pr.stop:
	default:
		close(pr.stop)
	}
	<-pr.done
}

func (pr *probe) String() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return fmt.Sprintf("ok=%d failed=%d (first: %q) versions=%v", pr.ok.Load(), pr.failed.Load(), pr.firstErr, pr.byVersion)
}

// waitServes waits until the front door answers 2xx.
func waitServes(t *testing.T, frontDoor string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + frontDoor + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the front door %s did not answer 2xx within %s", frontDoor, within)
}

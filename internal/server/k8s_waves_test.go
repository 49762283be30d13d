package server_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/k8senv"
)

// waveClusters returns three Kubernetes environments for a deploy in
// waves: three control planes when separate (k8senv.Start twice beside the
// shared one), else three namespaces of the shared control plane.
func waveClusters(t testing.TB, separate bool) (envs []*k8senv.Env, nss []string) {
	t.Helper()
	shared := k8senv.Shared(t)
	for i := range 3 {
		e := shared
		if separate && i > 0 {
			e = k8senv.Start(t)
		}
		envs, nss = append(envs, e), append(nss, e.Namespace(t))
	}
	return envs, nss
}

// threeClusterWave applies the shop application, three environments
// (eu, us, ap) and a pipeline that deploys to them in waves: 1, then 25%
// (of 3: 1), then the rest, red/black with the previous group kept.
func threeClusterWave(t testing.TB, c *client.Client, kcs []*k8senv.Env, nss []string) {
	t.Helper()
	names := []string{"eu", "us", "ap"}
	cfg := model.Config{Applications: []model.Application{k8sApplication(2)}}
	for i, n := range names {
		cfg.Environments = append(cfg.Environments, k8sEnvironment(t, n, kcs[i], nss[i], model.TrafficReplicas))
	}
	cfg.Pipelines = []model.Pipeline{{Name: "everywhere", Application: k8sApp, Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{{Name: "waves", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{
			Environments: names,
			Waves:        []model.Wave{{Count: 1}, {Percent: 25}, {Remaining: true}},
			Strategy:     model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1},
		}}}}}
	if _, err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

// runWave runs the pipeline with version and returns the execution and
// how long it took end to end, from the API call to its success.
func runWave(t testing.TB, c *client.Client, version string) (*model.Execution, time.Duration) {
	t.Helper()
	start := time.Now()
	e, err := c.Run(context.Background(), "everywhere", client.RunRequest{Params: map[string]string{"version": version}})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got, err := c.Execution(context.Background(), e.ID)
		if err != nil || !got.Status.Terminal() {
			continue
		}
		took := time.Since(start)
		if got.Status != model.ExecutionSucceeded {
			t.Fatalf("execution %s: %s: %s", e.ID, got.Status, got.Reason)
		}
		return got, took
	}
	t.Fatalf("execution %s did not finish", e.ID)
	return nil, 0
}

// TestKubernetesThreeClusterWave: v1 then v2 in waves to three Kubernetes
// environments, as the documented ServiceAccount, through the server. Each
// cluster ends with v2 serving and v1 kept disabled, the waves ran one
// after another, and the stage's output shows every environment's phase.
// GENNAKER_WAVE_CLUSTERS=separate uses three control planes.
func TestKubernetesThreeClusterWave(t *testing.T) {
	t.Parallel()
	kcs, nss := waveClusters(t, os.Getenv("GENNAKER_WAVE_CLUSTERS") == "separate")
	c := startServer(t)
	threeClusterWave(t, c, kcs, nss)
	_, took1 := runWave(t, c, "1.0.0")
	e, took2 := runWave(t, c, "2.0.0")
	t.Logf("3-cluster wave end to end: first %s, second %s", took1.Round(time.Millisecond), took2.Round(time.Millisecond))

	for i, name := range []string{"eu", "us", "ap"} {
		got := deployments(t, kcs[i], nss[i])
		var v2 string
		for n, d := range got {
			if d == "2.0.0 enabled=true" {
				v2 = n
			}
		}
		if len(got) != 2 || v2 != k8sApp+"-v002" {
			t.Errorf("%s: Deployments %v, want 2.0.0 serving as %s-v002 (numbers count per environment) and 1.0.0 kept disabled", name, got, k8sApp)
		}
	}
	var out model.WaveOutput
	if err := json.Unmarshal(e.Stages[0].Output, &out); err != nil {
		t.Fatal(err)
	}
	phases := map[string]model.WaveEnvPhase{}
	for _, eo := range out.Environments {
		phases[eo.Name] = eo.Phase
		// Each environment records what it applied, as a single deploy does.
		if m := eo.Manifests[k8sApp+"-v002"]; !strings.Contains(m, "kind: Deployment") || !strings.Contains(m, "name: "+k8sApp+"-v002") {
			t.Errorf("%s: recorded manifests %v, want %s-v002's Deployment", eo.Name, eo.Manifests, k8sApp)
		}
	}
	if want := map[string]model.WaveEnvPhase{"eu": "succeeded", "us": "succeeded", "ap": "succeeded"}; !maps.Equal(phases, want) || out.Waves != 3 {
		t.Errorf("output: %d waves, phases %v", out.Waves, phases)
	}
	// Waves in order: every deploy of wave n+1 started after wave n's succeeded.
	evs, err := c.Events(context.Background(), url.Values{"application": {k8sApp}, "limit": {"1000"}})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	began := map[string]time.Time{}
	for _, ev := range evs {
		if ev.ExecutionID == e.ID && (ev.Kind == model.EventDeployStarted || ev.Kind == model.EventDeploySucceeded) {
			order = append(order, string(ev.Kind)+" "+ev.Environment)
			if ev.Kind == model.EventDeployStarted {
				began[ev.Environment] = ev.Time
			} else {
				t.Logf("%s: deploy %s", ev.Environment, ev.Time.Sub(began[ev.Environment]).Round(time.Millisecond))
			}
		}
	}
	want := []string{"deploy_started eu", "deploy_succeeded eu", "deploy_started us", "deploy_succeeded us", "deploy_started ap", "deploy_succeeded ap"}
	if !equalStrings(order, want) {
		t.Errorf("deploy events %v, want %v", order, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkKubernetesThreeClusterWave prints the end-to-end time of a
// deploy in three waves to three Kubernetes environments (red/black, 2
// replicas, v(n) over v(n-1)): three namespaces of one control plane, and
// three control planes.
//
//	go test ./internal/server -run '^$' -bench ThreeClusterWave -benchtime 5x
func BenchmarkKubernetesThreeClusterWave(b *testing.B) {
	for _, sep := range []bool{false, true} {
		name := "namespaces"
		if sep {
			name = "control-planes"
		}
		b.Run(name, func(b *testing.B) {
			kcs, nss := waveClusters(b, sep)
			c := startServer(b)
			threeClusterWave(b, c, kcs, nss)
			runWave(b, c, "0.0.1")
			var total time.Duration
			b.ResetTimer()
			for i := range b.N {
				_, took := runWave(b, c, "1.0."+strconv.Itoa(i+1))
				total += took
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/wave")
			b.Logf("%s: %d runs, %.2f s each end to end", name, b.N, total.Seconds()/float64(b.N))
		})
	}
}

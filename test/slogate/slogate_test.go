// Package slogate runs a real gennaker server whose pipeline is held by the
// error budget in a sloGate stage: `gennaker execution` shows why, `gennaker
// approve` without a reason is refused, and with one it releases the
// pipeline, audited and recorded as a manual step.
//
// The SLO's status is written into the server's SQLite database by the
// test, as the evaluator would write it (the test does not wait for the
// evaluator: the stage is held, then overridden, within a second or two of
// the write, well inside an evaluation interval).
package slogate

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storeurl"
	"github.com/gennaker/gennaker/test/testserver"
)

var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }

const heldReason = "held: checkout-availability budget 3% left of 28d; burn 8× over 1h"

func TestPipelineHeldByBudgetThenOverridden(t *testing.T) {
	// The SLO's status below stands for the evaluator's: an evaluation
	// interval of an hour keeps the evaluator from replacing it meanwhile.
	srv := testserver.Start(t, binary, testserver.Options{Args: []string{"--slo-interval", "1h"}})
	admin := srv.Admin()
	ctx := t.Context()
	if _, err := admin.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}},
			SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "production", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal},
			SLOPolicy: &model.SLOPolicy{MinBudget: 0.1, MaxBurnRate: 6}}},
		Pipelines: []model.Pipeline{{Name: "release", Application: "checkout", Stages: []model.StageSpec{
			{Name: "budget", SLOGate: &model.SLOGateStage{Environment: "production"}},
			{Name: "after", Needs: []string{"budget"}, Noop: &model.NoopStage{}},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	// The evaluator's status: 3% of the budget left, burning 8x over 1h.
	st, err := sqlite.Open(ctx, filepath.Join(srv.Data, storeurl.DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = st.SLOStatusPut(ctx, model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: now,
		WindowStart: now.Add(-28 * 24 * time.Hour), WindowEnd: now,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 997, Total: 1000, Attainment: 0.997, BudgetRemaining: 0.03}},
		BurnRates:  []model.BurnRate{{Window: model.Duration(5 * time.Minute), Rate: 9}, {Window: model.Duration(time.Hour), Rate: 8}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	exec0, err := admin.Run(ctx, "release", client.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := exec0.ID
	deadline := time.Now().Add(15 * time.Second)
	for {
		e, err := admin.Execution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Stages[0].Status == model.StageWaiting {
			if !strings.Contains(string(e.Stages[0].Output), heldReason) {
				t.Fatalf("held stage's output %s, want %q", e.Stages[0].Output, heldReason)
			}
			break
		}
		if e.Status.Terminal() || time.Now().After(deadline) {
			t.Fatalf("execution %s: %s, stages %+v; want the budget stage waiting\n%s", id, e.Status, e.Stages, srv.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The CLI shows why it waits.
	out, err := cli(t, srv, "execution", id)
	if err != nil || !strings.Contains(out, "held: checkout-availability budget 3% left") {
		t.Fatalf("gennaker execution %s: %v\n%s", id, err, out)
	}
	// An override needs a reason.
	out, err = cli(t, srv, "approve", id, "--stage", "budget")
	if err == nil || !strings.Contains(out, "needs a reason") {
		t.Fatalf("gennaker approve without a reason: %v\n%s", err, out)
	}
	reason := "INC-42: this release is the fix"
	if out, err = cli(t, srv, "approve", id, "--stage", "budget", "--comment", reason); err != nil {
		t.Fatalf("gennaker approve --comment: %v\n%s", err, out)
	}
	deadline = time.Now().Add(15 * time.Second)
	var done *model.Execution
	for {
		done, err = admin.Execution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still %s after the override", id, done.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if done.Status != model.ExecutionSucceeded {
		t.Fatalf("execution %s: %s %s", id, done.Status, done.Reason)
	}
	var gate stage.SLOGateOutput
	if err := json.Unmarshal(done.Stages[0].Output, &gate); err != nil || gate.Status != stage.SLOGateOverridden || gate.OverrideReason != reason ||
		!strings.HasPrefix(gate.Summary, "overridden by token:local-root: "+reason+" (held: checkout-availability budget 3% left") {
		t.Errorf("the budget stage's output %s (%v), want the override and its reason", done.Stages[0].Output, err)
	}

	entries, err := admin.Audit(ctx, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	var approves []model.AuditEntry
	for _, e := range entries {
		if e.Action == model.AuditApprove && e.Object == "execution/"+id {
			approves = append(approves, e)
		}
	}
	// The refused approve is audited as refused, the override as done with its reason.
	found := false
	for _, e := range approves {
		found = found || (e.Outcome == model.AuditOK && strings.Contains(string(e.Detail), reason))
	}
	if !found {
		t.Errorf("no successful approve audit entry with the reason among %+v", approves)
	}

	events, err := admin.Events(ctx, url.Values{"application": {"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	manual := 0
	for _, ev := range events {
		if ev.Kind == model.EventManualStep && ev.Action == model.DecisionApprove && ev.Detail == reason && ev.ExecutionID == id {
			manual++
		}
	}
	if manual != 1 {
		t.Errorf("%d manual_step events with the reason, want 1: %+v", manual, events)
	}
}

// cli runs the gennaker CLI against srv as its local admin.
func cli(t *testing.T, srv *testserver.Server, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "GENNAKER_SERVER="+srv.URL, "GENNAKER_CONFIG="+srv.CLIConfig)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

package kubernetes

import (
	"context"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestLogsAndHealth(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 2)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	pods := f.addPods(t, f.deployment(t, sg.Name), 2, true)
	out, err := f.p.Logs(ctx, sg.Name, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if !strings.Contains(out, "["+p.Name+"] fake logs") { // the fake clientset's log body
			t.Errorf("logs lack pod %s:\n%s", p.Name, out)
		}
	}
	available, desired, err := f.p.Health(ctx, sg.Name)
	if err != nil || available != 0 || desired != 2 {
		t.Errorf("Health = %d/%d, %v; want 0/2 before the controller reports", available, desired, err)
	}
	if _, _, err := f.p.Health(ctx, "checkout-v009"); !isNotFound(err) {
		t.Errorf("Health of a missing group: %v", err)
	}
}

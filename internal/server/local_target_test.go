package server

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// The local target refuses a deploy to an environment without a front door
// for the application, naming the environment and the field to set.
func TestLocalTargetRefusesAnEnvironmentWithoutAFrontDoor(t *testing.T) {
	t.Parallel()
	app := model.Application{Name: "hello"}
	env := model.Environment{Name: "local", FrontDoors: map[string]string{"other": "127.0.0.1:18081"}}
	err := localTarget{}.CheckDeploy(app, env)
	if err == nil {
		t.Fatal("no error for an environment without a front door for hello")
	}
	for _, want := range []string{"environment local", "spec.frontDoors.hello", "127.0.0.1:PORT", "apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	env.FrontDoors["hello"] = "127.0.0.1:18080"
	if err := (localTarget{}).CheckDeploy(app, env); err != nil {
		t.Errorf("with a front door: %v", err)
	}
}

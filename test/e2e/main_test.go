// Package e2e drives the gennaker CLI end to end against a real server
// process, with testscript files under testdata/. Each script starts its own
// server in the background on a free port:
//
//	exec gennaker server --data $WORK/data --addr $ADDR &
//	waitserver
//
// waitserver also creates an admin API token named "tester" with the
// credential the server wrote for the local user, and sets GENNAKER_TOKEN,
// so the script's commands act as token:tester.
package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the gennaker binary built once for all scripts.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gennaker-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "gennaker"), "github.com/gennaker/gennaker/cmd/gennaker")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building gennaker:", err)
		return 2
	}
	binDir = dir
	return m.Run()
}

func TestCLI(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("ADDR", addr)
			frontDoor, err := freeAddr()
			if err != nil {
				return err
			}
			env.Setenv("FRONTDOOR", frontDoor)
			env.Setenv("GENNAKER_SERVER", "http://"+addr)
			// The server writes its local admin's CLI credential here;
			// waitserver then makes the scripts' own token, "tester".
			env.Setenv("GENNAKER_CONFIG", env.WorkDir+"/cli-config.yaml")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitserver":  cmdWaitServer,
			"waitexec":    cmdWaitExec,
			"jsonpath":    cmdJSONPath,
			"capture":     cmdCapture,
			"traffic":     cmdTraffic,
			"envsubst":    cmdEnvsubst,
			"exitcode":    cmdExitCode,
			"tamperaudit": cmdTamperAudit,
		},
	})
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

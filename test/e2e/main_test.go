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
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gennaker/gennaker/test/testserver"
)

// exe is the gennaker binary under test, built once by TestMain.
var exe string

func TestMain(m *testing.M) { testserver.Main(m, &exe) }

func TestCLI(t *testing.T) {
	t.Parallel()
	binDir := gennakerDir(t)
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

// gennakerDir is a directory holding the binary under test as `gennaker`,
// for the scripts' PATH.
func gennakerDir(t *testing.T) string {
	if filepath.Base(exe) == "gennaker" {
		return filepath.Dir(exe)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "gennaker")); err != nil {
		t.Fatal(err)
	}
	return dir
}

package crash

import (
	"testing"

	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// serverProc is a gennaker server process that the test kills and restarts
// on the same data directory and address.
type serverProc struct {
	*serverproc.Proc
	t       *testing.T
	dataDir string
}

func newServerProc(t *testing.T) *serverProc {
	t.Helper()
	dir := t.TempDir()
	data, addr := dir+"/data", testserver.FreeAddr(t)
	p := serverproc.New(t, "server", binary, addr, dir+"/server.log",
		"--data", data, "--addr", addr, "--cli-config", data+".cli.yaml")
	return &serverProc{Proc: p, t: t, dataDir: data}
}

// token is the admin token the server wrote for the local user (the same
// across restarts on one data directory and address).
func (s *serverProc) token() string {
	s.t.Helper()
	return testserver.AdminToken(s.t, s.dataDir+".cli.yaml", s.URL())
}

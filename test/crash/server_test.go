package crash

import (
	"testing"

	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// serverProc is a gennaker server process that the test kills and restarts
// on the same store (a data directory, or a PostgreSQL database) and address.
type serverProc struct {
	*serverproc.Proc
	t       *testing.T
	dataDir string
}

func newServerProc(t *testing.T, kind testserver.StoreKind) *serverProc {
	t.Helper()
	dir := t.TempDir()
	data, addr := dir+"/data", testserver.FreeAddr(t)
	args := append(testserver.StoreArgs(t, kind, data), "--addr", addr, "--cli-config", data+".cli.yaml")
	p := serverproc.New(t, "server", binary, addr, dir+"/server.log", args...)
	return &serverProc{Proc: p, t: t, dataDir: data}
}

// onEachStore runs test as subtests named by store kind, one after the
// other (the package's tests bound how soon a restarted server resumes).
func onEachStore(t *testing.T, test func(*testing.T, testserver.StoreKind)) {
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) { test(t, kind) })
	}
}

// token is the admin token the server wrote for the local user (the same
// across restarts on one store and address).
func (s *serverProc) token() string {
	s.t.Helper()
	return testserver.AdminToken(s.t, s.dataDir+".cli.yaml", s.URL())
}

package triggers

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// server is a running gennaker server as the tests use it: its URL, the
// local admin's token and its log.
type server struct {
	URL, Token string
	Log        func() string
	proc       *serverproc.Proc // set when the test may kill it
	cliConfig  string
}

func (s *server) admin() *client.Client {
	c := client.New(s.URL, s.Token)
	c.HTTP.Timeout = 15 * time.Second
	return c
}

// startServer starts a server on SQLite (the webhook secret comes from the
// environment TestMain set).
func startServer(t *testing.T) *server {
	ts := testserver.Start(t, exe, testserver.Options{})
	return &server{URL: ts.URL, Token: ts.Token, Log: ts.Log}
}

// startKillable starts a server the test can kill and restart on the same
// data directory and address (restartKilled).
func startKillable(t *testing.T) *server {
	dir := t.TempDir()
	data, addr := dir+"/data", testserver.FreeAddr(t)
	p := serverproc.New(t, "server", exe, addr, dir+"/server.log", "--data", data, "--addr", addr, "--cli-config", data+".cli.yaml")
	p.Start()
	s := &server{URL: p.URL(), proc: p, cliConfig: data + ".cli.yaml", Log: func() string { return "(see the log dumped below)" }}
	s.Token = testserver.AdminToken(t, s.cliConfig, s.URL)
	return s
}

// restartKilled kills the server with SIGKILL and starts it again.
func restartKilled(t *testing.T, s *server) *server {
	s.proc.Kill()
	s.proc.Start()
	s.Token = testserver.AdminToken(t, s.cliConfig, s.URL)
	return s
}

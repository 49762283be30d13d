package ha

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// cluster is the two replicas on one database, each on its own loopback
// port, and which of them is up right now.
type cluster struct {
	t        *testing.T
	replicas []*serverproc.Proc
	cliFile  string // the CLI credentials file both replicas share
	token    string

	mu  sync.Mutex
	up  []bool
	rng *rand.Rand
}

// newCluster starts n replicas on the store URL, one after the other, so
// the first writes the local admin's token to the shared CLI credentials
// file and the others find it working there.
func newCluster(t *testing.T, n int, storeURL string, claimTTL time.Duration, seed uint64) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, cliFile: filepath.Join(dir, "cli.yaml"), up: make([]bool, n), rng: rand.New(rand.NewPCG(seed, 7))}
	for i := range n {
		name := "replica " + string(rune('a'+i))
		addr := testserver.FreeAddr(t)
		p := serverproc.New(t, name, exe, addr, filepath.Join(dir, "replica-"+string(rune('a'+i))+".log"),
			"--store", storeURL, "--addr", addr, "--cli-config", c.cliFile,
			"--claim-ttl", claimTTL.String(), "--data", filepath.Join(dir, "data-"+string(rune('a'+i))))
		p.Start()
		c.replicas = append(c.replicas, p)
		c.up[i] = true
	}
	c.token = testserver.AdminToken(t, c.cliFile, c.replicas[0].URL())
	return c
}

// client is an API client of replica i with the local admin's token.
func (c *cluster) client(i int) *client.Client {
	cl := client.New(c.replicas[i].URL(), c.token)
	cl.HTTP.Timeout = 5 * time.Second
	return cl
}

// anyUp returns the index of a replica that is up, at random.
func (c *cluster) anyUp() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ups []int
	for i, u := range c.up {
		if u {
			ups = append(ups, i)
		}
	}
	if len(ups) == 0 {
		return 0
	}
	return ups[c.rng.IntN(len(ups))]
}

// kill kills replica i with SIGKILL and returns when it is gone.
func (c *cluster) kill(i int) {
	c.mu.Lock()
	c.up[i] = false
	c.mu.Unlock()
	c.replicas[i].Kill()
}

// restart starts replica i again with the same arguments.
func (c *cluster) restart(i int) {
	c.replicas[i].Start()
	c.mu.Lock()
	c.up[i] = true
	c.mu.Unlock()
}

// call runs fn against a replica that is up, and again against another
// (after a short pause) while the replica it reached did not answer: the
// one it picked may be being killed. An answer of the server (any status)
// ends it.
func (c *cluster) call(ctx context.Context, fn func(*client.Client) error) error {
	for {
		err := fn(c.client(c.anyUp()))
		if err == nil || !errors.Is(err, client.ErrUnreachable) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

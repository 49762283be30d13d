package local

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A front-door process hands its listening socket, routes (sticky or not)
// and instances to a successor (an upgrade to another protocol version):
// both accept on the same socket until the predecessor stops, and no
// connection is refused.
func TestHandoverKeepsTheSocketListening(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("version=v1\n")) }))
	defer inst.Close()
	log := slog.New(slog.DiscardHandler)
	old := newDoorSet("test", log)
	old.setEndpoints(doorBackends{"checkout-v001": {strings.TrimPrefix(inst.URL, "http://")}})
	addr, err := old.setRoutes("checkout", "127.0.0.1:0", []Route{{ServerGroup: "checkout-v001", Weight: 100}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	pr := startProbe(t, "http://"+addr+"/")
	pr.served(t, 10)

	reply, fds, err := old.handover()
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 1 || reply.Listeners[0] != "checkout" {
		t.Fatalf("handover gave %d sockets for %v", len(fds), reply.Listeners)
	}
	if !reply.Sticky["checkout"] {
		t.Fatalf("handover lost the sticky door: %v", reply.Sticky)
	}
	f := os.NewFile(uintptr(fds[0]), "listener")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	next := newDoorSet("test", log)
	next.inherited["checkout"] = ln
	next.setEndpoints(reply.Endpoints)
	got, err := next.setRoutes("checkout", reply.Addresses["checkout"], reply.Routes["checkout"], reply.Sticky["checkout"], tlsOf(reply.TLS, "checkout"))
	if err != nil {
		t.Fatal(err)
	}
	if got != addr {
		t.Fatalf("the successor serves %s, want the handed-over %s", got, addr)
	}
	if tb := next.doors["checkout"].table.Load(); tb.cookie == "" {
		t.Fatal("the successor's door is not sticky")
	}
	pr.served(t, 10) // both accept
	old.close(time.Second)
	pr.served(t, 20) // the successor alone
	pr.end()
	next.close(time.Second)
	if n := pr.failed.Load(); n > 0 || pr.ok.Load() < 10 {
		t.Fatalf("%d of %d requests failed across the handover (last: %v)", n, n+pr.ok.Load(), pr.lastErr.Load())
	}
	if _, err := net.Dial("tcp", addr); err == nil || !isRefused(err) {
		t.Fatalf("after both closed, dialing %s: %v, want refused", addr, err)
	}
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

package local

import (
	"net"
	"testing"
)

// Removing an application's front door releases its address while the
// environment's other door keeps serving; removing the last one stops the
// environment's front-door process. Both are idempotent.
func TestRemoveFrontDoorReleasesTheAddressAndStopsTheLastProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := newTestProviderWith(t, Config{DataDir: dir})
	checkout := sampleSpec(t, "checkout-v001", "v1", 1, nil)
	ensureHealthy(t, p, checkout)
	for _, app := range []string{"checkout", "billing"} {
		fd := FrontDoor{Application: app, Environment: "test", Address: "127.0.0.1:0", Routes: []Route{{ServerGroup: checkout.Name, Weight: 100}}}
		if err := p.SetRoutes(t.Context(), fd); err != nil {
			t.Fatal(err)
		}
	}
	addr, other := p.FrontDoorAddress("checkout", "test"), p.FrontDoorAddress("billing", "test")
	pr := startProbe(t, "http://"+other+"/")
	pr.served(t, 5)

	if err := p.Destroy(t.Context(), checkout.Ref()); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveFrontDoor(t.Context(), "checkout", "test"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the removed front door's address %s is still taken: %v", addr, err)
	}
	ln.Close()
	if got := doorPIDs(t, dir); len(got) != 1 {
		t.Fatalf("front door processes %v, want the one still serving billing", got)
	}
	pr.end()

	if err := p.RemoveFrontDoor(t.Context(), "billing", "test"); err != nil {
		t.Fatal(err)
	}
	if got := doorPIDs(t, dir); len(got) != 0 {
		t.Fatalf("front door processes %v still run after the last door was removed", got)
	}
	if err := p.RemoveFrontDoor(t.Context(), "billing", "test"); err != nil {
		t.Fatalf("removing it again: %v", err)
	}
}

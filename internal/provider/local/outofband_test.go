package local

import (
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestKilledOutside(t *testing.T) {
	t.Parallel()
	for sig, want := range map[syscall.Signal]bool{
		0:               false, // exited with a status, or adopted (unknown)
		syscall.SIGKILL: true,
		syscall.SIGTERM: true,
		syscall.SIGINT:  true,
		syscall.SIGHUP:  true,
		syscall.SIGSEGV: false, // the program's own fault: a crash
		syscall.SIGABRT: false,
		syscall.SIGBUS:  false,
		syscall.SIGFPE:  false,
	} {
		if got := killedOutside(sig); got != want {
			t.Errorf("killedOutside(%v) = %v, want %v", sig, got, want)
		}
	}
}

// exits collects what a provider reports through Config.OutOfBand.
type exits struct {
	mu  sync.Mutex
	got []OutOfBandExit
}

func (e *exits) add(x OutOfBandExit) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, x)
}

func (e *exits) list() []OutOfBandExit {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]OutOfBandExit(nil), e.got...)
}

func TestKilledInstanceIsReportedOutOfBand(t *testing.T) {
	t.Parallel()
	var seen exits
	p := newTestProviderWith(t, Config{OutOfBand: seen.add})
	spec := sampleSpec(t, "checkout-v004", "v4", 2, nil)
	ensureHealthy(t, p, spec)
	victim := pids(t, p, spec.Ref())[1]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the kill reported", func() bool { return len(seen.list()) > 0 })
	got := seen.list()
	if len(got) != 1 {
		t.Fatalf("reports %+v, want one", got)
	}
	x := got[0]
	if x.Application != "checkout" || x.Environment != "test" || x.ServerGroup != spec.Name || x.Instance != 1 || x.PID != victim || x.Signal != syscall.SIGKILL {
		t.Fatalf("report %+v", x)
	}
	if want := "instance 1 (pid " + itoa(victim) + ") was killed by signal 9 (killed) outside gennaker"; x.Detail() != want {
		t.Errorf("detail %q, want %q", x.Detail(), want)
	}
	if want := "process checkout-v004/1 pid " + itoa(victim); x.Ref() != want {
		t.Errorf("ref %q, want %q", x.Ref(), want)
	}
	if !strings.HasPrefix(x.Key(), "local/test/checkout-v004/1/pid-"+itoa(victim)+"-") {
		t.Errorf("key %q", x.Key())
	}
	// The restart is unchanged: the instance comes back.
	if err := p.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}

	// gennaker's own stops are not out-of-band.
	if err := p.Resize(t.Context(), spec.Ref(), 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Destroy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := seen.list(); len(got) != 1 {
		t.Fatalf("after resize and destroy: reports %+v, want only the kill", got)
	}
}

func TestCrashIsNotOutOfBand(t *testing.T) {
	t.Parallel()
	var seen exits
	p := newTestProviderWith(t, Config{OutOfBand: seen.add})
	spec := sampleSpec(t, "checkout-v005", "v5", 1, nil)
	// The instance exits with status 3 on its own, again and again.
	spec.Run.Command = "/bin/sh"
	spec.Run.Args = []string{"-c", "exit 3"}
	if err := p.EnsureServerGroup(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the crash seen", func() bool {
		h, _ := p.Health(t.Context(), spec.Ref())
		return len(h.Instances) == 1 && h.Instances[0].Restarts >= 1
	})
	if got := seen.list(); len(got) != 0 {
		t.Fatalf("a crash was reported out-of-band: %+v", got)
	}
}

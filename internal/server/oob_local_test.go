package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/pgenv"
)

// TestLocalKillIsRecordedOutOfBand runs a real instance process on the
// local target, kills it with SIGKILL as a person would, and finds one
// out_of_band_change; gennaker's own resize and destroy add none.
func TestLocalKillIsRecordedOutOfBand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &oobRecorder{st: st, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	prov, err := local.New(local.Config{DataDir: dir, OutOfBand: rec.localExit, PortMin: 27000, PortMax: 27199})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = prov.Shutdown(ctx)
	})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec := local.ServerGroupSpec{Name: "shop-v003", Application: "shop", Environment: "dev", Version: "1.0", Instances: 2,
		Run:         model.RunSpec{Command: exe, Env: map[string]model.StringOrSecret{sampleServiceVar: {Value: "1"}}},
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(100 * time.Millisecond), StartupTimeout: model.Duration(20 * time.Second)}}
	if err := prov.EnsureServerGroup(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if err := prov.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	h, err := prov.Health(t.Context(), spec.Ref())
	if err != nil {
		t.Fatal(err)
	}
	pid := h.Instances[1].PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	list := func() []model.Event {
		evs, err := st.EventList(t.Context(), store.EventListParams{Kinds: []model.EventKind{model.EventOutOfBand}})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := prov.WaitHealthy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	if err := prov.Resize(t.Context(), spec.Ref(), 1); err != nil {
		t.Fatal(err)
	}
	if err := prov.Destroy(t.Context(), spec.Ref()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	evs := list()
	if len(evs) != 1 {
		t.Fatalf("out-of-band events %+v, want one", evs)
	}
	e := evs[0]
	p := strconv.Itoa(pid)
	if e.Application != "shop" || e.Environment != "dev" || e.Actor != "" || e.Ref != "process shop-v003/1 pid "+p ||
		e.Detail != "instance 1 (pid "+p+") was killed by signal 9 (killed) outside gennaker" || e.Time.IsZero() {
		t.Fatalf("event %+v", e)
	}
}

// TestOutOfBandRecordedOnce records the same change twice, as two
// replicas (or a restart) would: one event.
func TestOutOfBandRecordedOnce(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &oobRecorder{st: st, log: slog.New(slog.DiscardHandler)}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	c := oobRecord{Key: "uid-1/kubectl-set/Update//1", Application: "checkout", Environment: "prod",
		Ref: "Deployment/shop/checkout-v003", Actor: "kubectl-set (Update)", Detail: "replicas 3 → 5", Time: at}
	for i, want := range []bool{true, false} {
		got, err := rec.record(t.Context(), c)
		if err != nil || got != want {
			t.Fatalf("record #%d: %v, %v; want %v", i+1, got, err, want)
		}
	}
	// The same key in another environment is another change.
	c.Environment = "staging"
	if got, err := rec.record(t.Context(), c); err != nil || !got {
		t.Fatalf("other environment: %v, %v", got, err)
	}
	evs, err := st.EventList(t.Context(), store.EventListParams{Environment: "prod", Kinds: []model.EventKind{model.EventOutOfBand}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !evs[0].Time.Equal(at) || evs[0].Actor != c.Actor || evs[0].Ref != c.Ref || evs[0].Detail != c.Detail {
		t.Fatalf("events %+v", evs)
	}
}

// TestOutOfBandRecordedOnceOnPostgres races replicas recording one change
// on a shared PostgreSQL store: one of them records it.
func TestOutOfBandRecordedOnceOnPostgres(t *testing.T) {
	t.Parallel()
	st, err := postgres.Open(t.Context(), pgenv.Start(t).Database(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &oobRecorder{st: st, log: slog.New(slog.DiscardHandler)}
	c := oobRecord{Key: "uid-1/kubectl-edit/Update//1", Environment: "prod", Ref: "Deployment/shop/checkout-v003",
		Actor: "kubectl-edit (Update)", Detail: "replicas 3 → 5", Time: time.Now()}
	const replicas = 8
	var wg sync.WaitGroup
	var won atomic.Int32
	for range replicas {
		wg.Go(func() {
			ok, err := rec.record(t.Context(), c)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	evs, err := st.EventList(t.Context(), store.EventListParams{Kinds: []model.EventKind{model.EventOutOfBand}})
	if err != nil {
		t.Fatal(err)
	}
	if won.Load() != 1 || len(evs) != 1 {
		t.Fatalf("%d of %d replicas recorded it, %d events; want one", won.Load(), replicas, len(evs))
	}
}

// Package kpi checks the delivery KPIs through a real server: a year of
// deliveries (internal/kpi/kpigen) is written into a SQLite store, a
// `gennaker server` started on it folds the log with its own projector,
// and GET /api/v1/kpi must answer what docs/kpis.md defines, worked out
// from the generator's ground truth.
package kpi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/kpi/kpigen"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storeurl"
	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }

func TestAPIReportIsExact(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	h := kpigen.Generate(kpigen.DefaultConfig(1))
	st, err := sqlite.Open(t.Context(), filepath.Join(data, storeurl.DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Apply(t.Context(), st, 1000); err != nil {
		t.Fatal(err)
	}
	st.Close()

	addr, cli := testserver.FreeAddr(t), filepath.Join(dir, "cli.yaml")
	srv := serverproc.New(t, "server", binary, addr, filepath.Join(dir, "server.log"), "--data", data, "--addr", addr, "--cli-config", cli)
	srv.Start()
	token := testserver.AdminToken(t, cli, srv.URL())

	q := kpi.Query{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), By: kpi.BucketMonth}
	want := h.Expect(q, kpigen.Spec)
	url := srv.URL() + "/api/v1/kpi?" + q.Values().Encode()
	// The server folds the log in the background: wait until two answers
	// a second apart are the same.
	var got, last *kpi.Report
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got = get(t, url, token)
		if last != nil && got.UpTo > 0 && reflect.DeepEqual(stripped(got), stripped(last)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report over the API did not settle within 2 minutes (upToEvent %d of %d events)", got.UpTo, len(h.Events))
		}
		last = got
		time.Sleep(time.Second)
	}
	// The wire carries the reporter's answer as it is: the same report
	// made in process on the same store (the server stopped) must match.
	srv.Stop()
	st, err = sqlite.Open(t.Context(), filepath.Join(data, storeurl.DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local, err := kpi.NewReporter(st).Report(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if d := kpigen.Diff(local, got); len(d) > 0 {
		t.Errorf("GET %s differs from the reporter's answer in process on the same store (got, want):\n  %s", url, strings.Join(d, "\n  "))
	}
	if d := kpigen.Diff(want, got); len(d) > 0 {
		if len(d) > 40 {
			d = append(d[:40], fmt.Sprintf("... and %d more", len(d)-40))
		}
		t.Errorf("GET %s: %d differences from docs/kpis.md (got, want); internal/kpi/kpigen's TestExact locates them:\n  %s", url, len(d), strings.Join(d, "\n  "))
	}
}

func stripped(r *kpi.Report) kpi.Report {
	c := *r
	c.ComputedAt = time.Time{}
	return c
}

func get(t *testing.T, url, token string) *kpi.Report {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && os.Getenv("GENNAKER_REQUIRE_ALL") != "1" {
		t.Skip("this binary serves no GET /api/v1/kpi yet")
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var r kpi.Report
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("GET %s: decoding the report: %v", url, err)
	}
	return &r
}

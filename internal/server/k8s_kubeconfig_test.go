package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/gennaker/gennaker/internal/model"
)

const kubeconfigTemplate = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: TOKEN}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: shop}}]
current-context: c
`

func writeKubeconfig(t *testing.T, path, token string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Replace(kubeconfigTemplate, "TOKEN", token, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestK8sClientRebuiltWhenKubeconfigChanges: the environment's client is
// kept while nothing changes, and built again when the kubeconfig's
// content changes or the API server answered Unauthorized.
func TestK8sClientRebuiltWhenKubeconfigChanges(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newK8sTargets(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	path := filepath.Join(t.TempDir(), "prod.kubeconfig")
	writeKubeconfig(t, path, "aaaa")
	env := model.Environment{Name: "prod", Target: model.TargetSpec{Kind: model.TargetKubernetes, Kubeconfig: path}}
	lookup := func() k8sTarget {
		t.Helper()
		tg, err := k.target(env)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	first := lookup()
	if again := lookup(); again.p != first.p {
		t.Fatal("a second lookup with nothing changed built a new client")
	}
	// Touched, same bytes: kept.
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if again := lookup(); again.p != first.p {
		t.Error("a touch without a change built a new client")
	}
	// A new token of the same length: built again.
	writeKubeconfig(t, path, "bbbb")
	second := lookup()
	if second.p == first.p {
		t.Fatal("a changed kubeconfig was not read again")
	}
	if second.p.RESTConfig.BearerToken != "bbbb" {
		t.Errorf("token %q, want the file's new one", second.p.RESTConfig.BearerToken)
	}
	// Any error but Unauthorized keeps the client; Unauthorized drops it.
	_ = second.seen(errors.New("connection refused"))
	if again := lookup(); again.p != second.p {
		t.Error("an error other than Unauthorized built a new client")
	}
	_ = second.seen(apierrors.NewUnauthorized("Unauthorized"))
	if third := lookup(); third.p == second.p {
		t.Error("the client that met Unauthorized was kept")
	}
	// A kubeconfig that cannot be read fails the lookup, saying which.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := k.target(env); err == nil {
		t.Error("a missing kubeconfig gave a client")
	}
}

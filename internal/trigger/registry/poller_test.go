package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/registry"
	"github.com/gennaker/gennaker/internal/trigger/triggertest"
)

// watcher polls one registry trigger as the runner does, keeping its cursor.
type watcher struct {
	t      *testing.T
	p      *registry.Poller
	ref    trigger.Ref
	cursor []byte
}

func newWatcher(t *testing.T, spec model.RegistryTrigger) *watcher {
	return &watcher{t: t, p: &registry.Poller{}, ref: trigger.Ref{
		Pipeline: model.Pipeline{Application: "shop", Name: "deploy"},
		Spec:     model.TriggerSpec{Name: "image", Registry: &spec},
	}}
}

func (w *watcher) look() []trigger.Firing {
	w.t.Helper()
	firings, next, err := w.p.Poll(context.Background(), w.ref, w.cursor)
	if err != nil {
		w.t.Fatalf("Poll: %v", err)
	}
	w.cursor = next
	return firings
}

func (w *watcher) lookFires(tag, digest string) {
	w.t.Helper()
	firings := w.look()
	if len(firings) != 1 {
		w.t.Fatalf("look fired %d times, want once for %s: %+v", len(firings), tag, firings)
	}
	f := firings[0]
	if f.DeliveryID != tag+"@"+digest || f.Params["version"] != tag || f.Record.Kind != "registry" ||
		f.Record.Digest != digest || f.Input["tag"] != tag || f.Input["digest"] != digest ||
		f.Input["repository"] != w.ref.Spec.Registry.Repository || f.Ref.Key() != "shop/deploy/image" {
		w.t.Fatalf("firing = %+v, want tag %s digest %s", f, tag, digest)
	}
}

func (w *watcher) lookFiresNothing() {
	w.t.Helper()
	if firings := w.look(); len(firings) != 0 {
		w.t.Fatalf("look fired %+v, want nothing", firings)
	}
}

func TestRegistryTriggerFiresNewAndMovedTags(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	reg.Push(t, "acme/cart", "build-1")
	w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/cart"), Tag: `build-\d+`, Insecure: true})

	w.lookFiresNothing() // first look records build-1
	w.lookFiresNothing()

	d2 := reg.Push(t, "acme/cart", "build-2")
	w.lookFires("build-2", d2)
	w.lookFiresNothing()

	reg.Push(t, "acme/cart", "latest") // does not match the tag regexp
	reg.Push(t, "acme/cart", "build-3-debug")
	w.lookFiresNothing()

	d2b := reg.Push(t, "acme/cart", "build-2") // same tag, new content
	if d2b == d2 {
		t.Fatal("the test pushed the same image twice")
	}
	w.lookFires("build-2", d2b)

	// Three tags between two looks: the newest fires, once.
	reg.Push(t, "acme/cart", "build-4")
	reg.Push(t, "acme/cart", "build-5")
	d10 := reg.Push(t, "acme/cart", "build-10")
	w.lookFires("build-10", d10)
	w.lookFiresNothing()
}

func TestRegistryTriggerSkipsATagDeletedDuringTheLook(t *testing.T) {
	var vanish atomic.Bool // b-2 is listed, then gone when its digest is asked
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if vanish.Load() && r.Method == http.MethodHead && strings.HasSuffix(r.URL.Path, "/manifests/b-2") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown tag"}]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	reg.Push(t, "acme/cart", "b-1")
	w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/cart")})
	w.lookFiresNothing()
	d := reg.Push(t, "acme/cart", "b-2")
	vanish.Store(true)
	w.lookFiresNothing()
	vanish.Store(false)
	w.lookFires("b-2", d) // still new: the skipped look did not record it
}

func TestRegistryTriggerSemver(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	reg.Push(t, "acme/cart", "1.4.0")
	w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/cart"), Semver: "^1.4"})
	w.lookFiresNothing()

	reg.Push(t, "acme/cart", "2.0.0")      // outside the constraint
	reg.Push(t, "acme/cart", "1.6.0-rc.1") // a pre-release: not matched by ^1.4
	w.lookFiresNothing()

	reg.Push(t, "acme/cart", "1.4.1")
	d := reg.Push(t, "acme/cart", "v1.10.0") // newer than 1.9 as a version, older as text
	reg.Push(t, "acme/cart", "1.9.0")
	w.lookFires("v1.10.0", d)

	reg.Push(t, "acme/cart", "1.5.3") // a patch of an older line: not deployed over 1.10
	w.lookFiresNothing()
}

func TestRegistryTriggerPaginatesThousandsOfTags(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	reg.PushImage(t, "acme/many", "b-0", img)
	tags := make([]string, 0, 1200)
	for i := 1; i <= 1200; i++ {
		tags = append(tags, fmt.Sprintf("b-%d", i))
	}
	reg.Tag(t, "acme/many", img, tags...)

	w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/many"), Tag: `b-\d+`})
	w.lookFiresNothing()
	var c registry.Cursor
	mustJSON(t, w.cursor, &c)
	// The registry sends tags in text order in pages of 1000: b-999 sorts
	// after b-1200, so without the second page the cursor would lack it.
	if len(c.Tags) != registry.MaxTracked || c.Floor != "b-201" {
		t.Fatalf("cursor holds %d tags, floor %q; want %d, floor b-201", len(c.Tags), c.Floor, registry.MaxTracked)
	}
	if _, ok := c.Tags["b-1200"]; !ok {
		t.Fatal("cursor lacks b-1200, which only the second page of tags holds")
	}
	d := reg.Push(t, "acme/many", "b-1201")
	w.lookFires("b-1201", d)
	reg.Tag(t, "acme/many", img, "b-5") // already there, below the floor
	w.lookFiresNothing()
}

func TestRegistryTriggerBasicAuth(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{Username: "robot", Password: "s3cret-pass"})
	reg.Push(t, "acme/private", "1.0.0")
	env := map[string]string{"REG_USER": "robot", "REG_PASS": "s3cret-pass"}
	user := model.FromSecret(model.SecretRef{Env: "REG_USER"})
	pass := model.FromSecret(model.SecretRef{Env: "REG_PASS"})
	w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/private"), Username: &user, Password: &pass})
	w.p.Secrets = &secret.Resolver{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}
	w.lookFiresNothing()
	d := reg.Push(t, "acme/private", "1.0.1")
	w.lookFires("1.0.1", d)

	env["REG_PASS"] = "wrong"
	_, next, err := w.p.Poll(context.Background(), w.ref, w.cursor)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "username and password") ||
		!strings.Contains(err.Error(), reg.Repository("acme/private")) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: err = %v, want a 401 naming the repository and what to check, without the password", err)
	}
	t.Log(err)
	if string(next) != string(w.cursor) {
		t.Error("a failed look changed the cursor")
	}

	anon := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository("acme/private")})
	if _, _, err := anon.p.Poll(context.Background(), anon.ref, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no login: err = %v, want 401", err)
	}
}

func TestRegistryTriggerErrors(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	tests := []struct {
		name string
		spec model.RegistryTrigger
		want string
	}{
		{"missing repository", model.RegistryTrigger{Repository: reg.Repository("acme/none")}, "not found"},
		{"bad name", model.RegistryTrigger{Repository: "Not A Name"}, "not an image repository name"},
		{"nobody listening", model.RegistryTrigger{Repository: "127.0.0.1:1/acme/cart", Insecure: true}, "cannot reach the registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWatcher(t, tt.spec)
			w.p.Timeout = 10 * time.Second
			_, _, err := w.p.Poll(context.Background(), w.ref, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "shop/deploy/image") {
				t.Fatalf("err = %v, want one naming the trigger and saying %q", err, tt.want)
			}
			t.Log(err)
		})
	}
}

// TestRegistryLookTime measures one look at a local registry for
// docs/triggers-registry-git.md: a repository of 50 tags (one page) and one
// of 1500 (two pages); each look resolves the newest 10 digests.
func TestRegistryLookTime(t *testing.T) {
	reg := triggertest.StartRegistry(t, triggertest.RegistryOptions{})
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{50, 1500} {
		repo := fmt.Sprintf("acme/cart%d", n)
		reg.PushImage(t, repo, "1.0.0", img)
		var tags []string
		for i := 1; i < n; i++ {
			tags = append(tags, fmt.Sprintf("1.%d.0", i))
		}
		reg.Tag(t, repo, img, tags...)
		w := newWatcher(t, model.RegistryTrigger{Repository: reg.Repository(repo), Semver: ">=1.0"})
		w.lookFiresNothing()
		var times []time.Duration
		for range 15 {
			start := time.Now()
			w.lookFiresNothing()
			times = append(times, time.Since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t.Logf("one look (%d tags): median %v, min %v, max %v", n, times[len(times)/2], times[0], times[len(times)-1])
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("cursor %s: %v", b, err)
	}
}

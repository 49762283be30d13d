package gitpoll_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/gitpoll"
	"github.com/gennaker/gennaker/internal/trigger/triggertest"
)

// watcher polls one git trigger as the runner does, keeping its cursor.
type watcher struct {
	t      *testing.T
	p      *gitpoll.Poller
	ref    trigger.Ref
	cursor []byte
}

func newWatcher(t *testing.T, spec model.GitTrigger) *watcher {
	return &watcher{t: t, p: &gitpoll.Poller{Timeout: 20 * time.Second}, ref: trigger.Ref{
		Pipeline: model.Pipeline{Application: "shop", Name: "deploy"},
		Spec:     model.TriggerSpec{Name: "main", Git: &spec},
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

func (w *watcher) lookFiresNothing() {
	w.t.Helper()
	if firings := w.look(); len(firings) != 0 {
		w.t.Fatalf("look fired %+v, want nothing", firings)
	}
}

// lookFires checks that a look fires once for commit sha made as c.
func (w *watcher) lookFires(sha string, c triggertest.Commit) {
	w.t.Helper()
	firings := w.look()
	if len(firings) != 1 {
		w.t.Fatalf("look fired %d times, want once for %s: %+v", len(firings), sha, firings)
	}
	f := firings[0]
	spec := w.ref.Spec.Git
	wantTime := c.Time.UTC().Truncate(time.Second)
	author := c.AuthorName + " <" + c.AuthorEmail + ">"
	if f.DeliveryID != sha || f.Params["commit"] != sha || f.Params["version"] != sha[:12] ||
		f.Record.Kind != "git" || f.Record.CommitSHA != sha || f.Record.CommitTime == nil || !f.Record.CommitTime.Equal(wantTime) {
		w.t.Fatalf("firing = %+v (record %+v), want commit %s at %s", f, f.Record, sha, wantTime)
	}
	want := map[string]any{
		"repository": spec.Repository, "branch": spec.Branch, "commit": sha,
		"commitTime": wantTime.Format(time.RFC3339), "author": author, "message": c.Message + "\n",
	}
	for k, v := range want {
		if f.Input[k] != v {
			w.t.Errorf("input %s = %q, want %q", k, f.Input[k], v)
		}
	}
	var payload map[string]any
	if err := json.Unmarshal(f.Record.Payload, &payload); err != nil || payload["commit"] != sha {
		w.t.Errorf("record payload %s: %v", f.Record.Payload, err)
	}
}

func commit(msg, author string, at time.Time) triggertest.Commit {
	return triggertest.Commit{
		Message: msg, AuthorName: author, AuthorEmail: strings.ToLower(author) + "@example.com", Time: at,
		Files: map[string]string{"app.txt": msg},
	}
}

func TestGitTriggerFiresWhenTheHeadChanges(t *testing.T) {
	for _, noFilter := range []bool{false, true} {
		name := "partial clone"
		if noFilter {
			name = "no partial clone"
		}
		t.Run(name, func(t *testing.T) {
			srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{NoFilter: noFilter})
			repo := srv.NewRepo(t, "cart", "main")
			t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600))
			first := repo.Commit(t, commit("first", "Ada", t0))
			w := newWatcher(t, model.GitTrigger{Repository: repo.URL, Branch: "main"})

			w.lookFiresNothing() // first look records the head
			w.lookFiresNothing()

			c2 := commit("add the cart\n\nWith a body.", "Grace", t0.Add(time.Hour))
			second := repo.Commit(t, c2)
			w.lookFires(second, c2)
			w.lookFiresNothing()

			// A force-push back to the first commit changes the head: it fires.
			repo.ForcePush(t, first)
			w.lookFires(first, commit("first", "Ada", t0))

			// A commit with a large file: the look reads the pack only up
			// to the commit (with partial clone the server sends no file).
			big := commit("big", "Ada", t0.Add(2*time.Hour))
			big.Files = map[string]string{"big.bin": randomText(t, 1<<20)}
			sha := repo.Commit(t, big)
			w.p.MaxResponseBytes = 256 << 10
			w.lookFires(sha, big)
		})
	}
}

// randomText is n bytes that do not compress.
func randomText(t *testing.T, n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestGitTriggerRefusesAHugePack(t *testing.T) {
	srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{NoFilter: true})
	repo := srv.NewRepo(t, "cart", "main")
	repo.Commit(t, commit("first", "Ada", time.Now()))
	w := newWatcher(t, model.GitTrigger{Repository: repo.URL, Branch: "main"})
	w.p.MaxResponseBytes = 8 << 10
	w.lookFiresNothing()
	big := commit("big", "Ada", time.Now())
	big.Files = map[string]string{"big.bin": randomText(t, 1<<20)}
	repo.Commit(t, big)
	_, next, err := w.p.Poll(context.Background(), w.ref, w.cursor)
	if err == nil || !strings.Contains(err.Error(), "allow partial clone") {
		t.Fatalf("err = %v, want one saying the server sent too much", err)
	}
	t.Log(err)
	if string(next) != string(w.cursor) {
		t.Error("a failed look changed the cursor")
	}
}

func TestGitTriggerMissingBranch(t *testing.T) {
	srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{})
	repo := srv.NewRepo(t, "cart", "main")
	repo.Commit(t, commit("first", "Ada", time.Now()))
	w := newWatcher(t, model.GitTrigger{Repository: repo.URL, Branch: "release"})
	_, _, err := w.p.Poll(context.Background(), w.ref, nil)
	if err == nil || !strings.Contains(err.Error(), repo.URL+" has no branch release (it has branches main)") || !strings.Contains(err.Error(), "shop/deploy/main") {
		t.Fatalf("err = %v, want one naming the trigger, branch and repository, listing the branches", err)
	}
	t.Log(err)
}

func TestGitTriggerErrors(t *testing.T) {
	srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{})
	empty := srv.NewRepo(t, "empty", "main")
	tests := []struct {
		name, url, want string
	}{
		{"no such repository", srv.URL + "/none.git", "no such repository"},
		{"empty repository", empty.URL, "the repository is empty"},
		{"not http", "ssh://git@example.com/acme/cart.git", "not an https:// or http:// clone URL"},
		{"nobody listening", "http://127.0.0.1:1/cart.git", "cannot reach the server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWatcher(t, model.GitTrigger{Repository: tt.url, Branch: "main"})
			_, _, err := w.p.Poll(context.Background(), w.ref, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestGitTriggerBasicAuth(t *testing.T) {
	srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{Username: "robot", Password: "tok-3ab9"})
	repo := srv.NewRepo(t, "private", "main")
	repo.Commit(t, commit("first", "Ada", time.Now()))
	env := map[string]string{"GIT_USER": "robot", "GIT_TOKEN": "tok-3ab9"}
	user := model.FromSecret(model.SecretRef{Env: "GIT_USER"})
	pass := model.FromSecret(model.SecretRef{Env: "GIT_TOKEN"})
	w := newWatcher(t, model.GitTrigger{Repository: repo.URL, Branch: "main", Username: &user, Password: &pass})
	w.p.Secrets = &secret.Resolver{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}
	w.lookFiresNothing()
	c := commit("second", "Grace", time.Now())
	sha := repo.Commit(t, c)
	w.lookFires(sha, c)

	env["GIT_TOKEN"] = "wrong-token"
	_, next, err := w.p.Poll(context.Background(), w.ref, w.cursor)
	if err == nil || !strings.Contains(err.Error(), "username and password") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("wrong token: err = %v, want one saying to check the login, without the token", err)
	}
	t.Log(err)
	if string(next) != string(w.cursor) {
		t.Error("a failed look changed the cursor")
	}
}

// TestGitLookTime measures looks at a local git http-backend for
// docs/triggers-registry-git.md: one that sees the same head (the ref list
// only) and one that sees a new commit (the ref list and the commit).
func TestGitLookTime(t *testing.T) {
	srv := triggertest.StartGitServer(t, triggertest.GitServerOptions{})
	repo := srv.NewRepo(t, "cart", "main")
	repo.Commit(t, commit("first", "Ada", time.Now()))
	w := newWatcher(t, model.GitTrigger{Repository: repo.URL, Branch: "main"})
	w.lookFiresNothing()
	var same, changed []time.Duration
	for i := range 9 {
		start := time.Now()
		w.lookFiresNothing()
		same = append(same, time.Since(start))
		c := commit(fmt.Sprintf("change %d", i), "Ada", time.Now())
		sha := repo.Commit(t, c)
		start = time.Now()
		w.lookFires(sha, c)
		changed = append(changed, time.Since(start))
	}
	slices.Sort(same)
	slices.Sort(changed)
	t.Logf("one look, same head: median %v (min %v, max %v); new commit: median %v (min %v, max %v)",
		same[len(same)/2], same[0], same[len(same)-1], changed[len(changed)/2], changed[0], changed[len(changed)-1])
}

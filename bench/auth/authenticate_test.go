package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// These benchmarks time the credential path in one process, on a real
// SQLite store holding bench/engine's config, a global admin token and a
// session opened with it:
//
//	go test ./bench/auth -run '^$' -bench . -benchmem -count 5
//	go test ./bench/auth -run '^$' -bench 'Authenticate/token$' -cpuprofile /tmp/authn.out -o /tmp/auth.test
//	go tool pprof -top /tmp/auth.test /tmp/authn.out

// rig is an Authenticator over a fresh store, with a token and a session.
type rig struct {
	st     *sqlite.Store
	a      *authn.Authenticator
	token  string // the whole API token, as sent in Authorization
	tokID  string
	cookie string // the session cookie's value
	hash   string // the stored hash of the token's secret
	// reqCtx is the requests' context: cancelable, as a server's is, so
	// database/sql watches it during each query as it does in the server.
	reqCtx context.Context
}

func newRig(b *testing.B) *rig {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "gennaker.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	var cfg model.Config
	if err := json.Unmarshal(harness.EngineConfig(), &cfg); err != nil {
		b.Fatal(err)
	}
	if _, err := st.ConfigApply(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	id, hash, token := auth.NewToken()
	tok := &model.Token{ID: id, Name: "bench", Hash: hash, Role: model.RoleAdmin, CreatedBy: "bench", Owner: "bench", ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.TokenInsert(ctx, tok); err != nil {
		b.Fatal(err)
	}
	a := authn.New(authn.Config{Store: st})
	rec := httptest.NewRecorder()
	if _, err := a.LoginWithToken(ctx, rec, httptest.NewRequest("POST", "/login", nil), token); err != nil {
		b.Fatal(err)
	}
	reqCtx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	r := &rig{st: st, a: a, token: token, tokID: id, hash: hash, reqCtx: reqCtx}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			r.cookie = c.Value
		}
	}
	if r.cookie == "" {
		b.Fatal("LoginWithToken set no session cookie")
	}
	return r
}

func (r *rig) request(method, path, cred string) *http.Request {
	req := httptest.NewRequestWithContext(r.reqCtx, method, "http://127.0.0.1"+path, nil)
	switch cred {
	case "token":
		req.Header.Set("Authorization", "Bearer "+r.token)
	case "session":
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.cookie})
	}
	return req
}

// BenchmarkAuthenticate times Authenticator.Authenticate: no credential,
// an API token (read by ID, SHA-256 of the secret, constant-time compare)
// and a session cookie (SHA-256 of the cookie, the session and the token
// behind it read), one goroutine at a time and from GOMAXPROCS goroutines.
func BenchmarkAuthenticate(b *testing.B) {
	r := newRig(b)
	for _, cred := range []string{"anonymous", "token", "session"} {
		req := r.request("GET", "/api/v1/whoami", cred)
		b.Run(cred, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := r.a.Authenticate(req)
				if err != nil || p.Authenticated() != (cred != "anonymous") {
					b.Fatal(p, err)
				}
			}
		})
		b.Run(cred+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := req.Clone(r.reqCtx)
				for pb.Next() {
					if _, err := r.a.Authenticate(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCredentialParts times the pieces of the credential path, and
// the store read the rule of the pipeline routes adds (the start request
// of an execution passes it).
func BenchmarkCredentialParts(b *testing.B) {
	r := newRig(b)
	ctx := r.reqCtx
	_, secret, _ := auth.ParseToken(r.token)
	b.Run("SecretMatches", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !auth.SecretMatches(r.hash, secret) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("TokenGet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.st.TokenGet(ctx, r.tokID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SessionGet", func(b *testing.B) {
		b.ReportAllocs()
		id := auth.HashSecret(r.cookie)
		for b.Loop() {
			if _, err := r.st.SessionGet(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Policy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.a.Policy(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	p, err := r.a.Authenticate(r.request("GET", "/", "token"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("PipelineRule", func(b *testing.B) {
		// What the router's guard does for POST /api/v1/pipelines/{name}/executions.
		b.ReportAllocs()
		for b.Loop() {
			pol, err := r.a.Policy(ctx)
			if err != nil {
				b.Fatal(err)
			}
			pl, err := r.st.PipelineGet(ctx, harness.EnginePipeline)
			if err != nil {
				b.Fatal(err)
			}
			if !p.CanSomewhere(auth.PermDeploy, pol.App(pl.Application)) {
				b.Fatal("refused")
			}
		}
	})
}

// BenchmarkServeHTTP times the API handler in process (no network, no
// engine): the probes of the program, so their differences show the
// server's part of a credential without the client's or the kernel's.
func BenchmarkServeHTTP(b *testing.B) {
	r := newRig(b)
	h := api.New(api.Config{Store: r.st, Auth: r.a})
	for _, c := range []struct{ name, path, cred string }{
		{"healthz", "/healthz", ""},
		{"healthz+token", "/healthz", "token"},
		{"whoami+token", "/api/v1/whoami", "token"},
		{"app+token", "/api/v1/applications/" + harness.EngineApp, "token"},
		{"pipeline+token", "/api/v1/pipelines/" + harness.EnginePipeline, "token"},
		{"healthz+session", "/healthz", "session"},
		{"whoami+session", "/api/v1/whoami", "session"},
	} {
		req := r.request("GET", c.path, c.cred)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", c.path, w.Code, w.Body)
				}
			}
		})
	}
}

package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tidwall/gjson"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// waitserver waits until $GENNAKER_SERVER/healthz answers 200 (at most
// 20s), then, unless GENNAKER_TOKEN is set, creates the admin token
// "tester" with the local admin's credential from $GENNAKER_CONFIG and sets
// GENNAKER_TOKEN to it.
func cmdWaitServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: waitserver")
	}
	base := ts.Getenv("GENNAKER_SERVER")
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if ts.Getenv("GENNAKER_TOKEN") == "" {
					ts.Setenv("GENNAKER_TOKEN", testerToken(ts, base))
					ts.Setenv("TESTER", ts.Getenv("GENNAKER_TOKEN"))
				}
				return
			}
			lastErr = nil
		} else {
			lastErr = err
		}
		time.Sleep(25 * time.Millisecond)
	}
	ts.Fatalf("server at %s not healthy after 20s: %v", base, lastErr)
}

// testerToken creates (or, after a restart, re-creates) the admin token
// "tester" as the server's local admin and returns its secret.
func testerToken(ts *testscript.TestScript, base string) string {
	token, err := testserver.ReadAdminToken(ts.Getenv("GENNAKER_CONFIG"), base)
	ts.Check(err)
	admin := client.New(base, token)
	ctx := context.Background()
	// A restarted server still knows the first start's "tester".
	if _, err := admin.RevokeToken(ctx, "tester"); err != nil {
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			ts.Fatalf("revoking the previous token tester: %v", err)
		}
	}
	created, err := admin.CreateToken(ctx, api.TokenRequest{Name: "tester", Role: model.RoleAdmin, ExpiresIn: "300d"})
	ts.Check(err)
	return created.Secret
}

// authGet is an authenticated GET with the script's token.
func authGet(ts *testscript.TestScript, url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+ts.Getenv("GENNAKER_TOKEN"))
	return http.DefaultClient.Do(req)
}

// waitexec ID PATH VALUE polls GET /api/v1/executions/ID until the JSON
// value at PATH (gjson syntax, e.g. stages.1.status) equals VALUE (at most 20s).
func cmdWaitExec(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitexec ID PATH VALUE")
	}
	url := ts.Getenv("GENNAKER_SERVER") + "/api/v1/executions/" + args[0]
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := authGet(ts, url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = gjson.GetBytes(b, args[1]).String()
			if last == args[2] {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("execution %s: %s is %q after 20s, want %q", args[0], args[1], last, args[2])
}

// jsonpath FILE PATH [VALUE] checks that the JSON in FILE (stdout and stderr
// name the last command's output) has a value at PATH (gjson syntax), equal
// to VALUE when given. With !, the path must be absent or differ from VALUE.
func cmdJSONPath(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: jsonpath FILE PATH [VALUE]")
	}
	data := ts.ReadFile(args[0])
	if !gjson.Valid(data) {
		ts.Fatalf("%s is not JSON:\n%s", args[0], snippet(data))
	}
	res := gjson.Get(data, args[1])
	ok := res.Exists()
	if len(args) == 3 {
		ok = ok && res.String() == args[2]
	}
	switch {
	case ok && neg:
		ts.Fatalf("%s: %s is %q, want it not to be", args[0], args[1], res.String())
	case !ok && !neg && len(args) == 3:
		ts.Fatalf("%s: %s is %q (exists: %v), want %q", args[0], args[1], res.String(), res.Exists(), args[2])
	case !ok && !neg:
		ts.Fatalf("%s: no value at %s", args[0], args[1])
	}
}

// capture VAR FILE PATH sets $VAR to the JSON value at PATH in FILE.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture VAR FILE PATH")
	}
	res := gjson.Get(ts.ReadFile(args[1]), args[2])
	if !res.Exists() || res.String() == "" {
		ts.Fatalf("%s has no value at %s", args[1], args[2])
	}
	ts.Setenv(args[0], res.String())
}

func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

// cmdExitCode runs a program and checks its exact exit status, which plain
// `! exec` cannot: exitcode N PROGRAM ARGS... Its output is what the next
// stdout and stderr checks see.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	path := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, args[1]); fileExists(p) {
			path = p
			break
		}
	}
	if path == "" {
		ts.Fatalf("exitcode: %s is not in the script's PATH", args[1])
	}
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = os.Environ()
	for _, kv := range []string{"PATH", "GENNAKER_SERVER", "GENNAKER_TOKEN", "GENNAKER_CONFIG", "HOME"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

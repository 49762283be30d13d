package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// traffic ADDR DURATION sends about 40 requests per second to http://ADDR/
// in the background for DURATION (or until the script ends) and returns at once.
func cmdTraffic(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: traffic ADDR DURATION")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	url := args[0]
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	done := make(chan struct{})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(done)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if resp, err := client.Get(url + "/"); err == nil {
				resp.Body.Close()
			}
		}
	}()
	ts.Defer(func() { cancel(); <-done })
}

// envsubst FILE... replaces $VAR and ${VAR} in the files with the script's environment.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		path := ts.MkAbs(f)
		b, err := os.ReadFile(path)
		ts.Check(err)
		ts.Check(os.WriteFile(path, []byte(os.Expand(string(b), ts.Getenv)), 0o644))
	}
}

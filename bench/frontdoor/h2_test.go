package main

import "testing"

func TestParseH2load(t *testing.T) {
	out := []byte(`starting benchmark...
spawning thread #0: 64 total client(s). Timing-based test with 1s of warm-up time and 10s of main duration for measurements.
Warm-up started for thread #0.
Main benchmark duration is started for thread #0.
finished in 10.00s, 19334.20 req/s, 1.73MB/s
requests: 193342 total, 193342 started, 193340 done, 193338 succeeded, 2 failed, 2 errored, 0 timeout
status codes: 193338 2xx, 0 3xx, 0 4xx, 0 5xx
`)
	r, err := parseH2load(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 19334.20 || r.done != 193340 || r.failed != 2 {
		t.Fatalf("parsed %+v", r)
	}
	if _, err := parseH2load([]byte("connect: Connection refused\n")); err == nil {
		t.Fatal("output without figures parsed")
	}
}

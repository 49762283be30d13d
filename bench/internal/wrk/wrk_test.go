package wrk

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:28000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    1.02ms  31.20ms   91.30%
    Req/Sec    24.71k     1.12k   26.40k    79.00%
  Latency Distribution
     50%    2.43ms
     75%    2.80ms
     90%    3.31ms
     99%  812.00us
  245872 requests in 10.00s, 28.13MB read
Requests/sec:  24585.31
Transfer/sec:      2.81MB
`
	r, err := Parse([]byte(out))
	if err != nil || r.RPS != 24585.31 || r.P99 != 812*time.Microsecond {
		t.Fatalf("Parse = %+v, %v; want 24585.31 req/s, p99 812µs", r, err)
	}
	failed := strings.Replace(out, "Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec", 1)
	if _, err := Parse([]byte(failed)); err == nil {
		t.Error("non-2xx answers were not reported")
	}
	if _, err := Parse([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Error("output without figures was accepted")
	}
}

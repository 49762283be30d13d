// Package wrk runs wrk (the HTTP load generator) for the benchmarks under
// bench/ and reads what it measured.
package wrk

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Result is what one wrk run measured.
type Result struct {
	RPS float64
	P99 time.Duration
}

// Run drives url closed loop with wrk pinned to cpus (taskset -c), one
// thread and conns connections, for d (whole seconds).
func Run(cpus, url string, conns int, d time.Duration) (Result, error) {
	cmd := exec.Command("taskset", "-c", cpus, "wrk", "-t1", "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk %s: %w: %s", url, err, out)
	}
	return Parse(out)
}

// Parse reads "Requests/sec:" and the "99%" line of --latency output.
func Parse(out []byte) (Result, error) {
	var r Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.RPS, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "99%":
			r.P99, _ = time.ParseDuration(f[1]) // 812.00us, 1.23ms, 1.02s
		case len(f) > 0 && (f[0] == "Non-2xx" || f[0] == "Socket"):
			return r, fmt.Errorf("wrk saw failures: %s", out)
		}
	}
	if r.RPS == 0 || r.P99 == 0 {
		return r, fmt.Errorf("cannot read wrk's output: %s", out)
	}
	return r, nil
}

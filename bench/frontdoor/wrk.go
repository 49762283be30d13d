package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	rps float64
	p99 time.Duration
}

// runWrk drives url closed loop with wrk pinned to cpus.
func runWrk(cpus, url string, conns int, d time.Duration) (wrkResult, error) {
	cmd := exec.Command("taskset", "-c", cpus, "wrk", "-t1", "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w: %s", url, err, out)
	}
	return parseWrk(out)
}

// parseWrk reads "Requests/sec:" and the "99%" line of --latency output.
func parseWrk(out []byte) (wrkResult, error) {
	var r wrkResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "99%":
			r.p99, _ = time.ParseDuration(f[1]) // 812.00us, 1.23ms, 1.02s
		case len(f) > 0 && (f[0] == "Non-2xx" || f[0] == "Socket"):
			return r, fmt.Errorf("wrk saw failures: %s", out)
		}
	}
	if r.rps == 0 || r.p99 == 0 {
		return r, fmt.Errorf("cannot read wrk's output: %s", out)
	}
	return r, nil
}

// Command failover measures how long a surviving gennaker replica takes to
// carry on the steps of one killed with SIGKILL, on PostgreSQL. It runs
// the HA suite (test/ha: two replicas on one database, a kwok cluster,
// executions with a webhook, a wait, a judgment and canary releases, a
// replica killed at random moments) and prints the failover time of every
// kill and their median and maximum, parsed from the suite's log.
//
// The failover time of a kill is from the SIGKILL until no stage still
// carries a claim it carried at the kill (see test/ha/failover_test.go).
// It needs what the suite needs: PostgreSQL and the Kubernetes binaries
// (make test-deps).
//
//	go run ./bench/failover [-executions 200] [-kills 20] [-claim-ttl 20s] [-v]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

func main() {
	executions := flag.Int("executions", 200, "executions to start")
	releases := flag.Int("releases", 20, "of them, canary releases to the kwok cluster")
	kills := flag.Int("kills", 20, "kills of a replica chosen at random")
	claimTTL := flag.Duration("claim-ttl", 20*time.Second, "the replicas' --claim-ttl")
	verbose := flag.Bool("v", false, "print the suite's whole log")
	flag.Parse()

	args := []string{"test", "-count=1", "-timeout", "15m", "-v", "-run", "^TestReplicasUnderKills$", "./test/ha", "-args",
		fmt.Sprintf("-ha.executions=%d", *executions), fmt.Sprintf("-ha.releases=%d", *releases),
		fmt.Sprintf("-ha.kills=%d", *kills), "-ha.claim-ttl=" + claimTTL.String()}
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fail(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	summary, perKill, skipped := scan(out, *verbose)
	werr := cmd.Wait()
	for _, l := range perKill {
		fmt.Println(l)
	}
	switch {
	case skipped != "":
		fail(fmt.Errorf("the suite was skipped: %s", skipped))
	case summary == nil:
		fail(fmt.Errorf("the suite printed no HA-FAILOVER line (%v); rerun with -v", werr))
	}
	fmt.Printf("failover over %s kills (%s with claims held, --claim-ttl %s): median %s ms, max %s ms\n",
		summary["kills"], summary["with_claims"], summary["claim_ttl"], summary["median_ms"], summary["max_ms"])
	fmt.Printf("the suite took %s", time.Since(began).Round(time.Second))
	if werr != nil {
		fmt.Printf(" and FAILED (%v): its checks did not all pass; rerun with -v\n", werr)
		os.Exit(1)
	}
	fmt.Println(" and passed")
}

var (
	summaryLine = regexp.MustCompile(`HA-FAILOVER ((?:\w+=\S+ ?)+)`)
	killLine    = regexp.MustCompile(`kill #\d+ of .*moved on .*`)
)

// scan reads the suite's log: the summary's fields, one line per kill, and
// the reason of a skip.
func scan(r io.Reader, verbose bool) (map[string]string, []string, string) {
	var summary map[string]string
	var perKill []string
	skipped, prev := "", ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if verbose {
			fmt.Println(line)
		}
		if m := summaryLine.FindStringSubmatch(line); m != nil {
			summary = map[string]string{}
			for _, kv := range strings.Fields(m[1]) {
				k, v, _ := strings.Cut(kv, "=")
				summary[k] = v
			}
		}
		if m := killLine.FindString(line); m != "" {
			perKill = append(perKill, m)
		}
		if strings.Contains(line, "--- SKIP") {
			skipped = prev // go test -v prints the reason just before
		}
		prev = strings.TrimSpace(line)
	}
	return summary, perKill, skipped
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "failover benchmark:", err)
	os.Exit(1)
}

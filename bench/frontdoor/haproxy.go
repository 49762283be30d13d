package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// haproxyConfig is the same split as the front door's: http mode,
// keep-alive on both sides, roundrobin with each server weighted by its
// group's share, no logging.
// A second frontend speaks HTTP/2 in cleartext (prior knowledge) on h2listen.
func haproxyConfig(listen, h2listen string, servers []server) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend door
    bind %s
    default_backend groups
frontend door_h2
    bind %s proto h2
    default_backend groups
backend groups
    balance roundrobin
`, listen, h2listen)
	for _, s := range servers {
		fmt.Fprintf(&b, "    server %s %s weight %d\n", s.id, s.addr, s.weight)
	}
	return b.String()
}

// startHaproxy writes the config to dir and starts haproxy in the
// foreground on cpus. Its process group is ours to end.
func startHaproxy(dir, cpus, listen, h2listen string, servers []server) (*exec.Cmd, error) {
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(listen, h2listen, servers)), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command("taskset", "-c", cpus, "haproxy", "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy: %w: run bench/frontdoor/deps.sh", err)
	}
	return cmd, nil
}

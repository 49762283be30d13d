package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ on Linux: /proc reports CPU time in 1/100 s.
const clockTicks = 100

// procStat is the parent pid and the CPU seconds (user + system) of pid.
func procStat(pid int) (ppid int, cpu float64, ok bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 || i+2 > len(raw) {
		return 0, 0, false
	}
	f := strings.Fields(string(raw[i+2:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return ppid, (u + s) / clockTicks, true
}

// cpuSeconds sums the CPU time of the processes in pids.
func cpuSeconds(pids []int) float64 {
	var sum float64
	for _, pid := range pids {
		if _, cpu, ok := procStat(pid); ok {
			sum += cpu
		}
	}
	return sum
}

// treeCPU is the CPU time of root and its descendants, except the subtrees
// of skip. It measures the front door wherever it runs: in this process
// today, or in a child process the provider starts.
func treeCPU(root int, skip map[int]bool) float64 {
	children := map[int][]int{}
	entries, _ := filepath.Glob("/proc/[0-9]*")
	for _, e := range entries {
		pid, err := strconv.Atoi(filepath.Base(e))
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var sum float64
	var walk func(int)
	walk = func(pid int) {
		if skip[pid] {
			return
		}
		if _, cpu, ok := procStat(pid); ok {
			sum += cpu
		}
		for _, c := range children[pid] {
			walk(c)
		}
	}
	walk(root)
	return sum
}

package main

import (
	"bytes"
	"errors"
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

// frontDoorPID finds the front-door process the provider started: a child
// of this process run as `... frontdoor --socket ...`.
func frontDoorPID() (int, error) {
	entries, _ := filepath.Glob("/proc/[0-9]*")
	for _, e := range entries {
		pid, err := strconv.Atoi(filepath.Base(e))
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(pid); !ok || ppid != os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(e + "/cmdline")
		if args := strings.Split(string(cmdline), "\x00"); len(args) > 1 && args[1] == "frontdoor" {
			return pid, nil
		}
	}
	return 0, errors.New("found no front-door process among this program's children")
}

// treeCPU is the CPU time of root and its descendants.
func treeCPU(root int) float64 {
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

package main

import (
	"slices"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// round is everything measured in one round: a sample per probe (same
// order as probes) and one engine batch.
type round struct {
	samples []sample
	engine  engineResult
}

// figures are one probe's numbers in one round, in microseconds.
type figures struct {
	seqP50  float64 // median latency, sequential
	concP50 float64 // median latency, concurrent
	rps     float64 // requests per second, concurrent
	wall    float64 // concurrent wall time per request (1/rps)
	cpu     float64 // server CPU time per request, concurrent
}

func figuresOf(s sample) figures {
	f := figures{seqP50: medianUS(s.seq), concP50: medianUS(s.conc)}
	if s.concN > 0 && s.concWall > 0 {
		f.rps = float64(s.concN) / s.concWall.Seconds()
		f.wall = us(s.concWall) / float64(s.concN)
		f.cpu = us(time.Duration(s.cpuTicks)*clockTick) / float64(s.concN)
	}
	return f
}

// row is one probe over all rounds: the median of each figure, and the
// median of the same-round differences from the baseline (probe 0) and of
// the same-round shares of the engine's time per execution.
type row struct {
	name string
	med  figures
	// Same-round differences from the baseline, µs.
	dSeq, dWall, dCPU float64
	// Same-round shares of the engine's wall time per execution (0.01 = 1 %)
	// when every API request of an execution costs dSeq or dWall more.
	shareSeq, shareWall float64
}

// summarize turns rounds into one row per probe.
func summarize(ps []probe, rounds []round) []row {
	rows := make([]row, len(ps))
	for i, p := range ps {
		var seq, conc, rps, wall, cpu, dSeq, dWall, dCPU, sSeq, sWall []float64
		for _, r := range rounds {
			f, base := figuresOf(r.samples[i]), figuresOf(r.samples[0])
			seq, conc, rps = append(seq, f.seqP50), append(conc, f.concP50), append(rps, f.rps)
			wall, cpu = append(wall, f.wall), append(cpu, f.cpu)
			dSeq = append(dSeq, f.seqP50-base.seqP50)
			dWall = append(dWall, f.wall-base.wall)
			dCPU = append(dCPU, f.cpu-base.cpu)
			sSeq = append(sSeq, share(f.seqP50-base.seqP50, r.engine))
			sWall = append(sWall, share(f.wall-base.wall, r.engine))
		}
		m := harness.Median
		rows[i] = row{
			name: p.name,
			med:  figures{seqP50: m(seq), concP50: m(conc), rps: m(rps), wall: m(wall), cpu: m(cpu)},
			dSeq: m(dSeq), dWall: m(dWall), dCPU: m(dCPU),
			shareSeq: m(sSeq), shareWall: m(sWall),
		}
	}
	return rows
}

// share is the fraction of an execution's wall time that costUS more per
// API request adds, when an execution takes requestsPerExecution requests:
// costUS × (n + polls) / total.
func share(costUS float64, e engineResult) float64 {
	if e.total <= 0 || e.n == 0 {
		return 0
	}
	return costUS * requestsPerExecution(e) / perExecutionUS(e)
}

// requestsPerExecution counts one start request per execution plus the
// status polls of the batch spread over its executions.
func requestsPerExecution(e engineResult) float64 {
	return float64(e.n+e.polls) / float64(e.n)
}

// perExecutionUS is the batch's wall time per execution in µs.
func perExecutionUS(e engineResult) float64 {
	return us(e.total) / float64(e.n)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func medianUS(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return us(s[n/2])
	}
	return (us(s[n/2-1]) + us(s[n/2])) / 2
}

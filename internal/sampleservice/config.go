package sampleservice

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config says how the sample service listens and which faults it injects.
// Faults come from here, never from the version name, so a demo can make
// any version slow or failing.
type Config struct {
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Version and Instance are reported by GET / and as metric labels.
	Version  string
	Instance string
	// ErrorRate is the fraction of requests (0..1) answered with 500.
	ErrorRate float64
	// Latency is added to every request; LatencyJitter adds up to that much more at random.
	Latency       time.Duration
	LatencyJitter time.Duration
}

// ConfigFromEnv reads PORT, VERSION, INSTANCE, SAMPLE_ERROR_RATE,
// SAMPLE_LATENCY and SAMPLE_LATENCY_JITTER. The jitter defaults to a tenth of
// the latency.
func ConfigFromEnv() (Config, error) {
	cfg := Config{Version: os.Getenv("VERSION"), Instance: os.Getenv("INSTANCE")}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Instance == "" {
		cfg.Instance = "0"
	}
	if v := os.Getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return cfg, fmt.Errorf("PORT=%q is not a port: set a number from 1 to 65535", v)
		}
		cfg.Port = p
	}
	if v := os.Getenv("SAMPLE_ERROR_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return cfg, fmt.Errorf("SAMPLE_ERROR_RATE=%q is not a fraction: set a number from 0 to 1, such as 0.05", v)
		}
		cfg.ErrorRate = r
	}
	var err error
	if cfg.Latency, err = envDuration("SAMPLE_LATENCY"); err != nil {
		return cfg, err
	}
	cfg.LatencyJitter = cfg.Latency / 10
	if os.Getenv("SAMPLE_LATENCY_JITTER") != "" {
		if cfg.LatencyJitter, err = envDuration("SAMPLE_LATENCY_JITTER"); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func envDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a duration: write a number with a unit, such as 50ms or 1s", name, v)
	}
	return d, nil
}

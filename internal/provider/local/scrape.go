package local

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// ScrapeTargetsFile is where the provider lists every instance for
// Prometheus' file-based service discovery (file_sd_configs), relative to
// DataDir. Each target carries the labels app, env, server_group, version
// and instance, so analysis queries can select a server group.
const ScrapeTargetsFile = "prometheus/targets.json"

type scrapeGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// writeScrapeTargets rewrites the file_sd file from the state (atomically).
func writeScrapeTargets(dataDir string, st state) error {
	var groups []scrapeGroup
	names := make([]string, 0, len(st.ServerGroups))
	for name := range st.ServerGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rec := st.ServerGroups[name]
		for _, in := range rec.Instances {
			if in.Port == 0 {
				continue
			}
			groups = append(groups, scrapeGroup{
				Targets: []string{"127.0.0.1:" + strconv.Itoa(in.Port)},
				Labels: map[string]string{
					"app": rec.Spec.Application, "env": rec.Spec.Environment, "server_group": rec.Spec.Name,
					"version": rec.Spec.Version, "instance_index": strconv.Itoa(in.Index),
				},
			})
		}
	}
	if groups == nil {
		groups = []scrapeGroup{}
	}
	b, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, ScrapeTargetsFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/config"
)

// Exit codes of `gennaker judge`.
const (
	judgeExitPass     = 0
	judgeExitNotPass  = 1
	judgeExitBadInput = 2
)

func newOfflineJudgeCmd(g *globals) *cobra.Command {
	var baselinePath, canaryPath, cfgPath string
	cmd := &cobra.Command{
		Use:   "judge --baseline B.csv --canary C.csv --config ANALYSIS.yaml",
		Short: "Judge canary samples against baseline samples offline, with no server",
		Long: `Judge two sets of samples with the statistical (Mann-Whitney) judge, as one
interval that is also the last, without a server.

Each CSV file has the header metric,value and one sample per line; a metric's
name may repeat, and NaN or an empty value is a missing sample that the
metric's nanStrategy handles. The config is an AnalysisTemplate document (or a
bare analysis block); a config without metrics judges every metric in the
files with the defaults.

Exit status: 0 when the verdict is pass, 1 for marginal, fail or
inconclusive, 2 for bad input.`,
		Example: `  gennaker judge --baseline baseline.csv --canary canary.csv --config analysis.yaml
  gennaker judge --baseline b.csv --canary c.csv --config analysis.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := judgeFiles(baselinePath, canaryPath, cfgPath)
			if err != nil {
				return &exitError{code: judgeExitBadInput, msg: err.Error()}
			}
			for _, n := range res.Ignored {
				fmt.Fprintf(cmd.ErrOrStderr(), "gennaker: metric %s is in the samples but not in the config: ignored (add it to spec.metrics to judge it)\n", n)
			}
			if g.output == "json" {
				if err := printJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "verdict %s, score %s\n  %s\n", strings.ToUpper(string(res.Verdict)), analysis.FormatScore(res.Score), res.Reason)
				printMetrics(w, res.Metrics, res.Groups)
			}
			if res.Verdict != analysis.ScorePass {
				return &exitError{code: judgeExitNotPass}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baselinePath, "baseline", "", "CSV file of the baseline's samples (metric,value)")
	cmd.Flags().StringVar(&canaryPath, "canary", "", "CSV file of the canary's samples (metric,value)")
	cmd.Flags().StringVar(&cfgPath, "config", "", "analysis config: an AnalysisTemplate YAML document")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: judgeExitBadInput, msg: err.Error() + " (see gennaker judge --help)"}
	})
	return cmd
}

// judgeFiles reads the three files and judges; any error is bad input.
func judgeFiles(baselinePath, canaryPath, cfgPath string) (analysis.OfflineResult, error) {
	var missing []string
	for flag, v := range map[string]string{"--baseline B.csv": baselinePath, "--canary C.csv": canaryPath, "--config ANALYSIS.yaml": cfgPath} {
		if v == "" {
			missing = append(missing, flag)
		}
	}
	if len(missing) > 0 {
		return analysis.OfflineResult{}, fmt.Errorf("missing %s: judge needs both samples and the analysis config", strings.Join(sortedStrings(missing), ", "))
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return analysis.OfflineResult{}, fmt.Errorf("reading the analysis config: %w", err)
	}
	spec, err := config.ParseOfflineAnalysis(cfgPath, data)
	if err != nil {
		return analysis.OfflineResult{}, err
	}
	base, errB := readSamples(baselinePath)
	can, errC := readSamples(canaryPath)
	if err := errors.Join(errB, errC); err != nil {
		return analysis.OfflineResult{}, err
	}
	if !base.Named(spec) && !can.Named(spec) {
		var names []string
		for _, m := range spec.Metrics {
			names = append(names, m.Name)
		}
		return analysis.OfflineResult{}, fmt.Errorf("none of the config's metrics (%s) is in %s or %s (they have %s): check the names",
			strings.Join(names, ", "), baselinePath, canaryPath, strings.Join(append(base.Order, can.Order...), ", "))
	}
	return analysis.JudgeOffline(analysis.MannWhitneyJudge{}, spec, base, can), nil
}

func readSamples(path string) (analysis.SampleSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return analysis.SampleSet{}, fmt.Errorf("reading samples: %w", err)
	}
	defer f.Close()
	return analysis.ReadSamplesCSV(path, f)
}

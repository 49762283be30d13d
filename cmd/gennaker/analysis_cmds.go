package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/store"
)

func newAnalysisCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "analysis",
		Short: "Show or replay the canary analysis of an execution, or list analysis templates",
	}
	cmd.AddCommand(newAnalysisShowCmd(g), newAnalysisReplayCmd(g), newAnalysisTemplatesCmd(g))
	return cmd
}

func newAnalysisTemplatesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "templates",
		Short: "List analysis templates (kind AnalysisTemplate) and what they measure",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := g.client().AnalysisTemplates(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), ts)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tJUDGE\tMETRICS\tINTERVAL\tLIFETIME\tWARMUP\tPASS/MARGINAL")
			for _, t := range ts {
				spec := t.Spec.WithDefaults()
				var names []string
				for _, m := range spec.Metrics {
					names = append(names, m.Name)
				}
				if len(names) == 0 {
					names = append(names, "(front-door defaults)")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%g/%g\n", t.Name, cmp.Or(spec.Judge, "mann-whitney"), strings.Join(names, ","),
					orDash(t.Spec.Interval.String(), t.Spec.Interval == 0), orDash(t.Spec.Lifetime.String(), t.Spec.Lifetime == 0),
					orDash(t.Spec.Warmup.String(), t.Spec.Warmup == 0), spec.Thresholds.Pass, spec.Thresholds.Marginal)
			}
			return tw.Flush()
		},
	}
}

func orDash(s string, unset bool) string {
	if unset {
		return "-"
	}
	return s
}

func newAnalysisShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show EXECUTION",
		Short: "Show each judged interval: the samples' statistics per metric, the scores and the reason",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			recs, err := g.client().Analysis(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), recs)
			}
			if len(recs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "execution %s has no canary analysis records\n", args[0])
				return nil
			}
			for _, rec := range recs {
				printRecord(cmd.OutOrStdout(), rec)
			}
			return nil
		},
	}
}

func printRecord(w io.Writer, rec store.AnalysisRecord) {
	fmt.Fprintf(w, "stage %s, interval %d  %s → %s\n", rec.Stage, rec.Sequence, rec.StartedAt.Local().Format("15:04:05"), rec.EndedAt.Local().Format("15:04:05"))
	fmt.Fprintf(w, "  outcome %s, score %s\n  %s\n", strings.ToUpper(rec.Outcome), analysis.FormatScore(rec.Score), rec.Reason)
	var round analysis.CheckRound
	if json.Unmarshal(rec.Measurements, &round) == nil && round.Judge == analysis.JudgeChecks {
		printChecks(w, round)
		return
	}
	var data analysis.IntervalData
	var rep analysis.Report
	if json.Unmarshal(rec.Measurements, &data) != nil || data.Judge == "" || json.Unmarshal(rec.Verdict, &rep) != nil {
		fmt.Fprintln(w, "  (judged by the threshold judge; see -o json for its checks)")
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "  canary %s vs baseline %s, confidence %.2f\n", data.Canary, data.Baseline, data.Config.WithDefaults().ConfidenceLevel)
	printMetrics(w, rep.Metrics, rep.Groups)
	for _, m := range data.Metrics {
		if m.Error != "" {
			fmt.Fprintf(w, "  %s: no data: %s\n", m.Name, m.Error)
		}
	}
	fmt.Fprintln(w)
}

// printMetrics prints the statistical judge's per-metric results and group scores.
func printMetrics(w io.Writer, metrics []analysis.MetricResult, groups []analysis.GroupScore) {
	tw := table(w)
	// CRITICAL: a critical metric that fails fails the canary whatever the score.
	fmt.Fprintln(tw, "  METRIC\tCRITICAL\tCLASS\tBASELINE n/mean\tCANARY n/mean\tU\tp\tSHIFT [INTERVAL]\tEFFECT\tPOWER\t")
	for _, m := range metrics {
		class := string(m.Classification)
		critical := "-"
		if m.Critical {
			critical = "critical"
		}
		if m.Muted {
			class += " (muted)"
		}
		stat := "\t\t\t\t"
		if m.Tested {
			u := fmt.Sprintf("%.0f", m.U)
			measure := string(m.EffectMeasure)
			switch m.Test {
			case analysis.TestProportion: // counts: the shift is the difference of the shares
				u = fmt.Sprintf("%d/%d vs %d/%d", m.Canary.Events, m.Canary.Trials, m.Baseline.Events, m.Baseline.Trials)
			case analysis.TestTail: // requests above the threshold; the effect is the pooled quantiles' ratio
				u = fmt.Sprintf("tail >%s: %d/%d vs %d/%d", analysis.FormatLatency(m.Threshold), m.Canary.Events, m.Canary.Trials, m.Baseline.Events, m.Baseline.Trials)
				if m.EffectMeasure != analysis.EffectCLES {
					measure = fmt.Sprintf("p%s %s/%s", analysis.FormatQuantile(m.Quantile), analysis.FormatLatency(m.Canary.Quantile), analysis.FormatLatency(m.Baseline.Quantile))
				}
			}
			stat = fmt.Sprintf("%s\t%.3g\t%s [%s, %s]\t%s %s\t%.2f", u, m.P, stat4(m.Estimate), stat4(m.Low), stat4(m.High), measure, effect(m.EffectSize), m.Power)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d / %s\t%d / %s\t%s\t\n", m.Name, critical, class, m.Baseline.Count, stat4(m.Baseline.Mean), m.Canary.Count, stat4(m.Canary.Mean), stat)
	}
	tw.Flush()
	fmt.Fprintln(w, "  (a critical metric that fails fails the canary whatever the score)")
	for _, gs := range groups {
		fmt.Fprintf(w, "  group %s: weight %.0f, score %.0f\n", gs.Name, gs.Weight, gs.Score)
	}
}

func newAnalysisReplayCmd(g *globals) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "replay EXECUTION --config FILE",
		Short: "Judge an execution's stored samples again with another analysis config",
		Long: "Rejudge the samples an execution's canary analysis stored, with the analysis config in FILE\n" +
			"(written like a canary's analysis block), to tune thresholds against history before changing them.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfgPath == "" {
				return fmt.Errorf("give the analysis config to replay with: --config FILE")
			}
			data, err := os.ReadFile(cfgPath)
			if err != nil {
				return fmt.Errorf("reading the analysis config: %w", err)
			}
			spec, err := config.ParseAnalysis(cfgPath, data)
			if err != nil {
				return err
			}
			var res api.ReplayResponse
			if err := g.client().Replay(cmd.Context(), args[0], spec, &res); err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			tw := table(w)
			fmt.Fprintln(tw, "STAGE\tINTERVAL\tRECORDED\tSCORE\tREPLAYED\tSCORE\tWHY (REPLAYED)")
			for _, iv := range res.Intervals {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", iv.Stage, iv.Sequence, iv.Recorded.Outcome, analysis.FormatScore(iv.Recorded.Score),
					iv.Replayed.Outcome, analysis.FormatScore(iv.Replayed.Score), oneLine(iv.Replayed.Reason, 90))
			}
			tw.Flush()
			fmt.Fprintf(w, "\nrecorded: %s\nreplayed: %s\n", res.Recorded, res.Replayed)
			if res.Skipped > 0 {
				fmt.Fprintf(w, "(%d intervals judged by the threshold judge were skipped: they keep counters, not samples)\n", res.Skipped)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "analysis config YAML to replay with")
	return cmd
}

// effect prints an effect size; the judge stores an infinite ratio (a zero
// baseline mean) as ±MaxFloat64 to keep its records JSON.
func effect(v float64) string { return statG(v, 3) }

// stat4 prints a recorded statistic with four significant digits.
func stat4(v float64) string { return statG(v, 4) }

// statG prints a recorded statistic with digits significant digits, and the
// ±MaxFloat64 that records hold for infinity (see analysis.Infinite) as
// ∞ or -∞, as the JSON record means it (and as the web UI writes it).
func statG(v float64, digits int) string {
	switch analysis.Infinite(v) {
	case 1:
		return "∞"
	case -1:
		return "-∞"
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}

// printChecks prints one interval's check measurements and the tallies so far.
func printChecks(w io.Writer, round analysis.CheckRound) {
	tw := table(w)
	fmt.Fprintln(tw, "  CHECK\tPHASE\tMEASUREMENT\t")
	for _, m := range round.Measurements {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", m.Check, m.Phase, m.Message)
	}
	_ = tw.Flush()
	for _, t := range round.Tallies {
		fmt.Fprintf(w, "  %s so far: %d successful, %d failed, %d inconclusive, %d errors (%d in a row)\n",
			t.Check, t.Successful, t.Failed, t.Inconclusive, t.Errors, t.ConsecutiveErrors)
	}
	fmt.Fprintln(w)
}

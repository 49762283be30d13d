package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // reasons say ">= 95", not "\u003e= 95"
	return enc.Encode(v)
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func ago(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02 15:04")
}

func duration(st model.Stage) string {
	if st.StartedAt == nil {
		return ""
	}
	end := time.Now()
	if st.EndedAt != nil {
		end = *st.EndedAt
	}
	return end.Sub(*st.StartedAt).Round(10 * time.Millisecond).String()
}

func printExecutions(w io.Writer, execs []model.Execution) {
	tw := table(w)
	fmt.Fprintln(tw, "ID\tPIPELINE\tAPPLICATION\tSTATUS\tSTARTED\tREASON")
	for _, e := range execs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Pipeline, e.Application, e.Status, ago(e.CreatedAt), oneLine(e.Reason, 60))
	}
	tw.Flush()
}

func printExecution(w io.Writer, e *model.Execution) {
	fmt.Fprintf(w, "Execution  %s\n", e.ID)
	fmt.Fprintf(w, "Pipeline   %s (application %s)\n", e.Pipeline, e.Application)
	fmt.Fprintf(w, "Status     %s\n", e.Status)
	if e.Reason != "" {
		fmt.Fprintf(w, "Reason     %s\n", e.Reason)
	}
	trig := e.Trigger.Kind
	if e.Trigger.Actor != "" {
		trig += " by " + e.Trigger.Actor
	}
	if e.Trigger.CommitSHA != "" {
		trig += ", commit " + e.Trigger.CommitSHA
		if e.Trigger.CommitTime != nil {
			trig += " (committed " + e.Trigger.CommitTime.Local().Format(time.RFC3339) + ")"
		}
	}
	fmt.Fprintf(w, "Trigger    %s\n", trig)
	if t := e.Trigger; t.Name != "" {
		from := "trigger " + t.Name
		if t.DeliveryID != "" {
			from += ", delivery " + t.DeliveryID
		}
		if t.Digest != "" {
			from += ", digest " + t.Digest
		}
		fmt.Fprintf(w, "           %s\n", from)
		if len(t.Payload) > 0 {
			fmt.Fprintf(w, "Payload    %s\n", oneLine(string(t.Payload), 200))
		}
	}
	fmt.Fprintf(w, "Started    %s\n", e.CreatedAt.Local().Format(time.RFC3339))
	if len(e.Params) > 0 {
		var ps []string
		for k, v := range e.Params {
			ps = append(ps, k+"="+v)
		}
		fmt.Fprintf(w, "Params     %s\n", strings.Join(sortedStrings(ps), " "))
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "STAGE\tTYPE\tSTATUS\tDURATION\tDETAIL")
	for _, st := range e.Stages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.Name, st.Type, st.Status, duration(st), oneLine(stageDetail(st), 90))
	}
	tw.Flush()
}

func stageDetail(st model.Stage) string {
	summary := ""
	var out map[string]any
	if len(st.Output) > 0 && json.Unmarshal(st.Output, &out) == nil {
		summary, _ = out["summary"].(string)
	}
	j := st.Judgment
	switch {
	case st.Reason != "":
		return st.Reason
	case st.Status == model.StageWaiting:
		// The terminal has no button: say the commands that answer.
		answer := "gennaker approve " + st.ExecutionID + " (or reject)"
		if summary != "" {
			return summary + ": " + answer
		}
		return "waiting for approval: " + answer
	case st.Status == model.StageRunning && j.IsAnswer():
		// Answered, and the stage has not reported since: what it showed
		// while it waited is stale.
		return j.Decision + "d by " + orSomeone(j.Actor) + ", going on"
	case st.Status == model.StageRunning && j.IsControl() && !strings.HasPrefix(summary, "promoting") && !strings.HasPrefix(summary, "rolling back"):
		return j.Decision + " by " + orSomeone(j.Actor) + " sent"
	}
	return summary
}

func orSomeone(actor string) string {
	if actor == "" {
		return "someone"
	}
	return actor
}

func oneLine(s string, max int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > max {
		return s[:max-1] + "…"
	}
	return s
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

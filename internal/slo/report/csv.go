package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/gennaker/gennaker/internal/csvcell"
	"github.com/gennaker/gennaker/internal/slo"
)

// SLACSVHeader names the columns of WriteSLACSV: a row per SLO and
// objective (an SLO without objectives, or whose month could not be
// counted, still has a row, with its error).
var SLACSVHeader = []string{"month", "time_zone", "slo", "application", "environment", "objective", "target",
	"good", "total", "attainment", "met", "budget_spent", "partial", "no_data", "error"}

// WriteSLACSV writes SLA reports as CSV: fractions as decimals (0.999),
// counts as numbers, met as true or false.
func WriteSLACSV(w io.Writer, reps []slo.SLAReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SLACSVHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, r := range reps {
		base := []string{r.Month, r.TimeZone, r.SLO, r.Application, r.Environment}
		tail := []string{strconv.FormatBool(r.Partial), strconv.FormatBool(r.NoData), csvcell.Text(r.Error)}
		if len(r.Objectives) == 0 || r.Error != "" {
			row := append(append(append([]string{}, base...), "", "", "", "", "", strconv.FormatBool(r.Met), ""), tail...)
			if err := cw.Write(row); err != nil {
				return err
			}
			continue
		}
		for _, o := range r.Objectives {
			row := append(append([]string{}, base...), csvcell.Text(o.Name), f(o.Target), f(o.Good), f(o.Total), f(o.Attainment),
				strconv.FormatBool(o.Met), f(o.BudgetSpent))
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

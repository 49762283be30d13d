package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/kpi"
)

// KPIReports makes delivery KPI reports (kpi.Reporter).
type KPIReports interface {
	Report(ctx context.Context, q kpi.Query) (*kpi.Report, error)
}

// kpiReport answers GET /api/v1/kpi: the KPIs of docs/kpis.md over the
// applications the caller may read.
func (s *Server) kpiReport(w http.ResponseWriter, r *http.Request) {
	if s.cfg.KPI == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	q, err := kpi.ParseQuery(r.URL.Query(), time.Now())
	if err != nil {
		s.writeError(w, r, fmt.Errorf("%w: kpi query: %v", errBadInput, err))
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.writeError(w, r, fmt.Errorf("%w: format: %q is not a format; use json or csv", errBadInput, format))
		return
	}
	rd := auth.ReadableFrom(r.Context())
	q.Readable = func(app string) bool { return rd.All || (app != "" && rd.Has(app)) }
	rep, err := s.cfg.KPI.Report(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		writeKPICSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// writeKPICSV writes a report as CSV (kpi.WriteCSV), to download.
func writeKPICSV(w http.ResponseWriter, rep *kpi.Report) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"gennaker-kpi-%s-%s.csv\"",
		rep.Query.From.Format(time.DateOnly), rep.Query.To.Format(time.DateOnly)))
	w.WriteHeader(http.StatusOK)
	_ = kpi.WriteCSV(w, rep) // the status is sent; a broken connection is the client's
}

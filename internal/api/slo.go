package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
)

// SLOReports reads SLOs with their statuses, windows and SLA months
// (report.Reader).
type SLOReports interface {
	SLOs(ctx context.Context, readable func(app string) bool) ([]model.SLO, error)
	List(ctx context.Context, readable func(app string) bool) ([]report.Summary, error)
	Get(ctx context.Context, name string) (*model.SLO, error)
	Detail(ctx context.Context, s model.SLO) (*report.Detail, error)
	SLA(ctx context.Context, s model.SLO, month string) (slo.SLAReport, error)
	ForApps(ctx context.Context, apps []model.Application) ([]report.Summary, error)
	Points(ctx context.Context, s model.SLO, n int) ([]store.SLOPoint, error)
}

var _ SLOReports = (*report.Reader)(nil)

// SLOList is the answer of GET /api/v1/slos.
type SLOList struct {
	SLOs []report.Summary `json:"slos"`
}

// SLAList is the answer of GET /api/v1/sla: every readable SLO's month.
type SLAList struct {
	Month   string          `json:"month"`
	Reports []slo.SLAReport `json:"reports"`
}

// readableApps is what the caller may read, as a filter of applications.
func readableApps(r *http.Request) func(string) bool {
	rd := auth.ReadableFrom(r.Context())
	return func(app string) bool { return rd.All || (app != "" && rd.Has(app)) }
}

// listSLOs answers GET /api/v1/slos: the SLOs of the applications the
// caller may read, with their latest statuses (?application= narrows).
func (s *Server) listSLOs(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SLO == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	app := r.URL.Query().Get("application")
	if err := checkName("application", app); err != nil {
		s.writeError(w, r, err)
		return
	}
	readable := readableApps(r)
	list, err := s.cfg.SLO.List(r.Context(), func(a string) bool { return (app == "" || a == app) && readable(a) })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, SLOList{SLOs: list})
}

// readableSLO reads the SLO {name} and checks that the caller may read its
// application.
func (s *Server) readableSLO(r *http.Request) (*model.SLO, error) {
	name := r.PathValue("name")
	if err := checkName("SLO name", name); err != nil {
		return nil, err
	}
	so, err := s.cfg.SLO.Get(r.Context(), name)
	if err != nil {
		return nil, err
	}
	if err := principal(r).Check(auth.PermRead, auth.PolicyFrom(r.Context()).App(so.Application)); err != nil {
		return nil, err
	}
	return so, nil
}

// getSLO answers GET /api/v1/slos/{name}: the SLO, its status, its points
// over the window and the deploys in it with the budget each burned.
func (s *Server) getSLO(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SLO == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	so, err := s.readableSLO(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.cfg.SLO.Detail(r.Context(), *so)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// slaQuery reads ?month= (default: this month) and the format (format=csv
// or Accept: text/csv).
func slaQuery(r *http.Request) (month string, csv bool, err error) {
	q := r.URL.Query()
	month, err = report.ParseMonth(q.Get("month"), time.Now())
	if err != nil {
		return "", false, fmt.Errorf("%w: query parameter month: %v", errBadInput, err)
	}
	switch f := q.Get("format"); f {
	case "csv":
		csv = true
	case "json":
	case "":
		csv = strings.Contains(r.Header.Get("Accept"), "text/csv")
	default:
		return "", false, fmt.Errorf("%w: format: %q is not a format; use json or csv", errBadInput, truncate(f, 20))
	}
	return month, csv, nil
}

// getSLOSLA answers GET /api/v1/slos/{name}/sla: one SLO's month.
func (s *Server) getSLOSLA(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SLO == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	month, asCSV, err := slaQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	so, err := s.readableSLO(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.cfg.SLO.SLA(r.Context(), *so, month)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("%w: %v", errBadInput, err))
		return
	}
	if asCSV {
		writeSLACSV(w, so.Name+"-"+month, []slo.SLAReport{rep})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// listSLA answers GET /api/v1/sla: the month of every SLO the caller may
// read.
func (s *Server) listSLA(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SLO == nil {
		s.writeError(w, r, errNotImplemented)
		return
	}
	month, asCSV, err := slaQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	slos, err := s.cfg.SLO.SLOs(r.Context(), readableApps(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := SLAList{Month: month, Reports: make([]slo.SLAReport, 0, len(slos))}
	for _, so := range slos {
		rep, err := s.cfg.SLO.SLA(r.Context(), so, month)
		if err != nil {
			rep = slo.SLAReport{SLO: so.Name, Application: so.Application, Environment: so.Environment, Month: month, Error: err.Error()}
		}
		out.Reports = append(out.Reports, rep)
	}
	if asCSV {
		writeSLACSV(w, month, out.Reports)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func writeSLACSV(w http.ResponseWriter, name string, reps []slo.SLAReport) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"gennaker-sla-%s.csv\"", name))
	w.WriteHeader(http.StatusOK)
	_ = report.WriteSLACSV(w, reps) // the status is sent; a broken connection is the client's
}

// checkName refuses a name over maxName bytes or not UTF-8.
func checkName(field, v string) error {
	var c fieldCheck
	c.str(field, v, maxName)
	return c.err()
}

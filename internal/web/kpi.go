package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/kpi"
)

// KPIReports makes the delivery KPI reports the /kpi page shows
// (kpi.Reporter): it reads the rollups of the query's period, keeping only
// the applications q.Readable says yes to.
type KPIReports interface {
	Report(ctx context.Context, q kpi.Query) (*kpi.Report, error)
}

// kpiFilter is the KPI page's filters as in its query string, kept as
// typed so the page's links stay relative to today ("since=30d").
type kpiFilter struct {
	Team, Application, Environment string
	Since, From, To, By            string
}

func readKPIFilter(v url.Values) kpiFilter {
	return kpiFilter{Team: v.Get("team"), Application: v.Get("application"), Environment: v.Get("environment"),
		Since: v.Get("since"), From: v.Get("from"), To: v.Get("to"), By: v.Get("by")}
}

func (f kpiFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"team": f.Team, "application": f.Application, "environment": f.Environment,
		"since": f.Since, "from": f.From, "to": f.To, "by": f.By} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// with is the address of the KPI page with the same filters but those set
// in kv (pairs of name and value; an empty value removes the filter).
func (f kpiFilter) with(kv ...string) string {
	q := f.query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return pageURL("/kpi", q)
}

// kpiSinceChoices are the periods the filter form offers.
var kpiSinceChoices = []string{"30d", "90d", "180d", "365d"}

// kpiPage renders /kpi: the delivery KPIs of the query in the address
// (kpi.ParseQuery: team, application, environment, since or from and to,
// by), over the applications the caller may read.
func (h *ui) kpiPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := r.URL.Query()
	if raw.Get("since") != "" && raw.Get("from") != "" {
		// The form's period, chosen over a from and to of the address it
		// was opened at, wins over them.
		raw.Del("from")
		raw.Del("to")
	}
	f := readKPIFilter(raw)
	q, err := kpi.ParseQuery(raw, h.cfg.Now())
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: KPI filter %v", errBadFilter, err), "KPIs")
		return
	}
	rd := auth.ReadableFrom(ctx)
	if q.Application != "" && !rd.Has(q.Application) {
		h.fail(w, r, auth.From(ctx).Check(auth.PermRead, auth.PolicyFrom(ctx).App(q.Application)), "KPIs")
		return
	}
	if !rd.All {
		q.Readable = rd.Has
	}
	var rep *kpi.Report
	notice := ""
	if h.cfg.KPI == nil {
		rep, notice = emptyReport(q, h.cfg.Now()), "This server does not compute delivery KPIs: every chart is empty."
	} else if rep, err = h.cfg.KPI.Report(ctx, q); err != nil {
		h.fail(w, r, err, "KPIs")
		return
	}
	envs, err := h.cfg.Store.EnvironmentList(ctx)
	if err != nil {
		h.fail(w, r, err, "Environments")
		return
	}
	var prod []string
	for _, e := range envs {
		if e.Production {
			prod = append(prod, e.Name)
		}
	}
	slices.Sort(prod)
	v := buildKPIPage(rep, f)
	v.Notice, v.ProductionEnvs = notice, prod
	h.render(w, r, http.StatusOK, "kpi.html", page{Title: "Delivery KPIs", Nav: "kpi", Data: v})
}

// emptyReport is a report of q with nothing in it: what the page shows
// when the server computes no KPIs.
func emptyReport(q kpi.Query, now time.Time) *kpi.Report {
	rep := &kpi.Report{Query: q, ComputedAt: now}
	for _, b := range q.Buckets() {
		rep.Points = append(rep.Points, kpi.Point{Start: b})
	}
	return rep
}

package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
)

// sloReadPage is the rule of an SLO's page: any logged-in caller reaches
// the handler, which shows the SLO only to those who may read its
// application (the path names the SLO, not the application).
var sloReadPage = api.Access{On: api.OnCaller, Page: true, Narrowed: "read on the SLO's application"}

// maxSparklines is how many SLOs of the list get a sparkline (a read of
// the window's points each); the rest say so.
const maxSparklines = 100

// errNoSLOs is the page's answer when the server reads no SLOs.
var errNoSLOs = errors.New("this server keeps no SLOs (no SLO reader is set up)")

// sloList renders /slos: each SLO the caller may read with its budget
// left, attainment, alerts firing and a sparkline of the budget.
func (h *ui) sloList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	type listPage struct {
		SLOs     []sloBadge
		Notice   string
		SLAHref  string
		Sparkles bool
	}
	d := listPage{SLAHref: "/sla"}
	if h.cfg.SLO == nil {
		d.Notice = errNoSLOs.Error() + ": the list is empty."
		h.render(w, r, http.StatusOK, "slos.html", page{Title: "SLOs", Nav: "slos", Data: d})
		return
	}
	rd := auth.ReadableFrom(ctx)
	list, err := h.cfg.SLO.List(ctx, func(app string) bool { return rd.All || rd.Has(app) })
	if err != nil {
		h.fail(w, r, err, "SLOs")
		return
	}
	for i, s := range list {
		b := sloBadgeOf(s)
		if i < maxSparklines {
			pts, err := h.cfg.SLO.Points(ctx, s.SLO, 60)
			if err != nil {
				h.fail(w, r, err, "SLO "+s.SLO.Name)
				return
			}
			b.Spark = sparkOf(pts)
		}
		d.SLOs = append(d.SLOs, b)
	}
	if len(list) > maxSparklines {
		d.Notice = fmt.Sprintf("Sparklines are drawn for the first %d SLOs only.", maxSparklines)
	}
	h.render(w, r, http.StatusOK, "slos.html", page{Title: "SLOs", Nav: "slos", Data: d})
}

// sloPage renders /slos/{name}: the budget's burn-down over the window
// with deploy markers, the burn rate against the alerts' factors, a panel
// per alert, the objectives and the budget each deploy burned.
func (h *ui) sloPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	what := "SLO " + shorten(name, 100)
	if h.cfg.SLO == nil {
		h.fail(w, r, fmt.Errorf("%w: %v", store.ErrNotFound, errNoSLOs), what)
		return
	}
	if len(name) > 253 {
		h.fail(w, r, fmt.Errorf("%w: the SLO's name is %d bytes long, over the limit of 253", errBadFilter, len(name)), "SLO")
		return
	}
	s, err := h.cfg.SLO.Get(ctx, name)
	if err != nil {
		h.fail(w, r, err, what)
		return
	}
	if err := auth.From(ctx).Check(auth.PermRead, auth.PolicyFrom(ctx).App(s.Application)); err != nil {
		h.fail(w, r, err, what)
		return
	}
	d, err := h.cfg.SLO.Detail(ctx, *s)
	if err != nil {
		h.fail(w, r, err, what)
		return
	}
	h.render(w, r, http.StatusOK, "slo.html", page{Title: "SLO " + s.Name, Nav: "slos", Data: buildSLOPage(d, h.cfg.Now())})
}

// slaPage renders /sla?month=YYYY-MM: the month of every SLO the caller
// may read, printable.
func (h *ui) slaPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.cfg.Now()
	month, err := report.ParseMonth(r.URL.Query().Get("month"), now)
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: month: %v", errBadFilter, err), "SLA report")
		return
	}
	var reps []slo.SLAReport
	if h.cfg.SLO != nil {
		rd := auth.ReadableFrom(ctx)
		slos, err := h.cfg.SLO.SLOs(ctx, func(app string) bool { return rd.All || rd.Has(app) })
		if err != nil {
			h.fail(w, r, err, "SLA report")
			return
		}
		for _, s := range slos {
			rep, err := h.cfg.SLO.SLA(ctx, s, month)
			if err != nil {
				rep = slo.SLAReport{SLO: s.Name, Application: s.Application, Environment: s.Environment, Month: month, Error: err.Error()}
			}
			reps = append(reps, rep)
		}
	}
	h.render(w, r, http.StatusOK, "sla.html", page{Title: "SLA report " + month, Nav: "slos", Data: buildSLAPage(month, reps, now)})
}

// sloBadges reads the current SLO state of applications, by application
// (nil without an SLO reader; an error reading them is logged and the
// page shows none, as SLOs are not what those pages are about).
func (h *ui) sloBadges(r *http.Request, apps []model.Application) map[string][]sloBadge {
	if h.cfg.SLO == nil || len(apps) == 0 {
		return nil
	}
	list, err := h.cfg.SLO.ForApps(r.Context(), apps)
	if err != nil {
		h.log.Warn("reading the SLOs of a page", "path", r.URL.Path, "err", err)
		return nil
	}
	out := map[string][]sloBadge{}
	for _, s := range list {
		out[s.SLO.Application] = append(out[s.SLO.Application], sloBadgeOf(s))
	}
	return out
}

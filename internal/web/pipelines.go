package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// pipelinesPerPage is how many pipelines /pipelines shows at a time, and
// runsPerPipeline how many of each one's last runs.
const (
	pipelinesPerPage = 50
	runsPerPipeline  = 5
)

// pipelineRow is one pipeline on the pipelines page and the head of its own.
type pipelineRow struct {
	Pipeline model.Pipeline
	// Environments are those its stages deploy to or roll back.
	Environments []string
	// Triggers are the ways its recent runs were started (manual, api,
	// deploy, ...), each once: pipelines declare no triggers of their own.
	Triggers []string
	Runs     []execSummary
}

// pipelinesPage is the pipelines page.
type pipelinesPage struct {
	Application string
	Pipelines   []pipelineRow
	After, Next string
}

// pipelines renders /pipelines: a page of pipelines by name (?after=NAME,
// ?application=NAME) with their last runs, in two reads of the store
// however many it shows (TestListPagesQueries).
func (h *ui) pipelines(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	app, after := q.Get("application"), q.Get("after")
	for field, v := range map[string]string{"application": app, "after": after} {
		if len(v) > maxFilterName {
			h.fail(w, r, fmt.Errorf("%w: pipelines filter %s is %d characters long, at most %d: shorten it", errBadFilter, field, len(v), maxFilterName), "Pipelines")
			return
		}
	}
	if app != "" {
		// An unknown application is a 404, as on its own page.
		if _, err := h.cfg.Store.ApplicationGet(ctx, app); err != nil {
			h.fail(w, r, err, "Application "+app)
			return
		}
	}
	rd := auth.ReadableFrom(ctx)
	if app != "" && !rd.Has(app) {
		h.fail(w, r, auth.From(ctx).Check(auth.PermRead, auth.PolicyFrom(ctx).App(app)), "Pipelines")
		return
	}
	d := pipelinesPage{Application: app, After: after}
	if !rd.None() {
		pls, err := h.cfg.Store.PipelineList(ctx, store.PipelineListParams{Application: app, Applications: rd.Names(), After: after, Limit: pipelinesPerPage})
		if err != nil {
			h.fail(w, r, err, "Pipelines")
			return
		}
		if d.Pipelines, err = h.pipelineRows(r, pls); err != nil {
			h.fail(w, r, err, "Pipelines")
			return
		}
		if len(pls) == pipelinesPerPage {
			next := url.Values{"after": {pls[len(pls)-1].Name}}
			if app != "" {
				next.Set("application", app)
			}
			d.Next = pageURL("/pipelines", next)
		}
	}
	h.render(w, r, http.StatusOK, "pipelines.html", page{Title: "Pipelines", Nav: "pipelines", Live: "/api/v1/stream", Data: d})
}

// pipelineRows adds to each pipeline its last runs, read in one query.
func (h *ui) pipelineRows(r *http.Request, pls []model.Pipeline) ([]pipelineRow, error) {
	names := make([]string, len(pls))
	for i, p := range pls {
		names[i] = p.Name
	}
	recent, err := h.cfg.Store.ExecutionRecent(r.Context(), store.ExecutionRecentParams{Pipelines: names, PerPipeline: runsPerPipeline})
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	runs := map[string][]execSummary{}
	triggers := map[string][]string{}
	for i := range recent {
		e := &recent[i]
		runs[e.Pipeline] = append(runs[e.Pipeline], *summarize(e, now))
		if k := e.Trigger.Kind; k != "" && !slices.Contains(triggers[e.Pipeline], k) {
			triggers[e.Pipeline] = append(triggers[e.Pipeline], k)
		}
	}
	out := make([]pipelineRow, 0, len(pls))
	for _, p := range pls {
		out = append(out, pipelineRow{Pipeline: p, Environments: store.ExecutionEnvironments(p), Triggers: triggers[p.Name], Runs: runs[p.Name]})
	}
	return out, nil
}

// pipelineDetail is a pipeline's page.
type pipelineDetail struct {
	pipelineRow
	Graph  *graphView
	Stages []stageSpecView
}

// stageSpecView is one stage of a definition and its config.
type stageSpecView struct {
	model.StageSpec
	Type   model.StageType
	Needs  []string
	Detail string
	// Config is the stage type's own settings, as indented JSON.
	Config string
}

// pipeline renders /pipelines/{name}/{pipeline}: the definition (graph,
// stages and their config, parameters) and the last runs.
func (h *ui) pipeline(w http.ResponseWriter, r *http.Request) {
	app, name := r.PathValue("name"), r.PathValue("pipeline")
	pl, err := h.cfg.Store.PipelineGet(r.Context(), name)
	if err == nil && pl.Application != app {
		err = fmt.Errorf("pipeline %q belongs to application %s, not %s: open /pipelines/%s/%s: %w", name, pl.Application, app, pl.Application, name, store.ErrNotFound)
	}
	if err != nil {
		h.fail(w, r, err, "Pipeline "+name)
		return
	}
	rows, err := h.pipelineRows(r, []model.Pipeline{*pl})
	if err != nil {
		h.fail(w, r, err, "Pipeline "+name)
		return
	}
	d := pipelineDetail{pipelineRow: rows[0], Graph: pipelineGraph("pipeline-graph", *pl, nil)}
	needs := pl.StageNeeds()
	for _, s := range pl.Stages {
		d.Stages = append(d.Stages, stageSpecView{StageSpec: s, Type: s.Type(), Needs: needs[s.Name], Detail: specDetail(*pl, s.Name), Config: stageConfig(s)})
	}
	h.render(w, r, http.StatusOK, "pipeline.html", page{Title: pl.Name, Nav: "pipelines", Live: "/api/v1/stream", Data: d})
}

// stageConfig is the settings of a stage's type as indented JSON ("" for
// a stage with none, such as noop).
func stageConfig(s model.StageSpec) string {
	var v any
	switch {
	case s.Wait != nil:
		v = s.Wait
	case s.Judgment != nil:
		v = s.Judgment
	case s.Webhook != nil:
		v = s.Webhook
	case s.Deploy != nil:
		v = s.Deploy
	case s.Rollback != nil:
		v = s.Rollback
	default:
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("(the stage's config cannot be shown: %v)", err)
	}
	return string(b)
}

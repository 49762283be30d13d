package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// storedConfig reads every stored object, through the Store or in a
// transaction.
func storedConfig(ctx context.Context, q store.Queries) (model.Config, error) {
	var cfg model.Config
	var err error
	if cfg.Applications, err = q.ApplicationList(ctx, store.ApplicationListParams{}); err != nil {
		return cfg, err
	}
	if cfg.Environments, err = q.EnvironmentList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Pipelines, err = q.PipelineList(ctx, store.PipelineListParams{}); err != nil {
		return cfg, err
	}
	if cfg.AnalysisTemplates, err = q.AnalysisTemplateList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Teams, err = q.TeamList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Grants, err = q.GrantList(ctx); err != nil {
		return cfg, err
	}
	if cfg.Notifications, err = q.NotificationList(ctx); err != nil {
		return cfg, err
	}
	cfg.SLOs, err = q.SLOList(ctx)
	cfg.Applications, cfg.Environments, cfg.Pipelines = nonNil(cfg.Applications), nonNil(cfg.Environments), nonNil(cfg.Pipelines)
	return cfg, err
}

// getConfig returns the stored config the caller may read: applications and
// their pipelines filtered by read grants, environments and analysis
// templates to anyone with a grant, teams, grants and notifications to admins
// of everything.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	if err := requireGrant(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, err := storedConfig(r.Context(), s.cfg.Store)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rd := auth.ReadableFrom(r.Context())
	cfg.Applications = filter(cfg.Applications, func(a model.Application) bool { return rd.Has(a.Name) })
	cfg.Pipelines = filter(cfg.Pipelines, func(p model.Pipeline) bool { return rd.Has(p.Application) })
	cfg.SLOs = filter(cfg.SLOs, func(s model.SLO) bool { return rd.Has(s.Application) })
	if !principal(r).Can(auth.PermAdmin, auth.Global) {
		cfg.Teams, cfg.Grants, cfg.Notifications = nil, nil, nil
	}
	writeJSON(w, 200, cfg)
}

// checkConfig validates cfg against what is stored.
func (s *Server) checkConfig(ctx context.Context, cfg model.Config) error {
	if s.cfg.Validate == nil {
		return nil
	}
	existing, err := storedConfig(ctx, s.cfg.Store)
	if err != nil {
		return err
	}
	return s.cfg.Validate(cfg, existing)
}

func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) {
	if err := requireGrant(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var cfg model.Config
	if err := decodeBody(w, r, &cfg, maxConfigBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkConfig(r.Context(), cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]string{"status": "valid"})
}

// applyConfig stores a config set when the caller is an admin over every
// object in it, and records each created or changed object, with its diff,
// in the audit log in the same transaction.
func (s *Server) applyConfig(w http.ResponseWriter, r *http.Request) {
	e := s.entry(r, model.AuditConfigApply, "", "")
	var cfg model.Config
	if err := decodeBody(w, r, &cfg, maxConfigBody); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	ctx := r.Context()
	if err := s.checkConfig(ctx, cfg); err != nil {
		s.failAction(w, r, e, err)
		return
	}
	pol := auth.PolicyFrom(ctx)
	after := configObjects(cfg)
	var res store.ApplyResult
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		// Checked against what is stored now, in the transaction that
		// writes, so a concurrent apply cannot slip a change past it.
		stored, err := storedConfig(ctx, tx)
		if err != nil {
			return err
		}
		if err := mayApply(principal(r), pol, cfg, stored); err != nil {
			return err
		}
		before := configObjects(stored)
		if res, err = tx.ConfigApply(ctx, cfg); err != nil {
			return err
		}
		changed := append(append([]string(nil), res.Created...), res.Updated...)
		if len(changed) == 0 {
			entry := *e
			entry.Outcome, entry.Detail = model.AuditOK, audit.Detail(map[string]any{"unchanged": len(res.Unchanged)})
			return tx.AuditAppend(ctx, &entry)
		}
		for _, key := range changed {
			entry := *e
			obj := after[key]
			entry.Object, entry.Application, entry.Outcome = key, obj.app, model.AuditOK
			entry.Detail = audit.Detail(map[string]any{"changes": audit.Diff(before[key].value, obj.value)})
			if err := tx.AuditAppend(ctx, &entry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.failAction(w, r, e, err)
		return
	}
	s.cfg.Auth.Invalidate()
	if s.cfg.ConfigApplied != nil && len(res.Created)+len(res.Updated) > 0 {
		s.cfg.ConfigApplied()
	}
	res.Created, res.Updated, res.Unchanged = nonNil(res.Created), nonNil(res.Updated), nonNil(res.Unchanged)
	writeJSON(w, 200, res)
}

// configObject is one object of a config set, by "Kind/name".
type configObject struct {
	value any
	app   string // the application it belongs to
}

func configObjects(cfg model.Config) map[string]configObject {
	m := map[string]configObject{}
	for _, a := range cfg.Applications {
		m[model.KindApplication+"/"+a.Name] = configObject{a, a.Name}
	}
	for _, p := range cfg.Pipelines {
		m[model.KindPipeline+"/"+p.Name] = configObject{p, p.Application}
	}
	for _, e := range cfg.Environments {
		m[model.KindEnvironment+"/"+e.Name] = configObject{e, ""}
	}
	for _, t := range cfg.AnalysisTemplates {
		m[model.KindAnalysisTemplate+"/"+t.Name] = configObject{t, ""}
	}
	for _, t := range cfg.Teams {
		m[model.KindTeam+"/"+t.Name] = configObject{t, ""}
	}
	for _, g := range cfg.Grants {
		m[model.KindGrant+"/"+g.Name] = configObject{g, ""}
	}
	for _, n := range cfg.Notifications {
		m[model.KindNotification+"/"+n.Name] = configObject{n, ""}
	}
	for _, s := range cfg.SLOs {
		m[model.KindSLOStored+"/"+s.Name] = configObject{s, s.Application}
	}
	return m
}

// mayApply checks that p is an admin over every object of cfg: an
// application (as written and as stored, so nobody moves another team's
// application into their own), a pipeline's application (as written and as
// stored); environments, analysis templates, teams and grants belong to no
// application and need an admin of everything. Two parts of an
// application or pipeline reach beyond it and need an admin of everything
// too: an application's run block (the local target runs it as the
// server's user, on the server's host) and a secret reference that was not
// there before (secrets are the server's: its environment and files).
func mayApply(p auth.Principal, pol auth.Policy, cfg, stored model.Config) error {
	storedApps := map[string]model.Application{}
	for _, a := range stored.Applications {
		storedApps[a.Name] = a
	}
	storedPipelines := map[string]model.Pipeline{}
	for _, pl := range stored.Pipelines {
		storedPipelines[pl.Name] = pl
	}
	var refused []string
	check := func(object string, res auth.Resource) {
		if !p.Can(auth.PermAdmin, res) {
			refused = append(refused, object)
		}
	}
	appRes := func(name, team string) auth.Resource { return auth.Resource{Application: name, Team: team} }
	for _, a := range cfg.Applications {
		key := model.KindApplication + "/" + a.Name
		check(key, appRes(a.Name, a.Team))
		old, ok := storedApps[a.Name]
		if ok && old.Team != a.Team {
			check(key+" (stored with team "+old.Team+")", appRes(a.Name, old.Team))
		}
		if !reflect.DeepEqual(old.Run, a.Run) && !(isZeroRun(old.Run) && isZeroRun(a.Run)) {
			check(key+" spec.run (a command run on the server's host)", auth.Global)
		}
		if newSecretRefs(old, a, ok) {
			check(key+" (a new secret reference)", auth.Global)
		}
	}
	for _, pl := range cfg.Pipelines {
		key := model.KindPipeline + "/" + pl.Name
		check(key, pol.App(pl.Application))
		old, ok := storedPipelines[pl.Name]
		if ok && old.Application != pl.Application {
			check(key+" (stored for application "+old.Application+")", pol.App(old.Application))
		}
		if newSecretRefs(old, pl, ok) {
			check(key+" (a new secret reference)", auth.Global)
		}
	}
	for _, e := range cfg.Environments {
		check(model.KindEnvironment+"/"+e.Name, auth.Global)
	}
	for _, t := range cfg.AnalysisTemplates {
		check(model.KindAnalysisTemplate+"/"+t.Name, auth.Global)
	}
	for _, t := range cfg.Teams {
		check(model.KindTeam+"/"+t.Name, auth.Global)
	}
	for _, g := range cfg.Grants {
		check(model.KindGrant+"/"+g.Name, auth.Global)
	}
	for _, n := range cfg.Notifications {
		check(model.KindNotification+"/"+n.Name, auth.Global)
	}
	// An SLO belongs to the application it gates, as written and as stored.
	storedSLOs := map[string]model.SLO{}
	for _, s := range stored.SLOs {
		storedSLOs[s.Name] = s
	}
	for _, s := range cfg.SLOs {
		key := model.KindSLOStored + "/" + s.Name
		check(key, pol.App(s.Application))
		if old, ok := storedSLOs[s.Name]; ok && old.Application != s.Application {
			check(key+" (stored for application "+old.Application+")", pol.App(old.Application))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	sort.Strings(refused)
	return fmt.Errorf("%w: %s may not apply %s: applications, pipelines and SLOs need the admin role over their application (or its team); environments, analysis templates, teams, grants and notifications, an application's run block and new secret references need the admin role over everything; nothing was applied",
		auth.ErrForbidden, p.Actor(), strings.Join(refused, ", "))
}

func isZeroRun(r model.RunSpec) bool {
	return r.Command == "" && len(r.Args) == 0 && len(r.Env) == 0 && r.Dir == ""
}

// newSecretRefs reports whether obj holds a secret reference that old
// (when stored) did not.
func newSecretRefs(old, obj any, stored bool) bool {
	have := map[string]bool{}
	if stored {
		for _, r := range secretRefs(old) {
			have[r] = true
		}
	}
	for _, r := range secretRefs(obj) {
		if !have[r] {
			return true
		}
	}
	return false
}

// secretRefs lists the secret references of a config object (as their
// JSON), wherever they are.
func secretRefs(obj any) []string {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["secretRef"]; ok {
				b, _ := json.Marshal(ref)
				out = append(out, string(b))
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

func filter[T any](in []T, keep func(T) bool) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

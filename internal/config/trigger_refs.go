package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

// checkTriggerRefs checks what a pipeline's triggers say about other
// pipelines: the upstream of a pipeline trigger exists (in the loaded set
// or stored) and belongs to the application named, pipeline triggers form
// no cycle, and triggers sharing a hook share its provider.
func checkTriggerRefs(docs []Document, existing model.Config) []Error {
	pipelines := map[string]*model.Pipeline{}
	for i := range existing.Pipelines {
		pipelines[existing.Pipelines[i].Name] = &existing.Pipelines[i]
	}
	loaded := map[string]bool{}
	for _, d := range docs {
		if d.Pipeline != nil && d.Name != "" {
			pipelines[d.Name] = d.Pipeline
			loaded[d.Name] = true
		}
	}
	var errs []Error
	for i := range docs {
		if d := &docs[i]; d.Pipeline != nil {
			errs = append(errs, checkUpstreams(d, pipelines)...)
		}
	}
	errs = append(errs, checkTriggerCycles(docs, pipelines)...)
	return append(errs, checkHookProviders(docs, existing, loaded)...)
}

// checkUpstreams reports pipeline triggers naming a pipeline that does
// not exist, or that belongs to another application than the one named.
func checkUpstreams(d *Document, pipelines map[string]*model.Pipeline) []Error {
	var errs []Error
	for i, t := range d.Pipeline.Triggers {
		pt := t.Pipeline
		if pt == nil || pt.Pipeline == "" {
			continue
		}
		path := indexPath("spec.triggers", i) + ".pipeline"
		up, ok := pipelines[pt.Pipeline]
		switch {
		case !ok:
			errs = append(errs, d.errorf(path+".pipeline", "no pipeline is named %q: define it or apply it first%s",
				pt.Pipeline, orList(pt.Pipeline, "the pipelines", sortedKeys(pipelines))))
		case pt.Application != "" && up.Application != pt.Application:
			errs = append(errs, d.errorf(path+".application", "pipeline %q belongs to application %q, not %q: correct the application or omit it",
				pt.Pipeline, up.Application, pt.Application))
		}
	}
	return errs
}

// edge is one pipeline trigger: the end of From starts To.
type edge struct {
	from, to string
	doc      *Document // where the trigger is written; nil when stored
	index    int       // the trigger's index in spec.triggers
}

// checkTriggerCycles reports pipelines that start themselves through
// pipeline triggers (a -> b -> a, or a -> a), once per cycle, at a loaded
// trigger on it.
func checkTriggerCycles(docs []Document, pipelines map[string]*model.Pipeline) []Error {
	docOf := map[string]*Document{}
	for i := range docs {
		if docs[i].Pipeline != nil {
			docOf[docs[i].Name] = &docs[i]
		}
	}
	next := map[string][]string{} // upstream -> the pipelines its end starts
	var edges []edge
	for _, pname := range sortedKeys(pipelines) {
		for i, t := range pipelines[pname].Triggers {
			if t.Pipeline == nil || t.Pipeline.Pipeline == "" {
				continue
			}
			e := edge{from: t.Pipeline.Pipeline, to: pname, doc: docOf[pname], index: i}
			next[e.from] = append(next[e.from], e.to)
			edges = append(edges, e)
		}
	}
	for k := range next {
		slices.Sort(next[k])
		next[k] = slices.Compact(next[k])
	}
	var errs []Error
	reported := map[string]bool{}
	for _, e := range edges {
		if e.doc == nil {
			continue
		}
		back := pathBetween(next, e.to, e.from) // the way back from the started pipeline to the upstream
		if back == nil {
			continue
		}
		cycle := append([]string{e.from}, back...) // from -> to -> ... -> from
		key := cycleKey(cycle[:len(cycle)-1])
		if reported[key] {
			continue
		}
		reported[key] = true
		path := indexPath("spec.triggers", e.index) + ".pipeline.pipeline"
		if e.from == e.to {
			errs = append(errs, e.doc.errorf(path, "pipeline %q starts itself when it ends, and so would run forever: remove this trigger", e.to))
			continue
		}
		errs = append(errs, e.doc.errorf(path, "the pipeline triggers form a cycle %s (the end of each starts the next), so one run would start runs forever: remove one of these triggers",
			strings.Join(cycle, " -> ")))
	}
	return errs
}

// pathBetween is the shortest way from a to b along next, both included,
// or nil.
func pathBetween(next map[string][]string, a, b string) []string {
	parent := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == b {
			var out []string
			for ; n != ""; n = parent[n] {
				out = append(out, n)
				if n == a {
					break
				}
			}
			slices.Reverse(out)
			return out
		}
		for _, m := range next[n] {
			if _, seen := parent[m]; !seen {
				parent[m] = n
				queue = append(queue, m)
			}
		}
	}
	return nil
}

// cycleKey names a cycle whatever pipeline it is read from.
func cycleKey(cycle []string) string {
	i := slices.Index(cycle, slices.Min(cycle))
	return strings.Join(append(slices.Clone(cycle[i:]), cycle[:i]...), " ")
}

// checkHookProviders reports a webhook trigger on a hook that another
// trigger uses with another provider: a delivery on a hook is verified
// and identified one way.
func checkHookProviders(docs []Document, existing model.Config, loaded map[string]bool) []Error {
	type user struct {
		key, provider string
	}
	first := map[string]user{}
	for _, p := range existing.Pipelines {
		if loaded[p.Name] {
			continue
		}
		for _, t := range p.Triggers {
			if t.Webhook != nil && t.Webhook.Provider != "" {
				h := trigger.HookName(t)
				if _, ok := first[h]; !ok {
					first[h] = user{model.TriggerKey(p.Application, p.Name, t.Name) + " (stored)", t.Webhook.Provider}
				}
			}
		}
	}
	var errs []Error
	for i := range docs {
		d := &docs[i]
		if d.Pipeline == nil {
			continue
		}
		for j, t := range d.Pipeline.Triggers {
			if t.Webhook == nil || t.Webhook.Provider == "" {
				continue
			}
			h := trigger.HookName(t)
			u, ok := first[h]
			if !ok {
				first[h] = user{model.TriggerKey(d.Pipeline.Application, d.Name, t.Name), t.Webhook.Provider}
				continue
			}
			if u.provider != t.Webhook.Provider {
				errs = append(errs, d.errorf(indexPath("spec.triggers", j)+".webhook.provider",
					"hook %q is used by trigger %s with provider %s: the triggers on one hook share its provider (each checks its own secret); use provider %s, or give this trigger its own hook: %s",
					h, u.key, u.provider, u.provider, fmt.Sprintf("hook: %s-%s", h, t.Webhook.Provider)))
			}
		}
	}
	return errs
}

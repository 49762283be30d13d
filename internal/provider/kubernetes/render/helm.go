package render

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

// Policy says what a render does with content gennaker does not manage as
// part of a server group.
type Policy int

const (
	// Refuse fails the render with an error naming the files and the fix.
	Refuse Policy = iota
	// Skip leaves the content out, as `helm template` leaves out crds/.
	Skip
	// Include returns the content with the other objects: CRDs with Source
	// "<chart>/crds/<file>", hooks with their helm.sh/hook annotation (see
	// [Object.HelmHooks]) for the caller to run at the right moment.
	Include
)

// DefaultKubeVersion is the Kubernetes version charts see
// (.Capabilities.KubeVersion) when [HelmOptions.KubeVersion] is empty.
const DefaultKubeVersion = "v1.34.0"

// HelmOptions are the inputs of a Helm render besides the chart.
type HelmOptions struct {
	// ReleaseName is .Release.Name; charts name their objects after it
	// (required).
	ReleaseName string
	// Namespace is .Release.Namespace ("default" when empty).
	Namespace string
	// ValuesFiles are merged over the chart's values.yaml in order, as
	// `helm template -f a.yaml -f b.yaml` does.
	ValuesFiles []ValuesFile
	// Set and SetString are applied after the values files, in order, with
	// Helm's --set and --set-string syntax ("image.tag=v1,replicas=3").
	Set, SetString []string
	// Gennaker is set as .Values.gennaker (app, environment, serverGroup,
	// version) after everything else, so templates can label and name
	// objects per server group.
	Gennaker Identity
	// ImageTagPaths are values paths set to Gennaker.Version after
	// everything else (nil means ["image.tag"], the `helm create`
	// convention; an empty non-nil slice sets none). Use "redis.image.tag"
	// for a subchart.
	ImageTagPaths []string
	// KubeVersion and APIVersions are the cluster capabilities the chart
	// sees; nothing asks a cluster. KubeVersion defaults to
	// DefaultKubeVersion; APIVersions ("monitoring.coreos.com/v1",
	// "monitoring.coreos.com/v1/ServiceMonitor") add to the built-in
	// Kubernetes API versions.
	KubeVersion string
	APIVersions []string
	// CRDs says what to do with the chart's crds/ directories (subcharts
	// included). Hooks says what to do with objects annotated helm.sh/hook;
	// test hooks are always left out.
	CRDs, Hooks Policy
	// Limits bound the render; zero fields take the defaults.
	Limits Limits
}

// ValuesFile is one values file: Name for error messages, Data its YAML
// (several documents are merged, as Helm does).
type ValuesFile struct {
	Name string
	Data []byte
}

// Identity is what gennaker tells a chart about the server group being
// rendered.
type Identity struct {
	App, Environment, ServerGroup, Version string
}

// Helm renders a chart to objects, in process: no cluster is asked
// (`lookup` returns nothing, DNS lookups return ""), nothing is read from
// disk or network beyond the chart given.
func Helm(ctx context.Context, c Chart, opts HelmOptions) ([]Object, error) {
	lim := opts.Limits.withDefaults()
	src := chartSource(c)
	if opts.ReleaseName == "" {
		return nil, fmt.Errorf("%s: %w: no release name given", src, ErrInvalid)
	}
	if err := chartutil.ValidateReleaseName(opts.ReleaseName); err != nil {
		return nil, fmt.Errorf("%s: %w: release name %q: %v", src, ErrInvalid, opts.ReleaseName, err)
	}
	return bounded(ctx, src, lim.Timeout, func(ctx context.Context) ([]Object, error) {
		return renderHelm(ctx, c, opts, lim)
	})
}

func renderHelm(ctx context.Context, c Chart, opts HelmOptions, lim Limits) ([]Object, error) {
	ch, err := loadChart(c, lim)
	if err != nil {
		return nil, err
	}
	src := chartSource(c)
	if c.Name == "" {
		src = "chart " + ch.Name()
	}
	if err := checkInstallable(src, ch); err != nil {
		return nil, err
	}
	caps, err := capabilities(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("%s: %w: the chart requires kubeVersion %s, the target is %s: set the target's Kubernetes version", src, ErrRefused, kv, caps.KubeVersion.Version)
	}
	user, err := userValues(src, opts, lim)
	if err != nil {
		return nil, err
	}
	if err := chartutil.ProcessDependencies(ch, user); err != nil {
		return nil, fmt.Errorf("%s: %w: processing dependencies: %v", src, ErrInvalid, err)
	}
	namespace := opts.Namespace
	if namespace == "" {
		namespace = "default"
	}
	release := common.ReleaseOptions{Name: opts.ReleaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := commonutil.ToRenderValuesWithSchemaValidation(ch, user, release, caps, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", src, ErrInvalid, err)
	}
	if err := validateSchemas(src, ch, vals["Values"]); err != nil {
		return nil, err
	}
	crds, err := chartCRDs(src, ch, opts.CRDs)
	if err != nil {
		return nil, err
	}

	injectChartTicks(ch)
	st := &renderState{ctx: ctx, source: src, lim: lim}
	eng := engine.Engine{CustomTemplateFuncs: st.funcs()}
	files, err := eng.RenderWithContext(ctx, ch, vals)
	if err != nil {
		if f := st.failure.Load(); f != nil {
			return nil, fmt.Errorf("%w (%s)", *f, shorten(err.Error()))
		}
		return nil, &wrapped{msg: fmt.Sprintf("%s: %v: %s", src, ErrInvalid, shorten(err.Error())), err: ErrInvalid}
	}
	objs, err := objectsFromTemplates(src, files, opts.Hooks, lim)
	if err != nil {
		return nil, err
	}
	objs = append(crds, objs...)
	if err := checkSet(src, objs, lim); err != nil {
		return nil, err
	}
	Sort(objs)
	return objs, nil
}

func checkInstallable(src string, ch *chart.Chart) error {
	if t := ch.Metadata.Type; t != "" && t != "application" {
		return fmt.Errorf("%s: %w: the chart is of type %q; only application charts can be deployed", src, ErrRefused, t)
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w: Chart.yaml lists the dependencies %s but charts/ does not hold them: run `helm dependency build` and commit charts/ (gennaker does not download charts)",
			src, ErrInvalid, strings.Join(missing, ", "))
	}
	return nil
}

func capabilities(opts HelmOptions) (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	kv := opts.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	v, err := common.ParseKubeVersion(kv)
	if err != nil {
		return nil, fmt.Errorf("%w: Kubernetes version %q: %v (write it like v1.34.0)", ErrInvalid, kv, err)
	}
	caps.KubeVersion = *v
	caps.APIVersions = append(slices.Clone(caps.APIVersions), opts.APIVersions...)
	return caps, nil
}

// injectChartTicks adds the loop checks to every template of the chart and
// its subcharts.
func injectChartTicks(ch *chart.Chart) {
	for _, t := range ch.Templates {
		t.Data = []byte(injectTicks(path.Join(ch.ChartFullPath(), t.Name), string(t.Data)))
	}
	for _, d := range ch.Dependencies() {
		injectChartTicks(d)
	}
}

// objectsFromTemplates decodes the rendered files (map of template path to
// text) into objects, leaving out NOTES.txt, partials and test hooks.
func objectsFromTemplates(src string, files map[string]string, hooks Policy, lim Limits) ([]Object, error) {
	names := make([]string, 0, len(files))
	var size int64
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		size += int64(len(text))
		names = append(names, name)
	}
	if size > lim.MaxOutputBytes {
		return nil, &LimitError{Source: src, What: "rendered bytes", Limit: lim.MaxOutputBytes, Got: size}
	}
	slices.Sort(names)
	var objs []Object
	var refused []string
	for _, name := range names {
		for _, d := range splitDocuments(files[name]) {
			got, err := decodeDocument(name, d, false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			for _, o := range got {
				h := o.HelmHooks()
				switch {
				case len(h) == 0:
				case slices.Contains(h, "test") || slices.Contains(h, "test-success"):
					continue
				case hooks == Skip:
					continue
				case hooks == Refuse:
					refused = append(refused, fmt.Sprintf("%s (%s, %s)", o.Key(), strings.Join(h, ","), name))
					continue
				}
				objs = append(objs, o)
				if len(objs) > lim.MaxObjects {
					return nil, &LimitError{Source: src, What: "objects rendered", Limit: int64(lim.MaxObjects), Got: int64(len(objs))}
				}
			}
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("%s: %w: the chart has Helm hooks, which gennaker does not run: %s; leave them out (hooks: skip) or take them as objects (hooks: include)",
			src, ErrRefused, strings.Join(refused, "; "))
	}
	return objs, nil
}

// chartCRDs applies the CRD policy to the chart's crds/ files (which Helm
// does not template).
func chartCRDs(src string, ch *chart.Chart, p Policy) ([]Object, error) {
	files := ch.CRDObjects()
	if len(files) == 0 || p == Skip {
		return nil, nil
	}
	if p == Refuse {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.Filename
		}
		return nil, fmt.Errorf("%s: %w: the chart has CustomResourceDefinitions in %s, which gennaker does not install: install them once for the cluster and leave them out (crds: skip), or take them as objects (crds: include)",
			src, ErrRefused, strings.Join(names, ", "))
	}
	var objs []Object
	for _, f := range files {
		for _, d := range splitDocuments(string(f.File.Data)) {
			got, err := decodeDocument(f.Filename, d, false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			objs = append(objs, got...)
		}
	}
	return objs, nil
}

// shorten keeps the start (where the error happened) and the end (what
// happened) of a long template error: a recursion's error repeats its
// include chain a thousand times.
func shorten(msg string) string {
	const head, tail = 600, 400
	if len(msg) <= head+tail+100 {
		return msg
	}
	return msg[:head] + fmt.Sprintf(" [... %d bytes ...] ", len(msg)-head-tail) + msg[len(msg)-tail:]
}

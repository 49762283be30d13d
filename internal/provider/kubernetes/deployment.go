package kubernetes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
)

// DefaultPort is the container port assumed when an application names none.
const DefaultPort = 8080

// appPort is the port Services send traffic to.
func appPort(app model.Application) int32 {
	if app.Port > 0 {
		return int32(app.Port)
	}
	return DefaultPort
}

// Image is the application's image for a version.
func Image(app model.Application, version string) string {
	return strings.ReplaceAll(app.Image, "{{version}}", version)
}

// BuildDeployment renders the Deployment of a server group as the object
// gennaker applies: from the application's manifests when it has them, else
// from its image, port, env, resources and health check. It is a pure
// function of its inputs. run.env secretRefs to a kubernetes Secret become
// valueFrom.secretKeyRef; those the gennaker server would read (env, file)
// are refused, since their value would be written into the spec.
func BuildDeployment(namespace string, sg model.ServerGroup, app model.Application) (map[string]any, error) {
	set, err := BuildManifestSet(namespace, sg, app)
	return set.Deployment, err
}

// BuildManifestSet renders everything a server group applies: its
// Deployment and, from a manifest set, the objects that go with it (see
// ManifestSet). Pure.
func BuildManifestSet(namespace string, sg model.ServerGroup, app model.Application) (ManifestSet, error) {
	var set ManifestSet
	var err error
	if app.ManifestTemplate != "" {
		set, err = fromTemplate(namespace, sg, app)
	} else {
		set.Deployment, err = fromSpec(namespace, sg, app)
	}
	if err != nil {
		return ManifestSet{}, fmt.Errorf("server group %s: %w", sg.Name, err)
	}
	overlay(set.Deployment, namespace, sg, app)
	// Round-trip through the typed object to catch fields of the wrong type
	// before the API server does.
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(set.Deployment, &d); err != nil {
		return ManifestSet{}, fmt.Errorf("server group %s: the Deployment is not valid: %w", sg.Name, err)
	}
	return set, nil
}

func fromSpec(namespace string, sg model.ServerGroup, app model.Application) (map[string]any, error) {
	if app.Image == "" {
		return nil, fmt.Errorf("application %s has neither image nor manifest: set spec.image (such as registry/app:{{version}}) or spec.manifest", app.Name)
	}
	port := appPort(app)
	env, err := containerEnv(namespace, sg, app, port)
	if err != nil {
		return nil, err
	}
	c := corev1.Container{
		Name:  app.Name,
		Image: Image(app, sg.Version),
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}},
		Env:   env,
	}
	if app.Resources != nil {
		res, err := resources(*app.Resources)
		if err != nil {
			return nil, err
		}
		c.Resources = res
	}
	if hc := app.HealthCheck; hc.Path != "" {
		c.ReadinessProbe = &corev1.Probe{
			ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: hc.Path, Port: intstr.FromInt32(port)}},
			PeriodSeconds:  seconds(time.Duration(hc.Interval), 1),
			TimeoutSeconds: seconds(time.Duration(hc.Timeout), 1),
		}
	}
	d := appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		Spec: appsv1.DeploymentSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{c}}},
		},
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&d)
	if err != nil {
		return nil, err
	}
	delete(obj, "status")
	return obj, nil
}

func resources(r model.Resources) (corev1.ResourceRequirements, error) {
	var out corev1.ResourceRequirements
	list := func(field string, l model.ResourceList) (corev1.ResourceList, error) {
		rl := corev1.ResourceList{}
		for name, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: l.CPU, corev1.ResourceMemory: l.Memory} {
			if v == "" {
				continue
			}
			q, err := resource.ParseQuantity(v)
			if err != nil {
				return nil, fmt.Errorf("resources.%s.%s: %q: %w", field, name, v, err)
			}
			rl[name] = q
		}
		if len(rl) == 0 {
			return nil, nil
		}
		return rl, nil
	}
	var err error
	if out.Requests, err = list("requests", r.Requests); err != nil {
		return out, err
	}
	out.Limits, err = list("limits", r.Limits)
	return out, err
}

func seconds(d time.Duration, floor int32) int32 {
	return max(int32(d/time.Second), floor)
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func fromTemplate(namespace string, sg model.ServerGroup, app model.Application) (ManifestSet, error) {
	file := app.Manifest
	if file == "" {
		file = "manifestTemplate"
	}
	vals := map[string]string{
		"app": app.Name, "version": sg.Version, "serverGroup": sg.Name,
		"replicas": strconv.Itoa(sg.Instances), "image": Image(app, sg.Version),
	}
	var unknown string
	rendered := placeholder.ReplaceAllStringFunc(app.ManifestTemplate, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vals[name]
		if !ok && unknown == "" {
			unknown = name
		}
		return v
	})
	if unknown != "" {
		return ManifestSet{}, fmt.Errorf("%s: unknown placeholder {{%s}}: use {{app}}, {{version}}, {{serverGroup}}, {{replicas}} or {{image}}", file, unknown)
	}
	objs, err := manifest.Split(file, rendered)
	if err != nil {
		return ManifestSet{}, err
	}
	if err := manifest.Check(file, objs); err != nil {
		return ManifestSet{}, err
	}
	return sortSet(namespace, sg, app, objs)
}

// overlay sets what gennaker owns on every server group Deployment: name,
// namespace, labels, selector, replicas, the traffic-switch label on the pod
// template, and the annotations WaitHealthy reads.
func overlay(obj map[string]any, namespace string, sg model.ServerGroup, app model.Application) {
	labels := groupLabels(app.Name, sg.Version, sg.Name)
	meta := child(obj, "metadata")
	meta["name"] = sg.Name
	meta["namespace"] = namespace
	delete(meta, "creationTimestamp")
	mergeStrings(child(meta, "labels"), labels)
	if sg.Environment != "" {
		child(meta, "labels")[LabelEnvironment] = sg.Environment
	}
	startup := startupOf(app)
	mergeStrings(child(meta, "annotations"), map[string]string{AnnotationStartupTimeout: startup.String()})

	spec := child(obj, "spec")
	spec["replicas"] = int64(sg.Instances)
	spec["selector"] = map[string]any{"matchLabels": map[string]any{LabelApp: app.Name, LabelServerGroup: sg.Name}}
	if _, ok := spec["progressDeadlineSeconds"]; !ok {
		spec["progressDeadlineSeconds"] = int64(seconds(startup, 1))
	}
	tmeta := child(child(spec, "template"), "metadata")
	delete(tmeta, "creationTimestamp")
	podLabels := child(tmeta, "labels")
	mergeStrings(podLabels, labels)
	// New pods start out of traffic; Route and SyncTraffic enable them.
	podLabels[LabelEnabled] = "false"
}

// startupOf is how long a server group of app may take to become available.
func startupOf(app model.Application) time.Duration {
	if d := time.Duration(app.HealthCheck.StartupTimeout); d > 0 {
		return d
	}
	return 60 * time.Second
}

func child(m map[string]any, key string) map[string]any {
	c, ok := m[key].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[key] = c
	}
	return c
}

func mergeStrings(dst map[string]any, src map[string]string) {
	for k, v := range src {
		dst[k] = v
	}
}

func nestedSlice(m map[string]any, path ...string) ([]any, bool, error) {
	cur := m
	for i, k := range path {
		if i == len(path)-1 {
			s, ok := cur[k].([]any)
			return s, ok, nil
		}
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = next
	}
	return nil, false, nil
}

package kubernetes

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/gennaker/gennaker/internal/model"
)

// OutOfBandChange is a change made around gennaker to what it runs, as the
// cluster tells it: the record of an out_of_band_change event.
type OutOfBandChange struct {
	// Key identifies the change the same way on every replica and after a
	// restart (the object's UID and the writer's managedFields entry), so
	// it is recorded once.
	Key string
	// Application is the application whose server group changed; "" for
	// a workload gennaker does not own.
	Application string
	// Ref names the object: "Deployment/NAMESPACE/NAME".
	Ref string
	// Actor is the field manager that wrote the change and how
	// ("kubectl-set (Update)"); "" when the cluster does not say.
	// Kubernetes records no user in managedFields.
	Actor string
	// Detail says what changed ("image a:1 → a:2; replicas 3 → 5").
	Detail string
	// Time is the writer's managedFields time (to the second), the
	// creation time of a foreign workload, else when it was seen.
	Time time.Time
}

// Recorded is what gennaker recorded for a server group, which a
// Deployment found on start is compared with.
type Recorded struct {
	Application string
	// Images by container name, as gennaker applies them; nil when not
	// known (an adopted Deployment keeps its own template).
	Images map[string]string
	// Replicas gennaker last set; nil when not known.
	Replicas *int32
	// Autoscaled is set when the group's manifest set has an autoscaler:
	// its replicas are the autoscaler's, not out-of-band.
	Autoscaled bool
}

// RecordedFor is what gennaker applies for sg (pure): the images of the
// Deployment BuildManifestSet renders and the group's recorded instances.
// A manifest that does not render leaves the images unknown.
func RecordedFor(namespace string, sg model.ServerGroup, app model.Application) Recorded {
	n := int32(sg.Instances)
	rec := Recorded{Application: sg.Application, Replicas: &n}
	set, err := BuildManifestSet(namespace, sg, app)
	if err != nil {
		return rec
	}
	rec.Autoscaled = set.HasAutoscaler
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(set.Deployment, &d); err != nil {
		return rec
	}
	rec.Images = map[string]string{}
	for _, c := range d.Spec.Template.Spec.Containers {
		rec.Images[c.Name] = c.Image
	}
	return rec
}

// DeploymentChanges decides (pure) what of a Deployment's update counts as
// out-of-band, given the version before (nil when the Deployment is first
// seen: created, or listed when the watch starts), what gennaker recorded
// for its server group (nil when nothing), gennaker's field manager and
// the time now.
//
//   - A Deployment gennaker does not own (no server-group labels) counts
//     once, when first seen (a foreign workload).
//   - Of a server group's Deployment, changes of a container's image, of
//     replicas and of the rest of the pod template count when another
//     field manager than self wrote them. On first sight only the image
//     and replicas count, where they differ from rec (changes made while
//     gennaker was not watching). Replicas an autoscaler sets
//     (kube-controller-manager, or rec.Autoscaled) never count.
//
// The writer of a field is its owner in managedFields: an update moves a
// changed field to the manager that made it, so gennaker's own writes
// (server-side apply and resizes under self) are never flagged. The
// changes are grouped by writer: one change per manager, so a watch
// update (one write) yields at most one.
func DeploymentChanges(old, cur *appsv1.Deployment, rec *Recorded, self string, now time.Time) []OutOfBandChange {
	if cur == nil {
		return nil
	}
	if !isServerGroup(cur) {
		if old != nil {
			return nil
		}
		return []OutOfBandChange{WorkloadCreated("Deployment", cur, cur.Spec.Template, cur.Spec.Replicas, now)}
	}
	if old != nil && !isServerGroup(old) {
		return nil // adopted just now: gennaker's own change
	}
	ms := managers(cur.ManagedFields)
	var found []finding
	if old != nil {
		if old.Generation != 0 && old.Generation == cur.Generation {
			return nil // no spec change
		}
		found = liveFindings(old, cur, ms, rec)
	} else if rec != nil {
		found = startFindings(cur, ms, rec)
	}
	return group(found, cur, self, now)
}

// finding is one changed field and the managers owning it now.
type finding struct {
	what     string
	owners   []manager
	replicas bool
}

func liveFindings(old, cur *appsv1.Deployment, ms []manager, rec *Recorded) []finding {
	var out []finding
	oldImages := imagesOf(old.Spec.Template.Spec.Containers)
	many := len(cur.Spec.Template.Spec.Containers) > 1
	for _, c := range cur.Spec.Template.Spec.Containers {
		if was, ok := oldImages[c.Name]; ok && was != c.Image {
			out = append(out, finding{what: imageText(c.Name, many, was, c.Image), owners: owners(ms, pathImage(c.Name)...)})
		}
	}
	if a, b := replicasOf(old), replicasOf(cur); a != b && (rec == nil || !rec.Autoscaled) {
		out = append(out, finding{what: fmt.Sprintf("replicas %d → %d", a, b), owners: owners(ms, pathReplicas...), replicas: true})
	}
	if parts := templateDiff(old.Spec.Template, cur.Spec.Template); len(parts) > 0 {
		var who []manager
		for _, m := range writers(managers(old.ManagedFields), ms) {
			if !m.isStatus() && m.ownsUnder(pathTemplate...) {
				who = append(who, m)
			}
		}
		if len(who) == 0 { // several writes in one second: the newest owner of the template
			var all []manager
			for _, m := range ms {
				if !m.isStatus() && m.ownsUnder(pathTemplate...) {
					all = append(all, m)
				}
			}
			if m, ok := latest(all); ok {
				who = []manager{m}
			}
		}
		out = append(out, finding{what: "pod template changed (" + strings.Join(parts, ", ") + ")", owners: who})
	}
	return out
}

func startFindings(cur *appsv1.Deployment, ms []manager, rec *Recorded) []finding {
	var out []finding
	many := len(cur.Spec.Template.Spec.Containers) > 1
	if rec.Images != nil && cur.Annotations[AnnotationAdopted] != "true" {
		for _, c := range cur.Spec.Template.Spec.Containers {
			if want, ok := rec.Images[c.Name]; ok && want != c.Image {
				out = append(out, finding{what: imageText(c.Name, many, want, c.Image), owners: owners(ms, pathImage(c.Name)...)})
			}
		}
	}
	if rec.Replicas != nil && !rec.Autoscaled && *rec.Replicas != replicasOf(cur) {
		out = append(out, finding{what: fmt.Sprintf("replicas %d → %d", *rec.Replicas, replicasOf(cur)), owners: owners(ms, pathReplicas...), replicas: true})
	}
	return out
}

// group drops what gennaker (or an autoscaler) wrote and makes one change
// per remaining writer.
func group(found []finding, d *appsv1.Deployment, self string, now time.Time) []OutOfBandChange {
	type acc struct {
		who  *manager
		what []string
	}
	var order []string
	by := map[string]*acc{}
	for _, f := range found {
		if slices.ContainsFunc(f.owners, func(m manager) bool {
			return m.isSelf(self) || f.replicas && m.Name == KubeControllerManager
		}) {
			continue
		}
		k := ""
		var who *manager
		if m, ok := latest(f.owners); ok {
			who, k = &m, m.key()
		}
		a := by[k]
		if a == nil {
			a = &acc{who: who}
			by[k] = a
			order = append(order, k)
		}
		a.what = append(a.what, f.what)
	}
	var out []OutOfBandChange
	for _, k := range order {
		a := by[k]
		c := OutOfBandChange{
			Application: d.Labels[LabelApp], Ref: "Deployment/" + d.Namespace + "/" + d.Name,
			Detail: strings.Join(a.what, "; "), Time: now.UTC(),
		}
		if a.who == nil {
			c.Key = string(d.UID) + "/generation/" + strconv.FormatInt(d.Generation, 10)
		} else {
			c.Actor = a.who.String()
			stamp := "-"
			if a.who.Time != nil {
				c.Time = *a.who.Time
				stamp = strconv.FormatInt(a.who.Time.Unix(), 10)
			}
			c.Key = string(d.UID) + "/" + a.who.Name + "/" + string(a.who.Operation) + "/" + a.who.Subresource + "/" + stamp
		}
		out = append(out, c)
	}
	return out
}

// ForeignWorkload decides (pure) whether a StatefulSet or DaemonSet (kind)
// counts as out-of-band: when first seen (seen is false), unless gennaker's
// managed-by label is on it. It is then WorkloadCreated.
func ForeignWorkload(kind string, seen bool, obj metav1.Object, tmpl corev1.PodTemplateSpec, replicas *int32, now time.Time) []OutOfBandChange {
	if seen || obj.GetLabels()[LabelManagedBy] == ManagedBy {
		return nil
	}
	return []OutOfBandChange{WorkloadCreated(kind, obj, tmpl, replicas, now)}
}

// WorkloadCreated is the change a workload gennaker does not own makes by
// existing in a managed namespace (pure): counted once per object (its
// UID), at its creation time, named after the manager that created it as
// far as managedFields say (the oldest entry that is not a controller's
// or a status write).
func WorkloadCreated(kind string, obj metav1.Object, tmpl corev1.PodTemplateSpec, replicas *int32, now time.Time) OutOfBandChange {
	c := OutOfBandChange{
		Key: string(obj.GetUID()) + "/created", Ref: kind + "/" + obj.GetNamespace() + "/" + obj.GetName(),
		Time: now.UTC(),
	}
	if t := obj.GetCreationTimestamp(); !t.IsZero() {
		c.Time = t.UTC()
	}
	var first *manager
	for _, m := range managers(obj.GetManagedFields()) {
		if m.isStatus() || m.Name == KubeControllerManager {
			continue
		}
		if first == nil || m.Time != nil && (first.Time == nil || m.Time.Before(*first.Time)) {
			first = &m
		}
	}
	if first != nil {
		c.Actor = first.String()
	}
	var images []string
	for _, ct := range tmpl.Spec.Containers {
		images = append(images, ct.Image)
	}
	c.Detail = kind + " created outside gennaker: image " + strings.Join(images, ", ")
	if replicas != nil {
		c.Detail += fmt.Sprintf(", replicas %d", *replicas)
	}
	return c
}

func imagesOf(cs []corev1.Container) map[string]string {
	out := make(map[string]string, len(cs))
	for _, c := range cs {
		out[c.Name] = c.Image
	}
	return out
}

func imageText(container string, many bool, from, to string) string {
	if many {
		return fmt.Sprintf("image of container %s %s → %s", container, from, to)
	}
	return fmt.Sprintf("image %s → %s", from, to)
}

// templateDiff names what differs between two pod templates besides the
// containers' images: "labels", "annotations", "container NAME", "pod spec".
func templateDiff(a, b corev1.PodTemplateSpec) []string {
	var out []string
	if !maps.Equal(a.Labels, b.Labels) {
		out = append(out, "labels")
	}
	if !maps.Equal(a.Annotations, b.Annotations) {
		out = append(out, "annotations")
	}
	ac, bc := byName(a.Spec.Containers), byName(b.Spec.Containers)
	for _, name := range slices.Sorted(maps.Keys(bc)) {
		x, ok := ac[name]
		y := bc[name]
		x.Image = y.Image
		if !ok || !apiequality.Semantic.DeepEqual(x, y) {
			out = append(out, "container "+name)
		}
	}
	for name := range ac {
		if _, ok := bc[name]; !ok {
			out = append(out, "container "+name+" removed")
		}
	}
	as, bs := a.Spec, b.Spec
	as.Containers, bs.Containers = nil, nil
	if !apiequality.Semantic.DeepEqual(as, bs) {
		out = append(out, "pod spec")
	}
	return out
}

func byName(cs []corev1.Container) map[string]corev1.Container {
	out := make(map[string]corev1.Container, len(cs))
	for _, c := range cs {
		out[c.Name] = c
	}
	return out
}

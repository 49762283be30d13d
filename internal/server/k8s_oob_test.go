package server

// Out-of-band changes against a real kube-apiserver (test/k8senv): changes
// made with other field managers, as kubectl makes them, are recorded once
// with their manager; gennaker's own deploy and resize are not; a foreign
// Deployment and StatefulSet are; a change made while nobody watched is
// found on start; two watchers over one store record each change once.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/k8senv"
)

// oobRig is a SQLite store with one application and one Kubernetes
// environment in a fresh namespace, and gennaker's provider for it (as
// the documented ServiceAccount).
type oobRig struct {
	t   *testing.T
	kc  *k8senv.Env
	ns  string
	st  *sqlite.Store
	p   *kubernetes.Provider
	env model.Environment
	app model.Application
	rec *oobRecorder
}

func newOOBRig(t *testing.T) *oobRig {
	t.Helper()
	kc := k8senv.Shared(t)
	ns := kc.Namespace(t)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id := kc.ServiceAccount(t, ns)
	env := model.Environment{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetKubernetes, Kubeconfig: id.Kubeconfig, Namespace: ns}}
	app := model.Application{Name: "checkout", Image: "ghcr.io/acme/checkout:{{version}}", Port: 8080, Instances: 2}
	if _, err := st.ConfigApply(t.Context(), model.Config{Applications: []model.Application{app}, Environments: []model.Environment{env}}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := kubernetes.New(kubernetes.Config{Environment: env.Name, Kubeconfig: id.Kubeconfig, Namespace: ns, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return &oobRig{t: t, kc: kc, ns: ns, st: st, p: p, env: env, app: app, rec: &oobRecorder{st: st, log: log}}
}

// watch runs one out-of-band watch (as one server replica would) until
// the returned stop is called.
func (r *oobRig) watch() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.p.WatchOutOfBand(ctx, r.rec.kubernetesWatch(r.env, r.ns)) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("out-of-band watch: %v", err)
		}
	}
	r.t.Cleanup(stop)
	return stop
}

// deploy is gennaker's own deploy of a server group: recorded, then applied.
func (r *oobRig) deploy(seq int, version string, instances int) model.ServerGroup {
	r.t.Helper()
	sg := model.ServerGroup{Name: model.ServerGroupName(r.app.Name, seq), Application: r.app.Name, Environment: r.env.Name, Sequence: seq,
		Version: version, Role: model.RoleProduction, Status: model.ServerGroupUp, Instances: instances, Weight: 100}
	if err := r.st.ServerGroupInsert(r.t.Context(), &sg); err != nil {
		r.t.Fatal(err)
	}
	if err := r.p.Ensure(r.t.Context(), sg, r.app); err != nil {
		r.t.Fatal(err)
	}
	return sg
}

// resize is gennaker's own resize: applied, then recorded.
func (r *oobRig) resize(sg model.ServerGroup, n int) {
	r.t.Helper()
	if err := r.p.Resize(r.t.Context(), sg.Name, n); err != nil {
		r.t.Fatal(err)
	}
	if err := r.st.ServerGroupUpdate(r.t.Context(), store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Instances: &n}); err != nil {
		r.t.Fatal(err)
	}
}

// events lists the out-of-band events as "ref | actor | detail | app".
func (r *oobRig) events() []string {
	r.t.Helper()
	evs, err := r.st.EventList(r.t.Context(), store.EventListParams{Kinds: []model.EventKind{model.EventOutOfBand}})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Environment != r.env.Name || e.Time.IsZero() {
			r.t.Errorf("event %+v: want environment %s and a time", e, r.env.Name)
		}
		out = append(out, strings.Join([]string{e.Ref, e.Actor, e.Detail, e.Application}, " | "))
	}
	return out
}

// waitEvents waits until n events are recorded, then a little more to see
// that no more come, and returns them.
func (r *oobRig) waitEvents(n int) []string {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(r.events()) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	got := r.events()
	if len(got) != n {
		r.t.Fatalf("%d out-of-band events, want %d:\n%s", len(got), n, strings.Join(got, "\n"))
	}
	return got
}

// setImage changes the image as `kubectl set image` does: a strategic
// merge patch under the field manager kubectl-set.
func (r *oobRig) setImage(name, container, image string) {
	r.t.Helper()
	body := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, container, image)
	if _, err := r.kc.Clientset.AppsV1().Deployments(r.ns).Patch(r.t.Context(), name, types.StrategicMergePatchType, body,
		metav1.PatchOptions{FieldManager: "kubectl-set"}); err != nil {
		r.t.Fatal(err)
	}
}

// scale changes replicas as `kubectl scale` does: through the scale
// subresource under the field manager kubectl-scale.
func (r *oobRig) scale(name string, n int32) {
	r.t.Helper()
	s := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: n}}
	if _, err := r.kc.Clientset.AppsV1().Deployments(r.ns).UpdateScale(r.t.Context(), name, s, metav1.UpdateOptions{FieldManager: "kubectl-scale"}); err != nil {
		r.t.Fatal(err)
	}
}

func TestKubernetesOutOfBandChanges(t *testing.T) {
	t.Parallel()
	r := newOOBRig(t)
	// Two watchers over one store, as two replicas of a server.
	stopA, stopB := r.watch(), r.watch()

	// gennaker's own deploy and resize record nothing.
	sg := r.deploy(1, "1.2", 2)
	r.resize(sg, 3)
	if err := r.p.Route(t.Context(), r.app, []kubernetes.Route{{ServerGroup: sg.Name, Weight: 100}}); err != nil {
		t.Fatal(err)
	}

	r.setImage(sg.Name, "checkout", "ghcr.io/acme/checkout:1.3-hotfix")
	ref := "Deployment/" + r.ns + "/" + sg.Name
	got := r.waitEvents(1)
	if want := ref + " | kubectl-set (Update) | image ghcr.io/acme/checkout:1.2 → ghcr.io/acme/checkout:1.3-hotfix | checkout"; got[0] != want {
		t.Fatalf("event %q, want %q", got[0], want)
	}

	// A workload gennaker does not own.
	foreign := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: r.ns, Labels: map[string]string{"app": "nginx"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := r.kc.Clientset.AppsV1().Deployments(r.ns).Create(t.Context(), foreign, metav1.CreateOptions{FieldManager: "kubectl-create"}); err != nil {
		t.Fatal(err)
	}
	got = r.waitEvents(2)
	if want := "Deployment/" + r.ns + "/nginx | kubectl-create (Update) | Deployment created outside gennaker: image nginx:1.27, replicas 1 | "; got[1] != want {
		t.Fatalf("event %q, want %q", got[1], want)
	}
	db := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: r.ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr(int32(1)), ServiceName: "db", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:17"}}},
			},
		},
	}
	if _, err := r.kc.Clientset.AppsV1().StatefulSets(r.ns).Create(t.Context(), db, metav1.CreateOptions{FieldManager: "helm"}); err != nil {
		t.Fatal(err)
	}
	got = r.waitEvents(3)
	if want := "StatefulSet/" + r.ns + "/db | helm (Update) | StatefulSet created outside gennaker: image postgres:17, replicas 1 | "; got[2] != want {
		t.Fatalf("event %q, want %q", got[2], want)
	}

	// Nobody watches: kubectl scale; the next start finds it, and only it
	// (the image change is recorded already).
	stopA()
	stopB()
	r.scale(sg.Name, 5)
	r.watch()
	got = r.waitEvents(4)
	if want := ref + " | kubectl-scale (Update, scale) | replicas 3 → 5 | checkout"; got[3] != want {
		t.Fatalf("event %q, want %q", got[3], want)
	}

	// gennaker scales it back and deploys the next version: nothing new.
	r.resize(sg, 3)
	sg2 := r.deploy(2, "1.4", 2)
	r.resize(sg2, 1)
	r.waitEvents(4)
}

func ptr[T any](v T) *T { return &v }

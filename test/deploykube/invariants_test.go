package deploykube

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// What the docs tell users to create by hand: the Secret holding the store
// URL (kubectl create secret generic gennaker-store --from-literal=url=...).
const (
	storeSecret    = "gennaker-store"
	storeSecretKey = "url"
	storeEnv       = "GENNAKER_STORE"
)

// healthPath is the probe path: the route `GET /healthz` of
// internal/api/routes.go, public (no credential). TestContainerCommand asks
// the real binary for every probe's path, so a moved route fails there.
const healthPath = "/healthz"

// stopGrace is how long the server gives running stage jobs after SIGTERM
// (docs/operations.md); the pod's grace period must leave it that.
const stopGrace = 10 * time.Second

func convert[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	v := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, v, true); err != nil {
		t.Fatalf("%s %q: %v", o.GetKind(), o.GetName(), err)
	}
	return v
}

// container is the gennaker container of the rendered Deployment.
func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", d.Name, n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

// exampleKustomization reads the example overlay's kustomization.yaml.
func exampleKustomization(t *testing.T) types.Kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoDir(), exampleDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", exampleDir, err)
	}
	return k
}

// TestExampleOverlay: the overlay's namespace and image reach every object
// and the container, and the RoleBinding's subject is in that namespace.
func TestExampleOverlay(t *testing.T) {
	k := exampleKustomization(t)
	if k.Namespace == "" || len(k.Images) != 1 {
		t.Fatalf("%s sets namespace %q and %d images; the example shows one of each", exampleDir, k.Namespace, len(k.Images))
	}
	objs := byKind(t, render(t, exampleDir))
	for kind, o := range objs {
		if o.GetNamespace() != k.Namespace {
			t.Errorf("%s %q is in namespace %q, want the overlay's %q", kind, o.GetName(), o.GetNamespace(), k.Namespace)
		}
	}
	img := k.Images[0]
	d := convert[appsv1.Deployment](t, objs.get(t, "Deployment"))
	if got, want := container(t, d).Image, img.NewName+":"+img.NewTag; got != want {
		t.Errorf("image %q, want %q (the overlay's images: entry for %q)", got, want, img.Name)
	}
	rb := convert[rbacv1.RoleBinding](t, objs.get(t, "RoleBinding"))
	if len(rb.Subjects) != 1 || rb.Subjects[0].Namespace != k.Namespace {
		t.Errorf("RoleBinding subjects %+v, want the ServiceAccount in %q", rb.Subjects, k.Namespace)
	}
}

// TestDeploymentInvariants checks what docs/operations.md promises of the
// base's Deployment.
func TestDeploymentInvariants(t *testing.T) {
	objs := byKind(t, render(t, baseDir))
	d := convert[appsv1.Deployment](t, objs.get(t, "Deployment"))
	pod := d.Spec.Template.Spec
	c := container(t, d)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	if sel, err := metav1LabelSelector(d); err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector does not match its pods' labels %v (%v)", d.Spec.Template.Labels, err)
	}

	// The store URL comes from the Secret, never from a literal.
	var store *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == storeEnv {
			store = &c.Env[i]
		}
	}
	switch {
	case store == nil:
		t.Errorf("no %s variable", storeEnv)
	case store.Value != "" || store.ValueFrom == nil || store.ValueFrom.SecretKeyRef == nil:
		t.Errorf("%s is not read from a Secret: %+v", storeEnv, store)
	case store.ValueFrom.SecretKeyRef.Name != storeSecret || store.ValueFrom.SecretKeyRef.Key != storeSecretKey:
		t.Errorf("%s from Secret %q key %q, want %q key %q (as the docs create it)", storeEnv,
			store.ValueFrom.SecretKeyRef.Name, store.ValueFrom.SecretKeyRef.Key, storeSecret, storeSecretKey)
	case store.ValueFrom.SecretKeyRef.Optional != nil && *store.ValueFrom.SecretKeyRef.Optional:
		t.Errorf("%s is optional: without the Secret the pod would start on no store", storeEnv)
	}
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if strings.Contains(a, "postgres") {
			t.Errorf("argument %q names the database: the URL belongs in the Secret", a)
		}
	}

	// The command: gennaker server, listening on every interface on the
	// container's port.
	if !slices.Equal(c.Command, []string{"gennaker"}) || len(c.Args) == 0 || c.Args[0] != "server" {
		t.Errorf("command %q args %q, want gennaker server ...", c.Command, c.Args)
	}
	port := containerPort(t, c, "http")
	if addr, ok := flagValue(c.Args, "--addr"); !ok || addr != "0.0.0.0:"+itoa(port) {
		t.Errorf("--addr %q, want 0.0.0.0:%d (the container port)", addr, port)
	}

	// Probes: the health route, on the container's port.
	probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
	if c.StartupProbe != nil {
		probes["startup"] = c.StartupProbe
	}
	for name, p := range probes {
		switch {
		case p == nil || p.HTTPGet == nil:
			t.Errorf("%s probe %+v, want an HTTP GET", name, p)
		case p.HTTPGet.Path != healthPath:
			t.Errorf("%s probe on %q, want %q", name, p.HTTPGet.Path, healthPath)
		case p.HTTPGet.Port != intstr.FromString("http") && p.HTTPGet.Port != intstr.FromInt32(port):
			t.Errorf("%s probe on port %s, want the container's port http (%d)", name, p.HTTPGet.Port.String(), port)
		case p.HTTPGet.Scheme != "" && p.HTTPGet.Scheme != corev1.URISchemeHTTP:
			t.Errorf("%s probe scheme %s; the server serves plain HTTP here", name, p.HTTPGet.Scheme)
		}
	}

	// Security context.
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatalf("pod securityContext %+v, container securityContext %+v: both must be set", psc, sc)
	}
	if !isTrue(psc.RunAsNonRoot) && !isTrue(sc.RunAsNonRoot) {
		t.Error("runAsNonRoot is not set")
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not set")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop [ALL] and nothing added", sc.Capabilities)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v, want RuntimeDefault", seccomp)
	}
	// A read-only root needs somewhere to write: every mount is a volume.
	if len(c.VolumeMounts) == 0 {
		t.Error("a read-only root filesystem and no writable volume: the server cannot create its data directory")
	}

	// Resources: requests and limits, sized for a ~100 MiB process.
	req, lim := c.Resources.Requests, c.Resources.Limits
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := req[r]; !ok {
			t.Errorf("no %s request", r)
		}
		if _, ok := lim[r]; !ok {
			t.Errorf("no %s limit", r)
		}
	}
	const mib = 1 << 20
	if m := lim.Memory().Value(); m < 128*mib || m > 1024*mib {
		t.Errorf("memory limit %s; a ~100 MiB server wants 128Mi-1Gi", lim.Memory())
	}
	if req.Memory().Cmp(*lim.Memory()) > 0 {
		t.Errorf("memory request %s above the limit %s", req.Memory(), lim.Memory())
	}

	// Replicas on different nodes.
	spread := false
	for _, tsc := range pod.TopologySpreadConstraints {
		if tsc.TopologyKey == corev1.LabelHostname && tsc.WhenUnsatisfiable == corev1.DoNotSchedule && tsc.LabelSelector != nil &&
			labels.SelectorFromSet(tsc.LabelSelector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
			spread = true
		}
	}
	if a := pod.Affinity; a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		spread = true
	}
	if !spread {
		t.Error("nothing keeps the replicas on different nodes (a hostname topologySpreadConstraint or a required podAntiAffinity)")
	}

	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= stopGrace {
		t.Errorf("terminationGracePeriodSeconds %v; the server gives stage jobs %s after SIGTERM", g, stopGrace)
	}

	// The pod runs as the base's ServiceAccount, with its token (in-cluster
	// environments deploy as it).
	sa := objs.get(t, "ServiceAccount")
	if pod.ServiceAccountName != sa.GetName() {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, sa.GetName())
	}
	if pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is false: environments with kubeconfig: in-cluster would have no credentials")
	}
}

// TestServiceAndBudget: the Service and the PodDisruptionBudget select the
// Deployment's pods, and the budget keeps one replica.
func TestServiceAndBudget(t *testing.T) {
	objs := byKind(t, render(t, baseDir))
	d := convert[appsv1.Deployment](t, objs.get(t, "Deployment"))
	podLabels := labels.Set(d.Spec.Template.Labels)
	c := container(t, d)

	svc := convert[corev1.Service](t, objs.get(t, "Service"))
	if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service type %s, want ClusterIP", svc.Spec.Type)
	}
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, podLabels)
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort != intstr.FromString("http") && p.TargetPort != intstr.FromInt32(containerPort(t, c, "http")) {
			t.Errorf("Service port %s targets %s, not the container's port", p.Name, p.TargetPort.String())
		}
	}

	pdb := convert[policyv1.PodDisruptionBudget](t, objs.get(t, "PodDisruptionBudget"))
	if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != intstr.FromInt32(1) {
		t.Errorf("PodDisruptionBudget minAvailable %v, want 1", pdb.Spec.MinAvailable)
	}
	if pdb.Spec.Selector == nil || !labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", pdb.Spec.Selector, podLabels)
	}
}

// TestRoleIsTheDocumentedOne: the base's Role grants exactly what
// docs/kubernetes-rbac.yaml does, the least the Kubernetes provider needs
// (TestRBACManifestIsEnough in internal/provider/kubernetes runs every
// provider operation under that file), and its binding names the base's
// ServiceAccount.
func TestRoleIsTheDocumentedOne(t *testing.T) {
	objs := byKind(t, render(t, baseDir))
	role := convert[rbacv1.Role](t, objs.get(t, "Role"))
	doc := convert[rbacv1.Role](t, rbacDoc(t))
	if !reflect.DeepEqual(role.Rules, doc.Rules) {
		t.Errorf("the Role's rules differ from docs/kubernetes-rbac.yaml:\n base: %+v\n docs: %+v", role.Rules, doc.Rules)
	}
	rb := convert[rbacv1.RoleBinding](t, objs.get(t, "RoleBinding"))
	if rb.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}) {
		t.Errorf("RoleBinding roleRef %+v, want Role %q", rb.RoleRef, role.Name)
	}
	sa := objs.get(t, "ServiceAccount").GetName()
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != rbacv1.ServiceAccountKind || rb.Subjects[0].Name != sa {
		t.Errorf("RoleBinding subjects %+v, want the ServiceAccount %q", rb.Subjects, sa)
	}
}

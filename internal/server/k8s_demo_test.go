package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// demoService is one service of a microservices-demo-shaped shop: its own
// manifest set (Deployment, Service on a named non-80 port, ServiceAccount,
// ConfigMap, HorizontalPodAutoscaler, PodDisruptionBudget), as a team
// migrating from `kubectl apply -f` has it.
type demoService struct {
	name, portName, appProtocol string
	port                        int
}

// demoSecret is the value behind each set's Secret reference.
const demoSecret = "s3cr3t-api-key-not-in-config"

var demoServices = []demoService{
	{"cartservice", "grpc", "grpc", 7070},
	{"productcatalogservice", "grpc", "grpc", 3550},
	{"frontend", "http", "http", 8080},
}

func (s demoService) manifests(secretFile string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels: {app: %[1]s}
spec:
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      serviceAccountName: %[1]s
      containers:
      - name: server
        image: "{{image}}"
        ports: [{name: %[2]s, containerPort: %[4]d}]
        envFrom: [{configMapRef: {name: %[1]s-config}}, {secretRef: {name: %[1]s-credentials}}]
        volumeMounts: [{name: settings, mountPath: /etc/settings}]
      volumes:
      - name: settings
        configMap: {name: %[1]s-config}
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  annotations: {team.example.com/owner: shop}
spec:
  selector: {app: %[1]s}
  ports:
  - {name: %[2]s, port: %[4]d, targetPort: %[4]d, appProtocol: %[3]s}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: %[1]s}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: %[1]s-config}
data:
  VERSION_NOTE: "built for {{version}}"
---
apiVersion: v1
kind: Secret
metadata: {name: %[1]s-credentials}
stringData:
  API_KEY: "{{secretRef file:%[5]s}}"
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: %[1]s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: %[1]s}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: %[1]s}}
`, s.name, s.portName, s.appProtocol, s.port, secretFile)
}

// TestKubernetesMicroservicesDemoShapedApps deploys three services with
// their own manifest sets and canaries them to a second version, in both
// traffic modes, as the documented ServiceAccount: every object of the set
// is applied, versioned ones per server group and owned by it, the stable
// Services keep the team's named ports, and the old versions' objects go
// with their groups.
func TestKubernetesMicroservicesDemoShapedApps(t *testing.T) {
	t.Parallel()
	for _, traffic := range []model.TrafficMode{model.TrafficReplicas, model.TrafficGateway} {
		t.Run(string(traffic), func(t *testing.T) {
			t.Parallel()
			kc := k8senv.Shared(t)
			ns := kc.Namespace(t)
			c := startServer(t)
			weight := func(w int) model.CanaryStep { return model.CanaryStep{SetWeight: &w} }
			cfg := model.Config{Environments: []model.Environment{k8sEnvironment(t, "prod", kc, ns, traffic)}}
			secretFile := filepath.Join(t.TempDir(), "api-key")
			if err := os.WriteFile(secretFile, []byte(demoSecret), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, s := range demoServices {
				cfg.Applications = append(cfg.Applications, model.Application{
					Name: s.name, Image: "registry.example.com/" + s.name + ":{{version}}", Instances: 2,
					Manifest: s.name + "/", ManifestTemplate: s.manifests(secretFile),
					HealthCheck: model.HealthCheck{StartupTimeout: model.Duration(30 * time.Second)},
				})
				cfg.Pipelines = append(cfg.Pipelines, model.Pipeline{Name: s.name + "-release", Application: s.name,
					Parameters: []model.Parameter{{Name: "version", Required: true}},
					Stages: []model.StageSpec{{Name: "canary", Timeout: model.Duration(5 * time.Minute), Deploy: &model.DeployStage{
						Environment: "prod", Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
							Steps: []model.CanaryStep{weight(25), {Pause: &model.PauseStep{Duration: model.Duration(time.Second)}}},
						}},
					}}}})
			}
			ctx := context.Background()
			if _, err := c.Apply(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			for _, version := range []string{"1.0.0", "2.0.0"} {
				var execs []*model.Execution
				for _, s := range demoServices {
					e, err := c.Deploy(ctx, deploy.Request{Application: s.name, Environment: "prod", Version: version, Pipeline: s.name + "-release"})
					if err != nil {
						t.Fatal(err)
					}
					execs = append(execs, e)
				}
				for i, e := range execs {
					done := mustSucceed(t, c, e, nil)
					if version == "2.0.0" {
						checkRecordedManifests(t, done, demoServices[i])
					}
				}
			}
			for _, s := range demoServices {
				checkDemoService(t, kc, ns, s)
			}
			// What gennaker keeps (executions, records) never holds the value.
			for _, s := range demoServices {
				st, err := c.Status(ctx, s.name)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := json.Marshal(st)
				if strings.Contains(string(body), demoSecret) {
					t.Errorf("%s: the secret value is in the status", s.name)
				}
			}
		})
	}
}

// checkDemoService checks one service after its canary was promoted.
func checkDemoService(t *testing.T, kc *k8senv.Env, ns string, s demoService) {
	t.Helper()
	ctx := context.Background()
	cs := kc.Clientset
	deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelApp + "=" + s.name})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items) != 1 {
		var names []string
		for _, d := range deps.Items {
			names = append(names, d.Name)
		}
		t.Fatalf("%s: Deployments %v, want only the promoted canary", s.name, names)
	}
	d := deps.Items[0]
	group := d.Name
	suffix := group[len(s.name)+1:]
	cfgName := s.name + "-config-" + suffix
	if ref := d.Spec.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name; ref != cfgName {
		t.Errorf("%s: envFrom names ConfigMap %s, want the group's copy %s", group, ref, cfgName)
	}
	if ref := d.Spec.Template.Spec.Volumes[0].ConfigMap.Name; ref != cfgName {
		t.Errorf("%s: the settings volume names ConfigMap %s, want %s", group, ref, cfgName)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, cfgName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: its ConfigMap: %v", group, err)
	}
	if cm.Data["VERSION_NOTE"] != "built for 2.0.0" || len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != d.UID {
		t.Errorf("%s: ConfigMap %s data %v owners %v, want built for 2.0.0 and owned by the Deployment", group, cfgName, cm.Data, cm.OwnerReferences)
	}
	cms, _ := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelApp + "=" + s.name})
	for _, c := range cms.Items {
		if c.Name != cfgName {
			t.Errorf("%s: ConfigMap %s of a destroyed group is left behind", s.name, c.Name)
		}
	}
	hpa, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, s.name+"-"+suffix, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: its autoscaler: %v", group, err)
	}
	if hpa.Spec.ScaleTargetRef.Name != group || hpa.Spec.MaxReplicas != 6 {
		t.Errorf("%s: autoscaler aims at %s (max %d), want %s (max 6)", group, hpa.Spec.ScaleTargetRef.Name, hpa.Spec.MaxReplicas, group)
	}
	pdb, err := cs.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, s.name+"-"+suffix, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: its disruption budget: %v", group, err)
	}
	if pdb.Spec.Selector.MatchLabels[kubernetes.LabelServerGroup] != group {
		t.Errorf("%s: disruption budget selects %v", group, pdb.Spec.Selector.MatchLabels)
	}
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, s.name+"-credentials-"+suffix, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: its Secret: %v", group, err)
	}
	if string(sec.Data["API_KEY"]) != demoSecret || len(sec.OwnerReferences) != 1 {
		t.Errorf("%s: Secret %s holds %q (owners %v), want the referenced file's value, owned by the Deployment", group, sec.Name, sec.Data["API_KEY"], sec.OwnerReferences)
	}
	if ref := d.Spec.Template.Spec.Containers[0].EnvFrom[1].SecretRef.Name; ref != sec.Name {
		t.Errorf("%s: envFrom names Secret %s, want %s", group, ref, sec.Name)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, s.name, metav1.GetOptions{}); err != nil {
		t.Errorf("%s: ServiceAccount: %v", s.name, err)
	}
	svc, err := cs.CoreV1().Services(ns).Get(ctx, s.name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != int32(s.port) || svc.Spec.Ports[0].Name != s.portName ||
		svc.Spec.Ports[0].AppProtocol == nil || *svc.Spec.Ports[0].AppProtocol != s.appProtocol {
		t.Errorf("%s: stable Service ports %+v, want only %s %d (appProtocol %s)", s.name, svc.Spec.Ports, s.portName, s.port, s.appProtocol)
	}
	if svc.Annotations["team.example.com/owner"] != "shop" {
		t.Errorf("%s: the team's Service annotations were dropped: %v", s.name, svc.Annotations)
	}
	if svc.Spec.Selector[kubernetes.LabelApp] != s.name || svc.Spec.Selector["app"] != "" {
		t.Errorf("%s: stable Service selector %v: gennaker's, not the team's", s.name, svc.Spec.Selector)
	}
	// Its endpoints are the promoted group's pods, on the named port.
	deadline := time.Now().Add(20 * time.Second)
	for {
		slices_, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + s.name})
		if err != nil {
			t.Fatal(err)
		}
		var pods []string
		port := int32(0)
		for _, sl := range slices_.Items {
			for _, p := range sl.Ports {
				if p.Port != nil {
					port = *p.Port
				}
			}
			for _, e := range sl.Endpoints {
				if e.TargetRef != nil && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
					pods = append(pods, e.TargetRef.Name)
				}
			}
		}
		ok := len(pods) >= 2 && port == int32(s.port) && !slices.ContainsFunc(pods, func(p string) bool { return len(p) < len(group) || p[:len(group)] != group })
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: endpoints %v on port %d, want the pods of %s on %d", s.name, pods, port, group, s.port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRecordedManifests: the deploy recorded, for each group it started,
// the manifests it applied (`gennaker manifests EXECUTION`).
func checkRecordedManifests(t *testing.T, e *model.Execution, s demoService) {
	t.Helper()
	var out struct {
		Manifests map[string]string `json:"manifests"`
	}
	for _, st := range e.Stages {
		if len(st.Output) > 0 {
			if err := json.Unmarshal(st.Output, &out); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(out.Manifests) != 2 { // the baseline and the canary
		t.Fatalf("%s: recorded manifests of %d groups, want 2 (baseline, canary)", s.name, len(out.Manifests))
	}
	for g, m := range out.Manifests {
		suffix := g[len(s.name)+1:]
		if strings.Contains(m, demoSecret) || !strings.Contains(m, "{{secretRef file:") {
			t.Errorf("%s: the recorded manifests must hold the Secret's reference, never its value", g)
		}
		for _, want := range []string{"kind: Deployment", "kind: HorizontalPodAutoscaler", "kind: PodDisruptionBudget", "kind: ServiceAccount", "kind: Service\n",
			"name: " + s.name + "-config-" + suffix} {
			if !strings.Contains(m, want) {
				t.Errorf("%s: the recorded manifests lack %q:\n%s", g, want, m)
			}
		}
	}
}

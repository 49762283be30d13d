// Package k8senv starts a real Kubernetes control plane for integration
// tests: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (fake nodes whose pods become Running and Ready without containers),
// all on 127.0.0.1 with random ports and a temporary data directory.
//
// The binaries are built by scripts/k8s/build.sh (make test-deps) into
// ${GENNAKER_K8S_CACHE:-$HOME/.cache/gennaker/k8s}. When they are missing the
// test is skipped, or fails when GENNAKER_REQUIRE_ALL=1 (make test).
//
// One control plane per test:
//
//	env := k8senv.Start(t)
//	cs := env.Clientset
//
// One control plane per test binary (recommended; starting takes a few
// seconds):
//
//	func TestMain(m *testing.M) { os.Exit(k8senv.RunShared(m)) }
//
//	func TestX(t *testing.T) {
//		env := k8senv.Shared(t)
//		ns := env.Namespace(t) // a fresh namespace, deleted after the test
//	}
//
// Programs that are not tests (bench/k8srollback) use Launch, CreateNamespace
// and CreateServiceAccount, and call Stop themselves:
//
//	env, err := k8senv.Launch(dir, k8senv.Options{})
//	defer env.Stop()
//
// Pods on kwok nodes run no containers: tests can check Kubernetes objects
// and their status (Deployments, ReplicaSets, Pods, Services, HTTPRoutes),
// not traffic.
package k8senv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gennaker/gennaker/test/internal/testenv"
)

// Versions built by scripts/k8s/build.sh; keep the two in step.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
	KwokVersion       = "v0.8.0"
	GatewayAPIVersion = "v1.6.3"
)

// BuildHint is the message of the skip (or failure) when the binaries are missing.
const BuildHint = "run scripts/k8s/build.sh (or make test-deps)"

// FakeNodeAnnotation marks the nodes kwok manages.
const FakeNodeAnnotation = "kwok.x-k8s.io/node"

const (
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1"
	podCIDR     = "10.244.0.0/16"
)

// Env is a running control plane.
type Env struct {
	// Kubeconfig is the path of an admin kubeconfig file (client certificate
	// in group system:masters; the API server authorizes with RBAC).
	Kubeconfig string
	// RESTConfig is the admin config (QPS 200, burst 400). Copy it with
	// rest.CopyConfig before changing it.
	RESTConfig *rest.Config
	// Clientset and Dynamic are clients built from RESTConfig.
	Clientset kubernetes.Interface
	Dynamic   dynamic.Interface
	// Nodes are the names of the fake (kwok) nodes, all Ready.
	Nodes []string
	// Dir holds the certificates, the etcd data and one log per process
	// (etcd.log, kube-apiserver.log, ...).
	Dir string
	// APIServerURL is https://127.0.0.1:<port>.
	APIServerURL string

	procs     []*proc // start order
	apiserver *proc
	kcm       *proc
	kcmPort   int
	pki       *pki
	stopOnce  sync.Once
}

// Options changes how the control plane starts. The zero value is the default.
type Options struct {
	// Nodes is the number of fake nodes (default 2).
	Nodes int
	// NoGatewayAPI leaves out the Gateway API CRDs.
	NoGatewayAPI bool
}

// CacheDir is where scripts/k8s/build.sh puts the binaries and manifests.
func CacheDir() string {
	if d := os.Getenv("GENNAKER_K8S_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.Getenv("HOME")
	}
	return filepath.Join(home, ".cache", "gennaker", "k8s")
}

// Check returns an error naming what is missing when the binaries or the
// manifests are not built at the expected versions.
func Check() error {
	cache := CacheDir()
	want := map[string]string{
		"kube-apiserver":          KubernetesVersion,
		"kube-controller-manager": KubernetesVersion,
		"kube-scheduler":          KubernetesVersion,
		"etcd":                    EtcdVersion,
		"kwok":                    KwokVersion,
	}
	var missing []string
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		bin := filepath.Join(cache, "bin", name)
		if _, err := os.Stat(bin); err != nil {
			missing = append(missing, name)
			continue
		}
		stamp, _ := os.ReadFile(filepath.Join(cache, "bin", ".stamp-"+name))
		if f := strings.Fields(string(stamp)); len(f) == 0 || f[0] != want[name] {
			missing = append(missing, name+"@"+want[name])
		}
	}
	if s, _ := os.ReadFile(filepath.Join(cache, "kwok-stage", ".stamp")); strings.TrimSpace(string(s)) != KwokVersion {
		missing = append(missing, "kwok stages")
	}
	if s, _ := os.ReadFile(filepath.Join(cache, "gateway-api-crds", ".stamp")); strings.TrimSpace(string(s)) != GatewayAPIVersion {
		missing = append(missing, "gateway-api CRDs")
	}
	if len(missing) > 0 {
		return fmt.Errorf("k8senv: not built in %s: %s; %s", cache, strings.Join(missing, ", "), BuildHint)
	}
	return nil
}

// Start starts a control plane for this test with the default options and
// stops it when the test ends.
func Start(t testing.TB) *Env { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Env {
	t.Helper()
	if err := Check(); err != nil {
		testenv.Missing(t, err)
	}
	env, err := start(t.TempDir(), opts, t.Logf)
	if err != nil {
		if env != nil {
			t.Log(env.LogTails(60))
			env.Stop()
		}
		t.Fatalf("k8senv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(env.LogTails(40))
		}
		env.Stop()
	})
	return env
}

// Launch starts a control plane in dir (created if missing) for a program that is not a test (a
// benchmark, say); the caller stops it with Stop and removes dir. It fails
// when the binaries are missing (Check) or a component does not come up; the
// error then ends with the last lines of every component's log.
func Launch(dir string, opts Options) (*Env, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env, err := start(dir, opts, func(string, ...any) {})
	if err != nil {
		if env != nil {
			tails := env.LogTails(30)
			env.Stop()
			return nil, fmt.Errorf("k8senv: starting the control plane: %w\n%s", err, tails)
		}
		return nil, fmt.Errorf("k8senv: starting the control plane: %w", err)
	}
	return env, nil
}

var shared struct {
	mu  sync.Mutex
	env *Env
	err error
	dir string
}

// Shared returns the control plane shared by the tests of this test binary,
// starting it on first use. It is stopped by RunShared (use it in TestMain);
// without RunShared the processes still die with the test binary, and the
// temporary directory is left behind until the next Shared (in any test
// binary) removes it. Tests sharing it should work in their own namespace
// (Namespace).
func Shared(t testing.TB) *Env {
	t.Helper()
	if err := Check(); err != nil {
		testenv.Missing(t, err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.env == nil && shared.err == nil {
		dir, err := testenv.SharedDir(sharedDirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		shared.dir = dir
		shared.env, shared.err = start(dir, Options{}, t.Logf)
		if shared.err != nil && shared.env != nil {
			t.Log(shared.env.LogTails(60))
			shared.env.Stop()
			shared.env = nil
		}
	}
	if shared.err != nil {
		t.Fatalf("k8senv: shared control plane: %v", shared.err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(shared.env.LogTails(40))
		}
	})
	return shared.env
}

const sharedDirPrefix = "k8senv-"

// RunShared runs the tests and then stops the shared control plane, if one
// was started. Use it as: func TestMain(m *testing.M) { os.Exit(k8senv.RunShared(m)) }
func RunShared(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.env != nil {
		shared.env.Stop()
		shared.env = nil
	}
	if shared.dir != "" {
		if code == 0 {
			os.RemoveAll(shared.dir)
		} else {
			fmt.Fprintf(os.Stderr, "k8senv: logs of the shared control plane kept in %s\n", shared.dir)
		}
	}
	return code
}

// start brings up the control plane in dir. On error the returned Env (if
// not nil) holds the processes started so far, for their logs and Stop.
func start(dir string, opts Options, logf func(string, ...any)) (*Env, error) {
	t0 := time.Now()
	if opts.Nodes == 0 {
		opts.Nodes = 2
	}
	cache := CacheDir()
	bin := func(name string) string { return filepath.Join(cache, "bin", name) }

	p, err := newPKI(dir)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort := ports[0], ports[1], ports[2], ports[3], ports[4]

	env := &Env{Dir: dir, pki: p, APIServerURL: fmt.Sprintf("https://127.0.0.1:%d", apiPort)}
	env.Kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := writeKubeconfig(env.Kubeconfig, env.APIServerURL, p); err != nil {
		return nil, err
	}
	env.RESTConfig = &rest.Config{
		Host: env.APIServerURL,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   p.caPEM,
			CertData: p.adminCertPEM,
			KeyData:  p.adminKeyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
	if env.Clientset, err = kubernetes.NewForConfig(env.RESTConfig); err != nil {
		return nil, err
	}
	if env.Dynamic, err = dynamic.NewForConfig(env.RESTConfig); err != nil {
		return nil, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort)
	etcd := &proc{name: "etcd", path: bin("etcd"), logPath: logPath(dir, "etcd"), args: []string{
		"--name=default",
		"--data-dir=" + filepath.Join(dir, "etcd-data"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}}
	env.apiserver = &proc{name: "kube-apiserver", path: bin("kube-apiserver"), logPath: logPath(dir, "kube-apiserver"), args: []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file=" + p.ServingCert,
		"--tls-private-key-file=" + p.ServingKey,
		"--client-ca-file=" + p.CAFile,
		"--service-account-key-file=" + p.SAPublic,
		"--service-account-signing-key-file=" + p.SAPrivateKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		"--shutdown-watch-termination-grace-period=1s",
		"--v=1",
	}}
	kubeconfigFlags := []string{
		"--kubeconfig=" + env.Kubeconfig,
		"--authentication-kubeconfig=" + env.Kubeconfig,
		"--authorization-kubeconfig=" + env.Kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
	}
	kcm := &proc{name: "kube-controller-manager", path: bin("kube-controller-manager"), logPath: logPath(dir, "kube-controller-manager"),
		args: append(append([]string{}, kubeconfigFlags...),
			"--secure-port="+strconv.Itoa(kcmPort),
			// Every default controller, which includes nodelifecycle (it
			// removes the not-ready taint of new nodes), deployment,
			// replicaset, namespace (deletes namespaces), garbagecollector
			// and serviceaccount (creates the default ServiceAccount).
			"--controllers=*",
			"--use-service-account-credentials=false",
			"--service-account-private-key-file="+p.SAPrivateKey,
			"--root-ca-file="+p.CAFile,
			"--cluster-name=gennaker-test",
			"--v=1",
		)}
	env.kcm, env.kcmPort = kcm, kcmPort
	sched := &proc{name: "kube-scheduler", path: bin("kube-scheduler"), logPath: logPath(dir, "kube-scheduler"),
		args: append(append([]string{}, kubeconfigFlags...),
			"--secure-port="+strconv.Itoa(schedPort),
			"--v=1",
		)}
	kwokArgs := []string{
		"--kubeconfig=" + env.Kubeconfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + FakeNodeAnnotation + "=fake",
		"--cidr=" + podCIDR,
		"--node-ip=127.0.0.1",
		// Keep the nodes' leases in kube-node-lease renewed: without it the
		// node controller finds no heartbeat after its grace period (~50 s)
		// and marks every node and pod not ready, which made tests that run
		// longer than that flaky.
		"--node-lease-duration-seconds=40",
	}
	jobStages, err := writeKwokJobStages(dir) // kwok_jobs.go
	if err != nil {
		return env, err
	}
	for _, s := range append(kwokStages(cache), jobStages...) {
		kwokArgs = append(kwokArgs, "--config="+s)
	}
	kwokHome := filepath.Join(dir, "kwok-home") // so ~/.kwok/kwok.yaml is not read
	if err := os.MkdirAll(kwokHome, 0o755); err != nil {
		return nil, err
	}
	kwok := &proc{name: "kwok", path: bin("kwok"), logPath: logPath(dir, "kwok"), args: kwokArgs, env: []string{"HOME=" + kwokHome}}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	for _, pr := range []*proc{etcd, env.apiserver} {
		if err := pr.start(); err != nil {
			return env, err
		}
		env.procs = append(env.procs, pr)
	}
	if err := env.waitAPIServer(ctx); err != nil {
		return env, err
	}
	tAPI := time.Since(t0)
	for _, pr := range []*proc{kcm, sched, kwok} {
		if err := pr.start(); err != nil {
			return env, err
		}
		env.procs = append(env.procs, pr)
	}

	// Meanwhile, the Gateway API CRDs (the first write of an HTTPRoute
	// costs the API server about 2 s, so it is made here, in parallel).
	gatewayErr := make(chan error, 1)
	go func() {
		if opts.NoGatewayAPI {
			gatewayErr <- nil
			return
		}
		gatewayErr <- env.installGatewayAPI(ctx, cache)
	}()
	if err := env.createNodes(ctx, opts.Nodes); err != nil {
		return env, err
	}
	if err := env.waitHealthz(ctx, "kube-controller-manager", kcmPort, kcm); err != nil {
		return env, err
	}
	if err := env.waitHealthz(ctx, "kube-scheduler", schedPort, sched); err != nil {
		return env, err
	}
	if err := env.waitNodesReady(ctx); err != nil {
		return env, err
	}
	if err := <-gatewayErr; err != nil {
		return env, err
	}
	if err := env.waitDefaultServiceAccount(ctx, "default"); err != nil {
		return env, err
	}
	logf("k8senv: control plane ready in %v (API server ready after %v); %s, logs in %s",
		time.Since(t0).Round(time.Millisecond), tAPI.Round(time.Millisecond), env.APIServerURL, dir)
	return env, nil
}

// kwokStages lists the Stage manifests kwok runs with: nodes become Ready at
// once and keep their lease fresh; pods become Running and Ready as soon as
// they are bound to a node, and deleted pods go away immediately. Job pods
// complete by the stages of kwok_jobs.go.
func kwokStages(cache string) []string {
	base := filepath.Join(cache, "kwok-stage")
	return []string{
		filepath.Join(base, "node", "fast", "node-initialize.yaml"),
		filepath.Join(base, "node", "heartbeat-with-lease", "node-heartbeat-with-lease.yaml"),
		filepath.Join(base, "pod", "fast", "pod-ready.yaml"),
		filepath.Join(base, "pod", "fast", "pod-delete.yaml"),
	}
}

func writeKubeconfig(path, server string, p *pki) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["gennaker-test"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminCertPEM, ClientKeyData: p.adminKeyPEM}
	cfg.Contexts["gennaker-test"] = &clientcmdapi.Context{Cluster: "gennaker-test", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "gennaker-test"
	return clientcmd.WriteToFile(*cfg, path)
}

// checkProcs returns an error if a process has exited.
func (e *Env) checkProcs() error {
	for _, pr := range e.procs {
		if done, err := pr.exited(); done {
			return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", pr.name, err, pr.logPath, pr.tail(30))
		}
	}
	return nil
}

// poll calls cond every interval until it returns true or an error, a
// process dies, or ctx ends.
func (e *Env) poll(ctx context.Context, what string, interval time.Duration, cond func() (bool, error)) error {
	var last error
	for {
		if err := e.checkProcs(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s (last error: %v)", what, last)
		case <-time.After(interval):
		}
	}
}

func (e *Env) waitAPIServer(ctx context.Context) error {
	return e.poll(ctx, "kube-apiserver /readyz", 100*time.Millisecond, func() (bool, error) {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		body, err := e.Clientset.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(c)
		if err != nil {
			return false, fmt.Errorf("%v: %s", err, body)
		}
		return true, nil
	})
}

// waitHealthz polls a component's /healthz on its secure port (always
// allowed without credentials).
func (e *Env) waitHealthz(ctx context.Context, name string, port int, pr *proc) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // self-signed by the component itself
	}}
	defer client.CloseIdleConnections()
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	return e.poll(ctx, name+" "+url, 100*time.Millisecond, func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("%s: %s", url, resp.Status)
		}
		return true, nil
	})
}

func (e *Env) createNodes(ctx context.Context, n int) error {
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{FakeNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"type":                          "kwok",
					"kubernetes.io/hostname":        name,
					"kubernetes.io/os":              "linux",
					"kubernetes.io/arch":            "amd64",
					"kubernetes.io/role":            "agent",
					"node-role.kubernetes.io/agent": "",
				},
			},
		}
		if _, err := e.Clientset.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		e.Nodes = append(e.Nodes, name)
	}
	return nil
}

// waitNodesReady waits until every fake node is Ready and has lost the
// not-ready taint (removed by kube-controller-manager's nodelifecycle
// controller), so the scheduler places pods on it.
func (e *Env) waitNodesReady(ctx context.Context) error {
	return e.poll(ctx, "fake nodes Ready and untainted", 100*time.Millisecond, func() (bool, error) {
		for _, name := range e.Nodes {
			n, err := e.Clientset.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			ready := false
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready = true
				}
			}
			if !ready {
				return false, fmt.Errorf("node %s not Ready", name)
			}
			for _, taint := range n.Spec.Taints {
				if taint.Key == corev1.TaintNodeNotReady || taint.Key == corev1.TaintNodeUnreachable {
					return false, fmt.Errorf("node %s still has taint %s", name, taint.Key)
				}
			}
		}
		return true, nil
	})
}

func (e *Env) waitDefaultServiceAccount(ctx context.Context, ns string) error {
	return e.poll(ctx, "ServiceAccount "+ns+"/default", 50*time.Millisecond, func() (bool, error) {
		_, err := e.Clientset.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	})
}

// Namespace creates a namespace with a unique name for this test, waits for
// its default ServiceAccount (pods cannot be created before it exists) and
// deletes the namespace when the test ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := strings.ToLower(t.Name())
	base = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, base)
	if len(base) > 40 {
		base = base[:40]
	}
	ns, err := e.CreateNamespace(ctx, strings.Trim(base, "-")+"-")
	if ns != "" {
		t.Cleanup(func() {
			_ = e.Clientset.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		})
	}
	if err != nil {
		t.Fatalf("k8senv: %v", err)
	}
	return ns
}

// CreateNamespace creates a namespace named generateName plus a random
// suffix and waits for its default ServiceAccount (pods cannot be created
// before it exists). It returns the name, also with an error when the
// namespace was created but its ServiceAccount did not come.
func (e *Env) CreateNamespace(ctx context.Context, generateName string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: generateName}}
	created, err := e.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("create namespace %s*: %w", generateName, err)
	}
	return created.Name, e.waitDefaultServiceAccount(ctx, created.Name)
}

// StopAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after 10 s);
// etcd and the other components keep running. For tests of API outages.
func (e *Env) StopAPIServer() {
	e.apiserver.stop(10 * time.Second)
}

// StartAPIServer starts kube-apiserver again on the same port with the same
// data, and waits until it is ready.
func (e *Env) StartAPIServer() error {
	if err := e.StartAPIServerNoWait(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return e.WaitAPIServer(ctx)
}

// RestartControllerManager restarts kube-controller-manager with
// --controllers=controllers ("*" is every default one, as at start) and
// waits until it is healthy. "*,-endpointslice-controller" freezes every
// Service's EndpointSlices while Deployments still roll out: endpoints go
// stale, as when that controller lags behind an API server restart. Use it
// on a control plane of the test's own (Start), never the shared one.
func (e *Env) RestartControllerManager(controllers string) error {
	e.kcm.stop(10 * time.Second)
	e.kcm.mu.Lock()
	for i, a := range e.kcm.args {
		if strings.HasPrefix(a, "--controllers=") {
			e.kcm.args[i] = "--controllers=" + controllers
		}
	}
	e.kcm.mu.Unlock()
	if err := e.kcm.start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return e.waitHealthz(ctx, "kube-controller-manager", e.kcmPort, e.kcm)
}

// StartAPIServerNoWait starts kube-apiserver again on the same port with
// the same data and returns at once: for about a second after it listens
// and before /readyz passes, RBAC is not synced and it answers 403 to
// everyone but system:masters, as a real API server does after a restart.
func (e *Env) StartAPIServerNoWait() error {
	if done, _ := e.apiserver.exited(); !done {
		return errors.New("k8senv: kube-apiserver is running")
	}
	return e.apiserver.start()
}

// WaitAPIServer waits until kube-apiserver's /readyz passes (asked with the
// admin certificate).
func (e *Env) WaitAPIServer(ctx context.Context) error { return e.waitAPIServer(ctx) }

// RestartAPIServer stops and starts kube-apiserver.
func (e *Env) RestartAPIServer() error {
	e.StopAPIServer()
	return e.StartAPIServer()
}

// Stop stops every process, in reverse start order. Start and Shared call it
// for you.
func (e *Env) Stop() {
	e.stopOnce.Do(func() {
		for i := len(e.procs) - 1; i >= 0; i-- {
			e.procs[i].stop(10 * time.Second)
		}
	})
}

// LogTails returns the last n lines of each process's log.
func (e *Env) LogTails(n int) string {
	var b strings.Builder
	for _, pr := range e.procs {
		fmt.Fprintf(&b, "----- %s (%s), last %d lines -----\n%s\n", pr.name, pr.logPath, n, pr.tail(n))
	}
	return b.String()
}

package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// InCluster as a kubeconfig means the service account of the pod gennaker runs in.
const InCluster = "in-cluster"

// Config configures the provider of one environment (one cluster and namespace).
type Config struct {
	Environment string
	// Kubeconfig is a file path, InCluster, or empty (in-cluster, then the
	// default loading rules: $KUBECONFIG, ~/.kube/config).
	Kubeconfig string
	Context    string
	// Namespace defaults to the context's namespace, then "default".
	Namespace string
	Traffic   model.TrafficMode
	Gateway   *model.GatewayRef
	Logger    *slog.Logger
	Backoff   Backoff
	// Secrets reads the references of Secrets in manifest sets (nil: the
	// server's environment and files).
	Secrets *secret.Resolver
	// PollInterval is how often WaitHealthy looks at a rollout (default 250ms).
	PollInterval time.Duration
}

// Provider acts on one namespace of one cluster.
type Provider struct {
	kube       kubernetes.Interface
	gw         gateway.Interface
	ns         string
	env        string
	traffic    model.TrafficMode
	gateway    *model.GatewayRef
	log        *slog.Logger
	backoff    Backoff
	poll       time.Duration
	secrets    *secret.Resolver
	stale      staleRoutes
	RESTConfig *rest.Config

	kubeconfig string                          // where the credentials come from, for errors
	server     serverWatch                     // when the API server was last seen not ready
	probe      func(context.Context) Readiness // looks at /readyz
	gatewayOK  atomic.Bool                     // the cluster was seen serving HTTPRoutes
}

// New connects to the cluster cfg names. It does not contact the API server.
func New(cfg Config) (*Provider, error) {
	rc, ns, err := restConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("environment %s: kubernetes target: %w", cfg.Environment, err)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = ns
	}
	rc.UserAgent = "gennaker"
	if rc.Timeout == 0 {
		rc.Timeout = 30 * time.Second // a hung API server is a transient error, not a stuck stage
	}
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100 // relabelling a large group's pods is one request per pod
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("environment %s: kubernetes client: %w", cfg.Environment, err)
	}
	gw, err := gateway.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("environment %s: gateway API client: %w", cfg.Environment, err)
	}
	p := NewForClients(cfg, kube, gw)
	p.RESTConfig = rc
	return p, nil
}

// NewForClients builds a provider over given clients (tests use fakes).
func NewForClients(cfg Config, kube kubernetes.Interface, gw gateway.Interface) *Provider {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Traffic == "" {
		cfg.Traffic = model.TrafficReplicas
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	p := &Provider{
		kube: kube, gw: gw, ns: cfg.Namespace, env: cfg.Environment,
		traffic: cfg.Traffic, gateway: cfg.Gateway,
		log:     cfg.Logger.With("namespace", cfg.Namespace),
		backoff: cfg.Backoff.withDefaults(), poll: cfg.PollInterval, secrets: cfg.Secrets,
		kubeconfig: cfg.Kubeconfig,
	}
	p.probe = p.probeReadyz
	return p
}

// Namespace is where the provider keeps its objects.
func (p *Provider) Namespace() string { return p.ns }

// restConfig loads the client config and the context's namespace.
func restConfig(cfg Config) (*rest.Config, string, error) {
	if cfg.Kubeconfig == InCluster || cfg.Kubeconfig == "" && cfg.Context == "" {
		rc, err := rest.InClusterConfig()
		if err == nil {
			return rc, "default", nil
		}
		if cfg.Kubeconfig == InCluster {
			return nil, "", fmt.Errorf("kubeconfig in-cluster: %w: run gennaker in a pod, or set target.kubeconfig to a file", err)
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if cfg.Kubeconfig != "" && cfg.Kubeconfig != InCluster {
		rules.ExplicitPath = cfg.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: cfg.Context})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig %q (context %q): %w: check target.kubeconfig and target.context", cfg.Kubeconfig, cfg.Context, err)
	}
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	return rc, ns, nil
}

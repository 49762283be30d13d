package model

// APIVersion is the only apiVersion gennaker's config kinds accept today.
const APIVersion = "gennaker.dev/v1alpha1"

// Kinds of config documents.
const (
	KindApplication = "Application"
	KindEnvironment = "Environment"
	KindPipeline    = "Pipeline"
	// KindAnalysisTemplate is a reusable canary analysis config.
	KindAnalysisTemplate = "AnalysisTemplate"
)

// Application is a service a team deploys: how to run one version of it and
// how to tell whether an instance is healthy.
type Application struct {
	Name        string  `json:"name"`
	Team        string  `json:"team,omitempty"`
	Description string  `json:"description,omitempty"`
	Run         RunSpec `json:"run"`
	Image       string  `json:"image,omitempty"` // container image for Kubernetes targets; may hold {{version}}
	Port        int     `json:"port,omitempty"`  // the port the app listens on inside a container (Kubernetes)
	// Manifest is the path of a Deployment template file (Kubernetes), relative
	// to the config file, with the placeholders {{app}}, {{version}},
	// {{serverGroup}}, {{replicas}} and {{image}}. It replaces image, port,
	// resources and the readiness probe built from healthCheck.
	Manifest string `json:"manifest,omitempty"`
	// ManifestTemplate is the template itself: written inline, or filled from
	// Manifest when the config is loaded so the server never needs the file.
	ManifestTemplate string `json:"manifestTemplate,omitempty"`
	// Helm and Kustomize render the application's manifest set from a chart
	// or an overlay when the config is loaded (Kubernetes); the result is
	// kept in ManifestTemplate, so the server never needs the files.
	Helm      *HelmSource      `json:"helm,omitempty"`
	Kustomize *KustomizeSource `json:"kustomize,omitempty"`
	// Service is the stable Service in-cluster clients dial (Kubernetes):
	// its name and ports.
	Service *ServiceSpec `json:"service,omitempty"`
	// HTTPRoute shapes the application's HTTPRoute in environments with
	// traffic: gateway: hostnames, path matches and the canary header.
	HTTPRoute *HTTPRouteSpec `json:"httpRoute,omitempty"`
	// Resources are the container's requests and limits (Kubernetes).
	Resources   *Resources        `json:"resources,omitempty"`
	HealthCheck HealthCheck       `json:"healthCheck"`
	Instances   int               `json:"instances"`
	Labels      map[string]string `json:"labels,omitempty"`
	// DeployEnv lists the environment variables a deploy may set for the
	// instances of its version (`gennaker deploy --set-env NAME=VALUE`, the
	// run parameter env.NAME); none by default. Whoever deploys is not an
	// admin: see CheckDeployEnv and DeployEnvHazard (deploy_env.go).
	DeployEnv []string `json:"deployEnv,omitempty"`
	// SLO asks for golden-signal SLOs of the application (DefaultSLOs).
	SLO *AppSLO `json:"slo,omitempty"`
}

// RunSpec says how the local target starts one instance of a version.
// Command, Args and inline Env values may use the placeholders {{version}},
// {{port}}, {{instance}} and {{app}}; each instance also gets PORT, VERSION
// and INSTANCE. An Env value may be a secretRef, resolved when an instance
// starts (env, file: local targets; kubernetes: Kubernetes targets).
type RunSpec struct {
	Command string                    `json:"command,omitempty"`
	Args    []string                  `json:"args,omitempty"`
	Env     map[string]StringOrSecret `json:"env,omitempty"`
	Dir     string                    `json:"dir,omitempty"`
}

// HealthCheck is an HTTP GET that must answer 2xx for an instance to be healthy.
type HealthCheck struct {
	Path     string   `json:"path"`
	Interval Duration `json:"interval"`
	Timeout  Duration `json:"timeout"`
	// StartupTimeout bounds how long a new instance may take to become healthy.
	StartupTimeout Duration `json:"startupTimeout"`
}

// Resources are a container's resource requests and limits.
type Resources struct {
	Requests ResourceList `json:"requests,omitempty"`
	Limits   ResourceList `json:"limits,omitempty"`
}

// ResourceList holds Kubernetes quantities, such as cpu "250m" and memory "256Mi".
type ResourceList struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// TargetKind names where an environment runs server groups.
type TargetKind string

const (
	// TargetLocal runs instances as child processes behind a built-in front door proxy.
	TargetLocal TargetKind = "local"
	// TargetKubernetes runs server groups as Deployments on a cluster.
	TargetKubernetes TargetKind = "kubernetes"
)

// Environment is a place applications are deployed to, such as staging or prod.
type Environment struct {
	Name   string     `json:"name"`
	Target TargetSpec `json:"target"`
	// FrontDoors maps an application name to the address of its stable front
	// door proxy in this environment, e.g. "127.0.0.1:18080" (local targets).
	FrontDoors map[string]string `json:"frontDoors,omitempty"`
	// StickySessions makes the front doors keep each client on the server
	// group it was first routed to, by a cookie, while that group has
	// weight > 0 (local targets): the weights then split new clients.
	StickySessions bool `json:"stickySessions,omitempty"`
	// FrontDoorTLS makes the front doors serve HTTPS, HTTP/2 or HTTP/1.1 as
	// the client offers, instead of plain HTTP (local targets).
	FrontDoorTLS *FrontDoorTLS `json:"frontDoorTLS,omitempty"`
	// Production marks environments whose deploys count for delivery KPIs.
	Production bool `json:"production,omitempty"`
	// FourEyes requires that an approval which lets a deploy into this
	// environment go on (a judgment before it, or its canary's pause) comes
	// from someone other than who started the execution.
	FourEyes bool `json:"fourEyes,omitempty"`
	// SLOPolicy holds deploys here while the application's error budget is
	// short or burning fast, and during freeze windows (slo.go).
	SLOPolicy *SLOPolicy `json:"sloPolicy,omitempty"`
}

// FrontDoorTLS names the PEM files of the front doors' certificate (with
// its chain) and private key: absolute paths on the machine that runs
// gennaker, read by the front doors (again when they change).
type FrontDoorTLS struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// TargetSpec selects and configures the provider of an environment.
type TargetSpec struct {
	Kind TargetKind `json:"kind"`
	// Kubernetes fields. Kubeconfig is a file path, or "in-cluster" (or
	// empty) for the service account of the pod gennaker runs in.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	// Traffic says how a Kubernetes target splits traffic between server groups.
	Traffic TrafficMode `json:"traffic,omitempty"`
	// Gateway is where the HTTPRoutes attach (traffic: gateway): the parent
	// Gateways, and whether a mesh routes in-cluster callers too.
	Gateway *GatewayRef `json:"gateway,omitempty"`
}

// SplitsByReplicas reports whether the target approximates traffic weights
// by the number of ready instances of each server group (a Kubernetes target
// in replicas mode, the default) instead of routing exact weights (the local
// front door, a Gateway API HTTPRoute).
func (t TargetSpec) SplitsByReplicas() bool {
	return t.Kind == TargetKubernetes && t.Traffic != TrafficGateway
}

// TrafficMode is how a Kubernetes environment splits traffic.
type TrafficMode string

const (
	// TrafficReplicas: a stable Service selects the pods of enabled server
	// groups; weights are approximated by replica counts.
	TrafficReplicas TrafficMode = "replicas"
	// TrafficGateway: one Service per server group and a Gateway API
	// HTTPRoute whose backendRefs carry the exact weights.
	TrafficGateway TrafficMode = "gateway"
)

// Pipeline is an ordered set (or DAG, through Needs) of stages run against
// one application.
type Pipeline struct {
	Name        string      `json:"name"`
	Application string      `json:"application"`
	Description string      `json:"description,omitempty"`
	Parameters  []Parameter `json:"parameters,omitempty"`
	Stages      []StageSpec `json:"stages"`
	// Triggers start the pipeline by themselves (trigger.go).
	Triggers []TriggerSpec `json:"triggers,omitempty"`
}

// Stage returns the stage spec named name.
func (p Pipeline) Stage(name string) (StageSpec, bool) {
	for _, s := range p.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return StageSpec{}, false
}

// SoleEnvironment is the one environment the pipeline's stages change
// (deploy and rollback stages), "" when they change none or several: the
// environment of its events that do not name their own (started, finished,
// manual steps).
func (p Pipeline) SoleEnvironment() string {
	env := ""
	for _, st := range p.Stages {
		for _, e := range st.Environments() {
			if env != "" && e != env {
				return ""
			}
			env = e
		}
	}
	return env
}

// StageNeeds is what each stage waits for. A pipeline where some stage
// declares `needs` is a DAG and every stage waits for exactly its needs
// (none: it starts at once). A pipeline where no stage does runs its stages
// in the order written: each waits for the one before it.
func (p Pipeline) StageNeeds() map[string][]string {
	dag := false
	for _, s := range p.Stages {
		dag = dag || len(s.Needs) > 0
	}
	out := make(map[string][]string, len(p.Stages))
	for i, s := range p.Stages {
		switch {
		case dag:
			out[s.Name] = s.Needs
		case i > 0:
			out[s.Name] = []string{p.Stages[i-1].Name}
		default:
			out[s.Name] = nil
		}
	}
	return out
}

// Parameter is a named input of a pipeline, given with `gennaker run --param`.
type Parameter struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Default     string `json:"default,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

// Config is one consistent set of config documents, as applied together.
type Config struct {
	Applications []Application `json:"applications"`
	Environments []Environment `json:"environments"`
	Pipelines    []Pipeline    `json:"pipelines"`
	// AnalysisTemplates are named analysis configs canary steps refer to.
	AnalysisTemplates []AnalysisTemplate `json:"analysisTemplates,omitempty"`
	// Teams and Grants say who may do what (see access.go).
	Teams  []Team  `json:"teams,omitempty"`
	Grants []Grant `json:"grants,omitempty"`
	// Notifications say whom to tell about deliveries (notification.go).
	Notifications []Notification `json:"notifications,omitempty"`
	// SLOs are the resolved service level objectives (slo.go): OpenSLO
	// documents with their references inlined.
	SLOs []SLO `json:"slos,omitempty"`
}

// Package server assembles a gennaker server from its parts (store, engine,
// stages, providers, API) and runs it until its context ends. `gennaker
// server` and `gennaker demo` both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/web"
)

// Options configure a server.
type Options struct {
	// DataDir holds the embedded database, logs and local instance state.
	DataDir string
	// Store is the store's URL: "" or sqlite://DIR for the embedded store
	// (in DataDir when ""), postgres://... for a database several
	// replicas share (see package storeurl).
	Store string
	// ClaimTTL is how long a step's claim holds unless renewed: with
	// several replicas, how soon another takes over a dead one's steps
	// (engine.Config.ClaimTTL; default 20s).
	ClaimTTL time.Duration
	// Addr is the API's listen address (default 127.0.0.1:7070).
	Addr   string
	Logger *slog.Logger
	// Ready, when set, receives the API's base URL once it accepts requests.
	Ready func(url string)
	// Workers bounds concurrent stage jobs (default 100).
	Workers int
	// DestroyOnExit stops every local instance and front-door process when
	// the server stops (`demo --exit`); normally they outlive the server and
	// are re-adopted.
	DestroyOnExit bool
	// PassEnv names variables of the server's environment that local
	// instances get besides the minimal set (see local.Config.PassEnv).
	PassEnv []string

	// TLSCert and TLSKey, when set, serve HTTPS with this certificate.
	TLSCert, TLSKey string
	// AllowedHosts are DNS names requests may carry in their Host header
	// (besides IP addresses and localhost).
	AllowedHosts []string
	// PublicURL is the address people reach the server at (behind a proxy,
	// say); its host is allowed, and an https URL makes cookies Secure.
	PublicURL string
	// OIDC, when set, lets people log in to the UI through this provider.
	OIDC *authn.OIDCConfig
	// OIDCName names the provider on the login page.
	OIDCName string
	// CLIConfig is the CLI credentials file the server writes the local
	// admin's context to ("" the user's default, "-" none).
	CLIConfig string
	// Bootstrapped, when set, receives what the start did about credentials.
	Bootstrapped func(Bootstrap)
	// KPIDigestAt is when the weekly KPI digest is due (nil: Monday 09:00 UTC).
	KPIDigestAt *notify.DigestSchedule
	// SLOInterval is how often the SLOs are evaluated (default 30s).
	SLOInterval time.Duration
}

// Run starts the server and blocks until ctx ends, then shuts down: the API
// stops, running stage jobs finish, and local instances and front-door
// processes keep running so the next start re-adopts them.
func Run(ctx context.Context, opts Options) error {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:7070"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	st, shared, release, err := openStore(ctx, opts, log)
	if err != nil {
		return err
	}
	defer release()
	defer st.Close()

	// The local target lives on this machine: only a server that owns its
	// store (the embedded one) runs it.
	var prov *local.Provider
	oob := &oobRecorder{st: st, log: log.With("component", "out-of-band")}
	if !shared {
		if prov, err = local.New(local.Config{DataDir: opts.DataDir, Logger: log.With("component", "local"), PassEnv: opts.PassEnv, Samples: st, OutOfBand: oob.localExit}); err != nil {
			return err
		}
		defer func() {
			if opts.DestroyOnExit {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if err := prov.Shutdown(sctx); err != nil {
					log.Warn("stopping local instances", "err", err)
				}
				return
			}
			_ = prov.Close()
		}()
	}
	kube := newK8sTargets(ctx, log)
	kube.oob = oob // each Kubernetes environment's out-of-band watch records here
	// A config apply through this server wakes the watch; with several
	// replicas another's apply is found by polling.
	k8sApplied, k8sEvery := make(chan struct{}, 1), k8sRefreshAlone
	if shared {
		k8sEvery = k8sRefresh
	}
	go kube.watchEnvironments(ctx, st, log, k8sApplied, k8sEvery)
	targets := func(env model.Environment) (stage.Target, error) {
		switch env.Target.Kind {
		case model.TargetLocal, "":
			if prov == nil {
				return nil, fmt.Errorf("environment %s: %w", env.Name, errLocalOnSharedStore)
			}
			return localTarget{prov}, nil
		case model.TargetKubernetes:
			return kube.target(env)
		}
		return nil, fmt.Errorf("environment %s: target kind %q is not known: use local or kubernetes", env.Name, env.Target.Kind)
	}
	judge, sampleJudge, sources := analysis.ThresholdJudge{}, analysis.MannWhitneyJudge{}, metricSources(prov)
	webChecks, jobs := source.Web{}, kube.checkJobs
	var slos stage.SLOReader = st // the sloGate stage and the deploys' error-budget policy read SLOs and their statuses
	// A status older than three evaluations counts as unknown.
	sloMaxAge := 3 * opts.SLOInterval
	runners := map[model.StageType]stage.Runner{
		model.StageDeploy:   &stage.Deploy{Store: st, Targets: targets, Judge: judge, SampleJudge: sampleJudge, Sources: sources, Web: webChecks, CheckJobs: jobs, SLOs: slos, SLOMaxAge: sloMaxAge},
		model.StageRollback: &stage.Deploy{Store: st, Targets: targets, Judge: judge, SampleJudge: sampleJudge, Sources: sources, Web: webChecks, CheckJobs: jobs, Rollback: true, SLOs: slos, SLOMaxAge: sloMaxAge},
		model.StageSLOGate:  &stage.SLOGate{SLOs: slos, MaxAge: sloMaxAge},
		model.StageNoop:     stage.Noop{},
		model.StageWait:     stage.Wait{},
		model.StageJudgment: stage.Judgment{},
		model.StageWebhook:  &stage.Webhook{Client: &http.Client{Timeout: 30 * time.Second}},
	}
	eng, err := engine.New(engine.Config{Store: st, Runners: runners, Logger: log, Workers: opts.Workers, SingleNode: !shared, ClaimTTL: opts.ClaimTTL})
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if prov != nil {
		reg.MustRegister(prov.Collector())
		if err := restoreLocal(ctx, st, prov, log); err != nil {
			return err
		}
	}
	deploys := &deploy.Service{Store: st, Engine: eng, Inspector: inspector{localInspector{prov}, kube}, Adopter: k8sAdopter{kube}}
	deletes := &deletion.Service{Store: st, Teardown: teardown{local: prov, targets: targets}, Canceler: eng, Log: log.With("component", "delete")}
	// triggers starts pipelines for the trigger sources (the webhook
	// handler, the pollers' runner: give them triggers as their
	// trigger.Starter and trigger.Cursors) and serves the API's trigger
	// routes.
	triggers := trigger.NewService(trigger.ServiceConfig{Store: st, Engine: eng, Logger: log.With("component", "trigger")})

	// pollers looks at the polling triggers' sources (registry, git,
	// schedule, other pipelines) and fires through triggers.
	pollers := triggerRunner(st, triggers, triggers, log)

	tr, err := newTransport(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w: is another server running there? pick another address with --addr", opts.Addr, err)
	}
	tr.warnExposed(log, ln.Addr())
	authenticator := authn.New(authn.Config{Store: st, Log: log.With("component", "auth"), Secure: tr.secureCookies()})
	recorder := &audit.Recorder{Store: st, Log: log.With("component", "audit")}
	var oidcLogin *authn.OIDC
	if opts.OIDC != nil {
		if oidcLogin, err = authn.NewOIDC(*opts.OIDC); err != nil {
			ln.Close()
			return err
		}
	}
	kpis := kpi.NewReporter(st)
	go func() {
		if err := kpis.Warm(ctx); err != nil && ctx.Err() == nil {
			log.Warn("could not read the KPI rollups ahead; the first KPI report reads them", "err", err)
		}
	}()
	// SLO pages and reports; Source (the evaluator's SLI sources) counts SLA
	// months and deploy hours exactly when set.
	sloSources := newSLOSources(st)
	sloReports := &report.Reader{Store: st, Source: report.BySource(sloSources)}
	notifier := newNotifier(st, log.With("component", "notify"), opts.ClaimTTL)
	notifier.digestAt, notifier.kpi = opts.KPIDigestAt, kpis
	handler := api.New(api.Config{
		Notifier: notifier,
		Store:    st, Engine: eng, Deployer: deploys, Deleter: deletes, Triggers: triggers, Hooks: newHookTriggers(triggers, st), Logger: log, Registry: reg,
		KPI: kpis, SLO: sloReports,
		Auth: authenticator, Audit: recorder, AllowedHosts: tr.allowedHosts(), PublicURL: strings.TrimRight(opts.PublicURL, "/"),
		Extra: web.Mount(web.Config{Store: st, Status: deploys, Logger: log.With("component", "web"), Auth: authenticator, OIDC: oidcLogin, OIDCName: opts.OIDCName, Audit: recorder,
			KPI: kpis, SLO: sloReports}),
		Validate: func(cfg, existing model.Config) error {
			if shared {
				if err := refuseLocalEnvironments(cfg); err != nil {
					return err
				}
			}
			return config.ValidateObjects(cfg, config.LoadOptions{Existing: existing})
		},
		CheckTargets: kube.checkTargets,
		ConfigApplied: func() {
			select {
			case k8sApplied <- struct{}{}:
			default:
			}
			pollers.ConfigChanged()
		},
	})
	url := tr.localURL(ln.Addr())
	notifier.setBaseURL(uiURL(opts.PublicURL, url))
	boot, err := bootstrap(ctx, st, shared, authenticator, log, opts, url)
	if err != nil {
		ln.Close()
		return err
	}
	if err := eng.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	triggersCtx, stopTriggers := context.WithCancel(ctx)
	defer stopTriggers()
	triggersStopped := runTriggers(triggersCtx, pollers)
	notifyCtx, stopNotify := context.WithCancel(ctx)
	defer stopNotify()
	notifyDone := notifier.start(notifyCtx, !shared)
	kpiCtx, stopKPI := context.WithCancel(ctx)
	defer stopKPI()
	kpiStopped := runKPI(kpiCtx, st, reg, log.With("component", "kpi"))
	sloCtx, stopSLO := context.WithCancel(ctx)
	defer stopSLO()
	sloStopped := runSLO(sloCtx, st, prov, sloSources, reg, opts.SLOInterval, log.With("component", "slo"))
	srv := tr.httpServer(handler)
	serveErr := make(chan error, 1)
	go func() { serveErr <- tr.serve(srv, ln) }()
	log.Info("gennaker server ready", "url", url, "store", storeName(opts))
	if boot.LoginURL != "" {
		log.Info("open the web UI with this one-time login link (valid 1 hour; `gennaker ui` prints another): " + boot.LoginURL)
	}
	if opts.Bootstrapped != nil {
		opts.Bootstrapped(boot)
	}
	if opts.Ready != nil {
		opts.Ready(url)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("API server stopped", "err", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopTriggers()
	triggersStopped()
	stopKPI()
	kpiStopped()
	stopSLO()
	sloStopped()
	if err := eng.Stop(shutdownCtx); err != nil {
		log.Warn("stopping workers", "err", err)
	}
	stopNotify()
	<-notifyDone
	log.Info("gennaker server stopped")
	return nil
}

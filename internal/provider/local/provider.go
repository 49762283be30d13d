package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/secret"
)

// Config configures a Provider.
type Config struct {
	// DataDir holds local-state.json and the instance logs (DataDir/logs).
	DataDir string
	Logger  *slog.Logger
	// PortMin and PortMax bound the instance ports (default 20000-29999).
	PortMin, PortMax int
	// GracePeriod is how long a stopping instance gets between SIGTERM and SIGKILL (default 5s).
	GracePeriod time.Duration
	// Secrets resolves the secretRefs of run.env each time an instance
	// starts; nil reads the server's environment and files.
	Secrets *secret.Resolver
	// PassEnv names variables of the server's environment that instances
	// get besides PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*,
	// TZ, TMPDIR and TERM (`gennaker server --pass-env NAME`). Nothing else
	// of the server's environment reaches an instance.
	PassEnv []string
	// Samples, when set, stores the front doors' per-second traffic every
	// few seconds, and Seconds reads it back (see SampleStore).
	Samples SampleStore
	// Executable is the gennaker binary front-door processes run as
	// (`gennaker frontdoor`); empty means this process's own executable.
	Executable string
	// OutOfBand, when set, is told of every instance process that was
	// killed from outside gennaker (see killedOutside), before it is
	// restarted. It is called on the instance's supervisor goroutine.
	OutOfBand func(OutOfBandExit)
}

// Provider runs server groups as local processes behind front-door proxies.
// All its methods are safe for concurrent use and idempotent.
type Provider struct {
	cfg       Config
	log       *slog.Logger
	statePath string
	// inherit is what instances get of the server's environment (see PassEnv).
	inherit []string
	probe   *http.Client
	exe     string // runs the front-door processes

	ctx    context.Context // lives until Close; parent of every supervisor
	cancel context.CancelFunc
	wg     sync.WaitGroup

	stateMu sync.Mutex // serialises state file writes
	doorOps sync.Mutex // serialises starting, adopting and stopping front-door processes

	dirtyMu   sync.Mutex        // a leaf lock: guards dirty and published
	dirty     map[string]bool   // environments whose healthy instances changed since the last push
	published map[GroupRef]bool // groups whose healthy instances this provider knows (pushed to front doors)
	pushKick  chan struct{}

	mu        sync.Mutex // guards the fields below; taken before any group's mu
	closed    bool
	groups    map[GroupRef]*group
	orphans   map[GroupRef]groupRecord // recorded in the state file, not yet reconciled
	endpoints map[GroupRef]*endpoints  // healthy instances by server group, pushed to the front doors
	doors     map[string]*doorProcess  // front-door processes by environment
	doorRecs  map[string]doorRecord    // recorded in the state file, not yet adopted
	routes    map[string]FrontDoor     // the last table acknowledged, by app + "/" + env
}

// New opens (or creates) DataDir and reads its state file. It starts and
// adopts nothing: call Reconcile or EnsureServerGroup for that.
func New(cfg Config) (*Provider, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("local provider: DataDir is empty: set the directory for instance logs and state")
	}
	if os.Getenv(doorChildVar) == "1" {
		// Started as a front-door process, this program ran its main
		// instead: going on would start front doors of its own, each one
		// more copy of the program, without end.
		return nil, errors.New("local provider: this process was started as a front-door process, but its program did not serve one: " +
			"call local.MaybeServeFrontDoor() first in main (the provider starts front doors with its own executable)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PortMin == 0 && cfg.PortMax == 0 {
		cfg.PortMin, cfg.PortMax = 20000, 29999
	}
	if cfg.PortMin <= 0 || cfg.PortMax > 65535 || cfg.PortMin > cfg.PortMax {
		return nil, fmt.Errorf("local provider: port range %d-%d is invalid: give 1 <= PortMin <= PortMax <= 65535", cfg.PortMin, cfg.PortMax)
	}
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = 5 * time.Second
	}
	logs := filepath.Join(cfg.DataDir, "logs")
	if err := os.MkdirAll(logs, dirMode); err != nil {
		return nil, fmt.Errorf("local provider: create data dir: %w", err)
	}
	// A logs directory made by an older gennaker was readable by everyone.
	if err := os.Chmod(logs, dirMode); err != nil {
		return nil, fmt.Errorf("local provider: restrict the logs directory: %w", err)
	}
	environ := os.Environ()
	missing, err := checkPassEnv(environ, cfg.PassEnv)
	if err != nil {
		return nil, err
	}
	for _, name := range missing {
		cfg.Logger.Warn("a variable to pass to instances is not set in the server's environment: instances get none", "pass_env", name)
	}
	statePath := filepath.Join(cfg.DataDir, stateFileName)
	st, err := loadState(statePath)
	if err != nil {
		return nil, err
	}
	if st.Version < 2 {
		moveLegacyLogs(logs, st, cfg.Logger)
	}
	exe := cfg.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("local provider: find the gennaker binary to run front doors with: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Provider{
		cfg: cfg, log: cfg.Logger, statePath: statePath, inherit: inheritedEnv(environ, cfg.PassEnv),
		probe: &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		exe:   exe, ctx: ctx, cancel: cancel,
		dirty: map[string]bool{}, published: map[GroupRef]bool{}, pushKick: make(chan struct{}, 1),
		groups: map[GroupRef]*group{}, orphans: st.byRef(),
		endpoints: map[GroupRef]*endpoints{}, doors: map[string]*doorProcess{}, doorRecs: map[string]doorRecord{}, routes: map[string]FrontDoor{},
	}
	for env, rec := range st.FrontDoors {
		rec.Environment = env
		p.doorRecs[env] = rec
	}
	p.wg.Add(1)
	go p.pushEndpoints()
	if cfg.Samples != nil {
		p.wg.Add(1)
		go p.flushSamples(time.Now())
	}
	return p, nil
}

// EnsureServerGroup makes spec's server group run spec.Instances instances: it adopts
// recorded instances that still run, starts missing ones and stops extra
// ones (highest indexes first). Calling it again never starts duplicates.
func (p *Provider) EnsureServerGroup(ctx context.Context, spec ServerGroupSpec) error {
	if err := spec.validate(); err != nil {
		return err
	}
	for {
		g, orphan, err := p.lookupOrCreate(spec)
		if err != nil {
			return err
		}
		g.ops.Lock()
		if g.destroyed { // a Destroy won the race; start over with a fresh group
			g.ops.Unlock()
			continue
		}
		g.mu.Lock()
		g.spec = spec
		g.mu.Unlock()
		var adoptErr error
		if orphan != nil {
			adoptErr = p.adopt(ctx, g, *orphan)
		}
		err = errors.Join(adoptErr, p.converge(ctx, g))
		g.ops.Unlock()
		return errors.Join(err, p.saveState())
	}
}

func (p *Provider) lookupOrCreate(spec ServerGroupSpec) (*group, *groupRecord, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, ErrClosed
	}
	ref := spec.Ref()
	if g := p.groups[ref]; g != nil {
		return g, nil, nil
	}
	g := newGroup(spec, p.endpointsLocked(ref))
	g.notify = p.endpointsChanged
	p.groups[ref] = g
	if rec, ok := p.orphans[ref]; ok {
		delete(p.orphans, ref)
		return g, &rec, nil
	}
	return g, nil, nil
}

func (p *Provider) endpointsLocked(ref GroupRef) *endpoints {
	ep := p.endpoints[ref]
	if ep == nil {
		ep = &endpoints{}
		p.endpoints[ref] = ep
	}
	return ep
}

func (p *Provider) lookup(ref GroupRef) (*group, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	g := p.groups[ref]
	if g == nil {
		return nil, fmt.Errorf("server group %s in %s: %w: it is not running on the local target; ensure it first", ref.Name, ref.Environment, ErrUnknownServerGroup)
	}
	return g, nil
}

// Resize makes the server group run n instances, starting or stopping
// (highest indexes first) as needed.
func (p *Provider) Resize(ctx context.Context, ref GroupRef, n int) error {
	if n < 0 {
		return fmt.Errorf("resize %s to %d: give zero or more instances", ref.Name, n)
	}
	g, err := p.lookup(ref)
	if err != nil {
		return err
	}
	g.ops.Lock()
	defer g.ops.Unlock()
	if g.destroyed {
		return fmt.Errorf("server group %s in %s: %w: it was destroyed", ref.Name, ref.Environment, ErrUnknownServerGroup)
	}
	g.mu.Lock()
	g.spec.Instances = n
	g.mu.Unlock()
	return errors.Join(p.converge(ctx, g), p.saveState())
}

// Destroy stops every instance of the server group (SIGTERM, then SIGKILL
// after GracePeriod) and forgets it. Destroying an unknown name is not an error.
func (p *Provider) Destroy(ctx context.Context, ref GroupRef) error {
	p.mu.Lock()
	g := p.groups[ref]
	orphan, hasOrphan := p.orphans[ref]
	delete(p.orphans, ref)
	p.mu.Unlock()
	if hasOrphan {
		p.killRecorded(ctx, orphan)
	}
	if g != nil {
		g.ops.Lock()
		g.destroyed = true
		g.mu.Lock()
		all := g.sortedInstances()
		g.mu.Unlock()
		p.stopInstances(ctx, g, all)
		p.mu.Lock()
		if p.groups[ref] == g {
			delete(p.groups, ref)
		}
		p.mu.Unlock()
		g.ops.Unlock()
		p.log.Info("server group destroyed", "server_group", ref.Name, "environment", ref.Environment)
	}
	return p.saveState()
}

// Reconcile is called when the server starts: it adopts or restarts the
// instances of every desired server group and kills the recorded instances
// of every other one.
func (p *Provider) Reconcile(ctx context.Context, desired []ServerGroupSpec) error {
	if n := p.reapStrays(); n > 0 {
		p.log.Warn("stopped instance processes a crash left unrecorded", "count", n)
	}
	want := map[GroupRef]bool{}
	envs := map[string]bool{}
	for _, spec := range desired {
		envs[spec.Environment] = true
	}
	var errs []error
	// The front doors first: they keep serving the adopted instances.
	if err := p.adoptDoors(ctx, envs); err != nil {
		errs = append(errs, fmt.Errorf("re-adopting front door processes: %w", err))
	}
	for _, spec := range desired {
		want[spec.Ref()] = true
		if err := p.EnsureServerGroup(ctx, spec); err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: %w", spec.Name, err))
		}
	}
	for _, ref := range p.known() {
		if !want[ref] {
			p.log.Info("stopping server group that is no longer desired", "server_group", ref.Name, "environment", ref.Environment)
			if err := p.Destroy(ctx, ref); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// known lists running and recorded server groups.
func (p *Provider) known() []GroupRef {
	p.mu.Lock()
	defer p.mu.Unlock()
	var refs []GroupRef
	for ref := range p.groups {
		refs = append(refs, ref)
	}
	for ref := range p.orphans {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b GroupRef) int { return strings.Compare(a.String(), b.String()) })
	return refs
}

// Close stops supervision and health checks but leaves the instances and
// the front-door processes running (serving the last routes and healthy
// instances they were given), so a new Provider on the same DataDir can
// adopt them.
func (p *Provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	for _, d := range p.allDoors() {
		d.disconnect()
	}
	return nil
}

// Shutdown destroys every server group, closes the provider (storing the
// front doors' last samples), then stops the front-door processes:
// nothing it started keeps running.
func (p *Provider) Shutdown(ctx context.Context) error {
	var errs []error
	for _, ref := range p.known() {
		errs = append(errs, p.Destroy(ctx, ref))
	}
	errs = append(errs, p.Close(), p.stopDoors(ctx))
	return errors.Join(errs...)
}

// saveState writes what every group runs to the state file.
func (p *Provider) saveState() error {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	st := state{Version: stateVersion, ServerGroups: map[string]groupRecord{}}
	p.mu.Lock()
	for ref, g := range p.groups {
		g.mu.Lock()
		st.ServerGroups[ref.String()] = g.record()
		g.mu.Unlock()
	}
	for ref, rec := range p.orphans {
		st.ServerGroups[ref.String()] = rec
	}
	if len(p.doors)+len(p.doorRecs) > 0 {
		st.FrontDoors = map[string]doorRecord{}
	}
	for env, rec := range p.doorRecs {
		st.FrontDoors[env] = rec
	}
	for env, d := range p.doors {
		st.FrontDoors[env] = d.record()
	}
	p.mu.Unlock()
	if err := writeState(p.statePath, st); err != nil {
		p.log.Error("cannot save local provider state; a restarted server may not adopt running instances", "err", err)
		return err
	}
	if err := writeScrapeTargets(p.cfg.DataDir, st); err != nil {
		p.log.Warn("cannot write the Prometheus scrape targets file", "err", err)
	}
	return nil
}

// logDir holds the logs of one server group's instances, one file each.
func (p *Provider) logDir(ref GroupRef) string {
	return filepath.Join(p.cfg.DataDir, "logs", ref.Environment, ref.Name)
}

func (p *Provider) logPath(ref GroupRef, index int) string {
	return filepath.Join(p.logDir(ref), fmt.Sprintf("%d.log", index))
}

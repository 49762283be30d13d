package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
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
}

// Provider runs server groups as local processes behind front-door proxies.
// All its methods are safe for concurrent use and idempotent.
type Provider struct {
	cfg       Config
	log       *slog.Logger
	statePath string
	// inherit is what instances get of the server's environment (see PassEnv).
	inherit   []string
	probe     *http.Client
	transport *http.Transport // front doors to instances

	ctx    context.Context // lives until Close; parent of every supervisor
	cancel context.CancelFunc
	wg     sync.WaitGroup

	stateMu sync.Mutex // serialises state file writes

	mu         sync.Mutex // guards the fields below; taken before any group's mu
	closed     bool
	groups     map[string]*group
	orphans    map[string]groupRecord // recorded in the state file, not yet reconciled
	endpoints  map[string]*endpoints  // healthy instances by server group name, for the front doors
	frontDoors map[string]*frontDoor  // by app + "/" + env
}

// New opens (or creates) DataDir and reads its state file. It starts and
// adopts nothing: call Reconcile or EnsureServerGroup for that.
func New(cfg Config) (*Provider, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("local provider: DataDir is empty: set the directory for instance logs and state")
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
	ctx, cancel := context.WithCancel(context.Background())
	p := &Provider{
		cfg: cfg, log: cfg.Logger, statePath: statePath, inherit: inheritedEnv(environ, cfg.PassEnv),
		probe:     &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		transport: newTransport(),
		ctx:       ctx, cancel: cancel,
		groups: map[string]*group{}, orphans: st.ServerGroups,
		endpoints: map[string]*endpoints{}, frontDoors: map[string]*frontDoor{},
	}
	if cfg.Samples != nil {
		p.wg.Add(1)
		go p.flushSamples(time.Now())
	}
	return p, nil
}

// EnsureServerGroup makes spec.Name run spec.Instances instances: it adopts
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
	if g := p.groups[spec.Name]; g != nil {
		return g, nil, nil
	}
	g := newGroup(spec, p.endpointsLocked(spec.Name))
	p.groups[spec.Name] = g
	if rec, ok := p.orphans[spec.Name]; ok {
		delete(p.orphans, spec.Name)
		return g, &rec, nil
	}
	return g, nil, nil
}

func (p *Provider) endpointsLocked(name string) *endpoints {
	ep := p.endpoints[name]
	if ep == nil {
		ep = &endpoints{}
		p.endpoints[name] = ep
	}
	return ep
}

func (p *Provider) lookup(name string) (*group, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	g := p.groups[name]
	if g == nil {
		return nil, fmt.Errorf("server group %s: %w: it is not running on the local target; ensure it first", name, ErrUnknownServerGroup)
	}
	return g, nil
}

// Resize makes the server group run n instances, starting or stopping
// (highest indexes first) as needed.
func (p *Provider) Resize(ctx context.Context, name string, n int) error {
	if n < 0 {
		return fmt.Errorf("resize %s to %d: give zero or more instances", name, n)
	}
	g, err := p.lookup(name)
	if err != nil {
		return err
	}
	g.ops.Lock()
	defer g.ops.Unlock()
	if g.destroyed {
		return fmt.Errorf("server group %s: %w: it was destroyed", name, ErrUnknownServerGroup)
	}
	g.mu.Lock()
	g.spec.Instances = n
	g.mu.Unlock()
	return errors.Join(p.converge(ctx, g), p.saveState())
}

// Destroy stops every instance of the server group (SIGTERM, then SIGKILL
// after GracePeriod) and forgets it. Destroying an unknown name is not an error.
func (p *Provider) Destroy(ctx context.Context, name string) error {
	p.mu.Lock()
	g := p.groups[name]
	orphan, hasOrphan := p.orphans[name]
	delete(p.orphans, name)
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
		if p.groups[name] == g {
			delete(p.groups, name)
		}
		p.mu.Unlock()
		g.ops.Unlock()
		p.log.Info("server group destroyed", "server_group", name)
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
	want := map[string]bool{}
	var errs []error
	for _, spec := range desired {
		want[spec.Name] = true
		if err := p.EnsureServerGroup(ctx, spec); err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: %w", spec.Name, err))
		}
	}
	for _, name := range p.knownNames() {
		if !want[name] {
			p.log.Info("stopping server group that is no longer desired", "server_group", name)
			if err := p.Destroy(ctx, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// knownNames lists running and recorded server groups.
func (p *Provider) knownNames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var names []string
	for name := range p.groups {
		names = append(names, name)
	}
	for name := range p.orphans {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Close stops supervision, health checks and front doors but leaves the
// instances running, so a new Provider on the same DataDir can adopt them.
func (p *Provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	fds := make([]*frontDoor, 0, len(p.frontDoors))
	for _, fd := range p.frontDoors {
		fds = append(fds, fd)
	}
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	for _, fd := range fds {
		fd.close()
	}
	p.transport.CloseIdleConnections()
	return nil
}

// Shutdown destroys every server group, then closes the provider.
func (p *Provider) Shutdown(ctx context.Context) error {
	var errs []error
	for _, name := range p.knownNames() {
		errs = append(errs, p.Destroy(ctx, name))
	}
	errs = append(errs, p.Close())
	return errors.Join(errs...)
}

// saveState writes what every group runs to the state file.
func (p *Provider) saveState() error {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	st := state{Version: 1, ServerGroups: map[string]groupRecord{}}
	p.mu.Lock()
	for name, g := range p.groups {
		g.mu.Lock()
		st.ServerGroups[name] = g.record()
		g.mu.Unlock()
	}
	for name, rec := range p.orphans {
		st.ServerGroups[name] = rec
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

func (p *Provider) logPath(name string, index int) string {
	return filepath.Join(p.cfg.DataDir, "logs", name, fmt.Sprintf("%d.log", index))
}

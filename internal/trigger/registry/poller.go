// Package registry is the trigger source that watches an OCI image
// repository for new tags (trigger.Poller for `registry:` triggers).
//
// A look lists the repository's tags (following the registry's pages),
// keeps those the trigger watches, resolves digests with HEAD requests and
// fires at most one tag per look (see Decide). The firing's delivery ID is
// TAG@DIGEST, so the same tag pushed again with new content fires again,
// while two replicas or a restart never start the pipeline twice for one
// push.
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/httplimit"
)

// Defaults of a Poller's zero fields.
const (
	DefaultTimeout = time.Minute
	DefaultMaxTags = 100_000
)

// Poller looks at registry triggers. The zero value works: anonymous or
// basic auth, the process's environment and files for secrets.
type Poller struct {
	// Secrets resolves the username and password references.
	Secrets *secret.Resolver
	// Transport talks to registries (nil: go-containerregistry's default,
	// which honours HTTPS_PROXY and the system's CA certificates).
	Transport http.RoundTripper
	// Timeout bounds one look (0: DefaultTimeout).
	Timeout time.Duration
	// MaxTags bounds the tags a look lists (0: DefaultMaxTags).
	MaxTags int
	Logger  *slog.Logger
}

var _ trigger.Poller = (*Poller)(nil)

// Poll looks at the trigger's repository once.
func (p *Poller) Poll(ctx context.Context, ref trigger.Ref, cursor []byte) ([]trigger.Firing, []byte, error) {
	spec := ref.Spec.Registry
	if spec == nil {
		return nil, cursor, fmt.Errorf("trigger %s is not a registry trigger", ref.Key())
	}
	f, err := NewFilter(*spec)
	if err != nil {
		return nil, cursor, fmt.Errorf("trigger %s: %w", ref.Key(), err)
	}
	prev := p.decodeCursor(ref, cursor)
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()

	repo, puller, err := p.connect(ctx, *spec)
	if err != nil {
		return nil, cursor, fmt.Errorf("trigger %s: %w", ref.Key(), err)
	}
	tags, err := p.list(ctx, puller, repo)
	if err != nil {
		return nil, cursor, fmt.Errorf("trigger %s: %w", ref.Key(), explain(spec.Repository, "list the tags of", err))
	}
	sorted := f.Sort(tags)
	digests := make(map[string]string, Window+1)
	resolve := func(tag string) (gone bool, err error) {
		d, err := head(ctx, puller, repo, tag)
		if isNotFound(err) { // deleted since the list: as if never listed
			sorted = slices.DeleteFunc(sorted, func(t string) bool { return t == tag })
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("trigger %s: %w", ref.Key(), explain(spec.Repository+":"+tag, "resolve the digest of", err))
		}
		digests[tag] = d
		return false, nil
	}
	for _, tag := range slices.Clone(Newest(sorted, Window)) {
		if _, err := resolve(tag); err != nil {
			return nil, cursor, err
		}
	}
	fire := Decide(f, prev, sorted, digests)
	for fire != "" && digests[fire] == "" {
		gone, err := resolve(fire)
		if err != nil {
			return nil, cursor, err
		}
		if gone {
			fire = Decide(f, prev, sorted, digests)
		}
	}
	next, err := json.Marshal(Next(prev, sorted, digests, MaxTracked))
	if err != nil {
		return nil, cursor, err
	}
	if fire == "" {
		return nil, next, nil
	}
	return []trigger.Firing{firing(ref, fire, digests[fire])}, next, nil
}

// firing is what a new tag starts.
func firing(ref trigger.Ref, tag, digest string) trigger.Firing {
	input := map[string]any{"repository": ref.Spec.Registry.Repository, "tag": tag, "digest": digest}
	payload, _ := json.Marshal(input)
	return trigger.Firing{
		Ref:        ref,
		DeliveryID: tag + "@" + digest,
		Input:      input,
		Params:     trigger.SourceDefaults("registry", input),
		Record:     model.Trigger{Kind: "registry", Digest: digest, Payload: payload},
	}
}

// decodeCursor reads the cursor; one it cannot read counts as a first look
// (which fires nothing), never as a reason to fire every tag.
func (p *Poller) decodeCursor(ref trigger.Ref, cursor []byte) *Cursor {
	if cursor == nil {
		return nil
	}
	var c Cursor
	if err := json.Unmarshal(cursor, &c); err != nil || c.Tags == nil {
		p.logger().Warn("registry trigger: unreadable cursor, looking as for the first time", "trigger", ref.Key(), "error", err)
		return nil
	}
	return &c
}

// connect parses the repository name and logs in (anonymously when the
// trigger has no username and password).
func (p *Poller) connect(ctx context.Context, spec model.RegistryTrigger) (name.Repository, *remote.Puller, error) {
	var opts []name.Option
	if spec.Insecure {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(spec.Repository, opts...)
	if err != nil {
		return repo, nil, fmt.Errorf("repository %q is not an image repository name (e.g. ghcr.io/acme/cart): %w", spec.Repository, err)
	}
	auth, err := p.auth(ctx, spec)
	if err != nil {
		return repo, nil, err
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(auth),
		remote.WithUserAgent("gennaker"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}),
	}
	rt := p.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	// A tag list page or a manifest head is small; a registry answering
	// more is refused rather than read into memory.
	ropts = append(ropts, remote.WithTransport(&httplimit.Transport{Next: rt, Max: maxResponse}))
	puller, err := remote.NewPuller(ropts...)
	return repo, puller, err
}

// maxResponse bounds one registry response (a page of the tag list, a
// manifest): a page of 1,000 tags is tens of kilobytes.
const maxResponse = 16 << 20

func (p *Poller) auth(ctx context.Context, spec model.RegistryTrigger) (authn.Authenticator, error) {
	user, pass, ok, err := trigger.Credentials(ctx, p.Secrets, spec.Username, spec.Password, "registry "+spec.Repository)
	if err != nil || !ok {
		return authn.Anonymous, err
	}
	return &authn.Basic{Username: user, Password: pass}, nil
}

// list reads every page of the repository's tags, up to MaxTags.
func (p *Poller) list(ctx context.Context, puller *remote.Puller, repo name.Repository) ([]string, error) {
	lister, err := puller.Lister(ctx, repo)
	if err != nil {
		return nil, err
	}
	max := p.MaxTags
	if max <= 0 {
		max = DefaultMaxTags
	}
	var tags []string
	for lister.HasNext() {
		page, err := lister.Next(ctx)
		if err != nil {
			return nil, err
		}
		tags = append(tags, page.Tags...)
		if len(tags) > max {
			return nil, fmt.Errorf("the repository has more than %d tags: delete old tags, or watch a repository with fewer", max)
		}
	}
	return tags, nil
}

// head resolves a tag's digest (of the manifest or index the tag names).
func head(ctx context.Context, puller *remote.Puller, repo name.Repository, tag string) (string, error) {
	desc, err := puller.Head(ctx, repo.Tag(tag))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

func (p *Poller) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// Package gitpoll is the trigger source that watches a branch of a git
// repository (trigger.Poller for `git:` triggers).
//
// A look asks the server for its refs over smart HTTP (what `git
// ls-remote` does: nothing is cloned). When the branch's head differs from
// the one the cursor remembers, it fetches that one commit alone (depth 1,
// without trees or files where the server allows partial clone), reads its
// author, committer time and message from the start of the pack stream,
// and fires with the commit's SHA as delivery ID. Any change of the head
// fires, a force-push back to an older commit too: the branch now holds
// other code.
package gitpoll

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/httplimit"
)

// Defaults of a Poller's zero fields.
const (
	DefaultBranch           = "main"
	DefaultTimeout          = time.Minute
	DefaultMaxResponseBytes = 32 << 20
	// maxMessage bounds the commit message a firing carries.
	maxMessage = 16 << 10
)

// Poller looks at git triggers. The zero value works.
type Poller struct {
	// Secrets resolves the username and password references.
	Secrets *secret.Resolver
	// Transport talks to git servers (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Timeout bounds one look (0: DefaultTimeout).
	Timeout time.Duration
	// MaxResponseBytes bounds each response read from the server, the ref
	// list and the pack (0: DefaultMaxResponseBytes). The pack is read
	// only up to the commit, which comes first.
	MaxResponseBytes int64
	Logger           *slog.Logger
}

var _ trigger.Poller = (*Poller)(nil)

// Cursor is a git trigger's position: the branch head it last saw.
type Cursor struct {
	Commit string `json:"commit"`
}

// Poll looks at the trigger's branch once.
func (p *Poller) Poll(ctx context.Context, ref trigger.Ref, cursor []byte) ([]trigger.Firing, []byte, error) {
	spec := ref.Spec.Git
	if spec == nil {
		return nil, cursor, fmt.Errorf("trigger %s is not a git trigger", ref.Key())
	}
	branch := spec.Branch
	if branch == "" {
		branch = DefaultBranch
	}
	where := fmt.Sprintf("%s (branch %s)", secret.Redact(spec.Repository), branch)
	fail := func(err error) ([]trigger.Firing, []byte, error) {
		return nil, cursor, fmt.Errorf("trigger %s: %w", ref.Key(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()

	sess, err := p.session(ctx, *spec)
	if err != nil {
		return fail(err)
	}
	defer sess.Close()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return fail(explain(where, "list the branches of", err))
	}
	head, ok := adv.References[plumbing.NewBranchReferenceName(branch).String()]
	if !ok {
		return fail(fmt.Errorf("%s has no branch %s (it has %s): check the trigger's branch", secret.Redact(spec.Repository), branch, branchList(adv.References)))
	}
	sha := head.String()
	next, _ := json.Marshal(Cursor{Commit: sha})
	prev := p.decodeCursor(ref, cursor)
	if prev == nil || prev.Commit == sha {
		return nil, next, nil // first look records; same head fires nothing
	}
	commit, err := fetchCommit(ctx, sess, adv, head)
	if err != nil {
		return fail(explain(where, fmt.Sprintf("fetch commit %s of", sha), err))
	}
	return []trigger.Firing{firing(ref, branch, commit)}, next, nil
}

// firing is what a new head starts.
func firing(ref trigger.Ref, branch string, c *object.Commit) trigger.Firing {
	sha := c.Hash.String()
	when := c.Committer.When.UTC()
	msg := c.Message
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	input := map[string]any{
		"repository": secret.Redact(ref.Spec.Git.Repository),
		"branch":     branch,
		"commit":     sha,
		"commitTime": when.Format(time.RFC3339),
		"author":     c.Author.Name + " <" + c.Author.Email + ">",
		"message":    msg,
	}
	payload, _ := json.Marshal(input)
	return trigger.Firing{
		Ref:        ref,
		DeliveryID: sha,
		Input:      input,
		Params:     trigger.SourceDefaults("git", input),
		Record:     model.Trigger{Kind: "git", CommitSHA: sha, CommitTime: &when, Payload: payload},
	}
}

// session opens an upload-pack session (the protocol `git fetch` speaks)
// with the trigger's login.
func (p *Poller) session(ctx context.Context, spec model.GitTrigger) (transport.UploadPackSession, error) {
	ep, err := transport.NewEndpoint(spec.Repository)
	if err != nil || (ep.Protocol != "https" && ep.Protocol != "http") {
		return nil, fmt.Errorf("repository %q is not an https:// or http:// clone URL (e.g. https://github.com/acme/cart.git)", secret.Redact(spec.Repository))
	}
	auth, err := p.auth(ctx, spec)
	if err != nil {
		return nil, err
	}
	rt := p.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client := githttp.NewClient(&http.Client{Transport: &httplimit.Transport{Next: rt, Max: p.maxResponse()}})
	return client.NewUploadPackSession(ep, auth)
}

func (p *Poller) auth(ctx context.Context, spec model.GitTrigger) (transport.AuthMethod, error) {
	user, pass, ok, err := trigger.Credentials(ctx, p.Secrets, spec.Username, spec.Password, "git "+secret.Redact(spec.Repository))
	if err != nil || !ok {
		return nil, err
	}
	if user == "" {
		// GitHub and GitLab take a token as the password of any user name.
		user = "gennaker"
	}
	return &githttp.BasicAuth{Username: user, Password: pass}, nil
}

// decodeCursor reads the cursor; one it cannot read counts as a first look
// (which fires nothing).
func (p *Poller) decodeCursor(ref trigger.Ref, cursor []byte) *Cursor {
	if cursor == nil {
		return nil
	}
	var c Cursor
	if err := json.Unmarshal(cursor, &c); err != nil || c.Commit == "" {
		p.logger().Warn("git trigger: unreadable cursor, looking as for the first time", "trigger", ref.Key(), "error", err)
		return nil
	}
	return &c
}

// branchList names up to 10 branches of the advertised refs.
func branchList(refs map[string]plumbing.Hash) string {
	var names []string
	for name := range refs {
		if b, ok := strings.CutPrefix(name, "refs/heads/"); ok {
			names = append(names, b)
		}
	}
	if len(names) == 0 {
		return "no branches"
	}
	slices.Sort(names)
	if len(names) > 10 {
		return "branches " + strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return "branches " + strings.Join(names, ", ")
}

func (p *Poller) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p *Poller) maxResponse() int64 {
	if p.MaxResponseBytes > 0 {
		return p.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

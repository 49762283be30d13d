package triggertest

import (
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GitServerOptions configure StartGitServer.
type GitServerOptions struct {
	// Username and Password, when set, are required by every request
	// (HTTP basic auth, as a private repository asks).
	Username, Password string
	// NoFilter turns off partial clone (uploadpack.allowFilter) in the
	// repositories, as some servers have it.
	NoFilter bool
}

// GitServer serves the bare git repositories under Root over smart HTTP
// with `git http-backend` (run as CGI by net/http/cgi) on 127.0.0.1.
type GitServer struct {
	// URL is http://HOST:PORT; a repository NAME is at URL + "/NAME.git".
	URL  string
	Root string
	opts GitServerOptions
}

// GitRepo is one bare repository on a GitServer and a working clone the
// test commits in.
type GitRepo struct {
	// URL is the clone URL.
	URL    string
	Bare   string
	Work   string
	Branch string
	home   string
}

// GitPath is the git binary, or a test failure saying how to install it.
func GitPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("the git tests need the git CLI and git http-backend: install the Debian package git (apt-get install git; scripts/test-deps.sh does): %v", err)
	}
	return p
}

// StartGitServer starts a git smart-HTTP server for the test.
func StartGitServer(t testing.TB, opts GitServerOptions) *GitServer {
	t.Helper()
	git := GitPath(t)
	out, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("git http-backend is missing (%v): install the Debian package git (scripts/test-deps.sh)", err)
	}
	root := t.TempDir()
	var h http.Handler = &cgi.Handler{
		Path:   backend,
		Root:   "/",
		Stderr: io.Discard, // "Not a git repository" for a missing one
		// "copy error: broken pipe" when a client stops reading a pack
		Logger: log.New(io.Discard, "", 0),
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + root,
		},
	}
	if opts.Username != "" || opts.Password != "" {
		h = basicAuth(h, opts.Username, opts.Password)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &GitServer{URL: srv.URL, Root: root, opts: opts}
}

// NewRepo creates the bare repository NAME.git with an empty working clone
// on branch (nothing is pushed until the first Commit).
func (s *GitServer) NewRepo(t testing.TB, name, branch string) *GitRepo {
	t.Helper()
	home := t.TempDir()
	r := &GitRepo{
		URL:    s.URL + "/" + name + ".git",
		Bare:   filepath.Join(s.Root, name+".git"),
		Work:   filepath.Join(t.TempDir(), name),
		Branch: branch,
		home:   home,
	}
	r.git(t, "", "init", "--quiet", "--bare", "--initial-branch="+branch, r.Bare)
	if !s.opts.NoFilter {
		r.git(t, r.Bare, "config", "uploadpack.allowFilter", "true")
	}
	r.git(t, "", "init", "--quiet", "--initial-branch="+branch, r.Work)
	r.git(t, r.Work, "remote", "add", "origin", r.Bare)
	return r
}

// Commit is one commit a test makes.
type Commit struct {
	Message string
	// AuthorName and AuthorEmail (default "Test Author" <author@example.com>).
	AuthorName, AuthorEmail string
	// Time is the author and committer time (default now).
	Time time.Time
	// Files are written (path relative to the work tree -> content)
	// before committing.
	Files map[string]string
}

// Commit commits c on the branch, pushes it to the served repository and
// returns the commit's SHA.
func (r *GitRepo) Commit(t testing.TB, c Commit) string {
	t.Helper()
	if c.AuthorName == "" {
		c.AuthorName, c.AuthorEmail = "Test Author", "author@example.com"
	}
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	for p, content := range c.Files {
		full := filepath.Join(r.Work, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	date := c.Time.Format(time.RFC3339)
	r.gitEnv(t, r.Work, []string{
		"GIT_AUTHOR_NAME=" + c.AuthorName, "GIT_AUTHOR_EMAIL=" + c.AuthorEmail, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + c.AuthorName, "GIT_COMMITTER_EMAIL=" + c.AuthorEmail, "GIT_COMMITTER_DATE=" + date,
	}, "add", "--all")
	r.gitEnv(t, r.Work, []string{
		"GIT_AUTHOR_NAME=" + c.AuthorName, "GIT_AUTHOR_EMAIL=" + c.AuthorEmail, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + c.AuthorName, "GIT_COMMITTER_EMAIL=" + c.AuthorEmail, "GIT_COMMITTER_DATE=" + date,
	}, "commit", "--quiet", "--allow-empty", "-m", c.Message)
	r.git(t, r.Work, "push", "--quiet", "origin", r.Branch)
	return r.Head(t)
}

// Head is the SHA of the working clone's HEAD.
func (r *GitRepo) Head(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(r.git(t, r.Work, "rev-parse", "HEAD"))
}

// ForcePush moves the branch back (or anywhere) to sha and force-pushes it.
func (r *GitRepo) ForcePush(t testing.TB, sha string) {
	t.Helper()
	r.git(t, r.Work, "reset", "--quiet", "--hard", sha)
	r.git(t, r.Work, "push", "--quiet", "--force", "origin", r.Branch)
}

func (r *GitRepo) git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return r.gitEnv(t, dir, nil, args...)
}

func (r *GitRepo) gitEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(GitPath(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+r.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

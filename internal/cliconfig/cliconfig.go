// Package cliconfig reads and writes the CLI's credentials file, a small
// kubeconfig-like YAML document with one context per server:
//
//	# gennaker CLI credentials: keep this file private (mode 0600).
//	current-context: 127.0.0.1:7070
//	contexts:
//	  - name: 127.0.0.1:7070
//	    server: http://127.0.0.1:7070
//	    token: gnk_...
//	    certificate-authority: /etc/gennaker/tls.crt   # for https with a private CA
//
// The server writes a context for the user who starts it; `gennaker login`
// adds others. The file lives at $GENNAKER_CONFIG, or
// $XDG_CONFIG_HOME/gennaker/config.yaml (~/.config/gennaker/config.yaml).
package cliconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

// Context is one server and the credential to use with it.
type Context struct {
	Name   string `yaml:"name"`
	Server string `yaml:"server"`
	Token  string `yaml:"token,omitempty"`
	// CA is a PEM file of the certificate authority of the server's TLS
	// certificate, when it is not one the system trusts.
	CA string `yaml:"certificate-authority,omitempty"`
}

// File is the whole credentials file.
type File struct {
	CurrentContext string    `yaml:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts"`
}

// Path returns where the credentials file is: $GENNAKER_CONFIG, else the
// user's config directory.
func Path() (string, error) {
	if p := os.Getenv("GENNAKER_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the CLI's config file: %w: set GENNAKER_CONFIG to a file path", err)
	}
	return filepath.Join(dir, "gennaker", "config.yaml"), nil
}

// Load reads the file at path; a missing file is an empty File.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var f File
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a gennaker CLI config: %w: fix it, or move it away and log in again", path, err)
	}
	return &f, nil
}

// Find returns the context named name.
func (f *File) Find(name string) (*Context, bool) {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			return &f.Contexts[i], true
		}
	}
	return nil, false
}

// ForServer returns the context whose server is server (compared as URLs).
func (f *File) ForServer(server string) (*Context, bool) {
	want := Normalize(server)
	for i := range f.Contexts {
		if Normalize(f.Contexts[i].Server) == want {
			return &f.Contexts[i], true
		}
	}
	return nil, false
}

// DefaultServer is the server the CLI talks to when nothing names one.
const DefaultServer = "http://127.0.0.1:7070"

// Pick chooses the server a command talks to and the context whose
// credential it uses. name is the context the user named ("" for none),
// server the server they named ("" for none). Without a server named, it
// is the named context's, else the current context's, else DefaultServer.
// The context is the named one when it is for that server, else the first
// for that server; nil when there is none.
func (f *File) Pick(name, server string) (*Context, string, error) {
	var ctx *Context
	if name != "" {
		c, ok := f.Find(name)
		if !ok {
			return nil, "", fmt.Errorf("no context named %q: list them with `gennaker context`", name)
		}
		ctx = c
	}
	if server == "" {
		if ctx == nil {
			ctx, _ = f.Current()
		}
		server = DefaultServer
		if ctx != nil {
			server = ctx.Server
		}
	}
	if ctx == nil || Normalize(ctx.Server) != Normalize(server) {
		ctx, _ = f.ForServer(server)
	}
	return ctx, server, nil
}

// Current returns the current context, if one is set and exists.
func (f *File) Current() (*Context, bool) {
	if f.CurrentContext == "" {
		return nil, false
	}
	return f.Find(f.CurrentContext)
}

// Set adds or replaces the context of the same name; the first context
// becomes the current one.
func (f *File) Set(c Context) {
	if old, ok := f.Find(c.Name); ok {
		*old = c
	} else {
		f.Contexts = append(f.Contexts, c)
	}
	if f.CurrentContext == "" {
		f.CurrentContext = c.Name
	}
}

// Remove deletes a context; false when there was none.
func (f *File) Remove(name string) bool {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			f.Contexts = append(f.Contexts[:i], f.Contexts[i+1:]...)
			if f.CurrentContext == name {
				f.CurrentContext = ""
			}
			return true
		}
	}
	return false
}

// Normalize makes a server address comparable: scheme (http when
// missing), lower-case host, no trailing slash.
func Normalize(server string) string {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil {
		return strings.TrimRight(server, "/")
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String()
}

// ContextName is the default context name of a server: its host:port.
func ContextName(server string) string {
	u, err := url.Parse(Normalize(server))
	if err != nil || u.Host == "" {
		return server
	}
	return u.Host
}

// Update loads the file at path, lets fn change it and writes it back, with
// the file locked against other writers (a server and a login at once) and
// replaced atomically, mode 0600 in a 0700 directory.
func Update(path string, fn func(f *File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	// A directory made by something else may be wider: it holds tokens.
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o077 != 0 && filepath.Base(dir) == "gennaker" {
		_ = os.Chmod(dir, 0o700)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	f, err := Load(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	b = append([]byte("# gennaker CLI credentials: keep this file private (mode 0600).\n"), b...)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

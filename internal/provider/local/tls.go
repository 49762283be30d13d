package local

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// TLSFiles are the PEM files of a front door's certificate (with its
// chain) and private key, on the machine that runs gennaker. With them the
// front door serves HTTPS only: HTTP/2 or HTTP/1.1 as the client offers
// (ALPN).
type TLSFiles struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

func (f *TLSFiles) validate(app, env string) error {
	if f == nil {
		return nil
	}
	for _, p := range []struct{ field, path string }{{"certFile", f.CertFile}, {"keyFile", f.KeyFile}} {
		if !filepath.IsAbs(p.path) {
			return fmt.Errorf("front door %s/%s: TLS %s %q is not an absolute path: give the PEM file's full path on the gennaker machine", app, env, p.field, p.path)
		}
	}
	return nil
}

func sameTLS(a, b *TLSFiles) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// certCheckEvery is how often a handshake looks whether the files changed
// (a variable for tests).
var certCheckEvery = 5 * time.Second

// certLoader hands out the files' certificate, read again when either file
// changes: a renewed certificate takes effect on the next handshake, within
// certCheckEvery. A change that does not load (a half-written file, a key
// that does not match) keeps the last good certificate, and is logged.
type certLoader struct {
	files TLSFiles
	log   *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	mod     [2]time.Time // of the files read
	checked time.Time
}

// newCertLoader reads the files now: a front door does not start without a
// certificate that loads.
func newCertLoader(files TLSFiles, log *slog.Logger) (*certLoader, error) {
	l := &certLoader{files: files, log: log}
	if err := l.loadLocked(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *certLoader) loadLocked() error {
	var mod [2]time.Time
	for i, p := range []string{l.files.CertFile, l.files.KeyFile} {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("TLS: %w: check frontDoorTLS in the environment", err)
		}
		mod[i] = st.ModTime()
	}
	cert, err := tls.LoadX509KeyPair(l.files.CertFile, l.files.KeyFile)
	if err != nil {
		return fmt.Errorf("TLS: certificate %s with key %s: %w: give a PEM certificate and its matching private key", l.files.CertFile, l.files.KeyFile, err)
	}
	l.cert, l.mod, l.checked = &cert, mod, time.Now()
	return nil
}

func (l *certLoader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.checked) < certCheckEvery {
		return l.cert, nil
	}
	l.checked = time.Now()
	for i, p := range []string{l.files.CertFile, l.files.KeyFile} {
		if st, err := os.Stat(p); err != nil || !st.ModTime().Equal(l.mod[i]) {
			if err := l.loadLocked(); err != nil {
				l.log.Warn("the front door's certificate changed but does not load; serving the last good one", "err", err)
			}
			break
		}
	}
	return l.cert, nil
}

// tlsConfig is the front door's: HTTP/2 first, HTTP/1.1 for clients
// without it, TLS 1.2 at least.
func (l *certLoader) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: l.get, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
}

// tlsTrackedConn is a TLS connection as fasthttp's server sees it: a
// tls.Conn to RequestCtx.IsTLS (X-Forwarded-Proto: https).
type tlsTrackedConn struct{ *trackedConn }

func (c tlsTrackedConn) Handshake() error                     { return c.tls.Handshake() }
func (c tlsTrackedConn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// addrOnlyTLS is addrOnly for a stream of an HTTP/2 connection over TLS.
type addrOnlyTLS struct {
	addrOnly
	state tls.ConnectionState
}

func (a addrOnlyTLS) Handshake() error                     { return nil }
func (a addrOnlyTLS) ConnectionState() tls.ConnectionState { return a.state }

package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"
)

// HTTP server timeouts. Streams (SSE) extend their own write deadline.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// transport is how the API is served: plain HTTP or TLS, and under which names.
type transport struct {
	opts   Options
	public *url.URL
	cert   *tls.Certificate
}

func newTransport(opts Options) (*transport, error) {
	t := &transport{opts: opts}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return nil, fmt.Errorf("give both --tls-cert and --tls-key, or neither")
	}
	if opts.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", opts.TLSCert, opts.TLSKey, err)
		}
		t.cert = &c
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--public-url %q: give the URL people open, such as https://gennaker.example.com", opts.PublicURL)
		}
		t.public = u
	}
	return t, nil
}

func (t *transport) scheme() string {
	if t.cert != nil {
		return "https"
	}
	return "http"
}

// secureCookies: browsers reach the server over HTTPS (directly, or
// through a TLS proxy named by --public-url).
func (t *transport) secureCookies() bool {
	return t.cert != nil || (t.public != nil && t.public.Scheme == "https")
}

func (t *transport) allowedHosts() []string {
	hosts := append([]string(nil), t.opts.AllowedHosts...)
	if t.public != nil {
		hosts = append(hosts, t.public.Hostname())
	}
	return hosts
}

// localURL is the URL of the server from this machine: the listen address,
// with a wildcard host replaced by loopback.
func (t *transport) localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return t.scheme() + "://" + net.JoinHostPort(host, port)
}

// warnExposed warns when the API listens beyond loopback without TLS:
// tokens and session cookies then cross the network in clear text.
func (t *transport) warnExposed(log *slog.Logger, addr net.Addr) {
	if t.cert != nil {
		return
	}
	host, _, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return
	}
	behindTLS := t.public != nil && t.public.Scheme == "https"
	msg := "the API listens on " + addr.String() + " without TLS: API tokens and session cookies cross the network in clear text, so anyone who can watch the traffic can act as your users; give --tls-cert and --tls-key"
	if behindTLS {
		msg = "the API listens on " + addr.String() + " without TLS behind " + t.public.String() + ": make sure only the TLS proxy can reach this address"
	} else {
		msg += ", or serve it on 127.0.0.1 behind a TLS proxy and pass --public-url https://..."
	}
	log.Warn(msg)
}

func (t *transport) httpServer(h http.Handler) *http.Server {
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: 64 << 10,
	}
	if t.cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*t.cert}, MinVersion: tls.VersionTLS12}
	}
	return srv
}

func (t *transport) serve(srv *http.Server, ln net.Listener) error {
	if t.cert != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

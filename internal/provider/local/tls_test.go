package local

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 named cn, and its
// key, to files (the ones given, or new ones in a temporary directory),
// and returns them with a pool that trusts the certificate.
func writeCert(t *testing.T, cn string, files *TLSFiles) (TLSFiles, *x509.CertPool) {
	t.Helper()
	if files == nil {
		dir := t.TempDir()
		files = &TLSFiles{CertFile: filepath.Join(dir, "door.crt"), KeyFile: filepath.Join(dir, "door.key")}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return *files, pool
}

func tlsClient(pool *x509.CertPool, h2 bool) *http.Client {
	tr := &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1 only
	}
	return &http.Client{Transport: tr}
}

func TestFrontDoorServesTLS(t *testing.T) {
	t.Parallel()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Forwarded-Proto"))
	}))
	defer inst.Close()
	set := newDoorSet("test", slog.New(slog.DiscardHandler))
	defer set.close(time.Second)
	set.setEndpoints(doorBackends{"checkout-v001": {strings.TrimPrefix(inst.URL, "http://")}})
	routes := []Route{{ServerGroup: "checkout-v001", Weight: 100}}
	files, pool := writeCert(t, "first", nil)
	addr, err := set.setRoutes("checkout", "127.0.0.1:0", routes, false, &files)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + addr + "/"
	for _, tc := range []struct {
		h2    bool
		proto int
	}{{true, 2}, {false, 1}} {
		resp, err := tlsClient(pool, tc.h2).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ProtoMajor != tc.proto || string(body) != "https" {
			t.Fatalf("got %s %d, instance saw X-Forwarded-Proto %q; want HTTP/%d 200 and https", resp.Proto, resp.StatusCode, body, tc.proto)
		}
	}
	if resp, err := httpClient().Get("http://" + addr + "/"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP was served on a TLS front door")
	}

	// Files that do not load are refused, naming them; the door keeps its certificate.
	bad := TLSFiles{CertFile: filepath.Join(t.TempDir(), "missing.crt"), KeyFile: files.KeyFile}
	if _, err := set.setRoutes("checkout", addr, routes, false, &bad); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("missing certificate: %v, want an error naming it", err)
	}
	if _, err := set.setRoutes("checkout", addr, routes, false, &TLSFiles{CertFile: "door.crt", KeyFile: "door.key"}); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("relative paths: %v, want an error asking for absolute ones", err)
	}
	if code, _ := get(t, tlsClient(pool, true), url, nil); code != 200 {
		t.Fatalf("after refused files the door answers %d", code)
	}
	// The files it serves, caught mid-renewal: a route change still goes
	// through, and the last good certificate is served.
	if err := os.WriteFile(files.CertFile, []byte("-----BEGIN CERT"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := set.setRoutes("checkout", "127.0.0.1:0", []Route{{ServerGroup: "checkout-v001", Weight: 100, Canary: true}}, false, &files); err != nil {
		t.Fatalf("a route change with the same, half-written files: %v", err)
	}
	if code, _ := get(t, tlsClient(pool, false), url, nil); code != 200 {
		t.Fatalf("mid-renewal the door answers %d", code)
	}

	// A successor gets the files with the socket.
	reply, fds, err := set.handover()
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		_ = os.NewFile(uintptr(fd), "listener").Close()
	}
	if got := tlsOf(reply.TLS, "checkout"); got == nil || *got != files {
		t.Fatalf("handover gave TLS %v, want %v", got, files)
	}
}

// A renewed certificate written over the files is served from the next
// handshake on, without a restart.
func TestFrontDoorTLSPicksUpARenewedCertificate(t *testing.T) {
	old := certCheckEvery
	certCheckEvery = 50 * time.Millisecond
	defer func() { certCheckEvery = old }()
	inst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer inst.Close()
	set := newDoorSet("test", slog.New(slog.DiscardHandler))
	defer set.close(time.Second)
	set.setEndpoints(doorBackends{"checkout-v001": {strings.TrimPrefix(inst.URL, "http://")}})
	files, pool := writeCert(t, "first", nil)
	addr, err := set.setRoutes("checkout", "127.0.0.1:0", []Route{{ServerGroup: "checkout-v001", Weight: 100}}, false, &files)
	if err != nil {
		t.Fatal(err)
	}
	served := func(roots *x509.CertPool) string {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots})
		if err != nil {
			return "error: " + err.Error()
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := served(pool); got != "first" {
		t.Fatalf("served %q", got)
	}
	_, pool2 := writeCert(t, "renewed", &files)
	later := time.Now().Add(2 * time.Second) // a new modification time, however coarse the file system's clock
	for _, p := range []string{files.CertFile, files.KeyFile} {
		if err := os.Chtimes(p, later, later); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for served(pool2) != "renewed" {
		if time.Now().After(deadline) {
			t.Fatalf("still serving %q after the files were renewed", served(pool))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Through the provider: the front-door process gets the files over its
// control channel and serves HTTPS; files that do not load fail SetRoutes
// with their name, and the door serves on.
func TestProviderFrontDoorOverTLS(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, "")
	g := sampleSpec(t, "checkout-v010", "v10", 1, nil)
	ensureHealthy(t, p, g)
	files, pool := writeCert(t, "checkout", nil)
	fd := FrontDoor{Application: "checkout", Environment: "test", Address: "127.0.0.1:0", TLS: &files,
		Routes: []Route{{ServerGroup: g.Name, Weight: 100}}}
	if err := p.SetRoutes(t.Context(), fd); err != nil {
		t.Fatal(err)
	}
	url := "https://" + p.FrontDoorAddress("checkout", "test") + "/"
	for _, h2 := range []bool{true, false} {
		resp, err := tlsClient(pool, h2).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "version=v10") {
			t.Fatalf("%s: %d %q", resp.Proto, resp.StatusCode, body)
		}
	}
	fd.TLS = &TLSFiles{CertFile: files.CertFile, KeyFile: filepath.Join(t.TempDir(), "gone.key")}
	if err := p.SetRoutes(t.Context(), fd); err == nil || !strings.Contains(err.Error(), "gone.key") {
		t.Fatalf("SetRoutes with a missing key: %v, want an error naming it", err)
	}
	if code, _ := get(t, tlsClient(pool, true), url, nil); code != 200 {
		t.Fatalf("after a refused key the front door answers %d", code)
	}
}

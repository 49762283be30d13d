package server

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
)

func TestWarnExposed(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	tests := []struct {
		name string
		opts Options
		addr string
		want string // "" for no warning
	}{
		{"loopback needs no warning", Options{}, "127.0.0.1:7070", ""},
		{"IPv6 loopback", Options{}, "[::1]:7070", ""},
		{"every interface without TLS", Options{}, "0.0.0.0:7070", "without TLS: API tokens and session cookies cross the network in clear text"},
		{"behind a TLS proxy", Options{PublicURL: "https://g.example.com"}, "10.0.0.5:7070", "make sure only the TLS proxy can reach this address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := newTransport(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			tr.warnExposed(slog.New(slog.NewTextHandler(&buf, nil)), tcp(tt.addr))
			if got := buf.String(); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("logged %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLocalURLAndCookies(t *testing.T) {
	tr, _ := newTransport(Options{PublicURL: "https://g.example.com"})
	if got := tr.localURL(&net.TCPAddr{IP: net.IPv4zero, Port: 7070}); got != "http://127.0.0.1:7070" {
		t.Errorf("localURL of 0.0.0.0:7070 = %s", got)
	}
	if !tr.secureCookies() || tr.allowedHosts()[0] != "g.example.com" {
		t.Errorf("an https public URL makes cookies Secure and allows its host: %v %v", tr.secureCookies(), tr.allowedHosts())
	}
	if _, err := newTransport(Options{TLSCert: "x"}); err == nil {
		t.Error("a certificate without a key is refused")
	}
	if _, err := newTransport(Options{PublicURL: "gennaker.example.com"}); err == nil {
		t.Error("a public URL without a scheme is refused")
	}
}

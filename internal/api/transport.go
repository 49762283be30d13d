package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
)

// Request body limits. Config sets are large (manifests inline); every
// other body is a handful of fields.
const (
	maxConfigBody = 8 << 20
	maxActionBody = 64 << 10
)

var (
	errBadInput       = errors.New("bad input")
	errNotImplemented = errors.New("not available on this server")
	// errTargetFailed: a notification target did not take a message.
	errTargetFailed = errors.New("target failed")
	errTooLarge     = errors.New("request body too large")
	errMediaType    = errors.New("unsupported media type")
	errMisdirected  = errors.New("host not served")
	errCrossOrigin  = errors.New("cross-origin request refused: gennaker accepts changes only from its own pages and from clients that are not browsers")
)

// hostAllowed reports whether a request's Host names this server: an IP
// address (what probes and clients without DNS send), localhost, or a name
// given with --allowed-host or in --public-url. Any other name is a sign of
// DNS rebinding: a page on attacker.example whose name now resolves to
// 127.0.0.1.
func (s *Server) hostAllowed(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	h = strings.ToLower(h)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	return slices.Contains(s.allowedHosts, h)
}

func (s *Server) misdirected(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, fmt.Errorf("%w: this server does not serve the name %q (a page on another site may be trying to reach it through DNS rebinding); if it is this server's real name, start it with --allowed-host %s or --public-url", errMisdirected, r.Host, hostOnly(r.Host)))
}

func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// decodeBody reads a request's JSON body into v, strictly: the body must be
// declared application/json, hold exactly one JSON value (no trailing
// data), no unknown fields, and fit in limit bytes. An empty body is an
// error: send {} to mean nothing.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return fmt.Errorf("%w: the request body must be JSON sent with Content-Type: application/json (got %q)", errMediaType, ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("%w: the request body must be UTF-8 JSON (got charset %q)", errMediaType, cs)
	}
	if r.Body == nil || r.ContentLength == 0 {
		return fmt.Errorf("%w: the request body is empty: send a JSON object ({} when there is nothing to say)", errBadInput)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: the body is over this route's limit of %s: %s", errTooLarge, byteSize(limit), splitHint(limit))
		}
		return fmt.Errorf("%w: request body: %v", errBadInput, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: the body is over this route's limit of %s: %s", errTooLarge, byteSize(limit), splitHint(limit))
		}
		return fmt.Errorf("%w: request body: data after the JSON value: send exactly one JSON object", errBadInput)
	}
	return nil
}

func splitHint(limit int64) string {
	if limit >= maxConfigBody {
		return "apply the config in several parts (gennaker apply -f per directory)"
	}
	return "shorten the comment, reason or parameters"
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

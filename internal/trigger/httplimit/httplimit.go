// Package httplimit bounds what a trigger source reads from a server it
// polls (a registry, a git host): a response body past the limit fails the
// read instead of filling memory.
package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is a response body past the Transport's Max.
var ErrTooLarge = errors.New("response too large")

// Transport fails a response body past Max bytes.
type Transport struct {
	Next http.RoundTripper
	Max  int64
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.Next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &body{rc: resp.Body, left: t.Max}
	return resp, nil
}

type body struct {
	rc   io.ReadCloser
	left int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err != nil {
			return 0, err // the body ended at the limit
		}
		return 0, fmt.Errorf("more than the limit of bytes read: %w", ErrTooLarge)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }

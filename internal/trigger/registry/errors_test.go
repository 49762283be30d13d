package registry

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"forbidden", &transport.Error{StatusCode: http.StatusForbidden}, "pull access"},
		{"rate limited", &transport.Error{StatusCode: http.StatusTooManyRequests}, "lengthen the trigger's interval"},
		{"manifest unknown", &transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}, "not found"},
		{"plain HTTP registry", errors.New(`Get "https://r.example/v2/": http: server gave HTTP response to HTTPS client`), "set insecure: true"},
		{"HTTPS registry asked in HTTP", errors.New(`Get "http://r.example/v2/": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\x15\x03\x01"`), "remove insecure: true"},
		{"other status", &transport.Error{StatusCode: http.StatusBadGateway}, "answered 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain("r.example/acme/cart", "list the tags of", tt.err)
			if !strings.Contains(got.Error(), tt.want) || !strings.Contains(got.Error(), "r.example/acme/cart") || !errors.Is(got, tt.err) {
				t.Errorf("explain = %v, want it to name the repository, say %q and wrap the cause", got, tt.want)
			}
		})
	}
}

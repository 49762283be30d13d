package httplimit_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/trigger/httplimit"
)

type answer string

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(a)))}, nil
}

func TestTransportLimitsTheBody(t *testing.T) {
	read := func(body string, max int64) (string, error) {
		resp, err := (&httplimit.Transport{Next: answer(body), Max: max}).RoundTrip(&http.Request{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := read("12345", 5); err != nil || got != "12345" {
		t.Errorf("a body of exactly the limit: %q, %v", got, err)
	}
	if _, err := read("123456", 5); !errors.Is(err, httplimit.ErrTooLarge) {
		t.Errorf("a body past the limit: err = %v", err)
	}
}

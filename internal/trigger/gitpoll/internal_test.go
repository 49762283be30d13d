package gitpoll

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestBranchList(t *testing.T) {
	refs := map[string]plumbing.Hash{"HEAD": {}, "refs/tags/v1": {}, "refs/heads/main": {}, "refs/heads/dev": {}}
	if got := branchList(refs); got != "branches dev, main" {
		t.Errorf("branchList = %q", got)
	}
	if got := branchList(map[string]plumbing.Hash{"refs/tags/v1": {}}); got != "no branches" {
		t.Errorf("branchList without branches = %q", got)
	}
	many := map[string]plumbing.Hash{}
	for i := range 12 {
		many[fmt.Sprintf("refs/heads/b%02d", i)] = plumbing.Hash{}
	}
	if got := branchList(many); !strings.HasSuffix(got, "b09 and 2 more") {
		t.Errorf("branchList of 12 = %q", got)
	}
}

func TestLimitedBody(t *testing.T) {
	read := func(body string, max int64) (string, error) {
		b, err := io.ReadAll(&limitedBody{rc: io.NopCloser(strings.NewReader(body)), left: max})
		return string(b), err
	}
	if got, err := read("12345", 5); err != nil || got != "12345" {
		t.Errorf("a body of exactly the limit: %q, %v", got, err)
	}
	if _, err := read("123456", 5); !errors.Is(err, errResponseTooLarge) {
		t.Errorf("a body past the limit: err = %v", err)
	}
}

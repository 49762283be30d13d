package gitpoll

import (
	"fmt"
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

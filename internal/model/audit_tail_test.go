package model

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

// A store that computes the hash where it reads the previous one (in SQL)
// gets ChainHash's answer from ChainTail.
func TestChainTailRebuildsChainHash(t *testing.T) {
	for _, detail := range []string{``, `{"b":1, "a":"<x&y>"}`, `[1, 2.50]`, `not json "quoted"`} {
		e := AuditEntry{Time: time.Date(2026, 12, 4, 8, 0, 0, 123456789, time.FixedZone("x", 3600)), Actor: "ada \"the\" admin",
			Source: "api", Action: AuditDeploy, Object: "execution/x", Application: "checkout", Outcome: AuditOK, Detail: []byte(detail)}
		tail, err := e.ChainTail()
		if err != nil {
			t.Fatal(err)
		}
		for _, prev := range []string{"", e.ChainHash("")} {
			sum := sha256.Sum256(append([]byte(chainHead+prev+`"`), tail...))
			if got, want := hex.EncodeToString(sum[:]), e.ChainHash(prev); got != want {
				t.Errorf("detail %q, prev %q: hash from the tail %s, ChainHash %s", detail, prev, got, want)
			}
		}
	}
}

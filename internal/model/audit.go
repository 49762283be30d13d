package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// AuditOutcome says how an audited request ended.
type AuditOutcome string

const (
	// AuditOK: the change or action was made.
	AuditOK AuditOutcome = "ok"
	// AuditRefused: the caller was not allowed (no credential, or no grant).
	AuditRefused AuditOutcome = "refused"
	// AuditFailed: the caller was allowed but the request failed (bad input,
	// a conflict, an error); nothing was changed.
	AuditFailed AuditOutcome = "failed"
)

// AuditAction names what an audit entry records.
type AuditAction string

const (
	AuditConfigApply      AuditAction = "config.apply"      // config objects created or updated; Detail holds the diff
	AuditTokenCreate      AuditAction = "token.create"      // an API token was created
	AuditTokenRevoke      AuditAction = "token.revoke"      // an API token was revoked
	AuditRun              AuditAction = "pipeline.run"      // a pipeline execution was started
	AuditDeploy           AuditAction = "app.deploy"        // a deploy of a version was started
	AuditRollback         AuditAction = "app.rollback"      // a one-click rollback was started
	AuditAdopt            AuditAction = "app.adopt"         // an existing Deployment was adopted
	AuditApprove          AuditAction = "stage.approve"     // a waiting stage was approved (judgment, canary promote)
	AuditReject           AuditAction = "stage.reject"      // a waiting stage was rejected (judgment, canary abort)
	AuditCancel           AuditAction = "execution.cancel"  // an execution was canceled
	AuditPromote          AuditAction = "stage.promote"     // a running canary was promoted at once (its remaining steps skipped)
	AuditAbort            AuditAction = "stage.abort"       // a running canary was aborted: traffic back on the stable version
	AuditRetry            AuditAction = "execution.retry"   // a failed or canceled execution was run again from a stage
	AuditDelete           AuditAction = "config.delete"     // an application, environment or pipeline was deleted, with what it ran
	AuditLogin            AuditAction = "login"             // a browser session was opened
	AuditLogout           AuditAction = "logout"            // a browser session was closed
	AuditLoginLink        AuditAction = "login.link"        // a one-time login link was issued
	AuditNotificationTest AuditAction = "notification.test" // a notification's test message was sent
	AuditTriggerPause     AuditAction = "trigger.pause"     // a pipeline trigger was paused at run time
	AuditTriggerResume    AuditAction = "trigger.resume"    // a paused pipeline trigger was resumed
	AuditIncidentOpen     AuditAction = "incident.open"     // an incident was opened (the incident API, Alertmanager)
	AuditIncidentResolve  AuditAction = "incident.resolve"  // an open incident was resolved
	AuditAccess           AuditAction = "access"            // a request refused before it reached an action
)

// AuditEntry is one record of the tamper-evident audit log. Entries form a
// hash chain: each carries the SHA-256 of the one before it (PrevHash) and
// its own (Hash, over every other field and PrevHash), so editing or
// deleting an entry breaks the chain at that point.
type AuditEntry struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
	// Actor is the authenticated subject, or "anonymous".
	Actor string `json:"actor"`
	// Source is the client's address.
	Source string      `json:"source,omitempty"`
	Action AuditAction `json:"action"`
	// Object names what was acted on: "Application/checkout", "execution/ID", "token/ci".
	Object string `json:"object,omitempty"`
	// Application is the application concerned, for filtering ("" if none).
	Application string       `json:"application,omitempty"`
	Outcome     AuditOutcome `json:"outcome"`
	// Detail is a JSON document: the config diff, the reason of a refusal, a comment.
	Detail   json.RawMessage `json:"detail,omitempty"`
	PrevHash string          `json:"prevHash"`
	Hash     string          `json:"hash"`
}

// AuditTimePrecision is the precision audit times are kept at (PostgreSQL's
// timestamps hold microseconds), so a stored entry hashes as it did when
// appended.
const AuditTimePrecision = time.Microsecond

// ChainHash returns the hash of e chained to prev: the hex SHA-256 of prev
// and a canonical JSON encoding of e's fields (ID and Hash excluded, Time in
// UTC at AuditTimePrecision).
func (e AuditEntry) ChainHash(prev string) string {
	sum := sha256.Sum256(e.canonical(prev))
	return hex.EncodeToString(sum[:])
}

// chainHead is how the canonical JSON of an entry starts: its first field
// is the previous entry's hash.
const chainHead = `{"prev":"`

// ChainTail is e's canonical JSON after the previous hash and its closing
// quote: for a hex prev, e.ChainHash(prev) is the SHA-256 of
// `{"prev":"` + prev + `"` + tail. A store that reads the previous hash
// where it appends (PostgreSQL, in the INSERT) computes the hash from it.
func (e AuditEntry) ChainTail() ([]byte, error) {
	b := e.canonical("")
	if !bytes.HasPrefix(b, []byte(chainHead+`"`)) {
		return nil, fmt.Errorf("audit entry: canonical JSON starts %.20q, not with the previous hash", b)
	}
	return b[len(chainHead)+1:], nil
}

// canonical is e's JSON as hashed after prev.
func (e AuditEntry) canonical(prev string) []byte {
	canon := struct {
		Prev        string          `json:"prev"`
		Time        string          `json:"time"`
		Actor       string          `json:"actor"`
		Source      string          `json:"source"`
		Action      AuditAction     `json:"action"`
		Object      string          `json:"object"`
		Application string          `json:"application"`
		Outcome     AuditOutcome    `json:"outcome"`
		Detail      json.RawMessage `json:"detail,omitempty"`
		// DetailRaw holds a detail that is not exactly one JSON value, as
		// it is, so no byte of a detail escapes the hash.
		DetailRaw string `json:"detailRaw,omitempty"`
	}{Prev: prev, Time: e.Time.UTC().Truncate(AuditTimePrecision).Format("2006-01-02T15:04:05.000000Z"), Actor: e.Actor, Source: e.Source,
		Action: e.Action, Object: e.Object, Application: e.Application, Outcome: e.Outcome}
	if c, ok := compactJSON(e.Detail); ok {
		canon.Detail = c
	} else {
		canon.DetailRaw = string(e.Detail)
	}
	b, _ := json.Marshal(canon)
	return b
}

// compactJSON returns raw as canonical JSON (keys sorted, numbers as
// written), and false when raw is not exactly one JSON value.
func compactJSON(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) == 0 {
		return nil, true
	}
	// Numbers stay as written (UseNumber), so two details that differ only
	// in a large integer never hash alike; keys are sorted by Marshal.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	b, _ := json.Marshal(v)
	return b, true
}

// AuditBreak is the first entry where a chain does not hold, and why.
type AuditBreak struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// VerifyAuditChain checks entries (in append order, starting at the first
// entry ever appended when prev is "") and returns the first break, or nil.
func VerifyAuditChain(prev string, entries []AuditEntry) *AuditBreak {
	for _, e := range entries {
		if e.PrevHash != prev {
			return &AuditBreak{ID: e.ID, Reason: "its prevHash does not match the hash of the entry before it: an entry before it was changed or deleted"}
		}
		if got := e.ChainHash(prev); got != e.Hash {
			return &AuditBreak{ID: e.ID, Reason: "its content does not match its hash: the entry was changed after it was written"}
		}
		prev = e.Hash
	}
	return nil
}

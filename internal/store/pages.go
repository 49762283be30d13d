package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Page sizes every store applies the same way: a Limit of 0 or less is the
// default, and a list that callers outside gennaker page through (the
// audit log) is capped.
const (
	DefaultExecutionPage = 50
	DefaultEventPage     = 100
	DefaultAuditPage     = 100
	MaxAuditPage         = 1000
	// DefaultScanPage bounds the engine's own reads: the outbox and the due
	// scan.
	DefaultScanPage = 1000
)

func pageSize(limit, def, most int) int {
	switch {
	case limit <= 0:
		return def
	case most > 0 && limit > most:
		return most
	}
	return limit
}

// PageSize is the number of executions ExecutionList returns.
func (p ExecutionListParams) PageSize() int { return pageSize(p.Limit, DefaultExecutionPage, 0) }

// BeforeBound is the ID every listed event is below: BeforeID, or the
// largest ID when it is not set (so the query always seeks, never tests
// whether a bound was given).
func (p EventListParams) BeforeBound() int64 {
	if p.BeforeID <= 0 {
		return math.MaxInt64
	}
	return p.BeforeID
}

// PageSize is the number of events EventList returns.
func (p EventListParams) PageSize() int { return pageSize(p.Limit, DefaultEventPage, 0) }

// PageSize is the number of entries AuditList returns.
func (p AuditListParams) PageSize() int { return pageSize(p.Limit, DefaultAuditPage, MaxAuditPage) }

// PageSize is the number of changes ChangeList returns.
func (p ChangeListParams) PageSize() int { return pageSize(p.Limit, DefaultScanPage, 0) }

// PageSize is the number of stages StageDue returns.
func (p StageDueParams) PageSize() int { return pageSize(p.Limit, DefaultScanPage, 0) }

// CompactAuditDetail is the text an audit entry's detail is stored and
// hashed as: the compact form of its JSON, or nil (NULL) when empty.
// Compacting keeps the document (key order, numbers), so the entry hashes
// the same when read back (PostgreSQL keeps it in a json column, not
// jsonb, for that reason).
func CompactAuditDetail(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("detail is not valid JSON: %w (pass a JSON document, or nothing)", err)
	}
	return buf.String(), nil
}

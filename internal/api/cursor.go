package api

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// A cursor names the last execution of a page: its creation time and ID,
// base64url-encoded. Clients pass it back as ?cursor= without reading it.
func encodeCursor(e model.Execution) string {
	return base64.RawURLEncoding.EncodeToString([]byte(e.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + e.ID))
}

// A name cursor names the last object of a page of a list ordered by name
// (applications, pipelines), base64url-encoded like the executions'.
func encodeNameCursor(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("name|" + name))
}

func decodeNameCursor(s string) (string, error) {
	bad := fmt.Errorf("%w: cursor %q is not one this server gave: pass the cursor of the answer's Link header as it is", errBadInput, truncate(s, 40))
	if len(s) > 400 {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", bad
	}
	name, ok := strings.CutPrefix(string(raw), "name|")
	if !ok || name == "" {
		return "", bad
	}
	return name, nil
}

func decodeCursor(s string) (*store.ExecutionCursor, error) {
	bad := fmt.Errorf("%w: cursor %q is not one this server gave: pass the cursor of the answer's Link header as it is", errBadInput, truncate(s, 40))
	if len(s) > 200 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return nil, bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, bad
	}
	return &store.ExecutionCursor{CreatedAt: t, ID: id}, nil
}

// ExecutionCursor is the cursor that pages on after e in the newest-first
// order of executions (the UI's ?after=), as the API's Link headers carry.
func ExecutionCursor(e model.Execution) string { return encodeCursor(e) }

// ParseExecutionCursor reads a cursor ExecutionCursor gave; its error says
// to pass the cursor back as it was given.
func ParseExecutionCursor(s string) (*store.ExecutionCursor, error) { return decodeCursor(s) }

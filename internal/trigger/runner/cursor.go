package runner

import (
	"encoding/json"
	"fmt"
)

// envelope is how the runner stores a poller's cursor: with the SourceID
// it was saved under.
type envelope struct {
	Source string          `json:"source"`
	Cursor json.RawMessage `json:"cursor"`
}

// openCursor returns the poller's cursor stored in raw when it was saved
// for source, else nil (none yet, or saved for what the trigger watched
// before).
func openCursor(raw []byte, source string) []byte {
	if raw == nil {
		return nil
	}
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil || e.Source != source || len(e.Cursor) == 0 {
		return nil
	}
	return e.Cursor
}

// sealCursor wraps a poller's cursor (its own JSON) for storing.
func sealCursor(cursor []byte, source string) ([]byte, error) {
	if !json.Valid(cursor) {
		return nil, fmt.Errorf("the poller's cursor is not JSON (%.40q); this is a bug in the poller, please report it", cursor)
	}
	return json.Marshal(envelope{Source: source, Cursor: cursor})
}

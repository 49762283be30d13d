package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// timeLayout is how times are stored: UTC, fixed width, nanoseconds. Unlike
// time.RFC3339Nano it keeps trailing zeros, so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime stores t as UTC text, truncated to store.TimePrecision like
// PostgreSQL's timestamptz (the layout keeps nine digits: rows written
// before the truncation still parse and sort).
func formatTime(t time.Time) string { return t.UTC().Truncate(store.TimePrecision).Format(timeLayout) }

// formatTimePtr stores an optional time: nil becomes NULL.
func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// parseTime reads a stored time back as UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q is not in the form %s: %w", s, timeLayout, err)
	}
	return t.UTC(), nil
}

// parseTimePtr reads an optional stored time.
func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// mustJSON marshals a value of a model type. The model types always marshal,
// so a failure is a bug (a channel or func in a model type).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlite: marshal %T: %v", v, err))
	}
	return string(b)
}

// jsonArray binds a list of values as one JSON array, for json_each.
func jsonArray[T ~string](values []T) string {
	if values == nil {
		return "[]"
	}
	return mustJSON(values)
}

// rawOrNull stores raw JSON bytes as text; nil becomes NULL.
func rawOrNull(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// nullRaw reads a nullable text column back as raw bytes (nil for NULL).
func nullRaw(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}

// ptrOrNull binds an optional value: nil becomes NULL.
func ptrOrNull[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

package postgres

import (
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as timestamptz, which keeps microseconds: the store's
// precision on every driver (store.TimePrecision). pgx truncates what is
// finer when it sends a time, and reads one back in the local zone, so
// every time read goes through utc or utcPtr.

// utc is t in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is an optional time in UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// mustJSON marshals a value of a model type. The model types always
// marshal, so a failure is a bug (a channel or func in a model type).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("postgres: marshal %T: %v", v, err))
	}
	return string(b)
}

// strs binds a list of string-kinded values as a text[] for = ANY(...).
// A nil list binds as an empty array, never NULL.
func strs[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// rawOrNull binds raw JSON bytes as text; nil becomes NULL.
func rawOrNull(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

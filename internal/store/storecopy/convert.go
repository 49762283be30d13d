package storecopy

import (
	"fmt"
	"time"
)

// cleared are the columns whose values are not copied (the copy holds
// NULL): a stage's worker claim and queued mark belong to the old server's
// River jobs, which are not copied. The stage keeps wake_at, so the new
// server's due scan gives a running or waiting stage a new job.
var cleared = map[string]map[string]bool{
	"stage": {"claimed_by": true, "claim_until": true, "queued_at": true},
}

// converter turns a value as SQLite stores it into one pgx encodes as the
// column's PostgreSQL type. NULL stays NULL.
type converter func(v any) (any, error)

// converterFor is the conversion to a column of PostgreSQL type typ.
func converterFor(typ string) converter {
	switch typ {
	case "timestamptz", "timestamp":
		return toTime
	case "date":
		return toDate
	case "bool":
		return toBool
	case "json", "jsonb":
		// The text as it is: pgx sends a string to json and jsonb as the
		// document's text, so audit.detail (json) keeps its exact bytes.
		return toText
	case "text", "varchar", "bpchar":
		return toText
	case "float4", "float8", "numeric":
		return toFloat
	}
	// Integers and anything else: as SQLite returns it.
	return func(v any) (any, error) { return v, nil }
}

// toTime reads SQLite's time text (2006-01-02T15:04:05.000000000Z, UTC).
// PostgreSQL keeps microseconds, the precision both stores keep
// (store.TimePrecision), so digits past them are dropped.
func toTime(v any) (any, error) {
	s, err := text(v)
	if err != nil || s == nil {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return nil, fmt.Errorf("want a time as 2006-01-02T15:04:05.000000000Z: %w", err)
	}
	return t.UTC(), nil
}

// toDate reads SQLite's day text (2006-01-02).
func toDate(v any) (any, error) {
	s, err := text(v)
	if err != nil || s == nil {
		return nil, err
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil, fmt.Errorf("want a day as 2006-01-02: %w", err)
	}
	return t, nil
}

// toBool reads SQLite's 0/1 flags.
func toBool(v any) (any, error) {
	switch n := v.(type) {
	case nil:
		return nil, nil
	case int64:
		if n == 0 || n == 1 {
			return n == 1, nil
		}
	}
	return nil, fmt.Errorf("want a flag 0 or 1, got %v (%T)", v, v)
}

func toText(v any) (any, error) {
	s, err := text(v)
	if err != nil || s == nil {
		return nil, err
	}
	return *s, nil
}

func toFloat(v any) (any, error) {
	switch n := v.(type) {
	case nil, float64:
		return v, nil
	case int64:
		return float64(n), nil
	}
	return nil, fmt.Errorf("want a number, got %T", v)
}

// text is v as text, nil for NULL.
func text(v any) (*string, error) {
	switch s := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &s, nil
	case []byte:
		str := string(s)
		return &str, nil
	}
	return nil, fmt.Errorf("want text, got %v (%T)", v, v)
}

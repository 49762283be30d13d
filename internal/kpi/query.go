package kpi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query limits.
const (
	// DefaultSince is a report's period when none is given.
	DefaultSince = 90 * 24 * time.Hour
	// MaxPeriod is the longest period a report covers (two years): its
	// previous period doubles what is read.
	MaxPeriod = 731 * 24 * time.Hour
	// MaxPoints bounds the points of a series (a year by day, plus one).
	MaxPoints = 367
	maxName   = 253
)

// ParseQuery reads a report's query from URL parameters, as the API, the
// UI and the CLI write them: team, application, environment, since (a
// duration in days or weeks, "90d", "12w", or Go's "36h"), or from and to
// (dates, YYYY-MM-DD, to exclusive; to defaults to tomorrow), and by (day,
// week, month; default week). Periods are whole UTC days ending with today.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{Team: v.Get("team"), Application: v.Get("application"), Environment: v.Get("environment")}
	for field, val := range map[string]string{"team": q.Team, "application": q.Application, "environment": q.Environment} {
		if len(val) > maxName {
			return Query{}, fmt.Errorf("%s: %d characters is too long (at most %d)", field, len(val), maxName)
		}
	}
	q.By = Bucket(v.Get("by"))
	switch q.By {
	case "":
		q.By = BucketWeek
	case BucketDay, BucketWeek, BucketMonth:
	default:
		return Query{}, fmt.Errorf("by: %q is not a bucket; use day, week or month", v.Get("by"))
	}
	today := Day(now)
	q.To = today.AddDate(0, 0, 1)
	if s := v.Get("to"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Query{}, fmt.Errorf("to: %q is not a date; write YYYY-MM-DD", s)
		}
		q.To = t
	}
	switch from, since := v.Get("from"), v.Get("since"); {
	case from != "" && since != "":
		return Query{}, fmt.Errorf("from and since: give one of them, not both")
	case from != "":
		t, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return Query{}, fmt.Errorf("from: %q is not a date; write YYYY-MM-DD", from)
		}
		q.From = t
	default:
		d := DefaultSince
		if since != "" {
			var err error
			if d, err = ParseSince(since); err != nil {
				return Query{}, fmt.Errorf("since: %w", err)
			}
		}
		days := int((d + 24*time.Hour - 1) / (24 * time.Hour))
		q.From = q.To.AddDate(0, 0, -days)
	}
	if !q.From.Before(q.To) {
		return Query{}, fmt.Errorf("from %s is not before to %s", q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
	}
	if q.To.Sub(q.From) > MaxPeriod {
		return Query{}, fmt.Errorf("the period %s to %s is longer than two years; ask for less", q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
	}
	if n := len(q.Buckets()); n > MaxPoints {
		return Query{}, fmt.Errorf("by %s over %s to %s makes %d points (at most %d); use a wider bucket", q.By, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), n, MaxPoints)
	}
	return q, nil
}

// ParseSince reads a period: "90d", "12w", or a Go duration ("36h"). At
// least one day, at most MaxPeriod.
func ParseSince(s string) (time.Duration, error) {
	var d time.Duration
	switch {
	case strings.HasSuffix(s, "d"), strings.HasSuffix(s, "w"):
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a period; write e.g. 90d, 12w or 36h", s)
		}
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		if n > int(MaxPeriod/unit)+1 {
			return 0, fmt.Errorf("%q is longer than two years; ask for less", s)
		}
		d = time.Duration(n) * unit
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("%q is not a period; write e.g. 90d, 12w or 36h", s)
		}
	}
	if d > MaxPeriod {
		return 0, fmt.Errorf("%q is longer than two years; ask for less", s)
	}
	return d, nil
}

// Values writes q back as URL parameters (from and to as dates), the
// inverse of ParseQuery: for links and the CLI.
func (q Query) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"team": q.Team, "application": q.Application, "environment": q.Environment} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("from", q.From.Format(time.DateOnly))
	v.Set("to", q.To.Format(time.DateOnly))
	v.Set("by", string(q.By))
	return v
}

// Day is t's UTC day (midnight).
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// BucketStart is the start of the bucket of width b that holds day.
func BucketStart(b Bucket, day time.Time) time.Time {
	day = Day(day)
	switch b {
	case BucketWeek:
		wd := (int(day.Weekday()) + 6) % 7 // Monday 0
		return day.AddDate(0, 0, -wd)
	case BucketMonth:
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// Buckets lists the starts of q's buckets, oldest first: the first may
// start before q.From (a week or month under way), and the last ends at or
// after q.To.
func (q Query) Buckets() []time.Time {
	var out []time.Time
	for t := BucketStart(q.By, q.From); t.Before(q.To); t = nextBucket(q.By, t) {
		out = append(out, t)
		if len(out) > MaxPoints+1 {
			break
		}
	}
	return out
}

func nextBucket(b Bucket, t time.Time) time.Time {
	switch b {
	case BucketWeek:
		return t.AddDate(0, 0, 7)
	case BucketMonth:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

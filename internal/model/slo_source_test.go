package model

import (
	"strings"
	"testing"
)

func TestSLISource(t *testing.T) {
	prom := &MetricQuery{Source: SLOSourcePrometheus}
	fd := &MetricQuery{Source: SLOSourceFrontDoor}
	for _, tc := range []struct {
		name    string
		sli     SLI
		want    string
		wantErr string
	}{
		{"none", SLI{}, "", ""},
		{"ratio", SLI{Good: fd, Total: fd}, SLOSourceFrontDoor, ""},
		{"threshold", SLI{Threshold: prom}, SLOSourcePrometheus, ""},
		{"mixed", SLI{Good: prom, Total: fd}, "", "mixes metric sources prometheus and frontdoor"},
	} {
		got, err := tc.sli.Source()
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Source() = %q, %v; want %q, %q", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

package report

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
)

// BySource is an slo.Source that counts each SLO with the source its
// indicator's metrics name (model.SLOSourcePrometheus,
// model.SLOSourceFrontDoor): the map the evaluator is given, so SLA months
// and deploy hours are counted as the evaluator counts windows.
type BySource map[string]slo.Source

var _ slo.Source = BySource(nil)

// Counts implements slo.Source.
func (b BySource) Counts(ctx context.Context, s model.SLO, o model.Objective, from, to time.Time) (slo.Counts, error) {
	name := ""
	for _, q := range []*model.MetricQuery{s.Indicator.Total, s.Indicator.Good, s.Indicator.Bad, s.Indicator.Threshold} {
		if q != nil && name == "" {
			name = q.Source
		}
	}
	src := b[name]
	if src == nil {
		return slo.Counts{}, fmt.Errorf("SLO %s: metric source %q is not available on this server", s.Name, name)
	}
	return src.Counts(ctx, s, o, from, to)
}

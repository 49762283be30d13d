package analysis

import "encoding/json"

// MarshalJSON writes the statistics of a test that did not run as null, not
// 0: a record saying "p": 0 or "cles": 0 for a metric with no data reads as
// a highly significant difference. Without a test (Tested false) u, p,
// exact, estimate, low, high, tolerance, cles and power are null; without
// data (nodata) the effect size is null too. Decoding needs nothing of its
// own: null leaves a number at 0, and Tested says what was measured.
func (r MetricResult) MarshalJSON() ([]byte, error) {
	type plain MetricResult // the same fields, without this method
	out := struct {
		plain
		U          *float64 `json:"u"`
		P          *float64 `json:"p"`
		Exact      *bool    `json:"exact"`
		Estimate   *float64 `json:"estimate"`
		Low        *float64 `json:"low"`
		High       *float64 `json:"high"`
		Tolerance  *float64 `json:"tolerance"`
		EffectSize *float64 `json:"effectSize"`
		CLES       *float64 `json:"cles"`
		Power      *float64 `json:"power"`
	}{plain: plain(r)}
	if r.Tested {
		out.U, out.P, out.Exact, out.Estimate, out.Low, out.High = &r.U, &r.P, &r.Exact, &r.Estimate, &r.Low, &r.High
		out.Tolerance, out.CLES, out.Power = &r.Tolerance, &r.CLES, &r.Power
	}
	if r.Classification != ClassNoData {
		out.EffectSize = &r.EffectSize
	}
	return json.Marshal(out)
}

package analysis

import (
	"math"
	"slices"
	"strconv"
)

// GroupScore is one metric group's share of passing metrics.
type GroupScore struct {
	Name string `json:"name"`
	// Weight is the group's weight in the final score (percent).
	Weight float64 `json:"weight"`
	// Score is 100 × the weight of passing metrics / the weight of scored
	// metrics (0-100).
	Score float64 `json:"score"`
	// Scored metrics (classified pass, high or low, not muted) and how many passed.
	Scored int `json:"scored"`
	Passed int `json:"passed"`
	// NoData: no metric of the group could be scored; the group is left out
	// and the other groups' weights fill its place.
	NoData bool `json:"noData,omitempty"`
}

// ScoreMetrics computes group scores and the weighted-sum score (0-100,
// rounded to two decimals: RoundScore) of classified metrics. Muted metrics and NoData metrics are not scored (NoData
// is never a pass: a NoData metric that must have data stops the judge
// earlier, as too little data). Any critical failure scores 0. scored is
// false when no metric could be scored at all.
func ScoreMetrics(cfg AnalysisConfig, results []MetricResult) (groups []GroupScore, score float64, scored bool) {
	byName := map[string]*GroupScore{}
	passW, totalW := map[string]float64{}, map[string]float64{}
	weights := map[string]float64{}
	for _, m := range cfg.Metrics {
		weights[m.Name] = m.Weight
		if weights[m.Name] == 0 {
			weights[m.Name] = 1
		}
	}
	critical := false
	for _, r := range results {
		critical = critical || r.CriticalFailure
		if r.Muted {
			continue
		}
		g := byName[r.Group]
		if g == nil {
			g = &GroupScore{Name: r.Group}
			byName[r.Group] = g
		}
		if r.Classification == ClassNoData {
			continue
		}
		g.Scored++
		totalW[r.Group] += weights[r.Name]
		if r.Classification == ClassPass {
			g.Passed++
			passW[r.Group] += weights[r.Name]
		}
	}
	for _, g := range byName {
		g.NoData = g.Scored == 0
		if !g.NoData && totalW[g.Name] > 0 {
			g.Score = 100 * passW[g.Name] / totalW[g.Name]
		}
		groups = append(groups, *g)
	}
	slices.SortFunc(groups, func(a, b GroupScore) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	assignWeights(cfg.Groups, groups)
	var sum, wsum float64
	for _, g := range groups {
		if !g.NoData {
			sum += g.Weight * g.Score
			wsum += g.Weight
		}
	}
	if wsum == 0 {
		return groups, 0, false
	}
	if critical {
		return groups, 0, true
	}
	return groups, RoundScore(sum / wsum), true
}

// RoundScore rounds a score to two decimals, half away from zero, before it
// is compared with the thresholds: a weighted mean of group scores carries
// float rounding (six groups scoring 70 and five times 100 average
// 94.99999999999999), and a score that is 95 on paper must reach pass >= 95.
func RoundScore(score float64) float64 { return math.Round(score*100) / 100 }

// FormatScore writes a score as the judge compares it (RoundScore): one
// decimal when that is exact ("95.0"), else two ("94.99"), so a printed score
// never looks as if it reached a threshold it missed.
func FormatScore(score float64) string {
	score = RoundScore(score)
	if one := strconv.FormatFloat(score, 'f', 1, 64); RoundScore(mustParse(one)) == score {
		return one
	}
	return strconv.FormatFloat(score, 'f', 2, 64)
}

func mustParse(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// assignWeights gives configured groups their weight and shares what is
// left of 100 among the others (Kayenta's rule); without any configured
// weight every group weighs the same.
func assignWeights(cfg []GroupConfig, groups []GroupScore) {
	conf := map[string]float64{}
	total := 0.0
	for _, g := range cfg {
		conf[g.Name] = g.Weight
		total += g.Weight
	}
	var rest int
	for _, g := range groups {
		if _, ok := conf[g.Name]; !ok {
			rest++
		}
	}
	share := 0.0
	switch {
	case len(cfg) == 0 && len(groups) > 0:
		share = 100 / float64(len(groups))
	case rest > 0:
		share = max(0, 100-total) / float64(rest)
	}
	for i := range groups {
		if w, ok := conf[groups[i].Name]; ok {
			groups[i].Weight = w
		} else {
			groups[i].Weight = share
		}
	}
}

// ScoreClass is what a score means against the thresholds.
type ScoreClass string

const (
	// ScorePass: the score reached Thresholds.Pass.
	ScorePass ScoreClass = "pass"
	// ScoreMarginal: between Marginal and Pass; an interval that is not the
	// last goes on, the last one fails.
	ScoreMarginal ScoreClass = "marginal"
	// ScoreFail: at or below Thresholds.Marginal; the analysis fails at once.
	ScoreFail ScoreClass = "fail"
	// ScoreInconclusive: not enough data to score.
	ScoreInconclusive ScoreClass = "inconclusive"
)

// ClassifyScore compares a score, rounded to two decimals (RoundScore), with
// the thresholds (defaults applied).
func ClassifyScore(t Thresholds, score float64) ScoreClass {
	score = RoundScore(score)
	switch {
	case score >= t.Pass:
		return ScorePass
	case score <= t.Marginal:
		return ScoreFail
	}
	return ScoreMarginal
}

package main

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// palette colours the judge configurations in plan order: statistical
// judges in blues and greens, threshold judges in oranges.
var palette = map[string]string{
	"mw default":        "#1f4e9c",
	"threshold default": "#e07b00",
	"mw 1x30s":          "#5b8fd6",
	"mw 2x90s":          "#2a9d5c",
	"mw tail 2x90s":     "#7fcf9f",
	"threshold 3x2m":    "#f2b45c",
}

func colour(plan string, i int) string {
	if c, ok := palette[plan]; ok {
		return c
	}
	return []string{"#555", "#888", "#aaa", "#ccc"}[i%4]
}

// panel is one bar chart: groups of bars, one bar per judge configuration.
type panel struct {
	X, Y, W, H float64
	Title      string
	Groups     []string
	Values     [][]float64 // [group][plan]
	Whiskers   [][]float64 // optional upper whisker per bar (same shape), NaN for none
	Max        float64
	Ticks      []float64
	Target     float64 // a dashed line; NaN for none
	TargetText string
	Label      func(float64) string
}

// chart draws the A/A false alarm rate, the detection rate per regression
// and the time to verdict, per judge configuration, with the targets.
func chart(sums []summary, runs int, seed uint64) string {
	var scen, plansSeen []string
	bySP := map[[2]string]summary{}
	for _, s := range sums {
		if !slices.Contains(scen, s.Scenario) {
			scen = append(scen, s.Scenario)
		}
		if !slices.Contains(plansSeen, s.Plan) {
			plansSeen = append(plansSeen, s.Plan)
		}
		bySP[[2]string{s.Scenario, s.Plan}] = s
	}
	var regressions []string
	for _, s := range scen {
		if bySP[[2]string{s, plansSeen[0]}].Regression {
			regressions = append(regressions, s)
		}
	}
	rates := func(groups []string) [][]float64 {
		out := make([][]float64, len(groups))
		for g, sc := range groups {
			for _, p := range plansSeen {
				out[g] = append(out[g], 100*bySP[[2]string{sc, p}].Stopped())
			}
		}
		return out
	}
	var ttv, p90 [][]float64
	maxT := 0.0
	for _, sc := range scen {
		var a, b []float64
		for _, p := range plansSeen {
			s := bySP[[2]string{sc, p}]
			a, b = append(a, s.TTVMedian), append(b, s.TTVP90)
			maxT = max(maxT, s.TTVP90)
		}
		ttv, p90 = append(ttv, a), append(p90, b)
	}
	tMax := math.Ceil(maxT/60) * 60
	var tTicks []float64
	for t := 0.0; t <= tMax; t += 60 {
		tTicks = append(tTicks, t)
	}
	one := func(v float64) string { return fmt.Sprintf("%.1f", v) }

	const width, height = 1000, 760
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="20" y="26" font-size="16" font-weight="bold">Canary analysis quality: %d simulated analyses per bar, seed %d, 50 req/s per group</text>`+"\n", runs, seed)
	drawPanel(&b, plansSeen, panel{X: 60, Y: 80, W: 220, H: 250, Title: "A/A false alarms, % (lower is better)",
		Groups: []string{"A/A"}, Values: rates([]string{"A/A"}), Max: 5, Ticks: []float64{0, 1, 2, 3, 4, 5},
		Target: 1, TargetText: "target ≤ 1%", Label: one})
	drawPanel(&b, plansSeen, panel{X: 340, Y: 80, W: 640, H: 250, Title: "Regressions detected, % (higher is better)",
		Groups: regressions, Values: rates(regressions), Max: 100, Ticks: []float64{0, 20, 40, 60, 80, 100},
		Target: 99, TargetText: "target ≥ 99%", Label: one})
	drawPanel(&b, plansSeen, panel{X: 60, Y: 420, W: 920, H: 230, Title: "Time to verdict, simulated seconds (bar: median, whisker: p90; all runs)",
		Groups: scen, Values: ttv, Whiskers: p90, Max: tMax, Ticks: tTicks, Target: math.NaN(),
		Label: func(v float64) string { return fmt.Sprintf("%.0f", v) }})
	// Legend.
	for i, p := range plansSeen {
		x := 60.0 + float64(i%3)*310
		y := 700.0 + float64(i/3)*22
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="14" height="14" fill="%s"/>`, x, y-11, colour(p, i))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", x+20, y, html.EscapeString(p))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func drawPanel(b *strings.Builder, plans []string, p panel) {
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="13" font-weight="bold">%s</text>`+"\n", p.X, p.Y-30, html.EscapeString(p.Title))
	yOf := func(v float64) float64 { return p.Y + p.H - p.H*min(v, p.Max)/p.Max }
	for _, t := range p.Ticks {
		y := yOf(t)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`, p.X, y, p.X+p.W, y)
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%g</text>`+"\n", p.X-6, y+4, t)
	}
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`+"\n", p.X, p.Y+p.H, p.X+p.W, p.Y+p.H)
	gw := p.W / float64(len(p.Groups))
	bw := (gw - 24) / float64(len(plans))
	for g, name := range p.Groups {
		gx := p.X + float64(g)*gw + 12
		for i := range plans {
			v := p.Values[g][i]
			x := gx + float64(i)*bw
			top := yOf(v)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x+1, top, bw-2, p.Y+p.H-top, colour(plans[i], i))
			labelY, label := top-3, p.Label(v)
			if p.Whiskers != nil && !math.IsNaN(p.Whiskers[g][i]) && p.Whiskers[g][i] > v {
				wy := yOf(p.Whiskers[g][i])
				cx := x + bw/2
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`,
					cx, top, cx, wy, cx-4, wy, cx+4, wy)
				labelY, label = wy-3, label+"–"+p.Label(p.Whiskers[g][i])
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9" fill="#333">%s</text>`+"\n", x+bw/2, labelY, label)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", gx+(gw-24)/2, p.Y+p.H+18, html.EscapeString(name))
	}
	if !math.IsNaN(p.Target) {
		y := yOf(p.Target)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>`, p.X, y, p.X+p.W, y)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>`, p.X, p.Y-16, p.X+24, p.Y-16)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" fill="#c00" font-size="11">%s</text>`+"\n", p.X+30, p.Y-12, html.EscapeString(p.TargetText))
	}
}

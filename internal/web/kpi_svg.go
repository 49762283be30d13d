package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// Body is the chart's shapes as SVG, written here rather than by the
// template: a year by day is thousands of shapes, and the template
// engine's reflection per attribute tripled the page's time. Every text
// is escaped; numbers are written by strconv.
func (c chart) Body() template.HTML {
	var b strings.Builder
	rect := func(r bar) {
		b.WriteString(`<rect x="` + num1(r.X) + `" y="` + num1(r.Y) + `" width="` + num1(r.W) + `" height="` + num1(r.H) + `" class="` + html.EscapeString(r.Class) + `">`)
		if r.Title != "" {
			b.WriteString("<title>" + html.EscapeString(r.Title) + "</title>")
		}
		b.WriteString("</rect>")
	}
	for _, z := range c.Zones {
		rect(z)
	}
	for _, l := range c.Grid {
		b.WriteString(`<line x1="` + num1(l.X1) + `" y1="` + num1(l.Y1) + `" x2="` + num1(l.X2) + `" y2="` + num1(l.Y2) + `" class="` + html.EscapeString(l.Class) + `"/>`)
	}
	for _, r := range c.Bars {
		rect(r)
	}
	for _, p := range c.Lines {
		b.WriteString(`<polyline points="` + html.EscapeString(p.Points) + `" class="` + html.EscapeString(p.Class) + `"/>`)
	}
	for _, p := range c.Points {
		b.WriteString(`<circle cx="` + num1(p.X) + `" cy="` + num1(p.Y) + `" r="3.5" class="pt ` + html.EscapeString(p.Class) + `"><title>` + html.EscapeString(p.Title) + `</title></circle>`)
	}
	for _, l := range c.Labels {
		anchor := l.Anchor
		if anchor == "" {
			anchor = "start"
		}
		b.WriteString(`<text x="` + num1(l.X) + `" y="` + num1(l.Y) + `" text-anchor="` + html.EscapeString(anchor) + `" class="` + html.EscapeString(l.Class) + `">` + html.EscapeString(l.Text) + `</text>`)
	}
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// num1 writes a coordinate (already rounded to one decimal).
func num1(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

package prom

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Selector is a parsed PromQL instant vector selector: a metric name and
// label matchers, e.g. http_requests_total{job="checkout",code!~"5.."}.
//
// gennaker checks a ratio SLI's queries with this small parser rather than
// Prometheus's own (github.com/prometheus/prometheus/promql/parser): that
// module's go.mod brings the server's whole dependency tree (cloud SDKs,
// Kubernetes clients) into go.sum for one syntax check. The grammar below
// is the selector subset of PromQL's, and Prometheus itself still parses
// every query gennaker sends.
type Selector struct {
	Name     string
	Matchers []Matcher
}

// Matcher is one label matcher: Label Op "Value".
type Matcher struct {
	Label string
	Op    string // =, !=, =~, !~
	Value string
}

// String renders the selector as PromQL.
func (s Selector) String() string {
	if len(s.Matchers) == 0 {
		return s.Name
	}
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.Label + m.Op + strconv.Quote(m.Value)
	}
	return s.Name + "{" + strings.Join(parts, ",") + "}"
}

// errNotSelector explains what to write instead.
var errNotSelector = errors.New("write a counter selector such as http_requests_total{job=\"checkout\",code!~\"5..\"}: gennaker takes its increase over each window itself, so leave out rate(), increase(), sum() and [ranges]")

// keywords cannot be metric names on their own in PromQL.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "by": true, "without": true, "on": true,
	"ignoring": true, "group_left": true, "group_right": true, "bool": true, "offset": true,
	"sum": true, "avg": true, "count": true, "min": true, "max": true, "group": true, "stddev": true,
	"stdvar": true, "topk": true, "bottomk": true, "count_values": true, "quantile": true,
	"inf": true, "nan": true,
}

// ParseSelector parses q as an instant vector selector and nothing more.
func ParseSelector(q string) (Selector, error) {
	p := &selParser{s: q}
	sel, err := p.selector()
	if err != nil {
		return Selector{}, fmt.Errorf("%w: %w", err, errNotSelector)
	}
	return sel, nil
}

type selParser struct {
	s   string
	pos int
}

func (p *selParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at character %d: "+format, append([]any{p.pos + 1}, args...)...)
}

func (p *selParser) space() {
	for p.pos < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *selParser) selector() (Selector, error) {
	var sel Selector
	p.space()
	if len(p.s) > 4096 {
		return sel, errors.New("longer than 4096 characters")
	}
	sel.Name = p.ident(true)
	if sel.Name != "" && keywords[strings.ToLower(sel.Name)] {
		return sel, p.errorf("%q is a PromQL keyword, not a metric name", sel.Name)
	}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '{' {
		p.pos++
		ms, err := p.matchers()
		if err != nil {
			return sel, err
		}
		sel.Matchers = ms
	}
	p.space()
	if p.pos < len(p.s) {
		return sel, p.errorf("unexpected %q after the selector", p.s[p.pos:])
	}
	if sel.Name == "" {
		if len(sel.Matchers) == 0 {
			return sel, errors.New("empty query")
		}
		nonEmpty := false
		for _, m := range sel.Matchers {
			if !matchesEmpty(m) {
				nonEmpty = true
			}
		}
		if !nonEmpty {
			return sel, errors.New("a selector without a metric name needs a matcher that does not match the empty string")
		}
	}
	return sel, nil
}

// ident reads a metric name (colons allowed) or a label name.
func (p *selParser) ident(metric bool) string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(p.pos > start && c >= '0' && c <= '9') || (metric && c == ':')
		if !ok {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *selParser) matchers() ([]Matcher, error) {
	var out []Matcher
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return out, nil
		}
		if len(out) > 64 {
			return nil, errors.New("more than 64 label matchers")
		}
		var m Matcher
		if m.Label = p.ident(false); m.Label == "" {
			return nil, p.errorf("want a label name or }")
		}
		p.space()
		for _, op := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(p.s[p.pos:], op) {
				m.Op = op
				p.pos += len(op)
				break
			}
		}
		if m.Op == "" {
			return nil, p.errorf("want =, !=, =~ or !~ after label %s", m.Label)
		}
		p.space()
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		m.Value = v
		if m.Op == "=~" || m.Op == "!~" {
			if _, err := regexp.Compile("^(?:" + v + ")$"); err != nil {
				return nil, fmt.Errorf("label %s: regular expression %q: %w", m.Label, v, err)
			}
		}
		out = append(out, m)
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			continue
		}
		return nil, p.errorf("want , or } after the matcher on %s", m.Label)
	}
}

// str reads a PromQL string literal: "..." or '...' with Go escapes, or
// `...` raw.
func (p *selParser) str() (string, error) {
	if p.pos >= len(p.s) {
		return "", p.errorf("want a quoted string")
	}
	q := p.s[p.pos]
	if q != '"' && q != '\'' && q != '`' {
		return "", p.errorf("want a quoted string")
	}
	start := p.pos
	p.pos++
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '\\' && q != '`' {
			p.pos += 2
			continue
		}
		if c == '\n' && q != '`' {
			break
		}
		if c == q {
			p.pos++
			lit := p.s[start:p.pos]
			if q == '`' {
				return lit[1 : len(lit)-1], nil
			}
			v, err := unquote(lit[1:len(lit)-1], q)
			if err != nil {
				return "", fmt.Errorf("string %s: %w", lit, err)
			}
			return v, nil
		}
		p.pos++
	}
	return "", fmt.Errorf("at character %d: unterminated string", start+1)
}

func matchesEmpty(m Matcher) bool {
	switch m.Op {
	case "=":
		return m.Value == ""
	case "!=":
		return m.Value != ""
	}
	re, err := regexp.Compile("^(?:" + m.Value + ")$")
	if err != nil {
		return false
	}
	return re.MatchString("") == (m.Op == "=~")
}

// unquote decodes the body of a "..." or '...' literal with Go's escapes.
func unquote(body string, quote byte) (string, error) {
	var b strings.Builder
	for len(body) > 0 {
		r, multibyte, rest, err := strconv.UnquoteChar(body, quote)
		if err != nil {
			return "", err
		}
		if !multibyte {
			b.WriteByte(byte(r))
		} else {
			b.WriteRune(r)
		}
		body = rest
	}
	return b.String(), nil
}

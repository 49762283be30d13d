package render

import (
	"strings"
	"text/template/parse"
)

// tickFunc is the template function injected at the start of every range
// iteration and every named template; it outputs nothing.
const tickFunc = "_gennakerTick"

// injectTicks returns a template with {{_gennakerTick}} inserted right after
// the closing delimiter of every range and define action, so that every loop
// iteration and every include of a named template calls back into gennaker,
// which can stop the render. Lines are unchanged, so Helm's file:line error
// positions still hold (columns on those lines shift).
//
// The insertion keeps the output byte for byte: the tick prints nothing and
// carries the right trim marker ("-}}") of the action it follows, so the
// whitespace after it is trimmed exactly as before. If the result does not
// parse although the original does (which the tests have not found), the
// original is returned unchanged.
func injectTicks(name, src string) string {
	out, changed := insertTicks(src)
	if !changed || !parses(name, src) || !parses(name, out) {
		return src
	}
	return out
}

func parses(name, src string) bool {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	_, err := t.Parse(src, "", "", map[string]*parse.Tree{})
	return err == nil
}

// insertTicks scans src for actions the way text/template's lexer does
// (default delimiters, string, raw string and character literals, comments).
func insertTicks(src string) (string, bool) {
	var b strings.Builder
	changed := false
	i := 0
	for {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			b.WriteString(src[i:])
			return b.String(), changed
		}
		start := i + j
		end, trim, keyword := scanAction(src, start)
		if end < 0 { // unterminated: leave the rest to the parser's error
			b.WriteString(src[i:])
			return b.String(), changed
		}
		b.WriteString(src[i:end])
		if keyword == "range" || keyword == "define" {
			changed = true
			if trim {
				b.WriteString("{{" + tickFunc + " -}}")
			} else {
				b.WriteString("{{" + tickFunc + "}}")
			}
		}
		i = end
	}
}

// scanAction reads the action starting at src[start:] ("{{"). It returns
// the index just past its closing "}}", whether that delimiter trims
// (" -}}"), and the action's first word.
func scanAction(src string, start int) (end int, trim bool, keyword string) {
	k := start + 2
	if strings.HasPrefix(src[k:], "- ") || strings.HasPrefix(src[k:], "-\t") || strings.HasPrefix(src[k:], "-\n") || strings.HasPrefix(src[k:], "-\r") {
		k++
	}
	for k < len(src) && isSpace(src[k]) {
		k++
	}
	if strings.HasPrefix(src[k:], "/*") {
		c := strings.Index(src[k+2:], "*/")
		if c < 0 {
			return -1, false, ""
		}
		k += 2 + c + 2
		e := strings.Index(src[k:], "}}")
		if e < 0 {
			return -1, false, ""
		}
		return k + e + 2, strings.HasSuffix(src[:k+e], " -"), ""
	}
	w := k
	for w < len(src) && isWordByte(src[w]) {
		w++
	}
	keyword = src[k:w]
	for p := w; p < len(src); p++ {
		switch c := src[p]; c {
		case '"', '\'':
			p = skipQuoted(src, p, c)
			if p < 0 {
				return -1, false, ""
			}
		case '`':
			q := strings.IndexByte(src[p+1:], '`')
			if q < 0 {
				return -1, false, ""
			}
			p += 1 + q
		case '}':
			if strings.HasPrefix(src[p:], "}}") {
				return p + 2, p >= 2 && src[p-1] == '-' && isSpace(src[p-2]), keyword
			}
		}
	}
	return -1, false, ""
}

// skipQuoted returns the index of the quote closing the literal opened at
// src[p], or -1.
func skipQuoted(src string, p int, quote byte) int {
	for q := p + 1; q < len(src); q++ {
		switch src[q] {
		case '\\':
			q++
		case quote:
			return q
		case '\n':
			return -1
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

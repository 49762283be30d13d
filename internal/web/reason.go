package web

import (
	"html/template"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// reasonMax is the longest reason shown whole on one line; a longer one (a
// record written before reasons were short, a webhook's answer) shows its
// start, with the whole text one click away.
const reasonMax = 160

// expMinus matches the minus of an exponent (1.08e-05), which browsers
// break a line after; infinity matches Go's spellings of infinity.
var (
	expMinus = regexp.MustCompile(`(\d)e-(\d)`)
	infinity = regexp.MustCompile(`([+-])Inf\b`)
)

// unbreakable rewrites the numbers in a text so that no line breaks inside
// one and infinity reads ∞ everywhere: an exponent's minus becomes the minus
// sign (−, which no browser breaks after), and +Inf and -Inf become ∞ and −∞.
func unbreakable(s string) string {
	s = expMinus.ReplaceAllString(s, "${1}e−${2}")
	return infinity.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] == '-' {
			return "−∞"
		}
		return "∞"
	})
}

// clip cuts s to at most n runes at a word boundary and marks the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " ;,"); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ;,:") + " …"
}

// reasonHTML renders a reason on one line: whole when it is short, else
// its start in a <details> whose body is the whole reason (and, for an
// execution, a link to it), so that a long reason never makes a row tall.
func reasonHTML(reason string) template.HTML {
	reason = unbreakable(strings.Join(strings.Fields(reason), " "))
	if utf8.RuneCountInString(reason) <= reasonMax {
		return template.HTML(template.HTMLEscapeString(reason))
	}
	return template.HTML(`<details class="reason-more"><summary>` + template.HTMLEscapeString(clip(reason, reasonMax-20)) +
		`</summary>` + template.HTMLEscapeString(reason) + `</details>`)
}

// timeHTML is a time for people and machines: <time datetime="RFC 3339">
// with the date and time in UTC, saying so, whatever the server's zone.
func timeHTML(t time.Time) template.HTML {
	if t.IsZero() {
		return "–"
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `">` + u.Format("2006-01-02 15:04:05") + ` UTC</time>`)
}

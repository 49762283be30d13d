package config

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError turns a yaml.v3 error into a positioned Error. The library
// reports a line (often the line where the broken construct began, not
// where it broke) and no column, so the source is scanned for the usual
// causes first: a tab in the indentation, a quote or bracket left open.
func syntaxError(filename string, data []byte, err error) Error {
	msg := err.Error()
	e := Error{File: filename}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	e.Message = "invalid YAML: " + msg
	tabby := strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab")
	if line, col, ok := tabIndent(data); ok && tabby {
		e.Line, e.Column = line, col
		e.Message = "invalid YAML: a tab in the indentation: YAML indents with spaces only; replace the tab with spaces"
		return e
	}
	open := strings.Contains(msg, "end of stream") || strings.Contains(msg, "expected ','") || strings.Contains(msg, "flow")
	if u, ok := unclosed(data); ok && open {
		e.Line, e.Column = u.line, u.col
		e.Message = "invalid YAML: " + u.what + " opened here is never closed: " + u.fix + " (the parser said: " + msg + ")"
		return e
	}
	if strings.Contains(msg, "did not find expected key") || strings.Contains(msg, "mapping values are not allowed") {
		e.Message += ": check the indentation of the lines after this one (keys of one mapping line up in one column) and for a missing space after a colon"
	}
	return e
}

// tabIndent finds the first tab in a line's leading whitespace (1-based line and column).
func tabIndent(data []byte) (line, col int, ok bool) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		for j, c := range l {
			if c == '\t' {
				return i + 1, j + 1, true
			}
			if c != ' ' {
				break
			}
		}
	}
	return 0, 0, false
}

type opening struct {
	line, col int
	what, fix string
}

// unclosed finds a quoted string or flow collection ([ or {) left open at
// the end of the data, outside comments and block scalars it can tell.
func unclosed(data []byte) (opening, bool) {
	var stack []opening
	var quote *opening
	var quoteChar byte
	line, col := 1, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
			continue
		}
		if quote != nil {
			switch {
			case quoteChar == '"' && c == '\\':
				i++
				col++
			case c == quoteChar && quoteChar == '\'' && i+1 < len(data) && data[i+1] == '\'':
				i++ // '' is an escaped quote
				col++
			case c == quoteChar:
				quote = nil
			}
			continue
		}
		switch c {
		case '#':
			if i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n' {
				for i+1 < len(data) && data[i+1] != '\n' {
					i++
				}
			}
		case '"', '\'':
			// A quote starts a quoted scalar only where a value starts.
			if i == 0 || strings.IndexByte(" \t\n[{,:-", data[i-1]) >= 0 {
				quote, quoteChar = &opening{line, col, "the quote " + string(c), "add the closing " + string(c)}, c
			}
		case '[', '{':
			if i == 0 || strings.IndexByte(" \t\n[{,:-", data[i-1]) >= 0 || len(stack) > 0 {
				closing := map[byte]string{'[': "]", '{': "}"}[c]
				stack = append(stack, opening{line, col, "the " + string(c), "add " + closing + " where it should end"})
			}
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	switch {
	case quote != nil:
		return *quote, true
	case len(stack) > 0:
		return stack[len(stack)-1], true
	}
	return opening{}, false
}

package api

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Size limits of the strings a request stores (in an execution, an event,
// the audit log). A request over one is refused with the field's name.
const (
	maxVersion    = 128
	maxCommitSHA  = 64
	maxComment    = 4096
	maxName       = 253
	maxParams     = 64
	maxParamName  = 128
	maxParamValue = 4096
)

// Page size limits of lists (the default when no limit is given is smaller).
const (
	maxExecutionPage = 500
	maxNamePage      = 1000 // applications, pipelines
	maxEventPage     = 1000
	maxAuditPage     = 1000
)

// fieldCheck collects size problems of a request's fields.
type fieldCheck struct{ problems []string }

func (c *fieldCheck) str(field, v string, max int) {
	if !utf8.ValidString(v) {
		c.problems = append(c.problems, fmt.Sprintf("%s is not valid UTF-8", field))
		return
	}
	if n := len(v); n > max {
		c.problems = append(c.problems, fmt.Sprintf("%s is %d bytes long, over its limit of %d", field, n, max))
	}
}

func (c *fieldCheck) params(field string, m map[string]string) {
	if len(m) > maxParams {
		c.problems = append(c.problems, fmt.Sprintf("%s has %d entries, over the limit of %d", field, len(m), maxParams))
		return
	}
	for k, v := range m {
		c.str(field+" key "+quoteShort(k), k, maxParamName)
		c.str(field+"."+quoteShort(k), v, maxParamValue)
	}
}

func (c *fieldCheck) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", errBadInput, strings.Join(c.problems, "; "))
}

func quoteShort(s string) string { return fmt.Sprintf("%q", truncate(s, 40)) }

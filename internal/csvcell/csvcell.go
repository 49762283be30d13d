// Package csvcell writes cells of CSV exports that people open in
// spreadsheets.
package csvcell

import "strings"

// Text keeps a user-written cell from being read as a formula by a
// spreadsheet (OWASP's advice on CSV injection: a cell starting with = + -
// @, a tab or a carriage return gets a leading single quote).
func Text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

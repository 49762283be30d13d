package web

import "testing"

// The server parses the page templates on the first page it serves, so a
// template that does not parse is caught here rather than at start.
func TestTemplatesParse(t *testing.T) {
	t.Parallel()
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"applications.html", "execution.html", "login.html", "error.html"} {
		if pages[name] == nil {
			t.Errorf("no page %s among %d parsed", name, len(pages))
		}
	}
}

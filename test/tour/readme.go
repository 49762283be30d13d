// Package tour runs the README's "A short tour" as written: it reads the
// fenced blocks of that section, runs their commands in order against a
// real server started the way the README starts it, and compares each
// command's output with the sample output the README shows under it (the
// first words of each line, with times, IDs and counts made neutral).
package tour

import (
	"regexp"
	"strings"
)

// step is one command of the tour, with the output the README shows.
type step struct {
	cmd  string
	want []string
}

// section is the tour: its steps in order, and the files it tells the
// reader to create (by name: a yaml block whose first line is "# NAME: ...").
type section struct {
	steps []step
	files map[string]string
}

// parseTour reads the section headed "## A short tour" of readme, up to the
// next "## " heading. A sh block with "$ " prompts holds commands and the
// output under each; one without holds only commands (a trailing
// "   # comment" is dropped). Blocks in other languages are shown, not run.
func parseTour(readme string) section {
	sec := section{files: map[string]string{}}
	start := strings.Index(readme, "\n## A short tour")
	if start < 0 {
		return sec
	}
	body := readme[start+1:]
	if end := strings.Index(body[3:], "\n## "); end >= 0 {
		body = body[:end+3]
	}
	lines := strings.Split(body, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		lang := strings.TrimPrefix(lines[i], "```")
		var block []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			block = append(block, lines[i])
		}
		switch lang {
		case "sh":
			sec.steps = append(sec.steps, shSteps(block)...)
		case "yaml":
			if m := fileHeader.FindStringSubmatch(firstLine(block)); m != nil {
				sec.files[m[1]] = strings.Join(block, "\n") + "\n"
			}
		}
	}
	return sec
}

var (
	fileHeader   = regexp.MustCompile(`^# ([\w.-]+):`)
	trailComment = regexp.MustCompile(`\s{2,}#.*$`)
)

func firstLine(block []string) string {
	if len(block) == 0 {
		return ""
	}
	return block[0]
}

func shSteps(block []string) []step {
	prompted := false
	for _, l := range block {
		if strings.HasPrefix(l, "$ ") {
			prompted = true
		}
	}
	var out []step
	for _, l := range block {
		switch {
		case prompted && strings.HasPrefix(l, "$ "):
			out = append(out, step{cmd: strings.TrimSpace(trailComment.ReplaceAllString(l[2:], ""))})
		case prompted && len(out) > 0:
			out[len(out)-1].want = append(out[len(out)-1].want, trailComment.ReplaceAllString(l, ""))
		case !prompted && strings.TrimSpace(l) != "":
			out = append(out, step{cmd: strings.TrimSpace(trailComment.ReplaceAllString(l, ""))})
		}
	}
	return out
}

var (
	clock   = regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`)
	execID  = regexp.MustCompile(`\b\d{8}-\d{6}-[0-9a-f]+\b`)
	apiTok  = regexp.MustCompile(`\bgnk_\S+`)
	number  = regexp.MustCompile(`\d+(\.\d+)?`)
	version = regexp.MustCompile(`-v\d{3}\b`)
	isCount = regexp.MustCompile(`^[\d./%,]+$|=\d+$`)
)

// shape is the first n words of a line, with times, execution IDs, tokens
// and numbers that vary from run to run made neutral.
func shape(line string, n int) string {
	line = clock.ReplaceAllString(line, "TIME")
	line = execID.ReplaceAllString(line, "ID")
	line = apiTok.ReplaceAllString(line, "TOKEN")
	line = version.ReplaceAllString(line, "-vNNN")
	words := strings.Fields(line)
	if len(words) > n {
		words = words[:n]
	}
	for i, w := range words {
		if isCount.MatchString(w) {
			words[i] = number.ReplaceAllString(w, "N")
		}
	}
	return strings.Join(words, " ")
}

// missing returns the README's sample lines (other than "...") whose shape
// no line of got has, in order: each sample line must match a later output
// line than the one before it.
func missing(want []string, got string) []string {
	out := strings.Split(got, "\n")
	var miss []string
	at := 0
	for _, w := range want {
		if strings.TrimSpace(w) == "..." || strings.TrimSpace(w) == "" {
			continue
		}
		target := shape(w, 3)
		found := false
		for j := at; j < len(out); j++ {
			if shape(out[j], 3) == target {
				found, at = true, j+1
				break
			}
		}
		if !found {
			miss = append(miss, w)
		}
	}
	return miss
}

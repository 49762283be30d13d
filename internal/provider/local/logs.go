package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LogLine is one line an instance wrote to its stdout or stderr.
type LogLine struct {
	Instance int    `json:"instance"`
	Text     string `json:"text"`
}

func (l LogLine) String() string { return fmt.Sprintf("[%d] %s", l.Instance, l.Text) }

// Logs returns the last tailLines lines of each instance's log (all of
// them when tailLines <= 0), instance by instance. It reads the files, so it
// works for destroyed server groups too, until their logs are removed.
func (p *Provider) Logs(ctx context.Context, ref GroupRef, tailLines int) ([]LogLine, error) {
	name := ref.Name
	dir := p.logDir(ref)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("server group %s in %s: %w: it has no logs under %s", name, ref.Environment, ErrUnknownServerGroup, dir)
		}
		return nil, fmt.Errorf("read logs of %s: %w", name, err)
	}
	var indexes []int
	for _, e := range entries {
		if i, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log")); err == nil && strings.HasSuffix(e.Name(), ".log") {
			indexes = append(indexes, i)
		}
	}
	sort.Ints(indexes)
	var out []LogLine
	for _, i := range indexes {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		lines, err := tailFile(filepath.Join(dir, strconv.Itoa(i)+".log"), tailLines)
		if err != nil {
			return out, fmt.Errorf("read logs of %s instance %d: %w", name, i, err)
		}
		for _, l := range lines {
			out = append(out, LogLine{Instance: i, Text: l})
		}
	}
	return out, nil
}

// lastLogLines returns the last n lines an instance's latest process wrote
// (after gennaker's last start marker).
func lastLogLines(path string, n int) []string {
	lines, err := tailFile(path, n+20)
	if err != nil {
		return nil
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], logMarker) && strings.Contains(lines[i], " starting on port ") {
			lines = lines[i+1:]
			break
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// tailFile returns the last n lines of a file (all when n <= 0), reading
// backwards in chunks so large logs stay cheap.
func tailFile(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	const chunk = 64 << 10
	var buf []byte
	off := size
	for off > 0 && (n <= 0 || bytes.Count(buf, []byte{'\n'}) <= n) {
		step := min(int64(chunk), off)
		off -= step
		b := make([]byte, step)
		if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
			return nil, err
		}
		buf = append(b, buf...)
	}
	text := strings.TrimRight(string(buf), "\n")
	if text == "" {
		return nil, nil
	}
	lines := strings.Split(text, "\n")
	if off > 0 && len(lines) > 0 {
		lines = lines[1:] // may be a partial line
	}
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

// moveLegacyLogs moves the logs of groups recorded by a gennaker whose
// server-group names were unique across environments (logs/NAME) to where
// they are kept now (logs/ENV/NAME). Running instances keep writing: their
// open files move with the directory.
func moveLegacyLogs(logs string, st state, log *slog.Logger) {
	for _, rec := range st.ServerGroups {
		ref := rec.Spec.Ref()
		if !dirName(ref.Name) || !dirName(ref.Environment) {
			continue
		}
		from, to := filepath.Join(logs, ref.Name), filepath.Join(logs, ref.Environment, ref.Name)
		if _, err := os.Stat(from); err != nil {
			continue
		}
		err := os.MkdirAll(filepath.Dir(to), dirMode)
		if err == nil {
			err = os.Rename(from, to)
		}
		if err != nil {
			log.Warn("cannot move a server group's logs to their per-environment directory; `gennaker logs` will not show the older lines", "from", from, "to", to, "err", err)
		}
	}
}

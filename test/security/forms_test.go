package security

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLargeFormPostsLeaveNothing: the UI's form routes read URL-encoded
// bodies of at most 64 KiB. A multipart post, which Go would spill to
// temporary files past 32 MiB (files nobody removes when the request is
// replaced on its way), is refused, with or without a credential, and
// leaves no file behind.
func TestLargeFormPostsLeaveNothing(t *testing.T) {
	tmp := t.TempDir()
	s := startServer(t, "TMPDIR="+tmp)
	const size = 40 << 20
	for _, tc := range []struct{ path, auth string }{
		{"/login", "Bearer bogus"},
		{"/login", ""},
		{"/applications/nope/deploy", "Bearer " + s.admin.Token},
	} {
		pr, pw := io.Pipe()
		go func() {
			fmt.Fprint(pw, "--b\r\nContent-Disposition: form-data; name=\"token\"; filename=\"x\"\r\nContent-Type: application/octet-stream\r\n\r\n")
			chunk := strings.Repeat("A", 1<<20)
			for written := 0; written < size; written += len(chunk) {
				if _, err := io.WriteString(pw, chunk); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			fmt.Fprint(pw, "\r\n--b--\r\n")
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", s.URL+tc.path, pr)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		// A connection the server closes mid-body refuses the post as well.
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("a %d MiB multipart post to %s answered %d, want a refusal", size>>20, tc.path, resp.StatusCode)
			}
		}
		pr.Close()
	}
	// ... but only while the server lives on.
	if code, _, body := raw(t, newRequest(t, "GET", s.URL+"/healthz", "")); code != http.StatusOK {
		t.Fatalf("/healthz after the posts: %d %s", code, body)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "multipart-*"))
	for _, f := range left {
		st, _ := os.Stat(f)
		t.Errorf("a temporary file of a refused post was left behind: %s (%d bytes)", f, st.Size())
	}
}

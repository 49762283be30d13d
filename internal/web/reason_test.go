package web

import (
	"strings"
	"testing"
	"time"
)

func TestUnbreakable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"p=1.08e-05, meanRatio +Inf":     "p=1.08e−05, meanRatio ∞",
		"shift -Inf and 3-4 requests":    "shift −∞ and 3-4 requests",
		"sample-v001 rolled back to v2.": "sample-v001 rolled back to v2.",
	} {
		if got := unbreakable(in); got != want {
			t.Errorf("unbreakable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReasonHTML(t *testing.T) {
	t.Parallel()
	if got := string(reasonHTML("canary analysis failed: error-rate high <b>")); got != "canary analysis failed: error-rate high &lt;b&gt;" {
		t.Errorf("a short reason is shown whole and escaped: %q", got)
	}
	long := "canary analysis failed: score 0.0 is fail (pass >= 95, fail <= 75); " + strings.Repeat("error-rate high (shift 0.2203, p=6.39e-05, meanRatio +Inf); ", 5)
	got := string(reasonHTML(long))
	summary, body, ok := strings.Cut(strings.TrimPrefix(got, `<details class="reason-more"><summary>`), "</summary>")
	if !ok || !strings.HasSuffix(summary, " …") || len([]rune(summary)) > reasonMax {
		t.Fatalf("a long reason should show its start as the summary of a <details>: %q", got)
	}
	if !strings.Contains(body, "p=6.39e−05") || !strings.Contains(body, "meanRatio ∞") || strings.Contains(body, "+Inf") {
		t.Errorf("the whole reason should follow, with unbreakable numbers and ∞: %q", body)
	}
}

func TestTimeHTML(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 9, 5, 6, 0, time.FixedZone("CET", 3600))
	if got, want := string(timeHTML(at)), `<time datetime="2026-12-04T08:05:06Z">2026-12-04 08:05:06 UTC</time>`; got != want {
		t.Errorf("timeHTML = %q, want %q", got, want)
	}
}

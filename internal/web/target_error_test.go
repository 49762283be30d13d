package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// refusingTarget is a target whose cluster refuses gennaker's credentials.
type refusingTarget struct{}

const refusedMsg = `environment prod: kubernetes: get Deployment shop/checkout-v002: Unauthorized: the credentials in /etc/gennaker/prod.kubeconfig were refused: fix them (a new token, say); gennaker re-reads the file`

func (refusingTarget) Health(context.Context, model.Environment, model.ServerGroup) (int, int, error) {
	return 0, 0, errors.New(refusedMsg)
}

func (refusingTarget) Logs(context.Context, model.Environment, model.ServerGroup, int) (string, error) {
	return "", errors.New(refusedMsg)
}

// TestTargetErrorIsShownNotZeroOfZero: when the target cannot be read, the
// application pages say why, and health is unknown rather than 0/0.
func TestTargetErrorIsShownNotZeroOfZero(t *testing.T) {
	t.Parallel()
	r := newRigWith(t, refusingTarget{})
	for _, path := range []string{"/", "/applications/checkout"} {
		code, body := r.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, code)
		}
		body = html.UnescapeString(body)
		if !strings.Contains(body, `<p class="error-detail" role="alert">`+refusedMsg+`</p>`) {
			t.Errorf("GET %s does not show the target's error", path)
		}
		if strings.Contains(body, ">0/0<") || strings.Contains(body, ">0/2<") {
			t.Errorf("GET %s shows a health count although it is unknown", path)
		}
		if !strings.Contains(body, `<span class="health bad" title="`+refusedMsg+`">?/2</span>`) {
			t.Errorf("GET %s: health is not shown as unknown (?/2) with the error", path)
		}
	}
}

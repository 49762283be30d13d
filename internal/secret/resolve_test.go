package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("ci-token", "tok-123\n", 0o600)
	crlf := write("crlf", "tok-456\r\n\n", 0o600)
	empty := write("empty", "\n", 0o600)
	big := write("big", strings.Repeat("x", 100), 0o600)
	r := &Resolver{
		LookupEnv:   env(map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X", "BLANK": ""}),
		MaxFileSize: 64,
	}
	tests := []struct {
		name    string
		ref     model.SecretRef
		want    string
		wantErr error
		says    []string
	}{
		{name: "env", ref: model.SecretRef{Env: "SLACK_WEBHOOK_URL"}, want: "https://hooks.slack.com/services/T/B/X"},
		{name: "env not set", ref: model.SecretRef{Env: "MISSING"}, wantErr: ErrNotFound,
			says: []string{"environment variable MISSING is not set in the gennaker server's environment", "set it and restart the server, or reference a file"}},
		{name: "env empty", ref: model.SecretRef{Env: "BLANK"}, wantErr: ErrEmpty, says: []string{"BLANK is empty"}},
		{name: "file, newline trimmed", ref: model.SecretRef{File: token}, want: "tok-123"},
		{name: "file, CRLF and blank lines trimmed", ref: model.SecretRef{File: crlf}, want: "tok-456"},
		{name: "file missing", ref: model.SecretRef{File: filepath.Join(dir, "nope")}, wantErr: ErrNotFound,
			says: []string{"secret file " + filepath.Join(dir, "nope") + " does not exist on the gennaker server"}},
		{name: "file empty", ref: model.SecretRef{File: empty}, wantErr: ErrEmpty, says: []string{"is empty"}},
		{name: "file too large", ref: model.SecretRef{File: big}, wantErr: ErrTooLarge, says: []string{"larger than 64 bytes"}},
		{name: "a directory", ref: model.SecretRef{File: dir}, wantErr: ErrUnreadable, says: []string{"not a regular file"}},
		{name: "kubernetes", ref: model.SecretRef{Kubernetes: &model.KubernetesSecretRef{Name: "checkout-secrets", Key: "api-key"}}, wantErr: ErrNotResolvable,
			says: []string{"kubernetes Secret checkout-secrets key api-key", "only for run.env of applications deployed to kubernetes environments"}},
		{name: "no source", ref: model.SecretRef{}, wantErr: model.ErrInvalidSecretRef, says: []string{"exactly one of env, file, kubernetes"}},
		{name: "two sources", ref: model.SecretRef{Env: "A", File: token}, wantErr: model.ErrInvalidSecretRef, says: []string{"found env and file"}},
		{name: "relative file", ref: model.SecretRef{File: "ci-token"}, wantErr: model.ErrInvalidSecretRef, says: []string{"relative path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.Resolve(t.Context(), tt.ref)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("Resolve = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve = %q, %v; want an error that is %v", got, err, tt.wantErr)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *secret.Error", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			for _, v := range []string{"tok-123", "x" + "xxxxxxxx", "hooks.slack.com"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q holds a secret value", err)
				}
			}
		})
	}
}

func TestResolveUnreadableFile(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	p := filepath.Join(t.TempDir(), "locked")
	if err := os.WriteFile(p, []byte("v4lue"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := (&Resolver{}).Resolve(t.Context(), model.SecretRef{File: p})
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("err = %v, want permission denied", err)
	}
}

func TestValue(t *testing.T) {
	var r *Resolver // the zero value reads the process's environment
	t.Setenv("GENNAKER_TEST_SECRET_VALUE", "from-env")
	got, err := r.Value(context.Background(), model.FromSecret(model.SecretRef{Env: "GENNAKER_TEST_SECRET_VALUE"}))
	if err != nil || got != "from-env" {
		t.Errorf("Value(env) = %q, %v", got, err)
	}
	if got, err := r.Value(context.Background(), model.Inline("plain {{params.x}}")); err != nil || got != "plain {{params.x}}" {
		t.Errorf("Value(inline) = %q, %v", got, err)
	}
}

func TestResolveCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Resolver{}).Resolve(ctx, model.SecretRef{Env: "HOME"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

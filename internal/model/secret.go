package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// StringOrSecret is a config string that is either written inline or read
// from a secret when it is used. In YAML and JSON an inline value is a plain
// string; a secret is {"secretRef": {"env": "NAME"}} (or file, kubernetes).
// Only the reference is ever stored or shown: the value is resolved by
// whoever uses it (internal/secret), at the moment it is used.
type StringOrSecret struct {
	// Value is the inline value; empty when Secret is set.
	Value string
	// Secret, when set, says where the value is read at use time.
	Secret *SecretRef
}

// Inline returns an inline value.
func Inline(s string) StringOrSecret { return StringOrSecret{Value: s} }

// FromSecret returns a value read from ref at use time.
func FromSecret(ref SecretRef) StringOrSecret { return StringOrSecret{Secret: &ref} }

// InlineMap turns a map of plain strings into inline values (nil stays nil).
func InlineMap(m map[string]string) map[string]StringOrSecret {
	if m == nil {
		return nil
	}
	out := make(map[string]StringOrSecret, len(m))
	for k, v := range m {
		out[k] = Inline(v)
	}
	return out
}

// IsSecret reports whether the value is read from a secret.
func (v StringOrSecret) IsSecret() bool { return v.Secret != nil }

// IsZero reports an empty inline value (used by the json omitzero option).
func (v StringOrSecret) IsZero() bool { return v.Secret == nil && v.Value == "" }

// String is the inline value, or a description of the reference such as
// "(secret from env SLACK_WEBHOOK_URL)" that is safe to show.
func (v StringOrSecret) String() string {
	if v.Secret != nil {
		return "(secret from " + v.Secret.String() + ")"
	}
	return v.Value
}

// secretWrapper is the JSON (and YAML) shape of a reference.
type secretWrapper struct {
	SecretRef *SecretRef `json:"secretRef"`
}

// MarshalJSON writes an inline value as a JSON string and a reference as
// {"secretRef": {...}}.
func (v StringOrSecret) MarshalJSON() ([]byte, error) {
	if v.Secret != nil {
		return json.Marshal(secretWrapper{SecretRef: v.Secret})
	}
	return json.Marshal(v.Value)
}

// UnmarshalJSON reads a JSON string (stored data and API clients from before
// references existed write those) or {"secretRef": {...}}.
func (v *StringOrSecret) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*v = StringOrSecret{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Inline(s)
		return nil
	}
	var w secretWrapper
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil || w.SecretRef == nil {
		return errors.New(`expected a string or {"secretRef": {"env": "NAME"}} (or "file", "kubernetes")`)
	}
	*v = FromSecret(*w.SecretRef)
	return nil
}

// SecretSource names where a SecretRef reads its value.
type SecretSource string

const (
	// SecretFromEnv reads a variable of the gennaker server's environment.
	SecretFromEnv SecretSource = "env"
	// SecretFromFile reads a file on the gennaker server (an absolute path).
	SecretFromFile SecretSource = "file"
	// SecretFromKubernetes is a key of a Secret in a kubernetes environment's
	// namespace: the pods read it, gennaker never does.
	SecretFromKubernetes SecretSource = "kubernetes"
)

// SecretSources lists the sources in the order config messages name them.
var SecretSources = []SecretSource{SecretFromEnv, SecretFromFile, SecretFromKubernetes}

// SecretRef says where a secret is read. Exactly one source is set.
type SecretRef struct {
	Env        string               `json:"env,omitempty"`
	File       string               `json:"file,omitempty"`
	Kubernetes *KubernetesSecretRef `json:"kubernetes,omitempty"`
}

// KubernetesSecretRef is a key of a Secret in the namespace of the
// environment a server group runs in.
type KubernetesSecretRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Sources lists the sources that are set, in SecretSources order.
func (r SecretRef) Sources() []SecretSource {
	var out []SecretSource
	if r.Env != "" {
		out = append(out, SecretFromEnv)
	}
	if r.File != "" {
		out = append(out, SecretFromFile)
	}
	if r.Kubernetes != nil {
		out = append(out, SecretFromKubernetes)
	}
	return out
}

// Source is the one source that is set ("" when none or several are).
func (r SecretRef) Source() SecretSource {
	if s := r.Sources(); len(s) == 1 {
		return s[0]
	}
	return ""
}

// String names the reference, never a value: "env SLACK_WEBHOOK_URL",
// "file /etc/gennaker/ci-token", "kubernetes Secret checkout-secrets key api-key".
func (r SecretRef) String() string {
	var parts []string
	if r.Env != "" {
		parts = append(parts, "env "+r.Env)
	}
	if r.File != "" {
		parts = append(parts, "file "+r.File)
	}
	if k := r.Kubernetes; k != nil {
		parts = append(parts, fmt.Sprintf("kubernetes Secret %s key %s", k.Name, k.Key))
	}
	if len(parts) == 0 {
		return "an empty secretRef"
	}
	return strings.Join(parts, " and ")
}

var (
	// secretName is a Kubernetes object name (DNS subdomain).
	secretName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// secretKey is a key of a Secret's data.
	secretKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// Problem returns what is wrong with the reference, or "" when nothing is.
// field is where, relative to the secretRef ("" for the reference as a
// whole, "env", "file", "kubernetes.name", "kubernetes.key"); msg says what
// is wrong and how to fix it.
func (r SecretRef) Problem() (field, msg string) {
	switch set := r.Sources(); len(set) {
	case 0:
		return "", "a secretRef needs exactly one of env, file, kubernetes: write {secretRef: {env: NAME}}, {secretRef: {file: /path}} or {secretRef: {kubernetes: {name: SECRET, key: KEY}}}"
	case 1:
	default:
		return "", fmt.Sprintf("a secretRef has exactly one source, found %s and %s: keep one", set[0], set[1])
	}
	switch {
	case r.Env != "" && !ValidEnvName(r.Env):
		return "env", EnvNameProblem(r.Env, "SLACK_WEBHOOK_URL")
	case r.File != "" && !filepath.IsAbs(r.File):
		return "file", fmt.Sprintf("%q is a relative path: the file is read by the gennaker server, whose working directory is not this file's: write an absolute path such as /etc/gennaker/%s", r.File, filepath.Base(r.File))
	case r.Kubernetes != nil:
		k := r.Kubernetes
		switch {
		case k.Name == "":
			return "kubernetes.name", "the Secret's name is empty: name the Secret in the environment's namespace, such as checkout-secrets"
		case len(k.Name) > 253 || !secretName.MatchString(k.Name):
			return "kubernetes.name", fmt.Sprintf("%q is not a Kubernetes Secret name: use lowercase letters, digits, '-' and '.', such as checkout-secrets", k.Name)
		case k.Key == "":
			return "kubernetes.key", "the key is empty: name the key of the Secret's data, such as api-key"
		case len(k.Key) > 253 || !secretKey.MatchString(k.Key):
			return "kubernetes.key", fmt.Sprintf("%q is not a key of a Secret: use letters, digits, '-', '_' and '.', such as api-key", k.Key)
		}
	}
	return "", ""
}

// ErrInvalidSecretRef marks a reference that cannot name a secret.
var ErrInvalidSecretRef = errors.New("invalid secretRef")

// Validate reports what Problem finds as an error wrapping ErrInvalidSecretRef.
func (r SecretRef) Validate() error {
	field, msg := r.Problem()
	switch {
	case msg == "":
		return nil
	case field == "":
		return fmt.Errorf("%w: %s", ErrInvalidSecretRef, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalidSecretRef, field, msg)
}

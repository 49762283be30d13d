package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// A value that may be a secret (model.StringOrSecret) is written as a plain
// string, or as {secretRef: {env: NAME}}, {secretRef: {file: /path}} or
// {secretRef: {kubernetes: {name: SECRET, key: KEY}}}.

var stringOrSecretType = reflect.TypeFor[model.StringOrSecret]()

// secretShape is the fix every malformed reference is given.
const secretShape = "{secretRef: {env: NAME}} (or file: /path, kubernetes: {name: SECRET, key: KEY})"

// stringOrSecret decodes a model.StringOrSecret at path.
func (d *decoder) stringOrSecret(n *yaml.Node, path string, v reflect.Value) {
	switch n.Kind {
	case yaml.ScalarNode:
		var s string
		d.str(n, path, reflect.ValueOf(&s).Elem())
		v.Set(reflect.ValueOf(model.Inline(s)))
		return
	case yaml.MappingNode:
	default:
		d.badValue(n, path, fmt.Sprintf("expected a string or %s, found %s", secretShape, describe(n)))
		return
	}
	var refNode *yaml.Node
	for _, kv := range d.pairs(n, path) {
		if kv.key.Value != "secretRef" {
			d.badValue(kv.key, path, fmt.Sprintf("unknown field %q: a value read from a secret is written %s; quote the text to write it inline", kv.key.Value, secretShape))
			continue
		}
		refNode = kv.value
	}
	if refNode == nil {
		if len(n.Content) == 0 {
			d.badValue(n, path, "expected a string or "+secretShape+", found an empty mapping")
		}
		return
	}
	ref, ok := d.secretRef(refNode, path+".secretRef")
	if !ok {
		if d.bad != nil {
			d.bad[path] = true
		}
		return
	}
	v.Set(reflect.ValueOf(model.FromSecret(ref)))
}

// secretRef decodes and checks the reference at path; ok is false when
// something was reported.
func (d *decoder) secretRef(n *yaml.Node, path string) (ref model.SecretRef, ok bool) {
	reports := 0
	report := d.report
	d.report = func(p position, at, msg string) { reports++; report(p, at, msg) }
	defer func() { d.report = report }()

	d.decode(n, path, reflect.ValueOf(&ref).Elem(), nil)
	if reports > 0 {
		return ref, false
	}
	for _, f := range []struct{ field, value, msg string }{
		{"env", ref.Env, "the variable name is empty: name a variable of the gennaker server's environment, such as SLACK_WEBHOOK_URL"},
		{"file", ref.File, "the path is empty: write the absolute path of a file on the gennaker server, such as /etc/gennaker/ci-token"},
	} {
		if p := joinPath(path, f.field); d.pos.has(p) && f.value == "" {
			d.report(d.pos.at(p), p, f.msg)
		}
	}
	if reports > 0 {
		return ref, false
	}
	if field, msg := ref.Problem(); msg != "" {
		p, at := joinPath(path, field), joinPath(path, field)
		if set := ref.Sources(); len(set) > 1 {
			at = joinPath(path, string(set[1])) // point at the source too many
		}
		d.report(d.pos.at(at), p, msg)
		return ref, false
	}
	return ref, true
}

// inlineCredential is the message for a credential written inline.
func inlineCredential(what, why string) string {
	return what + " looks like a credential written inline (" + why + "): it would be stored and shown to every viewer; write {secretRef: {env: NAME}} (or file:) instead"
}

// checkWebhookSecrets refuses credentials written inline in a webhook
// (where we can tell) and references the gennaker server cannot read.
func checkWebhookSecrets(doc *Document, path string, w *model.WebhookStage) []Error {
	type value struct {
		path, header string // header is the header's name, for header values
		v            model.StringOrSecret
	}
	values := []value{{path: "url", v: w.URL}, {path: "statusUrl", v: w.StatusURL}, {path: "body", v: w.Body}}
	for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
		values = append(values, value{path: fieldPath("headers", k), header: k, v: w.Headers[k]})
	}
	var errs []Error
	for _, f := range values {
		p, v := joinPath(path, f.path), f.v
		switch {
		case v.Secret != nil && v.Secret.Kubernetes != nil:
			errs = append(errs, doc.errorf(p+".secretRef.kubernetes", "a kubernetes Secret is read by the pods of a kubernetes environment, never by the gennaker server, which makes this call: use {secretRef: {env: NAME}} or {secretRef: {file: /path}}"))
		case v.IsSecret() || v.Value == "":
		case f.path == "url" || f.path == "statusUrl":
			if why := secret.CredentialInURL(v.Value); why != "" {
				errs = append(errs, doc.errorf(p, "%s", inlineCredential(secret.Redact(v.Value), why)))
			}
		case f.header != "" && secret.CredentialHeader(f.header):
			errs = append(errs, doc.errorf(p, "%s", inlineCredential("header "+f.header, "by its name")))
		}
	}
	return errs
}

// checkRunEnvSecrets refuses run.env variables whose names say they hold a
// credential when their value is written inline.
func checkRunEnvSecrets(doc *Document, env map[string]model.StringOrSecret) []Error {
	var errs []Error
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if v := env[k]; !v.IsSecret() && v.Value != "" && secret.CredentialEnvName(k) {
			errs = append(errs, doc.errorf(fieldPath("spec.run.env", k), "%s", inlineCredential("the value of "+k, "by its name")))
		}
	}
	return errs
}

// stringOrSecret is the schema of a value that may be a secret.
func (g *schemaGen) stringOrSecret() jsonSchema {
	if _, ok := g.defs["SecretRef"]; !ok {
		g.defs["SecretRef"] = secretRefSchema()
	}
	return jsonSchema{
		"description": "a string, or {secretRef: {...}} to read the value from a secret when it is used",
		"oneOf": []any{
			jsonSchema{"type": "string"},
			jsonSchema{
				"type": "object", "additionalProperties": false, "required": []string{"secretRef"},
				"properties": jsonSchema{"secretRef": jsonSchema{"$ref": "#/$defs/SecretRef"}},
			},
		},
	}
}

// secretRefOnly is the schema of a secret that is never written inline.
func (g *schemaGen) secretRefOnly() jsonSchema {
	if _, ok := g.defs["SecretRef"]; !ok {
		g.defs["SecretRef"] = secretRefSchema()
	}
	return jsonSchema{
		"description":          "{secretRef: {...}}: a secret is never written inline",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"secretRef"},
		"properties":           jsonSchema{"secretRef": jsonSchema{"$ref": "#/$defs/SecretRef"}},
	}
}

func secretRefSchema() jsonSchema {
	nonEmpty := jsonSchema{"type": "string", "minLength": 1}
	return jsonSchema{
		"description":          "Where a secret is read: exactly one of env, file, kubernetes.",
		"type":                 "object",
		"additionalProperties": false,
		"properties": jsonSchema{
			"env": jsonSchema{"type": "string", "pattern": model.EnvNamePattern,
				"description": "a variable of the gennaker server's environment"},
			"file": jsonSchema{"type": "string", "pattern": "^/",
				"description": fmt.Sprintf("an absolute path of a file on the gennaker server (at most %d KiB; trailing newlines are trimmed)", secret.DefaultMaxFileSize>>10)},
			"kubernetes": jsonSchema{
				"description":          "a key of a Secret in the namespace of a kubernetes environment (run.env only)",
				"type":                 "object",
				"additionalProperties": false,
				"required":             []string{"name", "key"},
				"properties":           jsonSchema{"name": nonEmpty, "key": nonEmpty},
			},
		},
		"oneOf": []any{
			jsonSchema{"required": []string{"env"}},
			jsonSchema{"required": []string{"file"}},
			jsonSchema{"required": []string{"kubernetes"}},
		},
	}
}

package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/gennaker/gennaker/internal/secret"
)

// MaxPayload bounds the payload an execution records: a bigger one is
// replaced by a note saying it was truncated, with its first part.
const MaxPayload = 16 << 10

// payloadHead is how much of a truncated payload is kept.
const payloadHead = 4 << 10

// RedactPayload returns what an execution may show of a trigger's payload:
// the values of keys named like credentials (secret, token, password,
// api key, private key, credential, authorization, cookie) replaced by
// "***", credential-looking strings redacted (URL userinfo, token query
// parameters, hook URLs, and values), and at most MaxPayload bytes. A
// payload that is not JSON is kept as a redacted JSON string. nil stays
// nil.
func RedactPayload(raw []byte, values ...string) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	r := secret.NewRedactor(values...)
	var out []byte
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err == nil && !dec.More() {
		if b, err := json.Marshal(dropCredentials(doc)); err == nil {
			out = r.RedactJSON(b)
		}
	}
	if out == nil {
		out, _ = json.Marshal(r.Redact(string(raw)))
	}
	if len(out) <= MaxPayload {
		return out
	}
	head := out[:payloadHead]
	for len(head) > 0 && !utf8.Valid(head) {
		head = head[:len(head)-1]
	}
	note, _ := json.Marshal(map[string]any{
		"truncated": fmt.Sprintf("the payload was %d bytes; the first %d are kept", len(out), len(head)),
		"head":      string(head),
	})
	return note
}

// dropCredentials replaces the value of every key named like a credential.
func dropCredentials(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if secret.CredentialEnvName(k) || secret.CredentialHeader(k) {
				v[k] = secret.Redacted
				continue
			}
			v[k] = dropCredentials(child)
		}
	case []any:
		for i := range v {
			v[i] = dropCredentials(v[i])
		}
	}
	return v
}

// Package secret reads the values config refers to with secretRef, at the
// moment they are used, and keeps them out of what gennaker says.
//
// A Resolver turns a model.SecretRef into its value: env reads a variable
// of the gennaker server's environment, file reads a file on the server
// (at most 64 KiB, trailing newlines trimmed). Kubernetes references are
// read by the pods of a kubernetes environment, never by gennaker, so the
// Resolver refuses them. Resolved values are handed to the call that needs
// them and dropped; they are never stored.
//
// Redact removes resolved values and credential-looking parts of URLs
// (userinfo, token-like query parameters, the secret path of Slack, Discord,
// Microsoft Teams and Mattermost incoming-webhook URLs) from a message
// before it is stored or shown. The same rules tell config which inline
// values look like credentials (CredentialInURL, CredentialHeader,
// CredentialEnvName).
package secret

package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // a schedule's timeZone is checked (and run) the same on a machine without zoneinfo

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/robfig/cron/v3"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Limits of a pipeline's triggers.
const (
	maxTriggers       = 32
	maxTriggerWhen    = 16
	maxTriggerParams  = 32
	maxTagPattern     = 1024
	minPollInterval   = model.Duration(10 * time.Second)
	triggerNameLength = 63
)

// cronParser reads a schedule's cron: five fields (minute hour day-of-month
// month day-of-week) or a descriptor (@yearly, @monthly, @weekly, @daily,
// @midnight, @hourly, @every DURATION).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// validateTriggers checks a pipeline's triggers on their own (references to
// other pipelines and hooks shared across pipelines: checkTriggerRefs).
func validateTriggers(doc *Document, p *model.Pipeline) []Error {
	const list = "spec.triggers"
	var errs []Error
	if len(p.Triggers) > maxTriggers {
		errs = append(errs, doc.errorf(list, "%d triggers: a pipeline has at most %d", len(p.Triggers), maxTriggers))
	}
	names := map[string]int{}
	for i, t := range p.Triggers {
		path := indexPath(list, i)
		if msg := checkTriggerName(t.Name); msg != "" && doc.pos.has(path+".name") {
			errs = append(errs, doc.errorf(path+".name", "%s", msg))
		} else if t.Name != "" {
			if j, dup := names[t.Name]; dup {
				errs = append(errs, doc.errorf(path+".name", "trigger %q is declared twice (first at %s): trigger names are unique within a pipeline", t.Name, indexPath(list, j)))
			} else {
				names[t.Name] = i
			}
		}
		switch {
		case t.Webhook != nil:
			errs = append(errs, validateWebhookTrigger(doc, path+".webhook", t)...)
		case t.Registry != nil:
			errs = append(errs, validateRegistryTrigger(doc, path+".registry", t.Registry)...)
		case t.Git != nil:
			errs = append(errs, validateGitTrigger(doc, path+".git", t.Git)...)
		case t.Schedule != nil:
			errs = append(errs, validateScheduleTrigger(doc, path+".schedule", t.Schedule)...)
		}
		if typ := t.Type(); typ != "" {
			errs = append(errs, checkTriggerExpressions(doc, path, typ, t, p)...)
		}
	}
	return errs
}

// checkTriggerName returns what is wrong with a trigger's name, or "": it
// is part of API paths (/api/v1/triggers/APP/PIPELINE/NAME) and, by
// default, of a webhook's URL.
func checkTriggerName(n string) string {
	switch {
	case n == "":
		return "the trigger's name is empty: name it, such as on-push"
	case len(n) > triggerNameLength:
		return fmt.Sprintf("%q is %d characters long: a trigger's name has at most %d", n, len(n), triggerNameLength)
	case !dnsLabel.MatchString(n):
		return fmt.Sprintf("%q is not a valid trigger name: it is part of URLs, so use lowercase letters, digits and '-', starting and ending with a letter or digit, such as %q", n, suggestName(n))
	}
	return ""
}

func validateWebhookTrigger(doc *Document, path string, t model.TriggerSpec) []Error {
	w := t.Webhook
	var errs []Error
	if w.Hook != "" {
		if msg := checkHookName(w.Hook); msg != "" {
			errs = append(errs, doc.errorf(path+".hook", "%s", msg))
		}
	}
	if w.Header != "" {
		switch {
		case !slices.Contains(trigger.Providers, w.Provider):
			// the decoder reports the provider
		case w.Provider != trigger.ProviderHMAC:
			errs = append(errs, doc.errorf(path+".header", "header only applies to provider hmac (%s signs with %s): remove it", w.Provider, providerHeader(w.Provider)))
		case !headerToken.MatchString(w.Header) || len(w.Header) > maxHeaderName:
			errs = append(errs, doc.errorf(path+".header", "%q is not an HTTP header name: use letters, digits and '-', such as X-Signature", w.Header))
		}
	}
	switch s := w.Secret; {
	case s.IsSecret():
		errs = append(errs, serverSecret(doc, path+".secret", s)...)
	case s.Value != "":
		errs = append(errs, doc.errorf(path+".secret", "a webhook's secret is never written inline (it would be stored and shown to every viewer): put it in the gennaker server's environment or a file and write secret: {secretRef: {env: %s}} (or {secretRef: {file: /etc/gennaker/%s-secret}})", suggestEnvName(t.Name), suggestName(t.Name)))
	case doc.pos.has(path + ".secret"):
		errs = append(errs, doc.errorf(path+".secret", "the secret is empty: write secret: {secretRef: {env: %s}}", suggestEnvName(t.Name)))
	}
	return errs
}

// checkHookName returns what is wrong with a webhook's hook, or "".
func checkHookName(h string) string {
	if len(h) > triggerNameLength || !dnsLabel.MatchString(h) {
		return fmt.Sprintf("%q is not a valid hook: it is the last part of the URL /api/v1/hooks/HOOK, so use lowercase letters, digits and '-', starting and ending with a letter or digit (at most %d), such as %q", h, triggerNameLength, suggestName(h))
	}
	return ""
}

// providerHeader names the header a provider's deliveries are signed in.
func providerHeader(provider string) string {
	switch provider {
	case trigger.ProviderGitHub:
		return trigger.HeaderGitHubSignature
	case trigger.ProviderGitLab:
		return trigger.HeaderGitLabToken
	}
	return "its own header"
}

// suggestEnvName turns a trigger's name into a variable name, for messages.
func suggestEnvName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "HOOK_" + s
	}
	return s + "_SECRET"
}

// serverSecret refuses a reference the gennaker server cannot read.
func serverSecret(doc *Document, path string, v model.StringOrSecret) []Error {
	if v.Secret != nil && v.Secret.Kubernetes != nil {
		return []Error{doc.errorf(path+".secretRef.kubernetes", "a kubernetes Secret is read by the pods of a kubernetes environment, never by the gennaker server, which reads this one: use {secretRef: {env: NAME}} or {secretRef: {file: /path}}")}
	}
	return nil
}

// checkCredentials checks a poller's username and password: the password
// always by reference, both readable by the server, no username without a
// password, and (unless passwordAlone: git hosts take a token as the
// password of any user) no password without a username.
func checkCredentials(doc *Document, path string, user, pass *model.StringOrSecret, passwordAlone bool) []Error {
	var errs []Error
	if user != nil {
		errs = append(errs, serverSecret(doc, path+".username", *user)...)
	}
	if pass != nil {
		switch {
		case pass.IsSecret():
			errs = append(errs, serverSecret(doc, path+".password", *pass)...)
		case pass.Value != "":
			errs = append(errs, doc.errorf(path+".password", "%s", inlineCredential("the password", "passwords always are")))
		}
	}
	switch {
	case user != nil && pass == nil:
		errs = append(errs, doc.errorf(path+".username", "username and password go together: add password: {secretRef: {env: NAME}}, or remove username"))
	case user == nil && pass != nil && !passwordAlone:
		errs = append(errs, doc.errorf(path+".password", "username and password go together: add username, or remove password"))
	}
	return errs
}

// checkInterval checks a poller's interval (0 is the default).
func checkInterval(doc *Document, path string, d model.Duration) []Error {
	if d != 0 && d < minPollInterval {
		return []Error{doc.errorf(path, "%s is too often: look at most every %s (or omit it for 1m)", d, minPollInterval)}
	}
	return nil
}

func validateRegistryTrigger(doc *Document, path string, r *model.RegistryTrigger) []Error {
	var errs []Error
	if r.Repository != "" {
		if msg := checkRepository(r.Repository); msg != "" {
			errs = append(errs, doc.errorf(path+".repository", "%s", msg))
		}
	}
	if r.Tag != "" {
		if msg := checkTagPattern(r.Tag); msg != "" {
			errs = append(errs, doc.errorf(path+".tag", "%s", msg))
		}
	}
	if r.Semver != "" {
		if _, err := semver.NewConstraint(r.Semver); err != nil {
			errs = append(errs, doc.errorf(path+".semver", "%q is not a semver constraint (%v): write one such as ^1.4, ~2.1 or \">= 2.0, < 3\"", r.Semver, err))
		}
	}
	errs = append(errs, checkInterval(doc, path+".interval", r.Interval)...)
	return append(errs, checkCredentials(doc, path, r.Username, r.Password, false)...)
}

// checkRepository returns what is wrong with an image repository, or "".
func checkRepository(repo string) string {
	last := repo[strings.LastIndex(repo, "/")+1:]
	switch {
	case strings.Contains(repo, "@"):
		return fmt.Sprintf("%q names a digest: write the repository alone, such as %q; the trigger watches its tags", repo, repo[:strings.Index(repo, "@")])
	case strings.Contains(last, ":"):
		return fmt.Sprintf("%q names a tag: write the repository alone, such as %q, and choose tags with tag: (a regular expression) or semver:", repo, repo[:len(repo)-len(last)+strings.Index(last, ":")])
	}
	if strings.HasSuffix(repo, "/") || strings.Contains(repo, "//") {
		return fmt.Sprintf("%q is not an image repository (an empty part between slashes): write one such as ghcr.io/acme/cart", repo)
	}
	if _, err := name.NewRepository(repo); err != nil {
		return fmt.Sprintf("%q is not an image repository (%v): write one such as ghcr.io/acme/cart or registry.example.com:5000/team/app", repo, err)
	}
	return ""
}

// checkTagPattern returns what is wrong with a tag pattern, or "". The
// pattern must match a whole tag (it is anchored when used: TagPattern).
func checkTagPattern(p string) string {
	if len(p) > maxTagPattern {
		return fmt.Sprintf("the pattern is %d characters long: keep it under %d", len(p), maxTagPattern)
	}
	if _, err := TagPattern(p); err != nil {
		return fmt.Sprintf("%q is not a regular expression (%v): write one that matches a whole tag, such as v[0-9]+\\.[0-9]+\\.[0-9]+", p, errors.Unwrap(err))
	}
	return ""
}

// TagPattern compiles a registry trigger's tag pattern so it matches whole
// tags only: "v1.*" matches v1.2 but not prod-v1.2.
func TagPattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, fmt.Errorf("tag pattern %q: %w", p, err)
	}
	return re, nil
}

func validateGitTrigger(doc *Document, path string, g *model.GitTrigger) []Error {
	var errs []Error
	if g.Repository != "" {
		u, err := url.Parse(g.Repository)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			errs = append(errs, doc.errorf(path+".repository", "%q is not an http(s) clone URL: write one such as https://github.com/acme/cart.git (ssh is not supported)", g.Repository))
		case u.User != nil:
			errs = append(errs, doc.errorf(path+".repository", "the URL holds credentials: remove them and write username and password: {secretRef: {env: NAME}}"))
		}
	}
	if g.Branch != "" {
		if msg := checkBranch(g.Branch); msg != "" {
			errs = append(errs, doc.errorf(path+".branch", "%s", msg))
		}
	}
	errs = append(errs, checkInterval(doc, path+".interval", g.Interval)...)
	return append(errs, checkCredentials(doc, path, g.Username, g.Password, true)...)
}

// checkBranch returns what is wrong with a branch name, or "" (the rules of
// git check-ref-format --branch).
func checkBranch(b string) string {
	bad := func(why string) string {
		return fmt.Sprintf("%q is not a branch name (%s): write the branch as git shows it, such as main or release/1.x", b, why)
	}
	switch {
	case strings.HasPrefix(b, "refs/"):
		return fmt.Sprintf("%q is a full ref: write the branch's name alone, such as %q", b, strings.TrimPrefix(strings.TrimPrefix(b, "refs/"), "heads/"))
	case len(b) > 255:
		return bad("over 255 characters")
	case b == "@" || strings.HasPrefix(b, "-"):
		return bad("it may not be @ or start with '-'")
	case strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.Contains(b, "//"):
		return bad("no empty part between slashes")
	case strings.HasSuffix(b, ".") || strings.HasSuffix(b, ".lock") || strings.Contains(b, "..") || strings.Contains(b, "/."):
		return bad("no '..', no part starting with '.', no '.' or '.lock' at the end")
	case strings.Contains(b, "@{"):
		return bad("no '@{'")
	case strings.ContainsFunc(b, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) }):
		return bad("no spaces, control characters or any of ~^:?*[\\")
	}
	return ""
}

func validateScheduleTrigger(doc *Document, path string, s *model.ScheduleTrigger) []Error {
	var errs []Error
	if s.Cron != "" {
		if msg := checkCron(s.Cron); msg != "" {
			errs = append(errs, doc.errorf(path+".cron", "%s", msg))
		}
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "Local" {
			errs = append(errs, doc.errorf(path+".timeZone", "%q is not an IANA time zone: write one such as Europe/Paris, America/New_York or UTC (the default)", s.TimeZone))
		}
	}
	return errs
}

// checkCron returns what is wrong with a cron expression, or "".
func checkCron(c string) string {
	if strings.HasPrefix(c, "TZ=") || strings.HasPrefix(c, "CRON_TZ=") {
		return fmt.Sprintf("%q sets a time zone in the expression: write the zone in timeZone and the five fields alone", c)
	}
	if _, err := cronParser.Parse(c); err != nil {
		return fmt.Sprintf("%q is not a cron expression (%v): write five fields, minute hour day-of-month month day-of-week, such as \"0 6 * * 1-5\" (06:00 on weekdays), or @hourly, @daily, @weekly, @monthly, @every 30m", c, err)
	}
	return ""
}

// checkTriggerExpressions compiles a trigger's `when` conditions and
// `params` expressions for its source's variables, and checks each param
// is one the pipeline takes.
func checkTriggerExpressions(doc *Document, path, typ string, t model.TriggerSpec, p *model.Pipeline) []Error {
	var errs []Error
	if len(t.When) > maxTriggerWhen {
		errs = append(errs, doc.errorf(path+".when", "%d conditions: a trigger has at most %d (join some with &&)", len(t.When), maxTriggerWhen))
	}
	for i, w := range t.When {
		if err := trigger.CheckWhen(typ, w); err != nil {
			errs = append(errs, doc.errorf(indexPath(path+".when", i), "%s", expressionMessage(err)))
		}
	}
	if len(t.Params) > maxTriggerParams {
		errs = append(errs, doc.errorf(path+".params", "%d params: a trigger sets at most %d", len(t.Params), maxTriggerParams))
	}
	declared := make([]string, 0, len(p.Parameters))
	for _, prm := range p.Parameters {
		declared = append(declared, prm.Name)
	}
	for _, k := range sortedKeys(t.Params) {
		kp := fieldPath(path+".params", k)
		if !slices.Contains(declared, k) && k != "version" && k != model.ParamFix && !strings.HasPrefix(k, "env.") {
			has := "it declares none"
			if len(declared) > 0 {
				has = "it declares " + strings.Join(declared, ", ")
			}
			errs = append(errs, doc.errorf(kp, "the pipeline has no parameter %q (%s; version, fix and env.NAME are always accepted)%s: declare it in spec.parameters or remove it", k, has, didYouMean(k, append(declared, "version"))))
			continue
		}
		if err := trigger.CompileCheck(typ, t.Params[k]); err != nil {
			errs = append(errs, doc.errorf(kp, "%s", expressionMessage(err)))
		}
	}
	return errs
}

// expressionMessage is a CEL error without its sentinel's prefix.
func expressionMessage(err error) string {
	return strings.TrimPrefix(err.Error(), trigger.ErrExpression.Error()+": ")
}

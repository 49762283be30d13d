package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// emailTarget sends plain-text email over SMTP, with STARTTLS as its
// policy says, and never sends credentials in clear unless told (never).
type emailTarget struct {
	t    *Targets
	spec model.EmailTarget
}

func (e *emailTarget) Send(ctx context.Context, m Message) error {
	host, _, err := net.SplitHostPort(e.spec.SMTP)
	if err != nil {
		return permanent(fmt.Errorf("smtp %q is not host:port", e.spec.SMTP))
	}
	var user, pass string
	if !e.spec.Username.IsZero() {
		if user, err = e.t.value(ctx, e.spec.Username, "the SMTP username"); err != nil {
			return err
		}
		if pass, err = e.t.value(ctx, e.spec.Password, "the SMTP password"); err != nil {
			return err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", e.spec.SMTP)
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server: %w", err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(e.t.helloName()); err != nil {
		return fmt.Errorf("SMTP EHLO: %w", err)
	}
	policy := e.spec.StartTLS
	if policy == "" {
		policy = model.StartTLSRequired
	}
	secure := false
	if ok, _ := c.Extension("STARTTLS"); ok && policy != model.StartTLSNever {
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if e.t.TLS != nil {
			cfg = e.t.TLS.Clone()
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("SMTP STARTTLS: %w", err)
		}
		secure = true
	}
	switch {
	case !secure && policy == model.StartTLSRequired:
		return permanent(fmt.Errorf("the SMTP server %s does not offer STARTTLS, and starttls is required: use a server that does, or write starttls: opportunistic (or never, for a relay on this host)", e.spec.SMTP))
	case !secure && user != "" && policy != model.StartTLSNever:
		return permanent(fmt.Errorf("the SMTP server %s offers no STARTTLS: gennaker does not send the password in clear (write starttls: never to allow it)", e.spec.SMTP))
	}
	if user != "" {
		if err := c.Auth(plainAuth{user: user, pass: pass}); err != nil {
			return permanent(fmt.Errorf("SMTP login as %s: %w", user, err))
		}
	}
	if err := c.Mail(e.spec.From); err != nil {
		return smtpErr("MAIL FROM", err)
	}
	for _, to := range e.spec.To {
		if err := c.Rcpt(to); err != nil {
			return smtpErr("RCPT TO "+to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("DATA", err)
	}
	if _, err := w.Write(EmailBody(m, e.spec.From, e.spec.To, e.t.helloName())); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("DATA", err)
	}
	_ = c.Quit()
	return nil
}

// smtpErr wraps an SMTP reply: a 5xx code is permanent.
func smtpErr(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return permanent(fmt.Errorf("SMTP %s: %w", step, err))
	}
	return fmt.Errorf("SMTP %s: %w", step, err)
}

func (t *Targets) helloName() string {
	if t.Host == "" {
		return "localhost"
	}
	if h := hostOf(t.Host); h != "" {
		return h
	}
	return "localhost"
}

// hostOf is the host name of a URL, or "".
func hostOf(raw string) string {
	raw = strings.TrimPrefix(strings.TrimPrefix(raw, "https://"), "http://")
	raw, _, _ = strings.Cut(raw, "/")
	if h, _, err := net.SplitHostPort(raw); err == nil {
		return h
	}
	return raw
}

// plainAuth is SMTP AUTH PLAIN. Unlike net/smtp.PlainAuth it leaves the
// decision to send it in clear to the target's policy, checked above.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected SMTP AUTH challenge")
	}
	return nil, nil
}

// EmailBody is the message of m as an email: headers (no CR or LF from
// any value), then the summary, reason and link as quoted-printable text.
func EmailBody(m Message, from string, to []string, host string) []byte {
	clean := strings.NewReplacer("\r", " ", "\n", " ")
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, clean.Replace(v)) }
	header("From", from)
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject()))
	header("Date", m.Time.Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID+"@"+host+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("X-Gennaker-Delivery", m.ID)
	header("X-Gennaker-Event", string(m.Event))
	b.WriteString("\r\n")
	var text strings.Builder
	text.WriteString(m.Summary + "\n")
	if m.Reason != "" {
		text.WriteString("\n" + m.Reason + "\n")
	}
	if lines := m.Lines(); len(lines) > 0 {
		text.WriteString("\n")
		for _, l := range lines {
			text.WriteString("- " + l + "\n")
		}
	}
	if m.URL != "" {
		text.WriteString("\n" + m.URL + "\n")
	}
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(text.String(), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

package notify

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// openLabel is the text of every message's link button.
const openLabel = "Open in gennaker"

// slackTarget posts Block Kit to a Slack-compatible incoming webhook
// (Mattermost and Rocket.Chat read its text).
type slackTarget struct {
	t   *Targets
	url model.StringOrSecret
}

func (s *slackTarget) Send(ctx context.Context, m Message) error {
	url, err := s.t.value(ctx, s.url, "the Slack webhook URL")
	if err != nil {
		return err
	}
	body, err := json.Marshal(SlackPayload(m))
	if err != nil {
		return permanent(err)
	}
	return s.t.post(ctx, url, body, map[string]string{"Content-Type": "application/json", "X-Gennaker-Delivery": m.ID})
}

// SlackPayload is the Block Kit message of m: the summary in bold, the
// reason under it, and a button that opens the detail in the UI.
func SlackPayload(m Message) map[string]any {
	text := "*" + slackEscape(m.Summary) + "*"
	if m.Reason != "" {
		text += "\n" + slackEscape(m.Reason)
	}
	lines := ""
	for _, l := range m.Lines() {
		lines += "\n• " + slackEscape(l)
	}
	text += lines
	blocks := []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}}
	if m.URL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": openLabel}, "url": m.URL,
		}}})
	}
	// The top-level text is mrkdwn too (notifications, previews): escaped
	// like the blocks, so event text cannot ping <!channel> or disguise a
	// link.
	fallback := slackEscape(m.Summary) + lines
	if m.URL != "" {
		fallback += " <" + m.URL + "|" + openLabel + ">"
	}
	return map[string]any{"text": fallback, "blocks": blocks}
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// teamsEscape breaks the one markdown form an Adaptive Card's TextBlock
// renders that event text must not produce: a link, [text](url). A zero
// width space between "]" and "(" keeps the text as written and makes it
// no link (Teams shows backslash escapes literally, so none are used).
func teamsEscape(s string) string {
	return strings.ReplaceAll(s, "](", "]\u200b(")
}

// teamsTarget posts an Adaptive Card to a Microsoft Teams incoming webhook
// (a Workflows webhook, or a connector's).
type teamsTarget struct {
	t   *Targets
	url model.StringOrSecret
}

func (s *teamsTarget) Send(ctx context.Context, m Message) error {
	url, err := s.t.value(ctx, s.url, "the Teams webhook URL")
	if err != nil {
		return err
	}
	body, err := json.Marshal(TeamsPayload(m))
	if err != nil {
		return permanent(err)
	}
	return s.t.post(ctx, url, body, map[string]string{"Content-Type": "application/json", "X-Gennaker-Delivery": m.ID})
}

// TeamsPayload is the Adaptive Card message of m.
func TeamsPayload(m Message) map[string]any {
	body := []any{map[string]any{"type": "TextBlock", "text": teamsEscape(m.Summary), "weight": "Bolder", "wrap": true}}
	if m.Reason != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": teamsEscape(m.Reason), "wrap": true})
	}
	for _, l := range m.Lines() {
		body = append(body, map[string]any{"type": "TextBlock", "text": "• " + teamsEscape(l), "wrap": true, "spacing": "None"})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard", "version": "1.4", "body": body,
	}
	if m.URL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": openLabel, "url": m.URL}}
	}
	return map[string]any{"type": "message", "summary": teamsEscape(m.Summary), "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "content": card,
	}}}
}

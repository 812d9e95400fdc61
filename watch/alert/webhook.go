package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// webhookAction POSTs each notice as JSON.
type webhookAction struct {
	cfg    WebhookConfig
	client *http.Client
}

func newWebhook(c WebhookConfig) *webhookAction {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Backoff == 0 {
		c.Backoff = time.Second
	}
	return &webhookAction{cfg: c, client: &http.Client{
		Timeout: c.Timeout,
		// A webhook does not follow redirects: a 3xx is a failure, so
		// that a notice is never sent somewhere the configuration did
		// not name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// WebhookBody is the JSON document a webhook receives. Strings are the
// raw values from the logs (JSON escapes them; the receiver must treat
// them as hostile); Text is the same notice as the mail body, cleaned.
type WebhookBody struct {
	Kind     string    `json:"kind"` // "opened" or "summary"
	Incident string    `json:"incident"`
	Rule     string    `json:"rule"`
	RuleKind string    `json:"rule_kind"`
	Source   string    `json:"source"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Count    int       `json:"count"`
	Followed int       `json:"followed"`
	Refused  int       `json:"refused"`
	Granted  int       `json:"granted"`
	Services []string  `json:"services"`
	Names    []string  `json:"names,omitempty"`
	Closed   string    `json:"closed,omitempty"`
	Event    EventJSON `json:"event"`
	Subject  string    `json:"subject"`
	Text     string    `json:"text"`
}

// EventJSON is the opening event in a WebhookBody.
type EventJSON struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host,omitempty"`
	Program string    `json:"program,omitempty"`
	PID     int       `json:"pid,omitempty"`
	Service string    `json:"service"`
	Verdict string    `json:"verdict"`
	Addr    string    `json:"addr,omitempty"`
	Name    string    `json:"name,omitempty"`
	User    string    `json:"user,omitempty"`
	Rule    string    `json:"rule,omitempty"`
	Origin  string    `json:"origin"`
}

// Body is the notice as a webhook sends it.
func (n *Notice) Body() WebhookBody {
	b := WebhookBody{
		Kind: n.Kind.String(), Incident: n.Incident, Rule: n.Rule, RuleKind: n.RuleKind.String(),
		Source: n.Source, First: n.First, Last: n.Last, Count: n.Count, Followed: n.Followed,
		Refused: n.Refused, Granted: n.Granted, Services: n.Services, Names: n.Names, Closed: n.Closed,
		Subject: n.Subject(), Text: n.Text(),
	}
	if b.Services == nil {
		b.Services = []string{}
	}
	ev := &n.Event
	b.Event = EventJSON{Time: ev.Time, Host: ev.Host, Program: ev.Program, PID: ev.PID, Service: ev.Daemon,
		Verdict: ev.Verdict.String(), Name: ev.Name, User: ev.User, Rule: ev.Rule, Origin: ev.Source.String()}
	if ev.Addr.IsValid() {
		b.Event.Addr = ev.Addr.String()
	}
	return b
}

func (w *webhookAction) Do(ctx context.Context, n Notice) error {
	body, err := json.Marshal(n.Body())
	if err != nil {
		return err
	}
	wait := w.cfg.Backoff
	var last error
	for attempt := 0; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt >= w.cfg.Retries || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %v)", last, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
	return last
}

// post makes one attempt; retry says whether another may succeed.
func (w *webhookAction) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tcpdwatch")
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return false, nil
	}
	err = fmt.Errorf("webhook %s: %s", w.cfg.URL, resp.Status)
	return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout, err
}

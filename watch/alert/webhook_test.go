package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpwrap/watch/alert"
)

// hook is a webhook receiver that answers with the next status in its
// list (the last one repeating) and keeps the requests.
type hook struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	headers  []http.Header
	delay    time.Duration
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(body))
	h.headers = append(h.headers, r.Header.Clone())
	status := h.statuses[min(len(h.bodies), len(h.statuses))-1]
	h.mu.Unlock()
	if h.delay > 0 {
		select {
		case <-time.After(h.delay):
		case <-r.Context().Done():
			return
		}
	}
	if status == http.StatusFound {
		http.Redirect(w, r, "/elsewhere", status)
		return
	}
	w.WriteHeader(status)
}

func (h *hook) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func TestWebhook(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		retries  int
		delay    time.Duration
		wantErr  string // "" for success
		requests int
	}{
		// The notice arrives at once.
		{name: "ok", statuses: []int{204}, requests: 1},
		// Server errors are retried with backoff until one succeeds.
		{name: "retried", statuses: []int{500, 503, 200}, requests: 3},
		// A client error will not get better: no retry.
		{name: "404 fails at once", statuses: []int{404}, wantErr: "404 Not Found", requests: 1},
		// Too many requests is retried.
		{name: "429 retried", statuses: []int{429, 202}, requests: 2},
		// Retries run out.
		{name: "gives up", statuses: []int{502}, retries: 2, wantErr: "502 Bad Gateway", requests: 3},
		// A redirect is a failure, not followed.
		{name: "redirect", statuses: []int{302}, wantErr: "302 Found", requests: 1},
		// An attempt that takes too long fails.
		{name: "timeout", statuses: []int{200}, retries: -1, delay: 5 * time.Second, wantErr: "Timeout", requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &hook{statuses: tt.statuses, delay: tt.delay}
			srv := httptest.NewServer(h)
			defer srv.Close()
			act, err := alert.NewAction(alert.ActionConfig{Name: "hook", Kind: alert.ActionWebhook, Webhook: alert.WebhookConfig{
				URL: srv.URL + "/tcpdwatch", Headers: map[string]string{"Authorization": "Bearer t0ken"},
				Timeout: 300 * time.Millisecond, Retries: tt.retries, Backoff: 10 * time.Millisecond,
			}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = act.Do(context.Background(), hostileNotice(alert.Opened))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if n := h.requests(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

// The JSON carries the notice, hostile strings intact but escaped, with
// the configured headers.
func TestWebhookBody(t *testing.T) {
	h := &hook{statuses: []int{200}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	act, err := alert.NewAction(alert.ActionConfig{Name: "hook", Kind: alert.ActionWebhook, Webhook: alert.WebhookConfig{
		URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer t0ken"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := hostileNotice(alert.Summary)
	if err := act.Do(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	hdr := h.headers[0]
	if hdr.Get("Content-Type") != "application/json" || hdr.Get("Authorization") != "Bearer t0ken" {
		t.Errorf("headers %v", hdr)
	}
	var b alert.WebhookBody
	dec := json.NewDecoder(strings.NewReader(h.bodies[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatal(err)
	}
	if b.Kind != "summary" || b.Rule != "trap" || b.RuleKind != "trap" || b.Source != "192.0.2.66" ||
		b.Count != 3 || b.Followed != 2 || b.Closed != "quiet" || !b.First.Equal(t0) || !b.Last.Equal(t0.Add(time.Minute)) {
		t.Errorf("body %+v", b)
	}
	if b.Event.Name != n.Event.Name || b.Event.Service != n.Event.Daemon || b.Event.Addr != "192.0.2.66" || b.Event.Verdict != "refused" {
		t.Errorf("event %+v", b.Event)
	}
	if strings.ContainsAny(b.Subject, "\r\n") || b.Subject != n.Subject() || b.Text != n.Text() {
		t.Errorf("subject %q", b.Subject)
	}
	if strings.Contains(h.bodies[0], "<") {
		t.Errorf("JSON holds a raw '<': %s", h.bodies[0])
	}
}

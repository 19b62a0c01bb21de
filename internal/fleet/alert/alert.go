// Package alert delivers fleet alerts: a host became non-compliant, a
// host went stale, a new unmanaged gateway appeared. Targets are a JSON
// webhook signed with HMAC-SHA256 and syslog (RFC 5424).
package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kinds of alert.
const (
	KindNonCompliant = "host.non_compliant"
	KindStale        = "host.stale"
	KindUnmanaged    = "gateway.unmanaged"
)

// Event is one alert. Text fields come from hosts and are untrusted: the
// webhook carries them as JSON strings, syslog escapes them.
type Event struct {
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	HostID   string    `json:"host_id,omitempty"`
	Hostname string    `json:"hostname,omitempty"`
	// Controls that moved to fail (KindNonCompliant).
	Controls []string `json:"controls,omitempty"`
	Address  string   `json:"address,omitempty"`
	Message  string   `json:"message"`
}

// Sink sends alerts.
type Sink interface {
	Send(ctx context.Context, e Event) error
}

// Webhook posts the event as JSON with X-Clawgov-Timestamp and
// X-Clawgov-Signature-256: sha256=HEX(HMAC-SHA256(secret, timestamp "." body)).
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// Sign computes the webhook signature header value.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send posts e.
func (w *Webhook) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ts := strconv.FormatInt(e.At.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Clawgov-Timestamp", ts)
	req.Header.Set("X-Clawgov-Signature-256", Sign(w.Secret, ts, body))
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Syslog sends RFC 5424 messages over udp or tcp (octet-counted framing,
// RFC 6587).
type Syslog struct {
	Network, Addr string
	Hostname      string
}

// Format renders e as an RFC 5424 message: facility security/authorization
// (10), severity warning (4) or notice (5).
func Format(e Event, hostname string) string {
	sev := 4
	if e.Kind == KindStale {
		sev = 5
	}
	if hostname == "" {
		hostname = "-"
	}
	sd := fmt.Sprintf(`[clawgov@32473 kind="%s" host_id="%s" hostname="%s" controls="%s" address="%s"]`,
		sdEscape(e.Kind), sdEscape(e.HostID), sdEscape(e.Hostname), sdEscape(strings.Join(e.Controls, ",")), sdEscape(e.Address))
	return fmt.Sprintf("<%d>1 %s %s clawgov - %s %s %s", 10*8+sev, e.At.UTC().Format(time.RFC3339), printable(hostname, 255), e.Kind, sd, msgEscape(e.Message))
}

// sdEscape escapes a structured-data value (RFC 5424 §6.3.3).
func sdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)
	return r.Replace(msgEscape(s))
}

// msgEscape keeps a message on one line.
func msgEscape(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func printable(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 {
			b.WriteRune(r)
		}
		if b.Len() >= max {
			break
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// Send writes one message.
func (s *Syslog) Send(ctx context.Context, e Event) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, s.Network, s.Addr)
	if err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := Format(e, s.Hostname)
	if s.Network == "tcp" {
		msg = strconv.Itoa(len(msg)) + " " + msg
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// ParseSyslog builds a syslog sink from udp://host:port or tcp://host:port.
func ParseSyslog(target, hostname string) (*Syslog, error) {
	netw, addr, ok := strings.Cut(target, "://")
	if !ok || (netw != "udp" && netw != "tcp") {
		return nil, fmt.Errorf("syslog target %q: want udp://host:port or tcp://host:port", target)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("syslog target %q: %w", target, err)
	}
	return &Syslog{Network: netw, Addr: addr, Hostname: hostname}, nil
}

// Package mirror pulls skills from an upstream ClawHub-compatible registry
// into clawgov's vetted registry, through the HTTP endpoints the real
// clients use (clawhub-protocol.md §4.5, §4.7, §4.8, §4.10), and feeds
// every pulled version into the registry's own publish path: scanned on
// arrival, malicious rejected, everything else queued for review. It never
// mirrors what the upstream hides, removed or blocks as malware, and it is
// a polite client: a token bucket, Retry-After and the rate-limit headers
// ClawHub sends, bounded retries with backoff, timeouts and size caps.
package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/registry"
)

// Clock is the time source of the client: tests use a fake whose Sleep
// advances Now, so waits are asserted by value and never slept.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Defaults of the client (also the CLI's flag defaults).
const (
	DefaultRate       = 2.0
	DefaultRetries    = 3
	DefaultTimeout    = 30 * time.Second
	DefaultMaxWait    = 2 * time.Minute
	DefaultMaxArchive = int64(registry.MaxSkillBytes + 1<<20)
	// MaxJSONBytes bounds every JSON answer (OpenClaw allows 16 MiB).
	MaxJSONBytes = int64(16 << 20)
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Base is the upstream registry's API base (http or https).
	Base string
	// Token is sent as a Bearer token (never logged or printed).
	Token string
	// Rate is requests per second (a token bucket of one).
	Rate float64
	// Retries is how many times a 429, a 5xx or a transport error is
	// retried before giving up.
	Retries int
	// Timeout bounds each attempt, body included.
	Timeout time.Duration
	// MaxWait is the longest Retry-After (or rate-limit reset) the client
	// honours; an upstream asking for more fails the request instead.
	MaxWait time.Duration
	// MaxArchiveBytes caps a downloaded archive.
	MaxArchiveBytes int64
	HTTP            *http.Client
	Clock           Clock
	Logger          *slog.Logger
}

// Client talks to one upstream registry.
type Client struct {
	o      ClientOptions
	base   *url.URL
	bucket *bucket
}

// NewClient validates the options and returns a client.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.Base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("upstream %q: want an http(s) registry URL without credentials, query or fragment", o.Base)
	}
	switch {
	case o.Rate < 0 || o.Rate > 1000:
		return nil, fmt.Errorf("rate %v: want 0 < rate <= 1000 requests per second", o.Rate)
	case o.Retries < 0 || o.Retries > 20:
		return nil, fmt.Errorf("retries %d: want 0-20", o.Retries)
	case o.Timeout < 0 || o.MaxWait < 0 || o.MaxArchiveBytes < 0:
		return nil, errors.New("timeout, max wait and archive cap must not be negative")
	case o.MaxArchiveBytes > DefaultMaxArchive:
		return nil, fmt.Errorf("archive cap %d: at most %d (the registry refuses larger archives anyway)", o.MaxArchiveBytes, DefaultMaxArchive)
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.MaxArchiveBytes == 0 {
		o.MaxArchiveBytes = DefaultMaxArchive
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{
			// The per-attempt context carries the timeout; redirects
			// stay on http(s) and Go drops the token on a host change.
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("more than 5 redirects")
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to %s refused", req.URL.Scheme)
				}
				return nil
			},
		}
	}
	return &Client{o: o, base: u, bucket: newBucket(o.Rate, o.Clock)}, nil
}

// Base is the upstream's base URL as configured (trailing slash trimmed).
func (c *Client) Base() string { return c.base.String() }

// Host is the upstream's host, for messages and event remotes.
func (c *Client) Host() string { return c.base.Host }

// url joins an API path to the base, keeping a base path prefix (§1.1).
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Response is one upstream answer, its body read in full (within a cap).
type Response struct {
	Method string
	Status int
	Header http.Header
	Body   []byte
	URL    string
}

// Text is the body as a short one-line string for messages: upstream
// text, so control characters (terminal escapes) become '?'.
func (r *Response) Text() string {
	s := strings.Join(strings.Fields(string(r.Body)), " ")
	s = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == utf8.RuneError {
			return '?'
		}
		return c
	}, s)
	if rs := []rune(s); len(rs) > 200 {
		s = string(rs[:200]) + "…"
	}
	return s
}

// Error is a request that did not get a usable answer: transport errors,
// timeouts, exhausted retries, answers over the size cap.
type Error struct {
	Method, URL string
	Msg         string
	Err         error
}

func (e *Error) Error() string { return fmt.Sprintf("upstream %s %s: %s", e.Method, e.URL, e.Msg) }
func (e *Error) Unwrap() error { return e.Err }

// ErrTooLarge marks an answer over its size cap.
var ErrTooLarge = errors.New("answer over the size cap")

// ErrRateLimited marks a 429 the client could not wait out.
var ErrRateLimited = errors.New("rate limited by the upstream")

// do sends one request with the bucket, the retries and the cap. Any
// status is returned to the caller except 429 and 500/502/503/504, which
// are retried and become an *Error when retries run out.
func (c *Client) do(ctx context.Context, method, u string, body []byte, limit int64) (*Response, error) {
	shown := redactURL(u)
	var last string
	for attempt := 0; ; attempt++ {
		if err := c.bucket.Wait(ctx); err != nil {
			return nil, &Error{method, shown, "cancelled: " + err.Error(), err}
		}
		resp, wait, retry, err := c.attempt(ctx, method, u, body, limit)
		if err != nil && !retry {
			return nil, &Error{method, shown, err.Error(), err}
		}
		if err == nil && !retry {
			return resp, nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("HTTP %d %s", resp.Status, resp.Text())
		}
		if attempt >= c.o.Retries {
			var cause error
			if resp != nil && resp.Status == http.StatusTooManyRequests {
				cause = ErrRateLimited
			}
			return nil, &Error{method, shown, fmt.Sprintf("%s (gave up after %d attempts)", last, attempt+1), cause}
		}
		if wait > c.o.MaxWait {
			return nil, &Error{method, shown, fmt.Sprintf("%s: the upstream asks to wait %s, more than the %s allowed (--max-wait)", last, wait.Round(time.Second), c.o.MaxWait), ErrRateLimited}
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		c.o.Logger.Debug("mirror: retrying upstream request", "method", method, "url", shown, "after", wait, "reason", last)
		// A Retry-After holds back every request to the upstream, not
		// just this one.
		c.bucket.PauseUntil(c.o.Clock.Now().Add(wait))
	}
}

// attempt is one round trip. retry says whether the outcome may be
// retried; wait is what the upstream asked for (0: use backoff).
func (c *Client) attempt(ctx context.Context, method, u string, body []byte, limit int64) (*Response, time.Duration, bool, error) {
	actx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return nil, 0, false, err
	}
	if c.o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.o.Token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "clawgov-registry-mirror")
	hr, err := c.o.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, false, fmt.Errorf("cancelled: %w", ctx.Err())
		}
		return nil, 0, true, describeTransport(err, c.o.Timeout)
	}
	defer hr.Body.Close()
	resp := &Response{Method: method, Status: hr.StatusCode, Header: hr.Header, URL: u}
	c.observe(hr.Header)
	if hr.StatusCode == http.StatusTooManyRequests || retryableStatus(hr.StatusCode) {
		resp.Body, _ = io.ReadAll(io.LimitReader(hr.Body, 4<<10))
		return resp, retryAfter(hr.Header, c.o.Clock.Now()), true, nil
	}
	if hr.ContentLength > limit {
		return nil, 0, false, fmt.Errorf("%w: %d bytes announced, at most %d", ErrTooLarge, hr.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(hr.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, false, fmt.Errorf("cancelled: %w", ctx.Err())
		}
		return nil, 0, true, describeTransport(err, c.o.Timeout)
	}
	if int64(len(b)) > limit {
		return nil, 0, false, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	resp.Body = b
	return resp, 0, false, nil
}

func describeTransport(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return fmt.Errorf("no complete answer within %s (timeout)", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func retryableStatus(code int) bool {
	return code == 500 || code == 502 || code == 503 || code == 504
}

// backoff is 500 ms doubling per attempt, at most 10 s, plus up to 250 ms
// of jitter so many mirrors do not retry in step.
func backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 5)
	d = min(d, 10*time.Second)
	return d + time.Duration(rand.Int64N(int64(250*time.Millisecond)))
}

// observe pauses the bucket when the upstream says the window is spent
// (RateLimit-Remaining or X-RateLimit-Remaining 0), until it resets.
func (c *Client) observe(h http.Header) {
	for _, pre := range []string{"RateLimit-", "X-RateLimit-"} {
		rem := strings.TrimSpace(h.Get(pre + "Remaining"))
		if rem != "0" {
			continue
		}
		if until, ok := resetAt(h, c.o.Clock.Now()); ok {
			if d := until.Sub(c.o.Clock.Now()); d > 0 && d <= c.o.MaxWait {
				c.bucket.PauseUntil(until)
			}
		}
		return
	}
}

// retryAfter is how long a 429 or 503 asks to wait: Retry-After (seconds
// or an HTTP date), else RateLimit-Reset (seconds from now), else
// X-RateLimit-Reset (Unix seconds), as ClawHub documents them; 0 if none.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if t, ok := resetAt(h, now); ok {
		return max(t.Sub(now), 0)
	}
	return 0
}

func resetAt(h http.Header, now time.Time) (time.Time, bool) {
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<31 {
			return now.Add(time.Duration(n) * time.Second), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n < 1<<40 {
			return time.Unix(n, 0), true
		}
	}
	return time.Time{}, false
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP
// date (RFC 9110 §10.2.3). ok is false for anything else.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 1<<31 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// redactURL drops the query from URLs in messages: it holds only names
// here, but nothing from a request line needs to reach a log verbatim.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	p.User = nil
	return p.String()
}

// bucket is a token bucket of capacity one refilled at rate per second,
// which a rate-limit answer can pause until a given time.
type bucket struct {
	mu     sync.Mutex
	clock  Clock
	every  time.Duration
	next   time.Time
	paused time.Time
}

func newBucket(rate float64, c Clock) *bucket {
	return &bucket{clock: c, every: time.Duration(float64(time.Second) / rate)}
}

// Wait blocks until a request may be sent.
func (b *bucket) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := b.clock.Now()
		at := b.next
		if b.paused.After(at) {
			at = b.paused
		}
		if !now.Before(at) {
			b.next = now.Add(b.every)
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		if err := b.clock.Sleep(ctx, at.Sub(now)); err != nil {
			return err
		}
	}
}

// PauseUntil holds every request back until t.
func (b *bucket) PauseUntil(t time.Time) {
	b.mu.Lock()
	if t.After(b.paused) {
		b.paused = t
	}
	b.mu.Unlock()
}

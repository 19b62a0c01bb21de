package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
)

// metrics is a handful of counters in the Prometheus text format. A
// client library would bring a registry, collectors and a dependency tree
// for six series; the exposition format is stable and small.
type metrics struct {
	requests *counterVec // kind, decision
	bytes    *counterVec // direction
	reloads  *counterVec // result
	tunnels  atomic.Int64
	hashMu   sync.Mutex
	hash     string
	// The counters every request touches, looked up once: With formats a
	// label key per call, which was an allocation per request.
	byKind   [2][len(decisions)]atomic.Pointer[atomic.Int64] // http, connect
	up, down *atomic.Int64
}

// decisions are the outcomes a request is counted under.
var decisions = [...]string{policy.Allow, policy.Deny, policy.Audit}

func newMetrics() *metrics {
	m := &metrics{
		requests: &counterVec{v: map[string]*atomic.Int64{}},
		bytes:    &counterVec{v: map[string]*atomic.Int64{}},
		reloads:  &counterVec{v: map[string]*atomic.Int64{}},
	}
	m.up = m.bytes.With("direction", "up")
	m.down = m.bytes.With("direction", "down")
	return m
}

type counterVec struct {
	mu sync.RWMutex
	v  map[string]*atomic.Int64
}

// With returns the counter for label pairs ("k", "v", ...).
func (c *counterVec) With(kv ...string) *atomic.Int64 {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", kv[i], kv[i+1])
	}
	key := b.String()
	c.mu.RLock()
	x := c.v[key]
	c.mu.RUnlock()
	if x != nil {
		return x
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if x = c.v[key]; x == nil {
		x = &atomic.Int64{}
		c.v[key] = x
	}
	return x
}

func (c *counterVec) write(w io.Writer, name string) {
	c.mu.RLock()
	keys := make([]string, 0, len(c.v))
	for k := range c.v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s{%s} %d\n", name, k, c.v[k].Load())
	}
	c.mu.RUnlock()
}

func (m *metrics) observe(connect bool, decision string, up, down int64) {
	kind := "http"
	if connect {
		kind = "connect"
	}
	k := 0
	if connect {
		k = 1
	}
	var c *atomic.Int64
	for i, d := range decisions {
		if d == decision {
			// A series appears on its first request, as before.
			if c = m.byKind[k][i].Load(); c == nil {
				c = m.requests.With("kind", kind, "decision", decision)
				m.byKind[k][i].Store(c)
			}
			break
		}
	}
	if c == nil {
		c = m.requests.With("kind", kind, "decision", decision)
	}
	c.Add(1)
	m.up.Add(up)
	m.down.Add(down)
}

func (m *metrics) setPolicy(hash string) {
	m.hashMu.Lock()
	m.hash = hash
	m.hashMu.Unlock()
}

func (m *metrics) writeTo(w io.Writer) {
	fmt.Fprintln(w, "# HELP clawgov_egress_requests_total Proxy requests by kind and decision.")
	fmt.Fprintln(w, "# TYPE clawgov_egress_requests_total counter")
	m.requests.write(w, "clawgov_egress_requests_total")
	fmt.Fprintln(w, "# HELP clawgov_egress_bytes_total Bytes relayed (up: client to site).")
	fmt.Fprintln(w, "# TYPE clawgov_egress_bytes_total counter")
	m.bytes.write(w, "clawgov_egress_bytes_total")
	fmt.Fprintln(w, "# HELP clawgov_egress_policy_reloads_total Policy reloads by result; error keeps the old policy.")
	fmt.Fprintln(w, "# TYPE clawgov_egress_policy_reloads_total counter")
	m.reloads.write(w, "clawgov_egress_policy_reloads_total")
	fmt.Fprintln(w, "# HELP clawgov_egress_tunnels_open CONNECT tunnels open now.")
	fmt.Fprintln(w, "# TYPE clawgov_egress_tunnels_open gauge")
	fmt.Fprintf(w, "clawgov_egress_tunnels_open %d\n", m.tunnels.Load())
	m.hashMu.Lock()
	h := m.hash
	m.hashMu.Unlock()
	fmt.Fprintln(w, "# HELP clawgov_egress_policy_info The live policy's SHA-256.")
	fmt.Fprintln(w, "# TYPE clawgov_egress_policy_info gauge")
	fmt.Fprintf(w, "clawgov_egress_policy_info{sha256=%q} 1\n", h)
}

// PolicyInfo is what GET /policy on the admin listener returns.
type PolicyInfo struct {
	SHA256   string   `json:"sha256"`
	Source   string   `json:"source"`
	Entries  int      `json:"entries"`
	Hosts    []string `json:"hosts"`
	LoadedAt string   `json:"loaded_at"`
	Default  string   `json:"default"`
	Listen   string   `json:"listen,omitempty"`
}

// AdminHandler serves /metrics, /policy and /healthz. Mount it on a
// loopback-only listener: it is how `clawgov audit --deep` learns which
// policy is live, and it needs no secret because it reveals none.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.writeTo(w)
	})
	mux.HandleFunc("GET /policy", func(w http.ResponseWriter, _ *http.Request) {
		p := s.Policy()
		if p == nil {
			http.Error(w, "no policy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(PolicyInfo{
			SHA256: p.Hash, Source: p.Source, Entries: len(p.Entries()), Hosts: p.Hostnames(),
			LoadedAt: time.Unix(s.loaded.Load(), 0).UTC().Format(time.RFC3339), Default: "deny", Listen: s.cfg.ListenAddr,
		})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

package server

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// metrics are this process's own counters (per-process by nature, so they
// are not shared state): ingest outcomes by code and a latency histogram.
type metrics struct {
	mu      sync.Mutex
	byCode  map[string]uint64
	buckets []float64
	counts  []uint64
	sum     float64
	n       uint64
}

func newMetrics() *metrics {
	b := []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	return &metrics{byCode: map[string]uint64{}, buckets: b, counts: make([]uint64, len(b))}
}

func (m *metrics) count(code string) {
	m.mu.Lock()
	m.byCode[code]++
	m.mu.Unlock()
}

func (m *metrics) reject(code string) { m.count(code) }

func (m *metrics) observe(d time.Duration) {
	v := d.Seconds()
	m.mu.Lock()
	for i, b := range m.buckets {
		if v <= b {
			m.counts[i]++
		}
	}
	m.sum += v
	m.n++
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP clawgov_fleet_agent_requests_total Agent-plane requests by outcome code.\n# TYPE clawgov_fleet_agent_requests_total counter\n")
	codes := make([]string, 0, len(m.byCode))
	for c := range m.byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "clawgov_fleet_agent_requests_total{code=%q} %d\n", c, m.byCode[c])
	}
	fmt.Fprintf(w, "# HELP clawgov_fleet_agent_request_seconds Agent-plane request latency.\n# TYPE clawgov_fleet_agent_request_seconds histogram\n")
	for i, b := range m.buckets {
		fmt.Fprintf(w, "clawgov_fleet_agent_request_seconds_bucket{le=\"%g\"} %d\n", b, m.counts[i])
	}
	fmt.Fprintf(w, "clawgov_fleet_agent_request_seconds_bucket{le=\"+Inf\"} %d\n", m.n)
	fmt.Fprintf(w, "clawgov_fleet_agent_request_seconds_sum %g\nclawgov_fleet_agent_request_seconds_count %d\n", m.sum, m.n)
}

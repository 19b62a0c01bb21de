package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Scanner sweeps a TargetSet: a TCP connect per endpoint, then a
// fingerprint of every port that accepted.
type Scanner struct {
	// Prober fingerprints open ports; its Dial is used for connects too.
	Prober *Prober
	// ConnectTimeout bounds one TCP connect (default 1s).
	ConnectTimeout time.Duration
	// Retries repeats a connect that timed out (never one refused).
	Retries int
	// Concurrency caps endpoints in flight (default 256).
	Concurrency int
	// Rate caps new endpoints started per second (0 = no cap).
	Rate float64
	// Progress, when set, is called with (done, total) as work completes;
	// calls are serialised.
	Progress func(done, total uint64)
	// KeepClosed also returns endpoints that did not accept (Open false).
	KeepClosed bool
}

// Stats summarise a scan.
type Stats struct {
	Endpoints uint64
	Open      uint64
	Gateways  uint64
	Duration  time.Duration
}

// Scan runs the sweep and returns results sorted by address and port. It
// returns early, with what it has, when ctx is cancelled.
func (s *Scanner) Scan(ctx context.Context, t *TargetSet) ([]Result, Stats, error) {
	start := time.Now()
	if s.Prober == nil {
		s.Prober = &Prober{}
	}
	if err := s.Prober.init(); err != nil {
		return nil, Stats{}, err
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = 256
	}
	ctimeout := s.ConnectTimeout
	if ctimeout <= 0 {
		ctimeout = time.Second
	}
	total := t.Size()
	var (
		mu       sync.Mutex
		results  []Result
		done     atomic.Uint64
		progMu   sync.Mutex
		stats    Stats
		lastTick time.Time
	)
	report := func() {
		n := done.Add(1)
		if s.Progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		if now := time.Now(); now.Sub(lastTick) >= 100*time.Millisecond || n == total {
			lastTick = now
			s.Progress(n, total)
		}
	}
	work := make(chan Endpoint, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for ep := range work {
				open, err := s.connect(ctx, ep, ctimeout)
				var r Result
				switch {
				case open:
					r = s.Prober.Probe(ctx, ep.Addr, ep.Port, ep.Host)
				case s.KeepClosed:
					r = Result{Address: ep.Addr.String(), Host: ep.Host, Port: ep.Port, Product: NotOpenClaw, Error: errText(err)}
				}
				if open || s.KeepClosed {
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
				}
				report()
			}
		})
	}
	pace := newPacer(s.Rate)
	var sent uint64
	t.Each(func(ep Endpoint) bool {
		if err := pace.wait(ctx); err != nil {
			return false
		}
		select {
		case work <- ep:
			sent++
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(work)
	wg.Wait()
	if s.Progress != nil && done.Load() != total {
		// Exclusions and duplicates make the estimate high; finish at 100%.
		s.Progress(done.Load(), done.Load())
	}
	SortResults(results)
	stats.Endpoints = sent
	for i := range results {
		if results[i].Open {
			stats.Open++
		}
		if results[i].IsGateway() {
			stats.Gateways++
		}
	}
	stats.Duration = time.Since(start)
	return results, stats, ctx.Err()
}

// connect reports whether ep accepts a TCP connection. Refusals are final;
// timeouts are retried.
func (s *Scanner) connect(ctx context.Context, ep Endpoint, timeout time.Duration) (bool, error) {
	addr := net.JoinHostPort(ep.Addr.String(), strconv.Itoa(ep.Port))
	var err error
	for attempt := 0; attempt <= s.Retries; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		var c net.Conn
		c, err = s.Prober.Dial(cctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = c.Close()
			return true, nil
		}
		if ctx.Err() != nil || errors.Is(err, syscall.ECONNREFUSED) || !isTimeout(err) {
			return false, err
		}
	}
	return false, err
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// pacer spaces out starts to at most rate per second, allowing a small
// burst so high rates are not limited by timer resolution.
type pacer struct {
	interval time.Duration
	next     time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.interval == 0 {
		return ctx.Err()
	}
	now := time.Now()
	if p.next.IsZero() || p.next.Before(now.Add(-50*time.Millisecond)) {
		// Idle for a while: do not bank more than a 50ms burst.
		p.next = now.Add(-50 * time.Millisecond)
	}
	p.next = p.next.Add(p.interval)
	if d := p.next.Sub(now); d > 0 {
		// Sleep in chunks of at least a millisecond to avoid busy timers.
		if d < time.Millisecond {
			return ctx.Err()
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// ProbeOne fingerprints a single endpoint (used by the local --deep probe).
func ProbeOne(ctx context.Context, p *Prober, addr netip.Addr, port int) Result {
	return p.Probe(ctx, addr, port, "")
}

package probe

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"runtime"
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
	// NoFastSweep forces the portable goroutine-per-connect sweep.
	NoFastSweep bool
	// Method picks the port sweep: "" (auto: SYN when raw sockets are
	// allowed and every target is IPv4, else connect), "syn" or
	// "connect".
	Method string
}

// synSweeper is the raw-socket SYN sweep (Linux, privileged).
type synSweeper interface {
	sweep(ctx context.Context, next func() (Endpoint, bool), window int, timeout time.Duration, retries int, pace *pacer, done func(Endpoint, bool, error)) error
	close()
}

// Stats summarise a scan.
type Stats struct {
	// Method is the port sweep used: syn, connect-epoll or connect.
	Method    string
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
	// The epoll sweep dials by itself, so it is used only when nobody
	// injected a dialer (tests and proxies keep full control).
	fast := s.Prober.Dial == nil && haveEpollSweep && !s.NoFastSweep
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
	record := func(r Result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	pace := newPacer(s.Rate)
	var sent uint64
	if fast {
		// Connect sweep on epoll loops; fingerprints on a worker pool.
		open := make(chan Endpoint, conc)
		var wg sync.WaitGroup
		for range conc {
			wg.Go(func() {
				for ep := range open {
					record(s.Prober.Probe(ctx, ep.Addr, ep.Port, ep.Host))
					report()
				}
			})
		}
		next, stop := iter.Pull(t.All())
		var (
			nextMu   sync.Mutex
			sweepErr error
			errOnce  sync.Once
			swg      sync.WaitGroup
		)
		pull := func() (Endpoint, bool) {
			nextMu.Lock()
			defer nextMu.Unlock()
			ep, ok := next()
			if ok {
				sent++
			}
			return ep, ok
		}
		onDone := func(ep Endpoint, isOpen bool, err error) {
			switch {
			case isOpen:
				open <- ep
				return
			case s.KeepClosed:
				record(Result{Address: ep.Addr.String(), Host: ep.Host, Port: ep.Port, Product: NotOpenClaw, Error: errText(err)})
			}
			report()
		}
		var syn synSweeper
		if s.Method != "connect" && t.AllIPv4() {
			if sw, err := newSyn(); err == nil {
				syn = sw
			} else if s.Method == "syn" {
				stop()
				close(open)
				wg.Wait()
				return nil, Stats{}, fmt.Errorf("SYN sweep needs raw sockets (root or CAP_NET_RAW): %w", err)
			}
		}
		if syn != nil {
			stats.Method = "syn"
			swg.Go(func() {
				defer syn.close()
				if err := syn.sweep(ctx, pull, max(4*conc, 1024), ctimeout, s.Retries, pace, onDone); err != nil {
					errOnce.Do(func() { sweepErr = err })
				}
			})
		} else {
			stats.Method = "connect-epoll"
			// One sweep loop per CPU (up to 4), sharing the target
			// iterator and the pacer: connects are kernel work and
			// spread over cores.
			loops := min(runtime.NumCPU(), 4, conc)
			sharedPace := &lockedPacer{p: pace}
			for i := range loops {
				window := conc / loops
				if i < conc%loops {
					window++
				}
				swg.Go(func() {
					if err := epollSweep(ctx, pull, window, ctimeout, s.Retries, sharedPace.get(), s.KeepClosed, onDone); err != nil {
						errOnce.Do(func() { sweepErr = err })
					}
				})
			}
		}
		swg.Wait()
		err := sweepErr
		stop()
		close(open)
		wg.Wait()
		if err != nil && ctx.Err() == nil {
			return nil, Stats{}, fmt.Errorf("connect sweep: %w", err)
		}
	} else {
		stats.Method = "connect"
		work := make(chan Endpoint, conc)
		var wg sync.WaitGroup
		for range conc {
			wg.Go(func() {
				for ep := range work {
					open, err := s.connect(ctx, ep, ctimeout)
					switch {
					case open:
						record(s.Prober.Probe(ctx, ep.Addr, ep.Port, ep.Host))
					case s.KeepClosed:
						record(Result{Address: ep.Addr.String(), Host: ep.Host, Port: ep.Port, Product: NotOpenClaw, Error: errText(err)})
					}
					report()
				}
			})
		}
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
	}
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

// lockedPacer shares one pacer between sweep loops.
type lockedPacer struct {
	mu sync.Mutex
	p  *pacer
}

func (l *lockedPacer) get() *pacer {
	if l.p.interval == 0 {
		return l.p // no rate: nothing to share
	}
	return &pacer{shared: l}
}

// pacer spaces out starts to at most rate per second, allowing a small
// burst so high rates are not limited by timer resolution.
type pacer struct {
	interval time.Duration
	next     time.Time
	// shared, when set, delegates to a pacer several loops use.
	shared *lockedPacer
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.shared != nil {
		p.shared.mu.Lock()
		d := p.shared.p.reserve()
		p.shared.mu.Unlock()
		return sleepCtx(ctx, d)
	}
	if p.interval == 0 {
		return ctx.Err()
	}
	return sleepCtx(ctx, p.reserve())
}

// reserve books the next start slot and returns how long to wait for it.
func (p *pacer) reserve() time.Duration {
	if p.interval == 0 {
		return 0
	}
	now := time.Now()
	if p.next.IsZero() || p.next.Before(now.Add(-50*time.Millisecond)) {
		// Idle for a while: do not bank more than a 50ms burst.
		p.next = now.Add(-50 * time.Millisecond)
	}
	p.next = p.next.Add(p.interval)
	return p.next.Sub(now)
}

// sleepCtx waits d (waits under a millisecond are skipped: the debt stays
// booked in the pacer, so the average rate still holds).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d < time.Millisecond {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
	return ctx.Err()
}

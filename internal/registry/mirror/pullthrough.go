package mirror

import (
	"context"
	"sync"
	"time"
)

// PullerOptions configure a Puller.
type PullerOptions struct {
	// Queue bounds the requests waiting to be fetched (default 64);
	// requests beyond it are dropped and asked again by the next client.
	Queue int
	// Backoff is how long a refused or failed slug is not asked for again
	// (default 10 minutes), so clients retrying an install do not turn
	// into a flood against the upstream or the event log.
	Backoff time.Duration
	// OnResult, when set, is called after each fetch (tests wait on it).
	OnResult func(Result)
}

// Puller is the serve side of pull-through: it implements
// registry.PullThrough with one background worker (the client's token
// bucket paces it), coalescing requests for the same slug.
type Puller struct {
	m     *Mirror
	o     PullerOptions
	queue chan Ref
	mu    sync.Mutex
	// busy holds queued or running keys; quiet holds keys refused or
	// failed recently, until the time given.
	busy  map[string]bool
	quiet map[string]time.Time
}

// NewPuller returns a puller for m; Run starts its worker.
func NewPuller(m *Mirror, o PullerOptions) *Puller {
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Backoff <= 0 {
		o.Backoff = 10 * time.Minute
	}
	return &Puller{m: m, o: o, queue: make(chan Ref, o.Queue), busy: map[string]bool{}, quiet: map[string]time.Time{}}
}

// UpstreamName is the upstream's host, for client messages.
func (p *Puller) UpstreamName() string { return p.m.o.Client.Host() }

// Request queues slug (owner, version optional); it never blocks.
func (p *Puller) Request(slug, owner, version string) bool {
	ref := Ref{Slug: slug, Owner: owner, Version: version}
	// One key per slug: pull-through only asks for skills the registry
	// has no version of, and the first request decides which version.
	key := slug
	now := p.m.o.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy[key] || now.Before(p.quiet[key]) {
		return false
	}
	select {
	case p.queue <- ref:
		p.busy[key] = true
		delete(p.quiet, key)
		return true
	default:
		p.m.o.Logger.Warn("mirror: pull-through queue full; request dropped", "skill", ref.String())
		return false
	}
}

// Run fetches queued requests until ctx ends.
func (p *Puller) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ref := <-p.queue:
			res := p.m.Pull(ctx, ref)
			key := ref.Slug
			p.mu.Lock()
			delete(p.busy, key)
			if res.Outcome == Refused || res.Outcome == Failed {
				p.quiet[key] = p.m.o.Now().Add(p.o.Backoff)
			}
			for k, t := range p.quiet {
				if !p.m.o.Now().Before(t) {
					delete(p.quiet, k)
				}
			}
			p.mu.Unlock()
			if p.o.OnResult != nil {
				p.o.OnResult(res)
			}
		}
	}
}

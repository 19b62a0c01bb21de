package server

import (
	"context"
	"strconv"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/alert"
	"github.com/clawgov/clawgov/internal/fleet/store"
)

// notify sends e to every alert sink in the background; a failing sink
// is logged and never delays or fails an ingest.
func (s *Server) notify(e alert.Event) {
	if len(s.opts.Alerts) == 0 {
		return
	}
	for _, sink := range s.opts.Alerts {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := sink.Send(ctx, e); err != nil {
				s.opts.Logger.Warn("alert not delivered", "kind", e.Kind, "err", err)
			}
		}()
	}
}

// alertTransitions raises "became non-compliant" for controls that moved
// to fail in this report.
func (s *Server) alertTransitions(hostID, hostname string, changed []store.Transition, at time.Time) {
	var failed []string
	for _, t := range changed {
		if t.To == store.StatusFail && t.From != store.StatusFail {
			failed = append(failed, t.ControlID)
		}
	}
	if len(failed) == 0 {
		return
	}
	s.notify(alert.Event{Kind: alert.KindNonCompliant, At: at, HostID: hostID, Hostname: hostname, Controls: failed,
		Message: "host " + hostname + " became non-compliant: " + joinIDs(failed) + " now fail"})
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	return out
}

// SweepStale raises one "host stale" alert per stale episode (a host and
// its last report time). The claim is a settings row written with
// PutSettingIfAbsent, so several servers sharing a database alert once.
func (s *Server) SweepStale(ctx context.Context) error {
	if len(s.opts.Alerts) == 0 {
		return nil
	}
	now := s.opts.Now().UTC()
	hs, err := s.opts.Store.ListHosts(ctx, store.HostFilter{Scope: store.ScopeAll})
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.LastReport == nil || !h.Stale(now, s.opts.StaleAfter) {
			continue
		}
		key := "alert.stale." + h.ID + "." + strconv.FormatInt(h.LastReport.UnixMilli(), 10)
		first, err := s.opts.Store.PutSettingIfAbsent(ctx, key, now.Format(time.RFC3339))
		if err != nil {
			return err
		}
		if first {
			s.notify(alert.Event{Kind: alert.KindStale, At: now, HostID: h.ID, Hostname: h.Hostname,
				Message: "host " + h.Hostname + " has not reported since " + h.LastReport.Format(time.RFC3339)})
		}
	}
	return nil
}

// Run sweeps for stale hosts every interval until ctx ends.
func (s *Server) Run(ctx context.Context, every time.Duration) {
	if len(s.opts.Alerts) == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SweepStale(ctx); err != nil {
				s.opts.Logger.Warn("stale sweep failed", "err", err)
			}
		}
	}
}

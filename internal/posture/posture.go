// Package posture holds clawgov's configuration and host checks: one Go
// function per check ID, each a pure function of the snapshot. Metadata
// (titles, remediation, messages in zh and en) lives in the catalog; the
// logic lives here.
package posture

import (
	"fmt"
	"sort"
	"time"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Snapshot is everything a check may look at.
type Snapshot struct {
	OC   *openclaw.Inventory
	Host *host.Facts
	Now  time.Time
	// Deep is true when the live gateway was probed (OC.Live is set).
	Deep bool
	// Egress is what --deep learned from the local clawgov egress proxy's
	// admin endpoint (nil: not asked).
	Egress *EgressLive
	// Nft is the kernel's loaded nftables ruleset, read for --deep on a
	// live host (nil: not asked).
	Nft *NftLive
	// CDP is what --deep learned from the browser debugging ports
	// listening on this host (nil: not asked; empty: none listening).
	CDP []CDPLive
	// Canary is the firewall canary of --deep run as root: a connection
	// attempted as each service account to a loopback port outside the
	// proxy and gateway ports (nil: not asked).
	Canary []CanaryLive
	// Thresholds are the compliance profile's numbers for checks that
	// compare against one; zero fields keep each check's default.
	Thresholds Thresholds
	// MinVersion is the organisation's OpenClaw baseline (--min-version or
	// the profile's min_version); "" measures against the latest stable.
	MinVersion string
	// Registry is the organisation's skill registry (clawgov.yaml
	// registry.url); nil when none is configured, and the checks that
	// need it skip saying so.
	Registry *OrgRegistry
}

// OrgRegistry is the organisation's vetted skill registry as the audit
// uses it: the URL installs and clients must point at, and the client
// that fetches its signed approvals (the only network I/O of those
// checks, and only when a URL is configured).
type OrgRegistry struct {
	URL      string
	Verifier *approval.Client
}

// Thresholds mirror the profile settings checks read (see the catalog's
// profile thresholds); posture keeps its own copy so checks do not depend
// on how profiles are stored.
type Thresholds struct {
	LogRetentionDays  int
	MaxDaysBehind     int
	MaxReleasesBehind int
}

// NoLiveHost reports whether the audit reads a disk or container image
// (--rootfs): live state (sockets, processes, the firewall at run time,
// the running gateway) does not exist there, so checks that need it do
// not apply. A live host whose facts could not be read is not this case.
func (s *Snapshot) NoLiveHost() bool {
	return s != nil && s.Host != nil && !s.Host.Live
}

// NoLiveHostKey is the message key every check uses for "skip: no live
// host (disk image)"; the catalog gives each such check the text.
const NoLiveHostKey = "no_live_host"

// noLiveHost is the skip finding of a live-state check under --rootfs.
func noLiveHost(id string) []finding.Finding {
	return []finding.Finding{{CheckID: id, Status: finding.Skip, MessageKey: NoLiveHostKey, MatchKey: NoLiveHostKey}}
}

// CheckFunc evaluates one check. It returns no findings when the check
// passes; a finding with status Error when it could not be evaluated; Skip
// when it does not apply.
type CheckFunc func(s *Snapshot) []finding.Finding

var registry = map[string]CheckFunc{}

// register adds a check implementation; called from init in the area files.
func register(id string, fn CheckFunc) {
	if _, dup := registry[id]; dup {
		panic(fmt.Sprintf("posture: check %s registered twice", id))
	}
	registry[id] = fn
}

// IDs returns the registered check IDs, sorted.
func IDs() []string {
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Run evaluates every registered check in ID order and returns the IDs
// that ran and their findings. A check that panics is reported as an error
// finding rather than taking the audit down.
func Run(s *Snapshot) (ran []string, out []finding.Finding) {
	for _, id := range IDs() {
		fs := runOne(id, registry[id], s)
		for i := range fs {
			if fs[i].CheckID == "" {
				fs[i].CheckID = id
			}
		}
		ran = append(ran, id)
		out = append(out, fs...)
	}
	return ran, out
}

func runOne(id string, fn CheckFunc, s *Snapshot) (fs []finding.Finding) {
	defer func() {
		if r := recover(); r != nil {
			fs = []finding.Finding{{CheckID: id, Status: finding.Error, Message: fmt.Sprintf("check crashed: %v", r)}}
		}
	}()
	return fn(s)
}

// CDPLive is one Chrome DevTools endpoint's answer to an unauthenticated
// GET /json/version on loopback (audit --deep).
type CDPLive struct {
	Addr string
	// Open is true when the endpoint answered with a debugger URL and no
	// credential: anything that reaches it drives the browser.
	Open    bool
	Browser string
	Err     string
}

// CanaryLive is one account's firewall canary.
type CanaryLive struct {
	UID int
	// Target is the loopback address tried; Outcome "refused" or
	// "connected", empty with Err when the canary could not run.
	Target, Outcome, Detail, Err string
}

// ServiceUIDs are the accounts the gateway runs as (units, processes),
// each once, in the order found: whom the firewall must confine.
func ServiceUIDs(s *Snapshot) []int {
	var out []int
	seen := map[int]bool{}
	for _, p := range lpIdentities(s, false) {
		if p.UID >= 0 && !seen[p.UID] {
			seen[p.UID] = true
			out = append(out, p.UID)
		}
	}
	return out
}

// EgressLive is the live answer of a clawgov egress proxy (audit --deep).
type EgressLive struct {
	AdminURL string
	// Hash is the SHA-256 of the policy the proxy runs; Listen its proxy
	// address.
	Hash, Listen string
	// CanaryStatus is the proxy's HTTP status for a CONNECT to a host no
	// policy can list (0 when it could not be sent).
	CanaryStatus int
	Err          string
}

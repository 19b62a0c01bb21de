// Package web is the fleet dashboard: server-rendered html/template pages
// in zh and en over the fleet store, with no external resources and no
// JavaScript needed. It reads the fleet through the narrow Source interface
// below (the store, or a fixture in tests) so every page is testable
// without a database, and it owns nothing that must be shared between
// server processes: sessions and login throttling live in the database too.
package web

import (
	"context"
	"errors"
	"time"

	"github.com/clawgov/clawgov/internal/report"
)

// Statuses is the fleet's status vocabulary for one host and one control,
// worst first. "unknown" is what a stale host or a host that never sent a
// full report shows: never its old pass.
var Statuses = []string{"fail", "error", "warn", "manual", "pass", "unknown"}

// Roles. A viewer reads; only an admin changes anything.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// User is the person behind a request. The Source applies the user's scope
// (the hosts they may see) to every read, aggregates included.
type User struct {
	Name string
	Role string
	// Tags is the user's scope: hosts carrying one of them (none: all).
	Tags []string
}

// CanChange reports whether the user may change anything.
func (u User) CanChange() bool { return u.Role == RoleAdmin }

// Summary is the fleet overview: host counts and, per control, host counts
// per status.
type Summary struct {
	Hosts    int
	Stale    int
	AsOf     time.Time
	Controls map[string]map[string]int
}

// TrendDay is one day of the trend chart: per status, how many host ×
// control results had it at the end of that day.
type TrendDay struct {
	Day    time.Time
	Counts map[string]int
}

// Host is one enrolled host as the tables show it.
type Host struct {
	ID              string
	Hostname        string
	Address         string
	LastSeen        time.Time // any contact (zero: never)
	LastReport      time.Time // last full, valid report (zero: never)
	Stale           bool
	Profile         string
	OpenClawVersion string
	// PolicyVersion is the organisation policy bundle the latest report
	// was judged by (0: none, the host's own clawgov.yaml).
	PolicyVersion int64
	Tags          []string
	// Controls maps a control ID to its status; a missing control is
	// unknown.
	Controls map[string]string
	// Clone is set when the host key was seen from two machines.
	Clone bool
}

// HostFilter selects hosts for the table. Empty fields match everything.
type HostFilter struct {
	Control string // with Status: hosts whose Control has Status
	Status  string
	Version string
	Profile string
	Stale   string // "", "yes", "no"
	Tag     string
	Q       string // substring of hostname, address or ID
	Offset  int
	Limit   int
}

// HostPage is one page of hosts and the total matching count.
type HostPage struct {
	Hosts []Host
	Total int
}

// ReportRef names one stored report.
type ReportRef struct {
	ID         string
	HostID     string
	CreatedAt  time.Time // the agent's clock, as signed
	ReceivedAt time.Time // the server's clock
	// Controls counts the report's controls per status.
	Controls map[string]int
}

// StoredReport is a report as received (Raw, the exact JSON the agent
// signed) and decoded.
type StoredReport struct {
	Ref    ReportRef
	Raw    []byte
	Report *report.Report
	// Texts (JSON) are the catalog texts a compact Raw leaves out, named
	// by TextsDigest; both empty when Raw holds every text.
	Texts       []byte
	TextsDigest string
}

// HistoryEntry is one change of one control on one host: the store keeps a
// row per host per day per control only when something changed.
type HistoryEntry struct {
	Day     time.Time
	Control string
	Status  string
}

// FleetFinding is one finding on one host, from the host's latest report.
type FleetFinding struct {
	HostID   string
	Hostname string
	CheckID  string
	Title    string
	Severity string
	Status   string
	Controls []string
	Message  string
}

// FindingFilter selects fleet findings. Empty fields match everything.
type FindingFilter struct {
	Check   string
	Control string
	Status  string
	Limit   int
}

// Gateway is an OpenClaw gateway found on the network with no enrolled
// agent on its address.
type Gateway struct {
	Address   string
	Port      int
	Version   string
	Auth      string
	Source    string // who discovered it
	FirstSeen time.Time
	LastSeen  time.Time
}

// ErrNotFound is returned by a Source for an unknown (or out of scope) ID.
var ErrNotFound = errors.New("not found")

// Source is what the dashboard reads. Every method applies u's scope.
type Source interface {
	Summary(ctx context.Context, u User) (Summary, error)
	// Trend's last day is today, the summary the caller already read.
	Trend(ctx context.Context, u User, control string, days int, today Summary) ([]TrendDay, error)
	Hosts(ctx context.Context, u User, f HostFilter) (HostPage, error)
	Host(ctx context.Context, u User, id string) (Host, error)
	Reports(ctx context.Context, u User, hostID string, limit int) ([]ReportRef, error)
	Report(ctx context.Context, u User, hostID, reportID string) (StoredReport, error)
	History(ctx context.Context, u User, hostID string, since time.Time) ([]HistoryEntry, error)
	Findings(ctx context.Context, u User, f FindingFilter) ([]FleetFinding, error)
	Unmanaged(ctx context.Context, u User) ([]Gateway, error)
}

// Tagger is implemented by a Source that lets an admin change host tags:
// the one change the dashboard offers.
type Tagger interface {
	SetTags(ctx context.Context, u User, hostID string, tags []string) error
}

// Package store is the fleet server's record: enrolled hosts and their
// latest control verdicts, every accepted report, per-day control history,
// findings across the fleet, discovered (unmanaged) gateways, users, login
// sessions, enrollment and API tokens, and the audit-event stream.
//
// One interface (Store), one SQL implementation over internal/sqldb for
// SQLite and PostgreSQL. Nothing that must be shared lives in process
// memory: several servers may share one PostgreSQL database, so every
// counter (token uses, login failures) is a row updated in a transaction.
//
// Times passed in and returned are the SERVER's clock (freshness never
// comes from the agent); they are stored as Unix milliseconds. Secrets
// (enrollment/API/session tokens) are stored only as hashes: callers pass
// HashToken(secret). Passwords arrive already hashed (argon2id, see
// internal/fleet/auth).
//
// Aggregates (Summary, ListHosts, Findings, History) all take a Scope and
// apply it through one SQL helper, so counts never include hosts the caller
// may not open.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Control statuses as the fleet shows them: the report's own control
// statuses plus Unknown (no fresh, complete report).
const (
	StatusPass    = "pass"
	StatusWarn    = "warn"
	StatusFail    = "fail"
	StatusManual  = "manual"
	StatusError   = "error"
	StatusUnknown = "unknown"
)

// Statuses lists every status a summary counts, in display order.
var Statuses = []string{StatusPass, StatusWarn, StatusFail, StatusManual, StatusError, StatusUnknown}

// Roles of users and API tokens.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// Errors the store returns; compare with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique name/key is taken (user name, host key).
	ErrConflict = errors.New("already exists")
	// ErrTokenInvalid: the enrollment token is unknown, expired, revoked or
	// used up. One error for all, so a caller learns nothing about tokens.
	ErrTokenInvalid = errors.New("enrollment token invalid, expired or used up")
	// ErrReplay: a report ID already stored with a different body.
	ErrReplay = errors.New("report ID reused with different content")
	// ErrRevoked: the host's key was revoked; its report is not stored.
	ErrRevoked = errors.New("host key revoked")
)

// Scope restricts what a reader sees. The zero value sees nothing; All
// sees every host; otherwise a host is visible when it carries one of Tags.
type Scope struct {
	All  bool
	Tags []string
}

// ScopeAll sees every host (admins, the server itself).
var ScopeAll = Scope{All: true}

// Host is an enrolled machine with its latest verdicts.
type Host struct {
	ID        string
	KeyFP     string // SHA-256 of the ed25519 public key, hex
	PublicKey []byte // ed25519 public key
	Hostname  string
	// MachineFP is a hash of the machine's identity facts (machine-id,
	// hostname) as last reported; BootID the kernel boot ID. They are used
	// to detect clones, never as the identity (the key is).
	MachineFP       string
	BootID          string
	Tags            []string
	Addresses       []string
	Profile         string
	OpenClawVersion string
	AgentVersion    string
	// PolicyVersion is the organisation policy bundle version the latest
	// report was judged by (0: no bundle named).
	PolicyVersion int64
	EnrolledAt    time.Time
	EnrollTokenID string
	// LastSeen is any authenticated contact; LastReport the last accepted
	// full report. Both nil until they happen.
	LastSeen     *time.Time
	LastReport   *time.Time
	LastReportID string
	RevokedAt    *time.Time
	// CloneSuspect is set when reports signed with this host's key come
	// from machines that alternate (two machines share the key), or when a
	// second host enrolled with the same machine fingerprint.
	CloneSuspect bool
	CloneReason  string
	// Controls is the latest accepted report's status per control ID
	// (empty before the first report). Apply Effective for display.
	Controls map[string]string
	// Since is when each control entered its current status.
	Since map[string]time.Time
}

// Stale reports whether the host has no accepted report within window at
// now (a host enrolled less than window ago that has not reported yet is
// not stale).
func (h *Host) Stale(now time.Time, window time.Duration) bool {
	if h.LastReport == nil {
		return now.Sub(h.EnrolledAt) > window
	}
	return now.Sub(*h.LastReport) > window
}

// Effective returns the statuses to display: the latest verdicts when the
// host is fresh, and unknown for every control when it is stale or never
// reported (an old pass is never shown as current).
func (h *Host) Effective(controlIDs []string, now time.Time, window time.Duration) map[string]string {
	out := make(map[string]string, len(controlIDs))
	fresh := h.LastReport != nil && now.Sub(*h.LastReport) <= window
	for _, id := range controlIDs {
		st := h.Controls[id]
		if !fresh || st == "" {
			st = StatusUnknown
		}
		out[id] = st
	}
	return out
}

// EnrollParams registers a host with a one-time-or-limited token.
type EnrollParams struct {
	TokenHash string
	HostID    string // generated by the caller (random)
	PublicKey []byte
	KeyFP     string
	Hostname  string
	MachineFP string
	BootID    string
	Addresses []string
	At        time.Time
}

// Finding is one finding of a host's latest report, as stored for the
// fleet-wide findings view.
type Finding struct {
	HostID      string
	Hostname    string
	Fingerprint string
	CheckID     string
	Controls    []string
	Severity    string
	Status      string
	Title       string
	Message     string
	ReportID    string
	FirstSeen   time.Time
}

// IngestParams is one verified, validated, complete report. The server
// builds it only after the signature, size and schema checks passed; the
// store writes it in one transaction or not at all.
type IngestParams struct {
	HostID      string
	ReportID    string
	ReceivedAt  time.Time // server clock
	CollectedAt time.Time // agent clock (evidence only)
	// ContentSHA256 is the hex digest of Body; Signature the base64 ed25519
	// signature the agent sent, kept so exported evidence verifies offline.
	ContentSHA256 string
	Signature     string
	KeyFP         string
	Body          []byte // the report JSON exactly as signed
	Hostname      string
	MachineFP     string
	BootID        string
	Addresses     []string
	Profile       string
	OpenClaw      string
	AgentVersion  string
	// PolicyVersion is the policy bundle version the report names (0: none).
	PolicyVersion int64
	// Controls maps every control ID to its status (all of them present).
	Controls map[string]string
	// Findings is already capped; FindingsTotal is the count before the
	// cap and Truncated says the cap applied.
	Findings      []Finding
	FindingsTotal int
	Truncated     bool
}

// Receipt acknowledges a stored report. A duplicate ingest returns the
// original receipt.
type Receipt struct {
	HostID        string    `json:"host_id"`
	ReportID      string    `json:"report_id"`
	StoredAt      time.Time `json:"stored_at"`
	ContentSHA256 string    `json:"content_sha256"`
	Duplicate     bool      `json:"duplicate,omitempty"`
	// Changed lists the controls whose status this report changed (empty
	// for a duplicate), for alerts.
	Changed []Transition `json:"-"`
}

// Transition is one control's status change at ingest (From "" for the
// host's first report).
type Transition struct {
	ControlID, From, To string
}

// ReportMeta describes a stored report without its body.
type ReportMeta struct {
	HostID            string
	ReportID          string
	ReceivedAt        time.Time
	CollectedAt       time.Time
	ContentSHA256     string
	SizeBytes         int64
	KeyFP             string
	Hostname          string
	Profile           string
	OpenClawVersion   string
	PolicyVersion     int64
	Controls          map[string]string
	FindingsTotal     int
	FindingsTruncated bool
}

// StoredReport is a report with the exact signed bytes.
type StoredReport struct {
	ReportMeta
	Signature string
	Body      []byte
}

// HistoryRow is one host's status of one control on one day, written only
// when the status changed (the last change of that day wins). A host's
// status on day D is its latest row with Day <= D.
type HistoryRow struct {
	HostID    string
	ControlID string
	Day       string // YYYY-MM-DD, UTC
	Status    string
	At        time.Time
	ReportID  string
}

// HostFilter selects hosts for ListHosts. Empty fields do not filter.
type HostFilter struct {
	Scope           Scope
	Search          string // substring of hostname or ID
	Tag             string
	Profile         string
	OpenClawVersion string
	IncludeRevoked  bool
	Limit, Offset   int // Limit 0: no limit
	// Stale ("yes"/"no") and Control+Status filter on the effective view
	// at Now with the StaleAfter window (a stale host's controls are all
	// unknown), in SQL so a page of 50,000 hosts reads only its rows.
	Stale           string
	Control, Status string
	Now             time.Time
	StaleAfter      time.Duration
}

// FindingFilter selects fleet findings. Empty fields do not filter.
type FindingFilter struct {
	Scope     Scope
	CheckID   string
	ControlID string
	HostID    string
	Limit     int
}

// Summary is the fleet grid: per control, hosts per effective status.
type Summary struct {
	Hosts    int                       `json:"hosts"`
	Stale    int                       `json:"stale"`
	Controls map[string]map[string]int `json:"controls"`
}

// Gateway is an OpenClaw gateway found on the network by discover.
type Gateway struct {
	Address   string // host:port
	IP        string
	Port      int
	Version   string
	Detail    string
	Reporter  string // who uploaded it (API token name)
	FirstSeen time.Time
	LastSeen  time.Time
}

// User is a dashboard login.
type User struct {
	ID           string
	Name         string
	Role         string
	PasswordHash string
	Tags         []string // scope for viewers; empty with role admin = all
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// Session is a dashboard login session (the cookie holds the secret, the
// store its hash).
type Session struct {
	TokenHash string
	UserID    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// EnrollToken lets agents enroll; only its hash is stored.
type EnrollToken struct {
	ID        string
	TokenHash string
	Note      string
	Tags      []string // given to hosts enrolled with it
	CreatedAt time.Time
	ExpiresAt time.Time
	MaxUses   int
	Uses      int
	RevokedAt *time.Time
}

// APIToken is a bearer token for automation; only its hash is stored.
type APIToken struct {
	ID        string
	TokenHash string
	Name      string
	Role      string
	Tags      []string
	CreatedAt time.Time
	ExpiresAt *time.Time
	LastUsed  *time.Time
	RevokedAt *time.Time
}

// Event is one audit event (never a secret or a report body in Details).
type Event struct {
	ID      string
	At      time.Time
	Actor   string // "user:NAME", "token:NAME", "host:ID", "system"
	Action  string // enroll, ingest.reject, login, login.fail, token.create, ...
	Object  string
	Outcome string // ok, denied, error
	Details map[string]string
}

// Policy is one published organisation policy bundle.
type Policy struct {
	Version     int64
	Digest      string // SHA-256 of the signed payload, hex
	KeyID       string
	Created     string // as signed (RFC 3339)
	Comment     string
	Body        []byte // the signed envelope exactly as published
	PublishedBy string
	PublishedAt time.Time
}

// Store is everything the fleet server keeps.
type Store interface {
	// Ping checks the database answers and is writable (readyz).
	Ping(ctx context.Context) error
	Close() error

	// EnrollHost consumes one use of the token and creates the host, in
	// one transaction. A second host with the same MachineFP flags both as
	// clone suspects (never merged). ErrTokenInvalid, ErrConflict (key).
	EnrollHost(ctx context.Context, p EnrollParams) (Host, error)
	// HostByKeyFP finds a host by key fingerprint (request auth).
	HostByKeyFP(ctx context.Context, keyFP string) (Host, error)
	Host(ctx context.Context, id string, scope Scope) (Host, error)
	ListHosts(ctx context.Context, f HostFilter) ([]Host, error)
	// CountHosts counts the hosts ListHosts returns without Limit/Offset.
	CountHosts(ctx context.Context, f HostFilter) (int, error)
	// TouchHost records authenticated contact (LastSeen) only.
	TouchHost(ctx context.Context, id string, at time.Time) error
	RevokeHost(ctx context.Context, id string, at time.Time) error
	SetHostTags(ctx context.Context, id string, tags []string) error

	// Ingest stores a verified report in one transaction: the report row,
	// current state, history rows for changed controls, the host's
	// findings and freshness, and clone detection. A report ID already
	// stored with the same digest returns the original receipt with
	// Duplicate set; with another digest ErrReplay.
	Ingest(ctx context.Context, p IngestParams) (Receipt, error)
	Report(ctx context.Context, hostID, reportID string, scope Scope) (StoredReport, error)
	// ListReports returns a host's reports, newest first.
	ListReports(ctx context.Context, hostID string, scope Scope, limit int) ([]ReportMeta, error)
	// History returns change rows with from <= Day <= to (YYYY-MM-DD; ""
	// is open), for one host or (hostID "") every host in scope, ordered
	// by host, control, day.
	History(ctx context.Context, hostID string, scope Scope, from, to string) ([]HistoryRow, error)
	// Summary counts active hosts per control and effective status at now.
	Summary(ctx context.Context, scope Scope, now time.Time, staleAfter time.Duration, controlIDs []string) (Summary, error)
	// Daily is the per-day rollup for the UTC days from..to in scope.
	Daily(ctx context.Context, scope Scope, from, to time.Time) ([]DayCounts, error)
	Findings(ctx context.Context, f FindingFilter) ([]Finding, error)

	// UpsertGateways records discovered gateways and returns the ones
	// never seen before.
	UpsertGateways(ctx context.Context, gws []Gateway, at time.Time) ([]Gateway, error)
	// Unmanaged lists discovered gateways whose IP is no enrolled host's
	// address.
	Unmanaged(ctx context.Context) ([]Gateway, error)

	CreateUser(ctx context.Context, u User) error
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	SetPassword(ctx context.Context, userID, passwordHash string) error

	CreateSession(ctx context.Context, s Session) error
	// Session returns an unexpired session by token hash (ErrNotFound).
	Session(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// LoginFailure adds one failure for key in the window containing at
	// and returns the failures in that window (rate limiting that holds
	// across servers). LoginFailures reads without adding.
	LoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)
	LoginFailures(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)

	CreateEnrollToken(ctx context.Context, t EnrollToken) error
	ListEnrollTokens(ctx context.Context) ([]EnrollToken, error)
	RevokeEnrollToken(ctx context.Context, id string, at time.Time) error

	CreateAPIToken(ctx context.Context, t APIToken) error
	// APITokenByHash returns a usable token (not revoked or expired at
	// now) and records its use.
	APITokenByHash(ctx context.Context, tokenHash string, now time.Time) (APIToken, error)
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error

	// PublishPolicy stores a verified bundle. Versions only go up: a
	// version not above every stored one is ErrConflict (atomically, across
	// servers).
	PublishPolicy(ctx context.Context, p Policy) error
	// CurrentPolicy is the highest version (ErrNotFound when none).
	CurrentPolicy(ctx context.Context) (Policy, error)
	// ListPolicies lists published versions, newest first, without bodies.
	ListPolicies(ctx context.Context) ([]Policy, error)

	AppendEvent(ctx context.Context, e Event) error
	// Events lists events with At >= since, oldest first.
	Events(ctx context.Context, since time.Time, limit int) ([]Event, error)

	// Setting / PutSettingIfAbsent hold small server-wide values (the
	// bootstrap secret's hash, the TLS fingerprint). PutSettingIfAbsent
	// reports whether it wrote.
	Setting(ctx context.Context, name string) (string, error)
	PutSetting(ctx context.Context, name, value string) error
	PutSettingIfAbsent(ctx context.Context, name, value string) (bool, error)
}

// HashToken is how every secret token is stored: hex SHA-256. Tokens are
// 256-bit random, so a fast hash is enough (passwords use argon2id).
func HashToken(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Package server is the fleet server's HTTP layer: the agent plane
// (enroll, signed report ingest), the read-only JSON API under /api/v1,
// health, readiness and Prometheus metrics. The dashboard is mounted from
// outside through Options.Web, so this package never renders HTML.
//
// The server keeps nothing that must be shared in memory (several may
// serve one PostgreSQL); only its own metrics counters are per process.
package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/fleet/alert"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/sqldb"
)

// Options configure a Server.
type Options struct {
	Store store.Store
	// StaleAfter is the window after which a host without a new accepted
	// report is stale and its controls unknown (default 3h).
	StaleAfter time.Duration
	// Interval is the report interval told to agents (default 1h).
	Interval time.Duration
	// MaxBody caps report bodies (default wire.MaxReportBytes).
	MaxBody int64
	// BodyTimeout bounds reading one body (default 15s).
	BodyTimeout time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	// Web, when set, serves every path the API does not (the dashboard).
	Web http.Handler
	// Authenticate, when set, is tried for API reads when no bearer token
	// is sent (the dashboard's session cookie). It returns nil when the
	// request carries no session.
	Authenticate func(r *http.Request) *Principal
	// Alerts receive "became non-compliant", "stale" (Run/SweepStale) and
	// "new unmanaged gateway" events.
	Alerts []alert.Sink
}

// Principal is an authenticated API caller.
type Principal struct {
	Name  string
	Role  string
	Scope store.Scope
}

// Server serves the fleet API.
type Server struct {
	opts     Options
	controls []string
	known    map[string]bool
	metrics  *metrics
	mux      *http.ServeMux
	// textsStored says this build's catalog texts are in the database.
	textsStored atomic.Bool
	// keys caches enrolled hosts' keys for authenticating ingests: a key's
	// host ID and public key never change once enrolled, and looking them
	// up was a read transaction per report (about 5% of an ingest's CPU on
	// SQLite). Revocation does not depend on it: this server drops a key
	// it revokes at once, and the ingest transaction refuses a revoked
	// host's report whichever server revoked it.
	keys keyCache
}

// keyCacheTTL bounds how long a cached key is used before the store is
// asked again: how long a key revoked by another server can still have its
// request bodies read here (never stored) before the revoked answer comes
// from the headers alone again.
const keyCacheTTL = 10 * time.Second

// keyCache maps a key fingerprint to its enrolled host (ID and public key
// only). It holds at most one entry per enrolled host (a host has one key).
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	id  string
	pub []byte
	at  time.Time
}

func (c *keyCache) get(fp string, now time.Time) (store.Host, bool) {
	c.mu.RLock()
	k, ok := c.m[fp]
	c.mu.RUnlock()
	if !ok || now.Sub(k.at) > keyCacheTTL || now.Before(k.at) {
		return store.Host{}, false
	}
	return store.Host{ID: k.id, KeyFP: fp, PublicKey: k.pub}, true
}

func (c *keyCache) put(h store.Host, now time.Time) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedKey{}
	}
	c.m[h.KeyFP] = cachedKey{id: h.ID, pub: h.PublicKey, at: now}
	c.mu.Unlock()
}

func (c *keyCache) drop(fp string) {
	c.mu.Lock()
	delete(c.m, fp)
	c.mu.Unlock()
}

// New builds a server over opts.Store.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: no store")
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 3 * time.Hour
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = wire.MaxReportBytes
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	s := &Server{opts: opts, known: map[string]bool{}, metrics: newMetrics()}
	for _, c := range cat.Controls {
		s.controls = append(s.controls, c.ID)
		s.known[c.ID] = true
	}
	s.routes()
	return s, nil
}

// ControlIDs lists the 12 control IDs in framework order.
func (s *Server) ControlIDs() []string { return append([]string(nil), s.controls...) }

// StaleAfter is the configured stale window.
func (s *Server) StaleAfter() time.Duration { return s.opts.StaleAfter }

// Handler is the whole server.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST "+wire.PathEnroll, s.enroll)
	m.HandleFunc("POST "+wire.PathReports, s.ingest)
	m.HandleFunc("POST "+wire.PathGateways, s.api(true, s.uploadGateways))
	m.HandleFunc("GET "+wire.PathPolicy, s.agentPolicy)
	m.HandleFunc("GET /api/v1/policy", s.api(false, s.policyInfo))
	m.HandleFunc("POST /api/v1/policy", s.api(true, s.publishPolicy))
	m.HandleFunc("GET /api/v1/hosts", s.api(false, s.listHosts))
	m.HandleFunc("GET /api/v1/hosts/{id}", s.api(false, s.getHost))
	m.HandleFunc("GET /api/v1/hosts/{id}/reports", s.api(false, s.hostReports))
	m.HandleFunc("GET /api/v1/hosts/{id}/reports/{rid}", s.api(false, s.hostReport))
	m.HandleFunc("GET /api/v1/hosts/{id}/history", s.api(false, s.hostHistory))
	m.HandleFunc("POST /api/v1/hosts/{id}/revoke", s.api(true, s.revokeHost))
	m.HandleFunc("GET /api/v1/summary", s.api(false, s.summary))
	m.HandleFunc("GET /api/v1/findings", s.api(false, s.findings))
	m.HandleFunc("GET /api/v1/unmanaged", s.api(false, s.unmanaged))
	m.HandleFunc("GET /api/v1/openapi.json", s.openapi)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /metrics", s.api(false, s.metricsHandler))
	m.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		wire.WriteError(w, wire.Errorf(wire.CodeNotFound, "no such API endpoint"))
	})
	if s.opts.Web != nil {
		m.Handle("/", s.opts.Web)
	} else {
		m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			wire.WriteError(w, wire.Errorf(wire.CodeNotFound, "not found"))
		})
	}
	s.mux = m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// storeError maps a store failure to its wire error; a full disk is 503
// (try later), never a silent loss.
func (s *Server) storeError(op string, err error) *wire.Error {
	switch {
	case sqldb.IsDiskFull(err):
		s.opts.Logger.Error("database disk full", "op", op, "err", err)
		return wire.Errorf(wire.CodeUnavailable, "server storage is full; retry later")
	case errors.Is(err, store.ErrNotFound):
		return wire.Errorf(wire.CodeNotFound, "not found")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return wire.Errorf(wire.CodeUnavailable, "request cancelled")
	}
	s.opts.Logger.Error("store", "op", op, "err", err)
	return wire.Errorf(wire.CodeInternal, "internal error")
}

func (s *Server) audit(ctx context.Context, actor, action, object, outcome string, details map[string]string) {
	if err := s.opts.Store.AppendEvent(ctx, store.Event{ID: store.NewID(), At: s.opts.Now().UTC(), Actor: actor, Action: action, Object: object, Outcome: outcome, Details: details}); err != nil {
		s.opts.Logger.Warn("audit event not recorded", "action", action, "err", err)
	}
}

func (s *Server) reject(w http.ResponseWriter, e *wire.Error, start time.Time) {
	s.metrics.reject(string(e.Code))
	s.metrics.observe(time.Since(start))
	wire.WriteError(w, e)
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	body, werr := s.readBody(w, r, 64<<10)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	var req wire.EnrollRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.reject(w, wire.Errorf(wire.CodeMalformed, "enroll request: %v", err), start)
		return
	}
	pub, err := decodeB64(req.PublicKey)
	proof, err2 := decodeB64(req.Proof)
	if err != nil || err2 != nil || len(pub) != ed25519.PublicKeySize {
		s.reject(w, wire.Errorf(wire.CodeMalformed, "public_key and proof must be base64 ed25519"), start)
		return
	}
	if req.Token == "" || !ed25519.Verify(pub, wire.EnrollProof(req.Token, pub), proof) {
		s.reject(w, wire.Errorf(wire.CodeBadSignature, "proof of key possession does not verify"), start)
		return
	}
	if req.Host.Hostname == "" || len(req.Host.Hostname) > 253 || len(req.Host.Addresses) > 64 {
		s.reject(w, wire.Errorf(wire.CodeMalformed, "host.hostname missing or too long, or too many addresses"), start)
		return
	}
	now := s.opts.Now().UTC()
	h, err := s.opts.Store.EnrollHost(ctx, store.EnrollParams{TokenHash: store.HashToken(req.Token), HostID: store.NewID(), PublicKey: pub, KeyFP: wire.KeyFP(pub),
		Hostname: req.Host.Hostname, MachineFP: req.Host.MachineFP, BootID: req.Host.BootID, Addresses: req.Host.Addresses, At: now})
	switch {
	case errors.Is(err, store.ErrTokenInvalid):
		s.audit(ctx, "host:"+wire.KeyFP(pub)[:16], "enroll", "", "denied", map[string]string{"reason": "token invalid", "hostname": req.Host.Hostname})
		s.reject(w, wire.Errorf(wire.CodeTokenInvalid, "enrollment token unknown, expired, revoked or used up"), start)
		return
	case errors.Is(err, store.ErrConflict):
		s.reject(w, wire.Errorf(wire.CodeConflict, "this key is already enrolled"), start)
		return
	case err != nil:
		s.reject(w, s.storeError("enroll", err), start)
		return
	}
	s.audit(ctx, "host:"+h.ID, "enroll", h.ID, "ok", map[string]string{"hostname": h.Hostname, "clone_suspect": strconv.FormatBool(h.CloneSuspect)})
	s.metrics.observe(time.Since(start))
	keys, err := PolicyKeys(ctx, s.opts.Store)
	if err != nil {
		s.opts.Logger.Warn("policy keys not readable; enrolling without them", "err", err)
	}
	var keyB64 []string
	for _, k := range keys {
		keyB64 = append(keyB64, base64.StdEncoding.EncodeToString(k))
	}
	writeJSON(w, http.StatusCreated, wire.EnrollResponse{HostID: h.ID, KeyFP: h.KeyFP, ServerTime: now, IntervalSeconds: int(s.opts.Interval / time.Second), PolicyKeys: keyB64})
}

// readBody reads at most max bytes under the body deadline.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *wire.Error) {
	if r.ContentLength > max {
		e := wire.Errorf(wire.CodeTooLarge, "body of %d bytes exceeds %d", r.ContentLength, max)
		e.MaxBytes = max
		return nil, e
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.opts.BodyTimeout))
	// Read into a buffer of the announced size (it is within max here), so
	// a report is not copied through io.ReadAll's doubling growth; a body
	// longer than announced still ends at max+1 and is refused below. The
	// announcement alone reserves at most 1 MiB.
	size := min(r.ContentLength, 1<<20)
	if size < 0 {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	b := buf.Bytes()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, wire.Errorf(wire.CodeTimeout, "body not received within %s", s.opts.BodyTimeout)
		}
		return nil, wire.Errorf(wire.CodeMalformed, "read body: %v", err)
	}
	if int64(len(b)) > max {
		e := wire.Errorf(wire.CodeTooLarge, "body exceeds %d bytes", max)
		e.MaxBytes = max
		return nil, e
	}
	return b, nil
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	// 1. Headers only: credentials, size, host, clock, signature.
	sig, werr := wire.ParseHeaders(r.Header)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	if r.ContentLength < 0 {
		s.reject(w, wire.Errorf(wire.CodeMalformed, "Content-Length is required"), start)
		return
	}
	if r.ContentLength > s.opts.MaxBody {
		e := wire.Errorf(wire.CodeTooLarge, "report of %d bytes exceeds %d", r.ContentLength, s.opts.MaxBody)
		e.MaxBytes = s.opts.MaxBody
		s.reject(w, e, start)
		return
	}
	now := s.opts.Now().UTC()
	h, werr := s.authHost(r, sig, now, true)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	// Authenticated contact counts as last seen even when the body turns
	// out bad; a stored report sets it in the ingest transaction, so the
	// extra write happens only on the failure paths.
	stored := false
	defer func() {
		if !stored {
			if err := s.opts.Store.TouchHost(context.WithoutCancel(ctx), h.ID, now); err != nil {
				s.opts.Logger.Warn("last seen not recorded", "host", h.ID, "err", err)
			}
		}
	}()
	// 2. The body, bounded in size and time, must match the signed digest.
	body, werr := s.readBody(w, r, s.opts.MaxBody)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	if wire.Digest(body) != sig.Digest {
		s.reject(w, wire.Errorf(wire.CodeDigestMismatch, "body does not match the signed digest"), start)
		return
	}
	env, werr := wire.DecodeIngest(body, sig.ReportID, s.known)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	if env.Texts != "" {
		if werr := s.haveTexts(ctx, env); werr != nil {
			s.reject(w, werr, start)
			return
		}
	}
	p := store.IngestParams{HostID: h.ID, ReportID: env.ReportID, ReceivedAt: now, CollectedAt: env.CollectedAt.UTC(), ContentSHA256: sig.Digest,
		Signature: sig.SigB64, KeyFP: sig.KeyFP, Body: body, Hostname: env.Host.Hostname, MachineFP: env.Host.MachineFP, BootID: env.Host.BootID,
		Addresses: env.Host.Addresses, Profile: env.Profile, OpenClaw: env.OpenClawVersion, AgentVersion: env.AgentVersion, PolicyVersion: env.PolicyVersion,
		Controls: make(map[string]string, len(env.Controls)), FindingsTotal: env.FindingsTotal, Truncated: env.Truncated}
	for _, c := range env.Controls {
		p.Controls[c.ID] = c.Status
	}
	for _, f := range env.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = f.ComputeFingerprint()
		}
		p.Findings = append(p.Findings, store.Finding{Fingerprint: fp, CheckID: f.CheckID, Controls: f.Controls, Severity: f.Severity.String(),
			Status: string(f.Status), Title: f.Title, Message: f.Message})
	}
	rec, err := s.opts.Store.Ingest(ctx, p)
	if errors.Is(err, store.ErrRevoked) {
		stored = true // no contact is recorded for a revoked key
		s.keys.drop(sig.KeyFP)
		s.reject(w, errRevoked(), start)
		return
	} else if errors.Is(err, store.ErrReplay) {
		s.reject(w, wire.Errorf(wire.CodeReplay, "report ID %s was already stored with different content", env.ReportID), start)
		return
	} else if err != nil {
		s.reject(w, s.storeError("ingest", err), start)
		return
	}
	stored = true
	s.metrics.observe(time.Since(start))
	if rec.Duplicate {
		s.metrics.count("duplicate")
		writeJSON(w, http.StatusOK, rec)
		return
	}
	s.metrics.count("accepted")
	s.alertTransitions(h.ID, env.Host.Hostname, rec.Changed, now)
	writeJSON(w, http.StatusCreated, rec)
}

// haveTexts admits a compact report only when its omitted texts are this
// build's, and keeps those texts in the database (once per process) before
// the first such report is stored, so every stored compact report can be
// rendered in full later, also by a server of another version.
func (s *Server) haveTexts(ctx context.Context, in *wire.Ingest) *wire.Error {
	own, err := wire.OwnTexts()
	if err != nil {
		return wire.Errorf(wire.CodeInternal, "catalog texts: %v", err)
	}
	if in.Texts != own.Digest {
		return wire.Errorf(wire.CodeTextsUnknown, "report leaves out catalog texts %.12s; this server has %.12s: send the full report", in.Texts, own.Digest)
	}
	if werr := wire.CheckCompact(in, own.Texts); werr != nil {
		return werr
	}
	// The per-host findings table (the fleet findings view) keeps titles
	// and controls: take them from the texts the report left them to.
	wire.RehydrateFindings(in.Findings, in.Lang, own.Texts)
	if s.textsStored.Load() {
		return nil
	}
	if _, err := s.opts.Store.PutSettingIfAbsent(ctx, wire.TextsSetting(own.Digest), string(own.JSON)); err != nil {
		return s.storeError("store catalog texts", err)
	}
	s.textsStored.Store(true)
	return nil
}

// authHost authenticates a host-signed request from its parsed headers:
// an enrolled, unrevoked key, a fresh timestamp and a valid signature.
// With cached, a key looked up in the last keyCacheTTL is taken from the
// cache; only callers whose own store write re-checks revocation (ingest)
// may ask for that.
func (s *Server) authHost(r *http.Request, sig wire.Signed, now time.Time, cached bool) (store.Host, *wire.Error) {
	h, hit := store.Host{}, false
	if cached {
		h, hit = s.keys.get(sig.KeyFP, now)
	}
	if !hit {
		var err error
		h, err = s.opts.Store.HostByKeyFP(r.Context(), sig.KeyFP)
		if errors.Is(err, store.ErrNotFound) {
			return h, wire.Errorf(wire.CodeUnknownHost, "key is not enrolled")
		} else if err != nil {
			return h, s.storeError("host by key", err)
		}
		if h.RevokedAt != nil {
			return h, errRevoked()
		}
		s.keys.put(h, now)
	}
	if e := sig.CheckSkew(now); e != nil {
		return h, e
	}
	if e := sig.Verify(h.PublicKey, r.Method, r.URL.Path); e != nil {
		return h, e
	}
	return h, nil
}

// errRevoked is the answer to a revoked key, from its headers or from the
// transaction that would have stored its report.
func errRevoked() *wire.Error { return wire.Errorf(wire.CodeRevoked, "this host's key was revoked") }

func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}

// api wraps a read (or, with write, an admin-only) API handler with bearer
// token or session authentication.
func (s *Server) api(write bool, fn func(w http.ResponseWriter, r *http.Request, p *Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, werr := s.principal(r)
		if werr != nil {
			wire.WriteError(w, werr)
			return
		}
		if write && p.Role != store.RoleAdmin {
			s.audit(r.Context(), p.Name, "access", r.URL.Path, "denied", map[string]string{"method": r.Method})
			wire.WriteError(w, wire.Errorf(wire.CodeForbidden, "role %s cannot change anything", p.Role))
			return
		}
		fn(w, r, p)
	}
}

func (s *Server) principal(r *http.Request) (*Principal, *wire.Error) {
	authz := r.Header.Get("Authorization")
	if authz == "" && s.opts.Authenticate != nil {
		if p := s.opts.Authenticate(r); p != nil {
			return p, nil
		}
	}
	tok, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || tok == "" {
		return nil, wire.Errorf(wire.CodeUnauthenticated, "send Authorization: Bearer <API token>")
	}
	t, err := s.opts.Store.APITokenByHash(r.Context(), store.HashToken(tok), s.opts.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, wire.Errorf(wire.CodeUnauthenticated, "API token unknown, expired or revoked")
	} else if err != nil {
		return nil, s.storeError("api token", err)
	}
	return &Principal{Name: "token:" + t.Name, Role: t.Role, Scope: ScopeOf(t.Role, t.Tags)}, nil
}

// ScopeOf is the host scope of a role with tags: no tags sees every host;
// tags restrict to hosts carrying one of them.
func ScopeOf(role string, tags []string) store.Scope {
	if len(tags) == 0 {
		return store.ScopeAll
	}
	return store.Scope{Tags: tags}
}

// HostJSON is a host in the API.
type HostJSON struct {
	ID              string     `json:"id"`
	Hostname        string     `json:"hostname"`
	LastSeen        *time.Time `json:"last_seen"`
	LastReport      *time.Time `json:"last_report"`
	LastReportID    string     `json:"last_report_id,omitempty"`
	Stale           bool       `json:"stale"`
	Profile         string     `json:"profile"`
	OpenClawVersion string     `json:"openclaw_version"`
	AgentVersion    string     `json:"agent_version,omitempty"`
	// PolicyVersion is the organisation policy bundle version the latest
	// report was judged by (0: the host's own clawgov.yaml, no bundle).
	PolicyVersion int64             `json:"policy_version"`
	Tags          []string          `json:"tags"`
	EnrolledAt    time.Time         `json:"enrolled_at"`
	Revoked       bool              `json:"revoked,omitempty"`
	CloneSuspect  bool              `json:"clone_suspect"`
	CloneReason   string            `json:"clone_reason,omitempty"`
	Controls      map[string]string `json:"controls"`
}

// HostView renders a host with effective (freshness-aware) statuses.
func (s *Server) HostView(h store.Host) HostJSON {
	now := s.opts.Now()
	tags := h.Tags
	if tags == nil {
		tags = []string{}
	}
	return HostJSON{ID: h.ID, Hostname: h.Hostname, LastSeen: h.LastSeen, LastReport: h.LastReport, LastReportID: h.LastReportID,
		Stale: h.Stale(now, s.opts.StaleAfter), Profile: h.Profile, OpenClawVersion: h.OpenClawVersion, AgentVersion: h.AgentVersion, PolicyVersion: h.PolicyVersion, Tags: tags,
		EnrolledAt: h.EnrolledAt, Revoked: h.RevokedAt != nil, CloneSuspect: h.CloneSuspect, CloneReason: h.CloneReason,
		Controls: h.Effective(s.controls, now, s.opts.StaleAfter)}
}

// listHosts pages through the hosts in scope, every filter applied in
// SQL (stale and control status on the server clock at query time).
func (s *Server) listHosts(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := r.URL.Query()
	limit, offset := 1000, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			wire.WriteError(w, wire.Errorf(wire.CodeMalformed, "limit must be 1..10000"))
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			wire.WriteError(w, wire.Errorf(wire.CodeMalformed, "offset must be a non-negative integer"))
			return
		}
		offset = n
	}
	f := store.HostFilter{Scope: p.Scope, Search: q.Get("q"), Tag: q.Get("tag"), Profile: q.Get("profile"), OpenClawVersion: q.Get("openclaw_version"),
		Now: s.opts.Now(), StaleAfter: s.opts.StaleAfter, Limit: limit, Offset: offset}
	switch q.Get("stale") {
	case "true":
		f.Stale = "yes"
	case "false":
		f.Stale = "no"
	}
	if ctl, st := q.Get("control"), q.Get("status"); ctl != "" && st != "" {
		f.Control, f.Status = ctl, st
	}
	hs, err := s.opts.Store.ListHosts(r.Context(), f)
	if err != nil {
		wire.WriteError(w, s.storeError("list hosts", err))
		return
	}
	total, err := s.opts.Store.CountHosts(r.Context(), f)
	if err != nil {
		wire.WriteError(w, s.storeError("count hosts", err))
		return
	}
	out := make([]HostJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, s.HostView(h))
	}
	resp := map[string]any{"hosts": out, "total": total}
	if offset+len(out) < total {
		resp["next_offset"] = offset + len(out)
	}
	writeJSON(w, 200, resp)
}

func (s *Server) getHost(w http.ResponseWriter, r *http.Request, p *Principal) {
	h, err := s.opts.Store.Host(r.Context(), r.PathValue("id"), p.Scope)
	if err != nil {
		wire.WriteError(w, s.storeError("host", err))
		return
	}
	writeJSON(w, 200, s.HostView(h))
}

type reportJSON struct {
	ReportID          string            `json:"report_id"`
	ReceivedAt        time.Time         `json:"received_at"`
	CollectedAt       time.Time         `json:"collected_at"`
	ContentSHA256     string            `json:"content_sha256"`
	SizeBytes         int64             `json:"size_bytes"`
	Hostname          string            `json:"hostname"`
	Profile           string            `json:"profile"`
	OpenClawVersion   string            `json:"openclaw_version"`
	Controls          map[string]string `json:"controls"`
	FindingsTotal     int               `json:"findings_total"`
	FindingsTruncated bool              `json:"findings_truncated"`
}

func (s *Server) hostReports(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	if _, err := s.opts.Store.Host(r.Context(), id, p.Scope); err != nil {
		wire.WriteError(w, s.storeError("host", err))
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rs, err := s.opts.Store.ListReports(r.Context(), id, p.Scope, limit)
	if err != nil {
		wire.WriteError(w, s.storeError("reports", err))
		return
	}
	out := make([]reportJSON, 0, len(rs))
	for _, m := range rs {
		out = append(out, reportJSON{m.ReportID, m.ReceivedAt, m.CollectedAt, m.ContentSHA256, m.SizeBytes, m.Hostname, m.Profile, m.OpenClawVersion, m.Controls, m.FindingsTotal, m.FindingsTruncated})
	}
	writeJSON(w, 200, map[string]any{"reports": out})
}

// hostReport returns the exact signed envelope, with the signature and
// key fingerprint in headers so it can be verified offline.
func (s *Server) hostReport(w http.ResponseWriter, r *http.Request, p *Principal) {
	rep, err := s.opts.Store.Report(r.Context(), r.PathValue("id"), r.PathValue("rid"), p.Scope)
	if err != nil {
		wire.WriteError(w, s.storeError("report", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.HeaderSignature, rep.Signature)
	w.Header().Set(wire.HeaderKey, rep.KeyFP)
	w.Header().Set(wire.HeaderDigest, rep.ContentSHA256)
	_, _ = w.Write(rep.Body)
}

func (s *Server) hostHistory(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	if _, err := s.opts.Store.Host(r.Context(), id, p.Scope); err != nil {
		wire.WriteError(w, s.storeError("host", err))
		return
	}
	rows, err := s.opts.Store.History(r.Context(), id, p.Scope, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		wire.WriteError(w, s.storeError("history", err))
		return
	}
	type row struct {
		Control  string    `json:"control"`
		Day      string    `json:"day"`
		Status   string    `json:"status"`
		At       time.Time `json:"at"`
		ReportID string    `json:"report_id"`
	}
	out := make([]row, 0, len(rows))
	for _, h := range rows {
		out = append(out, row{h.ControlID, h.Day, h.Status, h.At, h.ReportID})
	}
	writeJSON(w, 200, map[string]any{"history": out})
}

func (s *Server) revokeHost(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	h, err := s.opts.Store.Host(r.Context(), id, p.Scope)
	if err != nil {
		wire.WriteError(w, s.storeError("host", err))
		return
	}
	if err := s.opts.Store.RevokeHost(r.Context(), id, s.opts.Now().UTC()); err != nil {
		wire.WriteError(w, s.storeError("revoke", err))
		return
	}
	s.keys.drop(h.KeyFP)
	s.audit(r.Context(), p.Name, "host.revoke", id, "ok", nil)
	writeJSON(w, 200, map[string]string{"revoked": id})
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request, p *Principal) {
	sum, err := s.opts.Store.Summary(r.Context(), p.Scope, s.opts.Now(), s.opts.StaleAfter, s.controls)
	if err != nil {
		wire.WriteError(w, s.storeError("summary", err))
		return
	}
	writeJSON(w, 200, sum)
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := r.URL.Query()
	fs, err := s.opts.Store.Findings(r.Context(), store.FindingFilter{Scope: p.Scope, CheckID: q.Get("check"), ControlID: q.Get("control"), HostID: q.Get("host")})
	if err != nil {
		wire.WriteError(w, s.storeError("findings", err))
		return
	}
	type fj struct {
		HostID      string    `json:"host_id"`
		Hostname    string    `json:"hostname"`
		CheckID     string    `json:"check_id"`
		Controls    []string  `json:"controls"`
		Severity    string    `json:"severity"`
		Status      string    `json:"status"`
		Title       string    `json:"title"`
		Message     string    `json:"message"`
		Fingerprint string    `json:"fingerprint"`
		ReportID    string    `json:"report_id"`
		FirstSeen   time.Time `json:"first_seen"`
	}
	out := make([]fj, 0, len(fs))
	for _, f := range fs {
		out = append(out, fj{f.HostID, f.Hostname, f.CheckID, f.Controls, f.Severity, f.Status, f.Title, f.Message, f.Fingerprint, f.ReportID, f.FirstSeen})
	}
	writeJSON(w, 200, map[string]any{"findings": out})
}

type gatewayJSON struct {
	Address   string    `json:"address"`
	IP        string    `json:"ip"`
	Port      int       `json:"port"`
	Version   string    `json:"version,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Reporter  string    `json:"reporter,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

func (s *Server) unmanaged(w http.ResponseWriter, r *http.Request, p *Principal) {
	if !p.Scope.All {
		// Unmanaged gateways belong to no host and so to no tag scope:
		// only unscoped callers see them.
		writeJSON(w, 200, map[string]any{"unmanaged": []gatewayJSON{}})
		return
	}
	gs, err := s.opts.Store.Unmanaged(r.Context())
	if err != nil {
		wire.WriteError(w, s.storeError("unmanaged", err))
		return
	}
	out := make([]gatewayJSON, 0, len(gs))
	for _, g := range gs {
		out = append(out, gatewayJSON{g.Address, g.IP, g.Port, g.Version, g.Detail, g.Reporter, g.FirstSeen, g.LastSeen})
	}
	writeJSON(w, 200, map[string]any{"unmanaged": out})
}

func (s *Server) uploadGateways(w http.ResponseWriter, r *http.Request, p *Principal) {
	body, werr := s.readBody(w, r, 1<<20)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	var up wire.GatewayUpload
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&up); err != nil || len(up.Gateways) > 10000 {
		wire.WriteError(w, wire.Errorf(wire.CodeMalformed, "gateway upload: want {\"gateways\":[{\"address\":\"ip:port\"}]} (at most 10000)"))
		return
	}
	var gws []store.Gateway
	for _, g := range up.Gateways {
		host, port, err := net.SplitHostPort(g.Address)
		pn, perr := strconv.Atoi(port)
		if err != nil || perr != nil || net.ParseIP(host) == nil || pn <= 0 || pn > 65535 || len(g.Version) > 64 || len(g.Detail) > 512 {
			wire.WriteError(w, wire.Errorf(wire.CodeMalformed, "gateway address %q: want ip:port", clip(g.Address)))
			return
		}
		ip := net.ParseIP(host).String()
		gws = append(gws, store.Gateway{Address: net.JoinHostPort(ip, strconv.Itoa(pn)), IP: ip, Port: pn, Version: g.Version, Detail: g.Detail, Reporter: p.Name})
	}
	fresh, err := s.opts.Store.UpsertGateways(r.Context(), gws, s.opts.Now().UTC())
	if err != nil {
		wire.WriteError(w, s.storeError("gateways", err))
		return
	}
	if len(fresh) > 0 && len(s.opts.Alerts) > 0 {
		if um, err := s.opts.Store.Unmanaged(r.Context()); err == nil {
			isNew := map[string]bool{}
			for _, g := range fresh {
				isNew[g.Address] = true
			}
			for _, g := range um {
				if isNew[g.Address] {
					s.notify(alert.Event{Kind: alert.KindUnmanaged, At: s.opts.Now().UTC(), Address: g.Address,
						Message: "new unmanaged OpenClaw gateway at " + g.Address + " " + g.Version})
				}
			}
		}
	}
	s.audit(r.Context(), p.Name, "gateways.upload", "", "ok", map[string]string{"count": strconv.Itoa(len(gws)), "new": strconv.Itoa(len(fresh))})
	writeJSON(w, 200, map[string]int{"received": len(gws), "new": len(fresh)})
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Store.Ping(r.Context()); err != nil {
		s.opts.Logger.Warn("not ready", "err", err)
		wire.WriteError(w, wire.Errorf(wire.CodeUnavailable, "database not writable"))
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, p *Principal) {
	sum, err := s.opts.Store.Summary(r.Context(), p.Scope, s.opts.Now(), s.opts.StaleAfter, s.controls)
	if err != nil {
		wire.WriteError(w, s.storeError("metrics", err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.metrics.write(w)
	fmt.Fprintf(w, "# HELP clawgov_fleet_hosts Active enrolled hosts in scope.\n# TYPE clawgov_fleet_hosts gauge\nclawgov_fleet_hosts %d\n", sum.Hosts)
	fmt.Fprintf(w, "# HELP clawgov_fleet_hosts_stale Hosts without a fresh report.\n# TYPE clawgov_fleet_hosts_stale gauge\nclawgov_fleet_hosts_stale %d\n", sum.Stale)
	fmt.Fprintf(w, "# HELP clawgov_fleet_control_hosts Hosts per control and effective status.\n# TYPE clawgov_fleet_control_hosts gauge\n")
	ids := make([]string, 0, len(sum.Controls))
	for id := range sum.Controls {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, st := range store.Statuses {
			fmt.Fprintf(w, "clawgov_fleet_control_hosts{control=%q,status=%q} %d\n", id, st, sum.Controls[id][st])
		}
	}
}

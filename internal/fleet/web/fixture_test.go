package web

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Hostile text planted in every text field the fixtures have: a hostname,
// a tag, a version, a profile, a finding message, a gateway banner.
const (
	hostileHost = `<script>alert("h")</script>' OR 1=1;--`
	hostileTag  = `"><img src=x onerror=alert(1)>`
	formulaHost = `=HYPERLINK("http://203.0.113.9/","x")`
	sqlVersion  = `2026.1.0'); DROP TABLE hosts;--`
)

var fixedNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(os.DirFS("testdata/catalog"))
	if err != nil {
		t.Fatalf("load test catalog: %v", err)
	}
	return cat
}

// buildReport makes a real report.Report from findings, the way the agent
// does, so the host page and the bundle render the real HTML report.
func buildReport(t testing.TB, host, version string, at time.Time, fs []finding.Finding) *report.Report {
	t.Helper()
	r, err := report.Build(testCatalog(t), report.Input{
		Kind: "audit", Tool: report.Tool{Name: "clawgov", Version: "dev"}, Now: at, Lang: catalog.EN, ProfileID: "miit-2026",
		Target: report.Target{Host: host, OpenClaw: report.OpenClawInfo{Version: version, Package: "openclaw", Source: "package.json"}},
		Ran: []string{"CG-VER-001", "CG-UPD-001", "CG-NET-001", "CG-PRIV-001", "CG-PRIV-002",
			"CG-SKILL-001", "CG-SKILL-002", "CG-BRW-001", "CG-LOG-001", "CG-INST-001"},
		Findings: fs,
	})
	if err != nil {
		t.Fatalf("build report: %v", err)
	}
	return r
}

func stored(t testing.TB, id, hostID string, r *report.Report, received time.Time) StoredReport {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range r.Controls {
		counts[string(c.Status)]++
	}
	return StoredReport{Ref: ReportRef{ID: id, HostID: hostID, CreatedAt: r.CreatedAt, ReceivedAt: received, Controls: counts}, Raw: raw, Report: r}
}

func controlsOf(r *report.Report) map[string]string {
	m := map[string]string{}
	for _, c := range r.Controls {
		m[c.ID] = string(c.Status)
	}
	return m
}

// fakeSource is an in-memory fleet: the fixture for every page test.
type fakeSource struct {
	mu       sync.Mutex
	hosts    []Host
	reports  map[string][]StoredReport // host ID -> newest first
	history  map[string][]HistoryEntry
	trend    []TrendDay
	gateways []Gateway
	findings []FleetFinding
	// hidden hosts are out of the viewer's scope.
	hidden map[string]bool
}

func newFixture(t testing.TB) *fakeSource {
	t.Helper()
	netFail := finding.Finding{
		CheckID: "CG-NET-001", Severity: finding.Critical, Status: finding.Fail, MessageKey: "bind",
		Params: map[string]string{"bind": "0.0.0.0", "port": "18789", "auth": "none"},
	}
	hostileFinding := finding.Finding{
		CheckID: "CG-SKILL-002", Severity: finding.Low, Status: finding.Warn, Target: "weather",
		Message: "publisher " + hostileTag + " is not verified",
	}
	older := buildReport(t, "gw-01.example", "2026.1.2", fixedNow.Add(-50*time.Hour), []finding.Finding{netFail})
	newer := buildReport(t, "gw-01.example", "2026.2.0", fixedNow.Add(-2*time.Hour), []finding.Finding{hostileFinding})
	evil := buildReport(t, hostileHost, sqlVersion, fixedNow.Add(-100*time.Hour), []finding.Finding{netFail, hostileFinding})
	f := &fakeSource{
		reports: map[string][]StoredReport{
			"h1": {stored(t, "r-0002", "h1", newer, fixedNow.Add(-2*time.Hour)), stored(t, "r-0001", "h1", older, fixedNow.Add(-50*time.Hour))},
			"h2": {stored(t, "r-0003", "h2", evil, fixedNow.Add(-100*time.Hour))},
		},
		hidden: map[string]bool{},
	}
	f.hosts = []Host{
		{ID: "h1", Hostname: "gw-01.example", Address: "10.0.0.11", LastSeen: fixedNow.Add(-time.Minute), LastReport: fixedNow.Add(-2 * time.Hour),
			Profile: "miit-2026", OpenClawVersion: "2026.2.0", PolicyVersion: 3, Tags: []string{"finance", "beijing"}, Controls: controlsOf(newer)},
		{ID: "h2", Hostname: hostileHost, Address: "10.0.0.12", LastSeen: fixedNow.Add(-90 * time.Hour), LastReport: fixedNow.Add(-100 * time.Hour),
			Stale: true, Profile: "miit-2026", OpenClawVersion: sqlVersion, Tags: []string{hostileTag}, Controls: controlsOf(evil)},
		{ID: "h3", Hostname: formulaHost, Address: "10.0.0.13", LastSeen: fixedNow.Add(-5 * time.Minute), Clone: true, Profile: "finance"},
	}
	f.history = map[string][]HistoryEntry{"h1": nil}
	for _, c := range older.Controls {
		f.history["h1"] = append(f.history["h1"], HistoryEntry{Day: truncDay(older.CreatedAt), Control: c.ID, Status: string(c.Status)})
	}
	for _, c := range newer.Controls {
		if controlsOf(older)[c.ID] != string(c.Status) {
			f.history["h1"] = append(f.history["h1"], HistoryEntry{Day: truncDay(newer.CreatedAt), Control: c.ID, Status: string(c.Status)})
		}
	}
	for i := range 30 {
		day := truncDay(fixedNow).AddDate(0, 0, i-29)
		f.trend = append(f.trend, TrendDay{Day: day, Counts: map[string]int{
			"pass": 10 + i%5, "fail": 3 - i%3, "warn": i % 4, "manual": 2, "error": i % 2, "unknown": 1 + i/10,
		}})
	}
	f.gateways = []Gateway{
		{Address: "10.0.9.7", Port: 18789, Version: "2026.1.0", Auth: "none", Source: "discover@" + hostileHost, FirstSeen: fixedNow.Add(-72 * time.Hour), LastSeen: fixedNow.Add(-time.Hour)},
	}
	for _, h := range f.hosts {
		rs := f.reports[h.ID]
		if len(rs) == 0 {
			continue
		}
		for _, x := range rs[0].Report.Findings {
			f.findings = append(f.findings, FleetFinding{HostID: h.ID, Hostname: h.Hostname, CheckID: x.CheckID, Title: x.Title,
				Severity: x.Severity.String(), Status: string(x.Status), Controls: x.Controls, Message: x.Message})
		}
	}
	return f
}

func (f *fakeSource) visible(u User) []Host {
	var out []Host
	for _, h := range f.hosts {
		if u.Role != RoleAdmin && f.hidden[h.ID] {
			continue
		}
		out = append(out, h)
	}
	return out
}

func (f *fakeSource) Summary(_ context.Context, u User) (Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Summary{AsOf: fixedNow, Controls: map[string]map[string]int{}}
	for _, h := range f.visible(u) {
		s.Hosts++
		if h.Stale {
			s.Stale++
		}
		for _, id := range []string{"DO-1", "DO-2", "DO-3", "DO-4", "DO-5", "DO-6", "DONT-1", "DONT-2", "DONT-3", "DONT-4", "DONT-5", "DONT-6"} {
			st := orUnknown(h.Controls[id])
			if h.Stale {
				st = "unknown"
			}
			if s.Controls[id] == nil {
				s.Controls[id] = map[string]int{}
			}
			s.Controls[id][st]++
		}
	}
	return s, nil
}

func (f *fakeSource) Trend(context.Context, User, string, int, Summary) ([]TrendDay, error) {
	return f.trend, nil
}

func (f *fakeSource) Hosts(_ context.Context, u User, flt HostFilter) (HostPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []Host
	for _, h := range f.visible(u) {
		st := orUnknown(h.Controls[flt.Control])
		if h.Stale {
			st = "unknown"
		}
		switch {
		case flt.Control != "" && flt.Status != "" && st != flt.Status,
			flt.Version != "" && h.OpenClawVersion != flt.Version,
			flt.Profile != "" && h.Profile != flt.Profile,
			flt.Stale == "yes" && !h.Stale, flt.Stale == "no" && h.Stale,
			flt.Tag != "" && !contains(h.Tags, flt.Tag),
			flt.Q != "" && !strings.Contains(h.Hostname+" "+h.Address+" "+h.ID, flt.Q):
			continue
		}
		all = append(all, h)
	}
	hp := HostPage{Total: len(all)}
	end := min(len(all), flt.Offset+flt.Limit)
	if flt.Offset < end {
		hp.Hosts = all[flt.Offset:end]
	}
	return hp, nil
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func (f *fakeSource) Host(_ context.Context, u User, id string) (Host, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range f.visible(u) {
		if h.ID == id {
			return h, nil
		}
	}
	return Host{}, ErrNotFound
}

func (f *fakeSource) Reports(ctx context.Context, u User, hostID string, limit int) ([]ReportRef, error) {
	if _, err := f.Host(ctx, u, hostID); err != nil {
		return nil, err
	}
	var out []ReportRef
	for _, r := range f.reports[hostID] {
		out = append(out, r.Ref)
	}
	return out, nil
}

func (f *fakeSource) Report(ctx context.Context, u User, hostID, id string) (StoredReport, error) {
	for hid, rs := range f.reports {
		for _, r := range rs {
			if r.Ref.ID == id && hid == hostID {
				if _, err := f.Host(ctx, u, hid); err != nil {
					return StoredReport{}, err
				}
				return r, nil
			}
		}
	}
	return StoredReport{}, ErrNotFound
}

func (f *fakeSource) History(ctx context.Context, u User, hostID string, _ time.Time) ([]HistoryEntry, error) {
	if _, err := f.Host(ctx, u, hostID); err != nil {
		return nil, err
	}
	return f.history[hostID], nil
}

func (f *fakeSource) Findings(_ context.Context, u User, flt FindingFilter) ([]FleetFinding, error) {
	vis := map[string]bool{}
	for _, h := range f.visible(u) {
		vis[h.ID] = true
	}
	var out []FleetFinding
	for _, x := range f.findings {
		if !vis[x.HostID] || flt.Check != "" && x.CheckID != flt.Check || flt.Control != "" && !contains(x.Controls, flt.Control) || flt.Status != "" && x.Status != flt.Status {
			continue
		}
		out = append(out, x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].HostID < out[j].HostID })
	return out, nil
}

func (f *fakeSource) Unmanaged(context.Context, User) ([]Gateway, error) { return f.gateways, nil }

func (f *fakeSource) SetTags(_ context.Context, u User, id string, tags []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hosts {
		if f.hosts[i].ID == id {
			f.hosts[i].Tags = tags
			return nil
		}
	}
	return ErrNotFound
}

// fakeUsers: name -> password and role.
type fakeUsers map[string][2]string

func (fu fakeUsers) Authenticate(_ context.Context, name, pw string) (User, error) {
	if v, ok := fu[name]; ok && equalToken(pw, v[0]) {
		return User{Name: name, Role: v[1]}, nil
	}
	return User{}, ErrBadLogin
}

// memSessions is an in-memory Sessions for the handler tests; the real,
// shared one (internal/fleet/session) has its own tests on both databases.
type memSessions struct {
	mu    sync.Mutex
	s     map[string]Session
	fails map[string][]time.Time
}

func newMemSessions() *memSessions {
	return &memSessions{s: map[string]Session{}, fails: map[string][]time.Time{}}
}

func (m *memSessions) CreateSession(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s[s.ID] = s
	return nil
}

func (m *memSessions) Session(_ context.Context, id string, now time.Time) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.s[id]
	if !ok || !now.Before(s.Expires) {
		return Session{}, ErrNotFound
	}
	return s, nil
}

func (m *memSessions) DeleteSession(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.s, id)
	return nil
}

func (m *memSessions) LoginFailures(_ context.Context, key string, at time.Time, window time.Duration) (int, error) {
	since := at.Add(-window)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.fails[key] {
		if !t.Before(since) {
			n++
		}
	}
	return n, nil
}

func (m *memSessions) RecordLoginFailure(_ context.Context, key string, at time.Time, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fails[key] = append(m.fails[key], at)
	return nil
}

// testKey is a fixed bundle signing key.
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("clawgov-fleetweb-test-seed-32byt"))
}

func newTestDashboard(t testing.TB, src *fakeSource) *Dashboard {
	t.Helper()
	d, err := New(Options{
		Source: src, Sessions: newMemSessions(), Catalog: testCatalog(t), BundleKey: testKey(),
		Users:  fakeUsers{"admin": {"admin-pw", RoleAdmin}, "viewer": {"viewer-pw", RoleViewer}},
		Now:    func() time.Time { return fixedNow },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

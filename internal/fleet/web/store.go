package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
)

// StoreSource adapts the fleet store to the dashboard: Source, Tagger,
// Users and Sessions over one store.Store, so every server process sharing
// the database shows the same pages, sessions and login throttle.
type StoreSource struct {
	Store store.Store
	// StaleAfter is the freshness window (the server's --stale-after).
	StaleAfter time.Duration
	// ControlIDs are the 12 controls in display order.
	ControlIDs []string
	Now        func() time.Time
	// textsCache holds catalog texts read from the store, by digest (they
	// never change under one digest).
	textsCache sync.Map
}

var (
	_ Source   = (*StoreSource)(nil)
	_ Tagger   = (*StoreSource)(nil)
	_ Users    = (*StoreSource)(nil)
	_ Sessions = (*StoreSource)(nil)
)

// scope maps a user to the store's scope: tags restrict, no tags see all.
func scope(u User) store.Scope {
	if len(u.Tags) == 0 {
		return store.ScopeAll
	}
	return store.Scope{Tags: u.Tags}
}

func mapErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

func (s *StoreSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (s *StoreSource) host(h store.Host, now time.Time) Host {
	out := Host{
		ID: h.ID, Hostname: h.Hostname, LastSeen: deref(h.LastSeen), LastReport: deref(h.LastReport),
		Stale: h.Stale(now, s.StaleAfter), Profile: h.Profile, OpenClawVersion: h.OpenClawVersion, PolicyVersion: h.PolicyVersion, Tags: h.Tags,
		Controls: h.Effective(s.ControlIDs, now, s.StaleAfter), Clone: h.CloneSuspect,
	}
	if len(h.Addresses) > 0 {
		out.Address = strings.Join(h.Addresses, ", ")
	}
	return out
}

// Summary implements Source.
func (s *StoreSource) Summary(ctx context.Context, u User) (Summary, error) {
	now := s.now()
	sum, err := s.Store.Summary(ctx, scope(u), now, s.StaleAfter, s.ControlIDs)
	if err != nil {
		return Summary{}, err
	}
	return Summary{Hosts: sum.Hosts, Stale: sum.Stale, AsOf: now, Controls: sum.Controls}, nil
}

// Trend implements Source: per day, host × control results per status
// from the daily rollup (each host counts with the statuses of its last
// report that day; a host enrolled by then that did not report that day
// counts unknown). The last day is today, the live summary the caller
// read for its tiles, so both show the same counts from one read (stale
// hosts unknown on the server clock at today.AsOf).
func (s *StoreSource) Trend(ctx context.Context, u User, control string, days int, today Summary) ([]TrendDay, error) {
	end := truncDay(today.AsOf)
	start := end.AddDate(0, 0, -(days - 1))
	ds, err := s.Store.Daily(ctx, scope(u), start, end)
	if err != nil {
		return nil, err
	}
	ctls := s.ControlIDs
	if control != "" {
		ctls = []string{control}
	}
	out := make([]TrendDay, days)
	for i := range out {
		out[i] = TrendDay{Day: start.AddDate(0, 0, i), Counts: map[string]int{}}
		if i == days-1 {
			for _, c := range ctls {
				for st, n := range today.Controls[c] {
					if n > 0 {
						out[i].Counts[st] += n
					}
				}
			}
			continue
		}
		if i >= len(ds) {
			continue
		}
		for _, c := range ctls {
			counted := 0
			for st, n := range ds[i].Controls[c] {
				if n > 0 {
					out[i].Counts[st] += n
					counted += n
				}
			}
			if u := ds[i].Hosts - counted; u > 0 {
				out[i].Counts[store.StatusUnknown] += u
			}
		}
	}
	return out, nil
}

// Hosts implements Source. Every filter, the count and the page window
// are applied in SQL (stale and control status on the server clock at
// query time), so a page costs the same at 50,000 hosts as at 50.
func (s *StoreSource) Hosts(ctx context.Context, u User, f HostFilter) (HostPage, error) {
	now := s.now()
	sf := store.HostFilter{Scope: scope(u), Search: f.Q, Tag: f.Tag, Profile: f.Profile, OpenClawVersion: f.Version,
		Stale: f.Stale, Now: now, StaleAfter: s.StaleAfter, Limit: f.Limit, Offset: f.Offset}
	if f.Control != "" && f.Status != "" {
		sf.Control, sf.Status = f.Control, f.Status
	}
	if sf.Stale != "yes" && sf.Stale != "no" {
		sf.Stale = ""
	}
	hs, err := s.Store.ListHosts(ctx, sf)
	if err != nil {
		return HostPage{}, err
	}
	hp := HostPage{Total: len(hs)}
	if f.Limit > 0 {
		if hp.Total, err = s.Store.CountHosts(ctx, sf); err != nil {
			return HostPage{}, err
		}
	}
	for _, h := range hs {
		hp.Hosts = append(hp.Hosts, s.host(h, now))
	}
	return hp, nil
}

// Host implements Source.
func (s *StoreSource) Host(ctx context.Context, u User, id string) (Host, error) {
	h, err := s.Store.Host(ctx, id, scope(u))
	if err != nil {
		return Host{}, mapErr(err)
	}
	return s.host(h, s.now()), nil
}

func countControls(m map[string]string) map[string]int {
	out := map[string]int{}
	for _, st := range m {
		out[st]++
	}
	return out
}

// Reports implements Source.
func (s *StoreSource) Reports(ctx context.Context, u User, hostID string, limit int) ([]ReportRef, error) {
	if _, err := s.Store.Host(ctx, hostID, scope(u)); err != nil {
		return nil, mapErr(err)
	}
	ms, err := s.Store.ListReports(ctx, hostID, scope(u), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]ReportRef, 0, len(ms))
	for _, m := range ms {
		out = append(out, ReportRef{ID: m.ReportID, HostID: m.HostID, CreatedAt: m.CollectedAt, ReceivedAt: m.ReceivedAt, Controls: countControls(m.Controls)})
	}
	return out, nil
}

// Report implements Source: the stored bytes, decoded for the HTML view.
func (s *StoreSource) Report(ctx context.Context, u User, hostID, reportID string) (StoredReport, error) {
	sr, err := s.Store.Report(ctx, hostID, reportID, scope(u))
	if err != nil {
		return StoredReport{}, mapErr(err)
	}
	var named *storedTexts
	r, err := wire.StoredReport(sr.Body, func(d string) (*wire.Texts, error) {
		t, err := s.texts(ctx, d)
		if err != nil {
			return nil, err
		}
		named = t
		return t.texts, nil
	})
	if err != nil {
		return StoredReport{}, fmt.Errorf("report %s: stored body does not decode: %w", reportID, err)
	}
	out := StoredReport{
		Ref: ReportRef{ID: sr.ReportID, HostID: sr.HostID, CreatedAt: sr.CollectedAt, ReceivedAt: sr.ReceivedAt, Controls: countControls(sr.Controls)},
		Raw: sr.Body, Report: r,
	}
	if named != nil {
		out.TextsDigest, out.Texts = named.digest, named.json
	}
	return out, nil
}

// storedTexts are catalog texts with the bytes and digest they are kept
// under.
type storedTexts struct {
	texts  *wire.Texts
	json   []byte
	digest string
}

// texts are the catalog texts a compact stored report names: this
// build's, or those a server of another build kept in the store.
func (s *StoreSource) texts(ctx context.Context, digest string) (*storedTexts, error) {
	if own, err := wire.OwnTexts(); err == nil && own.Digest == digest {
		return &storedTexts{texts: own.Texts, json: own.JSON, digest: digest}, nil
	}
	if t, ok := s.textsCache.Load(digest); ok {
		return t.(*storedTexts), nil
	}
	v, err := s.Store.Setting(ctx, wire.TextsSetting(digest))
	if err != nil {
		return nil, fmt.Errorf("catalog texts %.12s: %w", digest, err)
	}
	t, err := wire.DecodeTexts([]byte(v), digest)
	if err != nil {
		return nil, err
	}
	st := &storedTexts{texts: t, json: []byte(v), digest: digest}
	s.textsCache.Store(digest, st)
	return st, nil
}

// History implements Source.
func (s *StoreSource) History(ctx context.Context, u User, hostID string, since time.Time) ([]HistoryEntry, error) {
	if _, err := s.Store.Host(ctx, hostID, scope(u)); err != nil {
		return nil, mapErr(err)
	}
	// Rows before since are needed to carry the status into the window,
	// so read them all (one row per change: small per host).
	rows, err := s.Store.History(ctx, hostID, scope(u), "", "")
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(rows))
	for _, r := range rows {
		d, err := time.Parse("2006-01-02", r.Day)
		if err != nil {
			continue
		}
		out = append(out, HistoryEntry{Day: d, Control: r.ControlID, Status: r.Status})
	}
	return out, nil
}

// Findings implements Source.
func (s *StoreSource) Findings(ctx context.Context, u User, f FindingFilter) ([]FleetFinding, error) {
	fs, err := s.Store.Findings(ctx, store.FindingFilter{Scope: scope(u), CheckID: f.Check, ControlID: f.Control, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]FleetFinding, 0, len(fs))
	for _, x := range fs {
		if f.Status != "" && x.Status != f.Status {
			continue
		}
		out = append(out, FleetFinding{HostID: x.HostID, Hostname: x.Hostname, CheckID: x.CheckID, Title: x.Title,
			Severity: x.Severity, Status: x.Status, Controls: x.Controls, Message: x.Message})
	}
	return out, nil
}

// Unmanaged implements Source.
func (s *StoreSource) Unmanaged(ctx context.Context, _ User) ([]Gateway, error) {
	gs, err := s.Store.Unmanaged(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Gateway, 0, len(gs))
	for _, g := range gs {
		out = append(out, Gateway{Address: g.IP, Port: g.Port, Version: g.Version, Auth: g.Detail, Source: g.Reporter, FirstSeen: g.FirstSeen, LastSeen: g.LastSeen})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, nil
}

// SetTags implements Tagger (the handler lets only admins call it).
func (s *StoreSource) SetTags(ctx context.Context, u User, hostID string, tags []string) error {
	if !u.CanChange() {
		return errors.New("viewer cannot change tags")
	}
	if _, err := s.Store.Host(ctx, hostID, scope(u)); err != nil {
		return mapErr(err)
	}
	return mapErr(s.Store.SetHostTags(ctx, hostID, tags))
}

// dummyHash keeps an unknown user name as slow as a wrong password, so
// timing does not tell which accounts exist. Made on first use: an argon2id
// hash costs ~250 ms and 64 MiB, which every clawgov command (audit
// included) would otherwise pay at start-up.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("clawgov-no-such-user")
	return h
})

// Authenticate implements Users with the store's argon2id hashes.
func (s *StoreSource) Authenticate(ctx context.Context, name, password string) (User, error) {
	u, err := s.Store.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		auth.CheckPassword(dummyHash(), password)
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, err
	}
	if !auth.CheckPassword(u.PasswordHash, password) || u.DisabledAt != nil {
		return User{}, ErrBadLogin
	}
	return User{Name: u.Name, Role: u.Role, Tags: u.Tags}, nil
}

// CreateSession implements Sessions.
func (s *StoreSource) CreateSession(ctx context.Context, x Session) error {
	u, err := s.Store.UserByName(ctx, x.User)
	if err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, store.Session{TokenHash: x.ID, UserID: u.ID, CSRF: x.CSRF, CreatedAt: x.Created, ExpiresAt: x.Expires})
}

// Session implements Sessions. The user is read again on every request so
// a disabled account or a changed role takes effect at once, on every
// server.
func (s *StoreSource) Session(ctx context.Context, id string, now time.Time) (Session, error) {
	x, err := s.Store.Session(ctx, id, now)
	if err != nil {
		return Session{}, mapErr(err)
	}
	u, err := s.Store.UserByID(ctx, x.UserID)
	if err != nil {
		return Session{}, mapErr(err)
	}
	if u.DisabledAt != nil {
		return Session{}, ErrNotFound
	}
	return Session{ID: x.TokenHash, User: u.Name, Role: u.Role, Tags: u.Tags, CSRF: x.CSRF, Created: x.CreatedAt, Expires: x.ExpiresAt}, nil
}

// DeleteSession implements Sessions.
func (s *StoreSource) DeleteSession(ctx context.Context, id string) error {
	return s.Store.DeleteSession(ctx, id)
}

// LoginFailures implements Sessions.
func (s *StoreSource) LoginFailures(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	return s.Store.LoginFailures(ctx, key, at, window)
}

// RecordLoginFailure implements Sessions.
func (s *StoreSource) RecordLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) error {
	_, err := s.Store.LoginFailure(ctx, key, at, window)
	return err
}

// settingBundleKey holds the evidence-bundle signing key's seed in the
// shared settings table, so every server signs with the same key.
const settingBundleKey = "web.bundle_ed25519_seed"

// BundleKey loads the server's evidence-bundle signing key from the store,
// creating it on first use (first writer wins across servers).
func BundleKey(ctx context.Context, st store.Store) (ed25519.PrivateKey, error) {
	v, err := st.Setting(ctx, settingBundleKey)
	if errors.Is(err, store.ErrNotFound) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if _, err := st.PutSettingIfAbsent(ctx, settingBundleKey, base64.StdEncoding.EncodeToString(seed)); err != nil {
			return nil, fmt.Errorf("bundle key: %w", err)
		}
		v, err = st.Setting(ctx, settingBundleKey)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("bundle key: stored seed is malformed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// SessionUser returns the user signed in on r, for the JSON API's
// cookie authentication (the browser calling /api/v1 from the dashboard).
func (d *Dashboard) SessionUser(r *http.Request) (User, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return User{}, false
	}
	s, err := d.o.Sessions.Session(r.Context(), SessionID(c.Value), d.o.Now())
	if err != nil {
		return User{}, false
	}
	return User{Name: s.User, Role: s.Role, Tags: s.Tags}, true
}

// Scope is the store scope of u (what the API applies for a session).
func Scope(u User) store.Scope { return scope(u) }

package advisory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/report"
)

// Check IDs of the advisory engine. A vulnerable version is reported here,
// apart from risky configuration (posture engine).
const (
	CheckVulnerable    = "CG-ADV-001" // known vulnerability affects the version
	CheckBrowserHijack = "CG-ADV-002" // same, for browser-hijack advisories (also DO-5)
	CheckUnknownRange  = "CG-ADV-003" // advisories whose affected range is unknown
	// CG-ADV-004 (advisory data is old) is retired: the age of clawgov's
	// own data is a report-level notice (see Describe), not a finding
	// about the deployment.
)

// AllChecks lists the engine's checks in order.
var AllChecks = []string{CheckVulnerable, CheckBrowserHijack, CheckUnknownRange}

// DefaultStaleDays is the age of the newest advisory record beyond which
// the report carries a notice that the database is stale: a clean match
// against old data is a weak pass.
const DefaultStaleDays = 90

// TagBrowserHijack marks advisories reported under CheckBrowserHijack.
const TagBrowserHijack = "browser-hijack"

// Engine is the audit engine "advisory": it matches every OpenClaw-family
// version found (installed packages, the running gateway with --deep, or
// the state's last writer when no package is found) against the database.
type Engine struct {
	// Load returns the database; nil uses Current(DefaultCacheDir()).
	Load func() (*DB, error)
	// Releases returns the release table; nil uses the embedded one.
	Releases func() (*Releases, error)
}

// Name is the catalog engine name.
func (Engine) Name() string { return "advisory" }

// target is one version to match and where it was seen.
type target struct {
	pkg, version, where, method string
	ev                          finding.Evidence
}

// Run evaluates the advisory checks.
func (e Engine) Run(_ context.Context, s *posture.Snapshot) ([]string, []finding.Finding, []report.RunError) {
	ran := slices.Clone(AllChecks)
	load := e.Load
	if load == nil {
		load = func() (*DB, error) {
			dir, _ := DefaultCacheDir()
			db, _, err := currentForMatch(dir)
			return db, err
		}
	}
	db, err := load()
	if err != nil {
		return ran, nil, []report.RunError{{Source: "advisory database", Message: err.Error(), Checks: ran}}
	}
	relf := e.Releases
	if relf == nil {
		relf = EmbeddedReleases
	}
	rel, err := relf()
	if err != nil {
		return ran, nil, []report.RunError{{Source: "release table", Message: err.Error(), Checks: ran}}
	}
	if s == nil || s.OC == nil {
		return ran, nil, []report.RunError{{Source: "advisory", Message: "no OpenClaw inventory was gathered", Checks: ran}}
	}
	var out []finding.Finding
	targets := versionTargets(s)
	if len(targets) == 0 {
		f := finding.Finding{CheckID: CheckVulnerable, Status: finding.Manual, MessageKey: "no_version", Params: map[string]string{}}
		return ran, append(out, f), nil
	}
	for _, t := range targets {
		v, err := ParseVersion(t.version)
		if err != nil {
			out = append(out, finding.Finding{CheckID: CheckVulnerable, Status: finding.Error, Target: t.where,
				Message: fmt.Sprintf("version %q of %s (%s) is not a version clawgov can order: %v", t.version, t.pkg, t.where, err)})
			continue
		}
		var unknown []Match
		for _, m := range db.Match(t.pkg, v) {
			if m.Kind == MatchUnknown {
				unknown = append(unknown, m)
				continue
			}
			out = append(out, vulnFinding(t, v, m, rel, db.Modified))
		}
		if f, ok := unknownFinding(t, v, unknown, rel); ok {
			out = append(out, f)
		}
	}
	return ran, out, nil
}

// versionTargets lists the distinct (package, version) pairs to match.
func versionTargets(s *posture.Snapshot) []target {
	inv := s.OC
	var ts []target
	seen := map[string]bool{}
	add := func(t target) {
		k := t.pkg + "@" + t.version + "@" + t.where
		if seen[k] || t.version == "" {
			return
		}
		seen[k] = true
		ts = append(ts, t)
	}
	installed := ""
	for _, in := range inv.Installs {
		if !slices.Contains(Packages, in.Name) {
			continue // forks are reported by the install engine
		}
		if installed == "" && in.Name == "openclaw" {
			installed = in.Version
		}
		add(target{pkg: in.Name, version: in.Version, where: in.Root, method: in.Method,
			ev: finding.Evidence{Kind: "package", File: in.Root + "/package.json", KeyPath: "version", Value: in.Version}})
	}
	// Official plugins (@openclaw/*) have advisories of their own.
	for _, pl := range inv.Plugins {
		if strings.HasPrefix(pl.Name, "@openclaw/") && pl.Version != "" {
			add(target{pkg: pl.Name, version: pl.Version, where: pl.Dir, method: "plugin",
				ev: finding.Evidence{Kind: "package", File: pl.Dir + "/package.json", KeyPath: "version", Value: pl.Version}})
		}
	}
	core := slices.ContainsFunc(ts, func(t target) bool { return slices.Contains(Packages, t.pkg) })
	if !core && inv.State != nil && inv.State.AppVersion != "" {
		add(target{pkg: "openclaw", version: inv.State.AppVersion, where: "state",
			ev: finding.Evidence{Kind: "state", File: inv.State.Path, KeyPath: "schema_meta.app_version", Value: inv.State.AppVersion,
				Detail: "no package found; the version that last wrote the state"}})
	}
	if s.Deep && inv.Live != nil && inv.Live.Version != "" && inv.Live.Version != installed {
		add(target{pkg: "openclaw", version: inv.Live.Version, where: "gateway " + inv.Live.URL,
			ev: finding.Evidence{Kind: "probe", File: inv.Live.URL + "/startupz", KeyPath: "version", Value: inv.Live.Version,
				Detail: "version the running gateway reports"}})
	}
	return ts
}

// UpgradeCommand is the command that installs version for the package
// manager that owns the install. Legacy packages migrate to openclaw.
func UpgradeCommand(method, version string) string {
	return upgradeCommand("openclaw", method, version)
}

func upgradeCommand(pkg, method, version string) string {
	if version == "" {
		version = "latest"
	}
	if method == "plugin" {
		return "openclaw plugins install " + pkg + "@" + version
	}
	switch method {
	case "pnpm-global":
		return "pnpm add -g openclaw@" + version
	case "bun-global":
		return "bun add -g openclaw@" + version
	case "git":
		return "openclaw update --tag v" + strings.TrimPrefix(version, "v")
	}
	return "npm i -g openclaw@" + version
}

func vulnFinding(t target, v Version, m Match, rel *Releases, dbModified string) finding.Finding {
	a := m.Advisory
	id := CheckVulnerable
	if a.HasTag(TagBrowserHijack) {
		id = CheckBrowserHijack
	}
	fixed := m.Fixed
	upTo := fixed
	upgrade := ""
	switch {
	case t.method == "plugin":
		upgrade = upgradeCommand(t.pkg, t.method, fixed) // "" -> latest
	case t.pkg != "openclaw" || fixed == "":
		// Legacy packages are superseded by openclaw, and an advisory with
		// no fixed version means: take the latest stable.
		upTo = rel.Latest().Version
	}
	if upgrade == "" {
		upgrade = UpgradeCommand(t.method, upTo)
	}
	if fixed == "" {
		fixed = "none known"
	}
	sev := a.Severity
	if sev == "" {
		sev = "unknown"
	}
	f := finding.Finding{
		CheckID:    id,
		Status:     finding.Fail,
		Severity:   severityOf(a.Severity),
		Target:     t.where,
		MessageKey: "vulnerable",
		MatchKey:   a.ID,
		Params: map[string]string{
			"id": a.ID, "aliases": orNone(strings.Join(a.Aliases, ", ")), "package": t.pkg, "version": v.String(),
			"range": m.Range, "fixed": fixed, "severity": sev, "summary": orNone(a.Summary),
			"upgrade": upgrade,
		},
		Evidence: []finding.Evidence{t.ev, {Kind: "advisory", KeyPath: a.ID, Value: m.Range,
			Detail: fmt.Sprintf("affected range from %s; database modified %s", a.Provenance["affected:"+t.pkg], dbModified)}},
		References: advisoryRefs(a),
	}
	return f
}

// unknownFinding reports advisories that name the package but whose range
// is unknown. Those published before the installed version was released
// are left out: advisories are published once a fix ships, so a release
// made after publication is presumed to contain it (the match output lists
// them apart as "presumed fixed").
func unknownFinding(t target, v Version, ms []Match, rel *Releases) (finding.Finding, bool) {
	open, _ := SplitUnknown(ms, v, rel)
	if len(open) == 0 {
		return finding.Finding{}, false
	}
	ids := make([]string, 0, len(open))
	f := finding.Finding{CheckID: CheckUnknownRange, Status: finding.Manual, Target: t.where, MessageKey: "unknown_range",
		MatchKey: t.pkg + "@" + v.String(), Evidence: []finding.Evidence{t.ev}}
	for i, m := range open {
		ids = append(ids, m.Advisory.ID)
		if i < 20 {
			f.Evidence = append(f.Evidence, finding.Evidence{Kind: "advisory", KeyPath: m.Advisory.ID,
				Value: orNone(m.Advisory.Published), Detail: truncate(m.Advisory.Summary, 100)})
		}
	}
	list := strings.Join(ids[:min(len(ids), 10)], ", ")
	if len(ids) > 10 {
		list += fmt.Sprintf(" (+%d)", len(ids)-10)
	}
	f.Params = map[string]string{"count": fmt.Sprint(len(open)), "package": t.pkg, "version": v.String(), "ids": list}
	return f, true
}

// SplitUnknown separates unknown-range matches into those that may affect
// v (published after v's release, or v's release date unknown) and those
// presumed fixed (published before v was released).
func SplitUnknown(ms []Match, v Version, rel *Releases) (open, presumedFixed []Match) {
	var r *Release
	if rel != nil {
		r, _ = rel.Lookup(v)
	}
	vd, ok := releaseDate(v, r)
	for _, m := range ms {
		if m.Kind != MatchUnknown {
			continue
		}
		pd, perr := parseDay(m.Advisory.Published)
		if ok && perr == nil && pd.Before(vd) {
			presumedFixed = append(presumedFixed, m)
			continue
		}
		open = append(open, m)
	}
	return open, presumedFixed
}

func parseDay(s string) (time.Time, error) {
	if len(s) >= 10 {
		s = s[:10]
	}
	return time.Parse("2006-01-02", s)
}

func severityOf(s string) finding.Severity {
	switch s {
	case "critical":
		return finding.Critical
	case "high":
		return finding.High
	case "medium":
		return finding.Medium
	case "low":
		return finding.Low
	}
	// Unknown severity: not Info, which would hide a known vulnerability.
	return finding.Medium
}

func advisoryRefs(a *Advisory) []string {
	var refs []string
	for _, r := range a.References {
		if strings.Contains(r, "/security/advisories/") || strings.Contains(r, "cve.org") || strings.Contains(r, "nvd.nist.gov") {
			refs = append(refs, r)
		}
	}
	return refs
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

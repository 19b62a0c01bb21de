package provenance

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/manifest"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/report"
)

// Check IDs of the install engine.
const (
	CheckNoInstall    = "CG-INS-001"
	CheckFork         = "CG-INS-002"
	CheckLegacy       = "CG-INS-003"
	CheckRepository   = "CG-INS-004"
	CheckBuildInfo    = "CG-INS-005"
	CheckRegistry     = "CG-INS-006"
	CheckIntegrity    = "CG-INS-007"
	CheckOfficial     = "CG-INS-008"
	CheckBehind       = "CG-INS-009"
	CheckChannel      = "CG-INS-010"
	CheckStateDrift   = "CG-INS-011"
	CheckLiveMismatch = "CG-INS-012"
)

// AllChecks lists the engine's checks in order.
var AllChecks = []string{CheckNoInstall, CheckFork, CheckLegacy, CheckRepository, CheckBuildInfo, CheckRegistry,
	CheckIntegrity, CheckOfficial, CheckBehind, CheckChannel, CheckStateDrift, CheckLiveMismatch}

// OfficialRepository is the upstream repository of the official package.
const OfficialRepository = "github.com/openclaw/openclaw"

var legacyPackages = []string{"clawdbot", "moltbot"}

// Engine is the audit engine "install".
type Engine struct {
	// OfficialRegistry returns npm's default registry URL; nil asks npm at
	// run time (DefaultRegistry). Tests inject it.
	OfficialRegistry func(ctx context.Context) (string, error)
	// Releases returns the release table; nil uses the embedded one.
	Releases func() (*advisory.Releases, error)
	// FarReleases and FarDays make "behind" a failure (DONT-1: an outdated
	// version); anything behind latest below them is a warning (DO-1).
	FarReleases int
	FarDays     int
	// Manifest returns the file manifest of an official release; nil uses
	// the embedded one (manifest.Embedded). Tests inject it.
	Manifest func(version string) (*manifest.Release, bool, error)
	// FullIntegrity hashes every installed file, not only the decisive
	// ones; CLAWGOV_INTEGRITY=full turns it on.
	FullIntegrity bool
}

// Name is the catalog engine name.
func (Engine) Name() string { return "install" }

// Default thresholds for "far behind".
const (
	DefaultFarReleases = 20
	DefaultFarDays     = 90
)

// Run evaluates the install checks over every OpenClaw-like install.
func (e Engine) Run(ctx context.Context, s *posture.Snapshot) ([]string, []finding.Finding, []report.RunError) {
	ran := slices.Clone(AllChecks)
	if s == nil || s.OC == nil {
		return ran, nil, []report.RunError{{Source: "install", Message: "no OpenClaw inventory was gathered", Checks: ran}}
	}
	relf := e.Releases
	if relf == nil {
		relf = advisory.EmbeddedReleases
	}
	rel, err := relf()
	if err != nil {
		return ran, nil, []report.RunError{{Source: "release table", Message: err.Error(), Checks: ran}}
	}
	// A compliance profile's thresholds win over the engine defaults (a
	// bank may allow 14 days behind latest, not 90).
	if s.Thresholds.MaxReleasesBehind > 0 {
		e.FarReleases = s.Thresholds.MaxReleasesBehind
	}
	if s.Thresholds.MaxDaysBehind > 0 {
		e.FarDays = s.Thresholds.MaxDaysBehind
	}
	if e.FarReleases == 0 {
		e.FarReleases = DefaultFarReleases
	}
	if e.FarDays == 0 {
		e.FarDays = DefaultFarDays
	}
	c := &checker{e: e, ctx: ctx, s: s, rel: rel}
	inv := s.OC
	if len(inv.Installs) == 0 {
		f := finding.Finding{CheckID: CheckNoInstall, Status: finding.Manual, MessageKey: "none", Params: map[string]string{}}
		if inv.State != nil && inv.State.AppVersion != "" {
			f.MessageKey = "state_only"
			f.Params["version"] = inv.State.AppVersion
			f.Evidence = []finding.Evidence{{Kind: "state", File: inv.State.Path, KeyPath: "schema_meta.app_version", Value: inv.State.AppVersion}}
		}
		c.out = append(c.out, f)
		return ran, c.out, nil
	}
	for _, in := range inv.Installs {
		c.install(in)
	}
	c.drift()
	// The running gateway's version is live state: without a probe the
	// check did not run (never a silent pass), and a disk image has none.
	switch {
	case s.NoLiveHost():
		c.add(CheckLiveMismatch, finding.Skip, "", posture.NoLiveHostKey, nil)
	case !s.Deep || inv.Live == nil || inv.Live.Version == "":
		c.add(CheckLiveMismatch, finding.Skip, "", "not_deep", nil)
	}
	return ran, c.out, c.errs
}

type checker struct {
	e    Engine
	ctx  context.Context
	s    *posture.Snapshot
	rel  *advisory.Releases
	out  []finding.Finding
	errs []report.RunError

	regOnce sync.Once
	reg     string
	regErr  error
}

func (c *checker) add(id string, st finding.Status, target, key string, params map[string]string, ev ...finding.Evidence) {
	if params == nil {
		params = map[string]string{}
	}
	c.out = append(c.out, finding.Finding{CheckID: id, Status: st, Target: target, MessageKey: key, Params: params,
		Evidence: ev, MatchKey: key})
}

func pkgEvidence(in openclaw.Install, key, value string) finding.Evidence {
	return finding.Evidence{Kind: "package", File: strings.TrimSuffix(in.Root, "/") + "/package.json", KeyPath: key, Value: value}
}

func (c *checker) install(in openclaw.Install) {
	t := in.Root
	base := map[string]string{"package": in.Name, "version": orDash(in.Version), "root": in.Root}
	with := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	switch {
	case slices.Contains(legacyPackages, in.Name):
		c.add(CheckLegacy, finding.Fail, t, "legacy", with(), pkgEvidence(in, "name", in.Name))
		return
	case in.Name != "openclaw":
		key := "fork"
		if slices.Contains(in.Bins, "openclaw") {
			key = "fork_shadow" // its bin takes the name of the real one
		}
		ev := []finding.Evidence{pkgEvidence(in, "name", in.Name)}
		if in.Repository != "" {
			ev = append(ev, pkgEvidence(in, "repository", in.Repository))
		}
		c.add(CheckFork, finding.Fail, t, key, with("bins", orDash(strings.Join(in.Bins, ", ")), "repository", orDash(in.Repository)), ev...)
		return
	}

	facts := Gather(c.s.OC, in)
	git := in.Method == "git" || facts.Git

	// Repository field.
	if !isOfficialRepo(in.Repository) {
		key := "repository"
		if in.Repository == "" {
			key = "no_repository"
		}
		c.add(CheckRepository, finding.Fail, t, key, with("repository", orDash(in.Repository)), pkgEvidence(in, "repository", in.Repository))
	}

	v, verr := advisory.ParseVersion(in.Version)
	var rr *advisory.Release
	if verr == nil {
		rr, _ = c.rel.Lookup(v)
	}

	// Build info.
	switch {
	case facts.BuildInfoMissing && !git:
		c.add(CheckBuildInfo, finding.Warn, t, "missing", with(), finding.Evidence{Kind: "file", File: in.Root + "/dist/build-info.json", Detail: "absent"})
	case facts.BuildInfo != nil && facts.BuildInfo.Version != "" && facts.BuildInfo.Version != in.Version:
		c.add(CheckBuildInfo, finding.Fail, t, "version_mismatch", with("built", facts.BuildInfo.Version),
			finding.Evidence{Kind: "file", File: in.Root + "/dist/build-info.json", KeyPath: "version", Value: facts.BuildInfo.Version})
	case facts.BuildInfo != nil && rr != nil && rr.Commit != "" && facts.BuildInfo.Commit != "" && !strings.HasPrefix(rr.Commit, facts.BuildInfo.Commit) && !strings.HasPrefix(facts.BuildInfo.Commit, rr.Commit):
		c.add(CheckBuildInfo, finding.Fail, t, "commit_mismatch", with("commit", facts.BuildInfo.Commit, "official", rr.Commit),
			finding.Evidence{Kind: "file", File: in.Root + "/dist/build-info.json", KeyPath: "commit", Value: facts.BuildInfo.Commit})
	}

	c.registry(in, facts, t, with)

	// Version standing.
	if verr != nil {
		c.add(CheckOfficial, finding.Fail, t, "unparseable", with(), pkgEvidence(in, "version", in.Version))
		return
	}
	st := c.rel.Stand(v, git)
	switch {
	case st.Official:
	case git:
		c.add(CheckOfficial, finding.Warn, t, "git_unreleased", with(), pkgEvidence(in, "version", in.Version))
	case v.Less(oldestCalver(c.rel)):
		// Older than anything the registry lists: unpublished or from
		// before the table begins, not necessarily a private build.
		c.add(CheckOfficial, finding.Fail, t, "unlisted_old", with("oldest", oldestCalver(c.rel).String()), pkgEvidence(in, "version", in.Version))
	default:
		c.add(CheckOfficial, finding.Fail, t, "not_official", with("latest", st.Latest.Version), pkgEvidence(in, "version", in.Version))
	}

	// Integrity against the official release.
	c.integrity(in, facts, rr, t, with)

	// An organisation's own baseline replaces "the latest stable" as the
	// bar: at or above it passes, below it fails.
	if base, ok := c.baseline(); ok {
		if v.Less(base) {
			c.add(CheckBehind, finding.Fail, t, "below_baseline", with("baseline", base.String(), "latest", st.Latest.Version,
				"table", c.rel.Label(), "upgrade", advisory.UpgradeCommand(in.Method, base.String())),
				pkgEvidence(in, "version", in.Version),
				finding.Evidence{Kind: "policy", KeyPath: "min_version", Value: base.String(), Detail: "the organisation's baseline"})
		}
	} else if st.ReleasesBehind > 0 || st.DaysBehind > 0 {
		status := finding.Warn
		key := "behind"
		if st.ReleasesBehind >= c.e.FarReleases || st.DaysBehind >= c.e.FarDays {
			status, key = finding.Fail, "far_behind"
		}
		c.add(CheckBehind, status, t, key, with("latest", st.Latest.Version, "releases", fmt.Sprint(st.ReleasesBehind),
			"days", fmt.Sprint(st.DaysBehind), "upgrade", advisory.UpgradeCommand(in.Method, st.Latest.Version), "table", c.rel.Label()),
			pkgEvidence(in, "version", in.Version),
			finding.Evidence{Kind: "release-table", KeyPath: "dist_tags.latest", Value: st.Latest.Version, Detail: c.rel.Label()})
	}
	if st.Channel == advisory.ChannelBeta || st.Channel == advisory.ChannelDev {
		c.add(CheckChannel, finding.Warn, t, st.Channel, with("channel", st.Channel), pkgEvidence(in, "version", in.Version))
	}
}

// baseline is the organisation's minimum version from the snapshot, when
// one was set and parses (the CLI rejects one that does not).
func (c *checker) baseline() (advisory.Version, bool) {
	if c.s.MinVersion == "" {
		return advisory.Version{}, false
	}
	v, err := advisory.ParseVersion(c.s.MinVersion)
	return v, err == nil
}

// oldestCalver is the oldest calendar-version release in the table (the
// registry also lists placeholders such as 0.0.1).
func oldestCalver(rel *advisory.Releases) advisory.Version {
	for _, v := range rel.Versions() {
		if len(v.Core) > 0 && v.Core[0] >= 2000 {
			return v
		}
	}
	return advisory.Version{}
}

func isOfficialRepo(r string) bool {
	r = strings.ToLower(strings.TrimSpace(r))
	r = strings.TrimPrefix(r, "git+")
	for _, p := range []string{"https://", "http://", "ssh://git@", "git://", "git@"} {
		r = strings.TrimPrefix(r, p)
	}
	r = strings.Replace(r, "github.com:", "github.com/", 1)
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	return r == OfficialRepository || r == "github:openclaw/openclaw" || r == "openclaw/openclaw"
}

func (c *checker) official() (string, error) {
	c.regOnce.Do(func() {
		f := c.e.OfficialRegistry
		if f == nil {
			f = DefaultRegistry
		}
		c.reg, c.regErr = f(c.ctx)
	})
	return c.reg, c.regErr
}

func (c *checker) registry(in openclaw.Install, facts Facts, t string, with func(...string) map[string]string) {
	if len(facts.Registries) == 0 {
		return // nothing recorded: npm's default was used
	}
	off, err := c.official()
	if err != nil {
		c.add(CheckRegistry, finding.Manual, t, "official_unknown", with("reason", err.Error()))
		return
	}
	offBase, ok := RegistryBase(off, in.Name)
	if !ok {
		c.add(CheckRegistry, finding.Manual, t, "official_unknown", with("reason", "npm reported an unusable registry URL"))
		return
	}
	for _, r := range facts.Registries {
		b, ok := RegistryBase(r.URL, in.Name)
		if !ok {
			if strings.HasPrefix(strings.TrimSpace(r.URL), "file:") || strings.HasPrefix(strings.TrimSpace(r.URL), "git") {
				c.add(CheckRegistry, finding.Fail, t, "non_registry", with("url", RedactURL(r.URL), "source", r.Source),
					finding.Evidence{Kind: "file", File: r.Source, KeyPath: r.Key, Value: RedactURL(r.URL)})
			}
			continue
		}
		if b == offBase || strings.HasPrefix(b, offBase+"/") {
			continue
		}
		ev := finding.Evidence{Kind: "file", File: r.Source, KeyPath: r.Key, Value: RedactURL(r.URL)}
		if strings.HasPrefix(r.Source, "env:") {
			ev = finding.Evidence{Kind: "env", KeyPath: strings.TrimPrefix(r.Source, "env:"), Value: RedactURL(r.URL)}
		}
		c.add(CheckRegistry, finding.Fail, t, "mirror", with("url", b, "source", r.Source), ev)
	}
}

func (c *checker) integrity(in openclaw.Install, facts Facts, rr *advisory.Release, t string, with func(...string) map[string]string) {
	if rr == nil {
		return // not an official release: nothing to compare with (CG-INS-008 fails)
	}
	for _, ig := range facts.Integrity {
		if integrityEqual(ig.Integrity, rr.Integrity, rr.Shasum) {
			continue
		}
		c.add(CheckIntegrity, finding.Fail, t, "mismatch", with("integrity", ig.Integrity, "official", rr.Integrity, "source", ig.Source),
			finding.Evidence{Kind: "file", File: ig.Source, KeyPath: "integrity", Value: ig.Integrity})
	}
	// The recorded integrity says which tarball was downloaded; the file
	// manifest says whether the files on disk are still that tarball's.
	c.files(in, facts, rr, t, with)
}

// maxListed bounds each list of files in the evidence; the message gives
// the full counts.
const maxListed = 20

func (c *checker) files(in openclaw.Install, facts Facts, rr *advisory.Release, t string, with func(...string) map[string]string) {
	mf := c.e.Manifest
	if mf == nil {
		mf = manifest.Embedded
	}
	full := c.e.FullIntegrity || os.Getenv("CLAWGOV_INTEGRITY") == "full"
	pkgDir, rok := hostPath(c.s.OC.Rootfs, in.Root)
	if !rok {
		c.add(CheckIntegrity, finding.Manual, t, "files_unreadable", with("reason", "the package folder does not resolve inside the root"))
		return
	}
	res, ok, err := manifest.VerifyLoad(pkgDir, func() (*manifest.Release, bool, error) { return mf(rr.Version) }, manifest.Options{Full: full})
	switch {
	case !ok && err != nil:
		c.errs = append(c.errs, report.RunError{Source: "file manifest", Message: err.Error(), Checks: []string{CheckIntegrity}})
		return
	case !ok:
		if len(facts.Integrity) == 0 {
			c.add(CheckIntegrity, finding.Manual, t, "unrecorded", with())
		}
		return
	case err != nil:
		c.add(CheckIntegrity, finding.Manual, t, "files_unreadable", with("reason", err.Error()))
		return
	}
	counts := with("files", fmt.Sprint(res.Compared), "hashed", fmt.Sprint(res.Hashed), "deps", fmt.Sprint(res.Dependencies),
		"added", fmt.Sprint(len(res.Added)), "removed", fmt.Sprint(len(res.Removed)),
		"modified", fmt.Sprint(len(res.Resized)+len(res.Modified)+len(res.NotRegular)))
	root := strings.TrimSuffix(in.Root, "/")
	if res.OK() {
		key := "files_match"
		if full {
			key = "files_match_full"
		}
		c.add(CheckIntegrity, finding.Pass, t, key, counts, finding.Evidence{Kind: "package", File: root,
			Detail: fmt.Sprintf("%d files compared by path and size; SHA-256 of %d files (%d bytes) matched the official release digest", res.Compared, res.Hashed, res.HashedBytes)})
		return
	}
	var ev []finding.Evidence
	list := func(paths []string, detail func(i int) string) {
		for i, p := range paths {
			if i == maxListed {
				ev = append(ev, finding.Evidence{Kind: "file", File: root + "/…", Detail: fmt.Sprintf("%d more not listed", len(paths)-maxListed)})
				return
			}
			ev = append(ev, finding.Evidence{Kind: "file", File: root + "/" + p, Detail: detail(i)})
		}
	}
	list(res.Added, func(int) string { return "added: not in the official release" })
	list(res.Removed, func(int) string { return "removed: in the official release, missing here" })
	resized := make([]string, len(res.Resized))
	for i, r := range res.Resized {
		resized[i] = r.Path
	}
	list(resized, func(i int) string {
		return fmt.Sprintf("modified: %d bytes, official %d bytes", res.Resized[i].Size, res.Resized[i].Official)
	})
	list(res.Modified, func(int) string { return "modified: SHA-256 differs from the official file" })
	list(res.NotRegular, func(int) string { return "modified: not a regular file" })
	key := "files_differ"
	if res.Unlocated {
		key = "files_differ_unlocated"
		ev = append(ev, finding.Evidence{Kind: "package", File: root, Detail: fmt.Sprintf("SHA-256 over %d files differs from the official release digest; only sizes are stored for non-entry files, so the changed file is not named", res.Hashed)})
	}
	c.add(CheckIntegrity, finding.Fail, t, key, counts, ev...)
}

// integrityEqual compares SRI strings: any hash algorithm both sides share
// must agree (a lockfile may record sha1 for old packages).
func integrityEqual(got, sri, shasum string) bool {
	for _, g := range strings.Fields(got) {
		alg, _, _ := strings.Cut(g, "-")
		for _, o := range strings.Fields(sri) {
			if strings.HasPrefix(o, alg+"-") {
				return g == o
			}
		}
		if alg == "sha1" && shasum != "" {
			return sha1SRI(shasum) == g
		}
	}
	return false
}

// drift compares the package version with the state's last writer, the
// config's lastTouchedVersion and, with --deep, the running gateway.
func (c *checker) drift() {
	inv := c.s.OC
	var in *openclaw.Install
	for i := range inv.Installs {
		if inv.Installs[i].Name == "openclaw" && (in == nil || inv.Installs[i].OnPath) {
			in = &inv.Installs[i]
		}
	}
	if in == nil {
		return
	}
	iv, err := advisory.ParseVersion(in.Version)
	if err != nil {
		return
	}
	cmp := func(id, what, got string, ev finding.Evidence) {
		gv, err := advisory.ParseVersion(got)
		if err != nil || gv.Compare(iv) == 0 {
			return
		}
		key := what + "_older"
		st := finding.Warn
		if iv.Less(gv) {
			key = what + "_newer"
		}
		if id == CheckLiveMismatch {
			st = finding.Fail
		}
		c.add(id, st, in.Root, key, map[string]string{"installed": iv.String(), "seen": gv.String(), "root": in.Root}, ev)
	}
	if inv.State != nil && inv.State.AppVersion != "" {
		cmp(CheckStateDrift, "state", inv.State.AppVersion, finding.Evidence{Kind: "state", File: inv.State.Path, KeyPath: "schema_meta.app_version", Value: inv.State.AppVersion})
	}
	if inv.Config != nil {
		if v, ok := inv.Config.String("meta.lastTouchedVersion"); ok && v != "" {
			ev := finding.Evidence{Kind: "config", File: inv.Config.Path, KeyPath: "meta.lastTouchedVersion", Value: v, Line: inv.Config.Get("meta.lastTouchedVersion").Line()}
			cmp(CheckStateDrift, "config", v, ev)
		}
	}
	if c.s.Deep && inv.Live != nil && inv.Live.Version != "" {
		cmp(CheckLiveMismatch, "live", inv.Live.Version, finding.Evidence{Kind: "probe", File: inv.Live.URL + "/startupz", KeyPath: "version", Value: inv.Live.Version})
	}
}

// sha1SRI turns a hex shasum into its SRI form.
func sha1SRI(hexsum string) string {
	b, err := hex.DecodeString(hexsum)
	if err != nil {
		return ""
	}
	return "sha1-" + base64.StdEncoding.EncodeToString(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// DefaultRegistry asks npm for its default registry with an empty user and
// global config, so a mirror configured on this machine is not mistaken
// for the official one. CLAWGOV_OFFICIAL_REGISTRY overrides it (for hosts
// without npm).
func DefaultRegistry(ctx context.Context) (string, error) {
	if v := os.Getenv("CLAWGOV_OFFICIAL_REGISTRY"); v != "" {
		return v, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm not found, so npm's default registry is unknown (set CLAWGOV_OFFICIAL_REGISTRY)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "config", "get", "registry")
	var env []string
	for _, kv := range os.Environ() {
		// Drop every npm setting from the environment: the question is
		// npm's built-in default, not this machine's configuration.
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(strings.ToLower(k), "npm_config_") {
			env = append(env, kv)
		}
	}
	// npm refuses the same file for both; a path that does not exist
	// reads as an empty global config.
	noGlobal := filepath.Join(os.TempDir(), "clawgov-no-npm-globalconfig", "npmrc")
	cmd.Env = append(env, "NPM_CONFIG_USERCONFIG=/dev/null", "NPM_CONFIG_GLOBALCONFIG="+noGlobal, "npm_config_update_notifier=false")
	cmd.Dir = os.TempDir() // no project .npmrc
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm config get registry: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Package audit runs one host audit: it gathers the host facts and the
// OpenClaw inventory once, runs every engine (posture checks, and the
// advisory, install and skill engines) over that snapshot and builds the
// report. It is the only place that knows the order of those steps.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/version"
)

// Options configure an audit.
type Options struct {
	Rootfs     string
	StateDir   string
	ConfigPath string
	// OpenClawProfile is OpenClaw's own named profile (OPENCLAW_PROFILE).
	OpenClawProfile string
	// Profile is the clawgov compliance profile (miit-2026, ...).
	Profile string
	// MinVersion is the organisation's OpenClaw baseline; "" takes the
	// profile's min_version, and an empty one the latest stable release.
	MinVersion string
	Deep       bool
	Lang       catalog.Lang
	Now        func() time.Time
	Getenv     func(string) string
	Logger     *slog.Logger
	// Prober probes the local gateway for --deep; nil disables probing.
	Prober func(ctx context.Context, inv *openclaw.Inventory) *openclaw.LiveGateway
	// EgressProber asks the local egress proxy's admin endpoint for --deep
	// (never for --rootfs: this host's loopback is not the image's).
	EgressProber func(ctx context.Context) *posture.EgressLive
	// NftProber reads the kernel's loaded nftables ruleset for --deep
	// (never for --rootfs: an image has no loaded rules).
	NftProber func(ctx context.Context) *posture.NftLive
	// CDPProber asks the loopback browser debugging ports found listening
	// whether they answer without a credential (--deep, live host only).
	CDPProber func(ctx context.Context, ports []int) []posture.CDPLive
	// FirewallCanary tries a connection as each service account to a
	// loopback port the firewall must refuse (--deep, live host only).
	FirewallCanary func(ctx context.Context, uids []int) []posture.CanaryLive
	// Inspect, when set, is called once with the snapshot the engines ran
	// on (`clawgov fix` plans from the same inventory the audit judged).
	Inspect func(s *posture.Snapshot)
	// Config is clawgov.yaml (nil: none): local profile files, waivers
	// and attestations, and the organisation registry.
	Config *config.Config
	// RegistryTimeout bounds each request to the organisation registry
	// (0: approval.DefaultTimeout).
	RegistryTimeout time.Duration
}

// Engine is one source of findings over the snapshot.
type Engine interface {
	// Name is the catalog engine name.
	Name() string
	// Run returns the check IDs it evaluated and their findings. Errors
	// are engine-level failures; the checks they name report error.
	Run(ctx context.Context, s *posture.Snapshot) (ran []string, fs []finding.Finding, errs []report.RunError)
}

// InputError is bad input from the user (an unparseable config, a missing
// --rootfs): the CLI maps it to exit code 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Run performs the audit.
func Run(ctx context.Context, opts Options) (*report.Report, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Profile == "" {
		opts.Profile = "miit-2026"
	}
	// Decoding the embedded catalog and advisory data is CPU work; reading
	// host facts is mostly waiting on the kernel. Overlap them: the data is
	// decoded on another core while Gather runs (both loaders are
	// sync.Once, so later callers wait for the same result).
	type catResult struct {
		cat *catalog.Catalog
		err error
	}
	catCh := make(chan catResult, 1)
	go func() {
		c, err := catalog.Default()
		catCh <- catResult{c, err}
	}()
	go advisory.Preload()

	hf, inv, gerr := Gather(ctx, opts)
	cr := <-catCh
	if cr.err != nil {
		return nil, fmt.Errorf("load catalog: %w", cr.err)
	}
	cat := cr.cat
	if paths := opts.Config.ProfilePaths(); len(paths) > 0 {
		c, err := cat.WithProfileFiles(paths)
		if err != nil {
			return nil, &InputError{err}
		}
		cat = c
	}
	prof, err := cat.Profile(opts.Profile)
	if err != nil {
		return nil, &InputError{err}
	}
	if err := opts.Config.ValidateChecks(func(id string) bool { _, ok := cat.Check(id); return ok }); err != nil {
		return nil, &InputError{err}
	}
	if gerr != nil {
		return nil, gerr
	}
	minVersion := opts.MinVersion
	if minVersion == "" {
		minVersion = prof.MinVersion
	}
	if minVersion != "" {
		if _, err := advisory.ParseVersion(minVersion); err != nil {
			return nil, &InputError{fmt.Errorf("min version %q: %w", minVersion, err)}
		}
	}
	if opts.Deep && opts.Prober != nil {
		inv.Live = opts.Prober(ctx, inv)
	}
	snap := &posture.Snapshot{OC: inv, Host: hf, Now: opts.Now(), Deep: opts.Deep && inv.Live != nil, MinVersion: minVersion,
		Thresholds: posture.Thresholds{
			LogRetentionDays: prof.Thresholds.LogRetentionDays, MaxDaysBehind: prof.Thresholds.MaxDaysBehind,
			MaxReleasesBehind: prof.Thresholds.MaxReleasesBehind,
		}}
	// The organisation registry's checks ask it for signed approvals:
	// network I/O only when clawgov.yaml names one.
	reg, err := OrgRegistry(opts.Config, opts.Getenv, inv, opts.RegistryTimeout)
	if err != nil {
		return nil, &InputError{err}
	}
	snap.Registry = reg
	if opts.Deep && opts.EgressProber != nil && opts.Rootfs == "" {
		snap.Egress = opts.EgressProber(ctx)
	}
	if opts.Deep && opts.NftProber != nil && opts.Rootfs == "" {
		snap.Nft = opts.NftProber(ctx)
	}
	if opts.Deep && opts.CDPProber != nil && opts.Rootfs == "" && hf != nil && hf.Live && hf.Coverage.Sockets {
		snap.CDP = opts.CDPProber(ctx, cdpPorts(hf.Sockets))
		if snap.CDP == nil {
			snap.CDP = []posture.CDPLive{}
		}
	}
	if opts.Deep && opts.FirewallCanary != nil && opts.Rootfs == "" && hf != nil && hf.Live {
		snap.Canary = opts.FirewallCanary(ctx, posture.ServiceUIDs(snap))
	}
	if opts.Inspect != nil {
		defer opts.Inspect(snap)
	}

	var (
		ran      []string
		findings []finding.Finding
		runErrs  []report.RunError
	)
	for _, e := range Engines() {
		r, f, errs := e.Run(ctx, snap)
		ran = append(ran, r...)
		findings = append(findings, f...)
		runErrs = append(runErrs, errs...)
	}
	for _, p := range inv.Problems {
		runErrs = append(runErrs, report.RunError{Source: p.Path, Message: p.Err.Error()})
	}
	for _, p := range hf.Problems {
		runErrs = append(runErrs, report.RunError{Source: p.Path, Message: p.Err.Error()})
	}
	// Secrets never leave the process: scrub every text field of every
	// finding and error against the secrets this inventory knows.
	secrets := openclaw.KnownSecrets(inv)
	for i := range findings {
		scrubFinding(&findings[i], secrets)
	}
	for i := range runErrs {
		runErrs[i].Message = finding.RedactAll(runErrs[i].Message, secrets)
	}

	hostname := hf.Hostname
	if hostname == "" && opts.Rootfs == "" {
		// Under --rootfs the image's own name is unknown, never ours.
		hostname, _ = os.Hostname()
	}
	// The auditor's own data (its dates and sources) is reported apart from
	// the findings: its age is not the deployment's fault.
	data := advisory.Describe(snap.Now, 0)
	data.MinVersion = minVersion
	return report.Build(cat, report.Input{
		Kind: "audit", Tool: report.Tool{Name: "clawgov", Version: version.Version},
		Now: opts.Now(), Lang: opts.Lang, ProfileID: opts.Profile,
		Target: target(hostname, opts.Rootfs, inv), Ran: ran, Findings: findings, Errors: runErrs,
		Config: opts.Config, Waivers: waiversOf(opts.Config), Attestations: attestationsOf(opts.Config),
		Data: data,
	})
}

func waiversOf(c *config.Config) []config.Waiver {
	if c == nil {
		return nil
	}
	return c.Waivers
}

func attestationsOf(c *config.Config) map[string]config.Attestation {
	if c == nil {
		return nil
	}
	return c.Attestations
}

func scrubFinding(f *finding.Finding, secrets []string) {
	f.Message = finding.RedactAll(f.Message, secrets)
	for k, v := range f.Params {
		f.Params[k] = finding.RedactAll(v, secrets)
	}
	for i := range f.Evidence {
		e := &f.Evidence[i]
		e.Value = finding.RedactAll(e.Value, secrets)
		e.Detail = finding.RedactAll(e.Detail, secrets)
	}
}

// Gather collects the host facts and the OpenClaw inventory of the audited
// deployment exactly as an audit does: the rootfs is checked, host facts
// come first, units and processes of other deployments are set aside, and
// the gateway's service environment relocates OpenClaw's own resolution.
// `clawgov skills scan --installed` and `clawgov fix` use it so they see the
// same deployment as `clawgov audit`.
func Gather(ctx context.Context, opts Options) (*host.Facts, *openclaw.Inventory, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rootfs != "" {
		st, err := os.Stat(opts.Rootfs)
		if err != nil {
			return nil, nil, &InputError{fmt.Errorf("rootfs: %w", err)}
		}
		if !st.IsDir() {
			return nil, nil, &InputError{fmt.Errorf("rootfs %s: not a directory", opts.Rootfs)}
		}
	}

	// --state-dir and --config are paths inside the root (right for a
	// mounted disk); one given as this machine's path to a place under the
	// root is taken as that place.
	opts.StateDir = underRoot(opts.Rootfs, opts.StateDir)
	opts.ConfigPath = underRoot(opts.Rootfs, opts.ConfigPath)

	hf, err := host.Gather(ctx, host.Options{Rootfs: opts.Rootfs, Logger: opts.Logger, Getenv: opts.Getenv})
	if err != nil {
		return nil, nil, fmt.Errorf("gather host facts: %w", err)
	}
	if opts.OpenClawProfile == "" && opts.Rootfs != "" {
		// A unit may select the profile on the command line
		// (`openclaw --profile work gateway run`), which moves the state
		// dir exactly like the environment form does.
		opts.OpenClawProfile = unitProfile(hf.Units)
	}
	base := openclaw.Options{
		Rootfs: opts.Rootfs, Getenv: opts.Getenv, StateDir: opts.StateDir, ConfigPath: opts.ConfigPath,
		Profile: opts.OpenClawProfile,
	}
	hf.Units, hf.Processes = ownedByDeployment(hf, base, opts.Logger)
	senv, ssrc := serviceEnv(hf)
	inv, err := openclaw.Gather(ctx, openclaw.Options{
		Rootfs: opts.Rootfs, Getenv: opts.Getenv, ServiceEnv: senv, ServiceEnvSources: ssrc,
		StateDir: opts.StateDir, ConfigPath: opts.ConfigPath, Profile: opts.OpenClawProfile,
		HomeDir:  deploymentHome(opts.Rootfs, hf, senv),
		PathDirs: strings.Split(opts.Getenv("PATH"), ":"), Logger: opts.Logger,
	})
	if err != nil {
		var ce *openclaw.ConfigError
		if errors.As(err, &ce) {
			return nil, nil, &InputError{err}
		}
		return nil, nil, fmt.Errorf("gather openclaw inventory: %w", err)
	}
	// A path the user named explicitly must exist: auditing defaults in
	// place of a mistyped --config or --state-dir would report on
	// something the user did not ask about.
	if opts.ConfigPath != "" && !inv.Paths.ConfigExists {
		return nil, nil, &InputError{fmt.Errorf("config %s: no such file%s", inv.Paths.ConfigPath, tried(opts.Rootfs, inv.Paths.ConfigPath))}
	}
	if opts.StateDir != "" && !inv.Paths.StateDirExists {
		return nil, nil, &InputError{fmt.Errorf("state dir %s: no such directory%s", inv.Paths.StateDir, tried(opts.Rootfs, inv.Paths.StateDir))}
	}
	return hf, inv, nil
}

// underRoot maps a --state-dir or --config value to the deployment path
// under --rootfs. An absolute path that exists inside the root is taken as
// given (a mounted disk: --state-dir /home/a/.openclaw). Otherwise a path
// that names a place under the root on this machine
// (--rootfs /mnt/img --state-dir /mnt/img/home/a/.openclaw, or a relative
// path from the working directory) becomes the path inside the root.
// Anything else is left for OpenClaw's own resolution inside the root.
func underRoot(rootfs, p string) string {
	if rootfs == "" || strings.TrimSpace(p) == "" || strings.HasPrefix(p, "~") {
		return p
	}
	if filepath.IsAbs(p) {
		if _, err := host.Stat(rootfs, p); err == nil {
			return p
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(rootfs, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return "/" + filepath.ToSlash(rel)
}

// tried says where a missing path was looked for under --rootfs.
func tried(rootfs, p string) string {
	if rootfs == "" {
		return ""
	}
	return fmt.Sprintf(" (looked for %s: under --rootfs, --state-dir and --config are paths inside the root, or this machine's paths to a place under it)", filepath.Join(rootfs, filepath.FromSlash(p)))
}

// ownedByDeployment keeps the service units and gateway processes that
// belong to the deployment being audited. A host may run several gateways
// (other users, other profiles, test instances); their environment must
// not relocate this audit and their sockets and owners are not this
// deployment's. A unit or process belongs when its environment resolves to
// the same state dir that OpenClaw would use for the audited user. Under
// --rootfs the audited deployment is the one the units describe, so every
// unit is kept (there are no processes).
func ownedByDeployment(hf *host.Facts, base openclaw.Options, log *slog.Logger) ([]host.Unit, []host.Process) {
	if base.Rootfs != "" {
		return hf.Units, hf.Processes
	}
	want := openclaw.ResolvePaths(base).StateDir
	homeOf := func(name string) string {
		if u, ok := hf.UserByName(name); ok {
			return u.Home
		}
		return ""
	}
	same := func(env map[string]string, home string) bool {
		o := base
		o.ServiceEnv, o.HomeDir = env, home
		return openclaw.ResolvePaths(o).StateDir == want
	}
	var units []host.Unit
	for _, u := range hf.Units {
		runAs := u.User
		if u.Kind == "systemd-user" {
			runAs = u.Owner
		}
		if runAs == "" {
			runAs = "root"
		}
		if same(u.Environment, homeOf(runAs)) {
			units = append(units, u)
		} else if log != nil {
			log.Debug("service unit belongs to another deployment", "unit", u.Path)
		}
	}
	var procs []host.Process
	uid := os.Getuid()
	for _, p := range hf.Processes {
		switch {
		case p.Env != nil && same(p.Env, homeOf(p.User)):
			procs = append(procs, p)
		case p.Env == nil && p.UID == uid:
			// Environment unreadable (another user's process without
			// privilege): attribute it only when it runs as us.
			procs = append(procs, p)
		default:
			if log != nil {
				log.Debug("gateway process belongs to another deployment", "pid", p.PID)
			}
		}
	}
	return units, procs
}

// unitProfile returns the OpenClaw profile a gateway unit selects with
// --profile NAME / --profile=NAME / --dev on its command line, "" for none.
// Names OpenClaw would reject (path separators, dots) are ignored.
func unitProfile(units []host.Unit) string {
	valid := func(p string) bool {
		return p != "" && !strings.ContainsAny(p, "/\\.") && len(p) <= 64
	}
	for _, u := range units {
		for i, a := range u.Args {
			switch {
			case a == "--dev":
				return "dev"
			case a == "--profile" && i+1 < len(u.Args) && valid(u.Args[i+1]):
				return u.Args[i+1]
			case strings.HasPrefix(a, "--profile=") && valid(strings.TrimPrefix(a, "--profile=")):
				return strings.TrimPrefix(a, "--profile=")
			}
		}
	}
	return ""
}

// serviceEnv merges the environment of gateway service units and running
// gateway processes: what the gateway actually runs with.
func serviceEnv(hf *host.Facts) (map[string]string, map[string]string) {
	env, src := map[string]string{}, map[string]string{}
	for _, u := range hf.Units {
		for k, v := range u.Environment {
			env[k], src[k] = v, "unit:"+u.Path
		}
	}
	for _, p := range hf.Processes {
		for k, v := range p.Env {
			env[k], src[k] = v, fmt.Sprintf("process:%d", p.PID)
		}
	}
	return env, src
}

// deploymentHome is the home directory of the audited deployment under
// --rootfs: the gateway unit's HOME, else its service user's home from the
// root's passwd, else the owner of a user unit, else /root. On the live
// host it is "" so OpenClaw's own resolution (OPENCLAW_HOME, HOME) applies
// to the current user, as `openclaw` itself would.
func deploymentHome(rootfs string, hf *host.Facts, senv map[string]string) string {
	if rootfs == "" {
		return ""
	}
	if h := senv["HOME"]; h != "" {
		return h
	}
	homeOf := func(name string) string {
		for _, u := range hf.Users {
			if u.Name == name {
				return u.Home
			}
		}
		return ""
	}
	for _, u := range hf.Units {
		if u.User != "" {
			if h := homeOf(u.User); h != "" {
				return h
			}
		}
		if u.Owner != "" {
			if h := homeOf(u.Owner); h != "" {
				return h
			}
		}
	}
	return "/root"
}

func target(hostname, rootfs string, inv *openclaw.Inventory) report.Target {
	t := report.Target{Host: hostname, Rootfs: rootfs, StateDir: inv.Paths.StateDir, ConfigPath: inv.Paths.ConfigPath}
	if len(inv.Installs) > 0 {
		in := inv.Installs[0]
		t.OpenClaw = report.OpenClawInfo{Version: in.Version, Package: in.Name, Source: "package.json", Path: in.Root}
		return t
	}
	if inv.State != nil && inv.State.AppVersion != "" {
		t.OpenClaw = report.OpenClawInfo{Version: inv.State.AppVersion, Source: "state schema_meta"}
	}
	return t
}

// cdpPorts are the listening ports in OpenClaw's browser debugging range
// (18800-18899, browser-egress.md §1.2) reachable on loopback: bound to a
// loopback or wildcard address. Sorted, each once.
func cdpPorts(socks []host.Socket) []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range socks {
		if s.Port < 18800 || s.Port > 18899 || seen[s.Port] {
			continue
		}
		if s.Scope != host.ScopeLoopback && s.Scope != host.ScopeWildcard {
			continue
		}
		seen[s.Port] = true
		out = append(out, s.Port)
	}
	sort.Ints(out)
	return out
}

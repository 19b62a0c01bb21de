package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/gctune"
	"github.com/clawgov/clawgov/internal/report"
)

// AuditOptions are the flags of `clawgov audit`.
type AuditOptions struct {
	reportFlags
	StateDir        string
	Config          string
	Rootfs          string
	Profile         string
	OpenClawProfile string
	MinVersion      string
	Deep            bool
}

func newAuditCmd(f *factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	o := &AuditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit this host's OpenClaw against the 12 controls",
		Long: `Audit the OpenClaw deployment on this host (or under --rootfs) against the
12 MIIT/NVDB controls. With no flags it looks exactly where OpenClaw looks:
OPENCLAW_HOME, OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH and OPENCLAW_PROFILE
are honoured, and so are the Environment= settings of the gateway's service
unit. Nothing is changed; --deep also probes the local gateway over loopback
with non-executing requests, asks the local egress proxy for its live policy,
and reads the kernel's loaded nftables ruleset (nft -j list ruleset, as
root) to see whether the service user's confinement is in force.

--rootfs DIR audits a mounted disk or an unpacked container image. Every
path is read inside DIR, as the deployment sees it: --state-dir and
--config name paths inside the root (--rootfs /mnt/img --state-dir
/home/a/.openclaw reads /mnt/img/home/a/.openclaw). A path that is already
this machine's path to a place under the root is accepted too
(--state-dir /mnt/img/home/a/.openclaw). An image has no live state:
checks of sockets, processes, the firewall at run time and the running
gateway report skip ("no live host (disk image)") and the controls are
decided by the checks that do apply; the report says that live state was
not observed.

--min-version VERSION (or min_version in a profile) fixes the
organisation's own OpenClaw baseline: CG-INS-009 then fails below it and
passes at or above it, instead of measuring against the latest stable
release of the embedded release table.

--output-dir DIR writes DIR/audit-TIME.EXT instead of stdout (TIME in UTC,
e.g. audit-20261206T031700Z.json) and --keep N then removes all but the
newest N reports of that format; files it did not name are never touched. The
scheduled audit the packages install (clawgov-audit.timer, or the cron
recipe) runs "clawgov audit --format json --fail-on none --output-dir
/var/lib/clawgov/reports --keep 90".

` + exitCodeHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runAudit(cmd.Context(), f, o)
		},
	}
	o.register(cmd)
	o.registerBaseline(cmd)
	o.registerOutputDir(cmd, "audit")
	fl := cmd.Flags()
	fl.StringVar(&o.StateDir, "state-dir", "", "OpenClaw state directory (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Config, "config", "", "OpenClaw config file (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Rootfs, "rootfs", "", "treat this directory as / (a mounted disk or an unpacked container image)")
	fl.StringVar(&o.Profile, "profile", "miit-2026", "compliance profile (see `clawgov controls --profiles`)")
	fl.StringVar(&o.OpenClawProfile, "openclaw-profile", "", "OpenClaw named profile (like openclaw --profile NAME: ~/.openclaw-NAME)")
	fl.BoolVar(&o.Deep, "deep", false, "also probe the local gateway over loopback with non-executing requests")
	fl.StringVar(&o.MinVersion, "min-version", "", "the organisation's OpenClaw baseline (e.g. 2026.9.1); default: the profile's min_version, else the latest stable")
	return cmd
}

func runAudit(ctx context.Context, f *factory, o *AuditOptions) error {
	if _, _, err := o.validate(); err != nil {
		return err
	}
	defer oneShotGC(f.Getenv)()
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return err
	}
	if o.OpenClawProfile != "" && !openclawProfileRE().MatchString(o.OpenClawProfile) {
		// OpenClaw refuses such names too; a path here would move the
		// audit outside the home directory.
		return usageErrorf("--openclaw-profile %q: invalid (use letters, numbers, \"_\", \"-\" only, as OpenClaw does)", o.OpenClawProfile)
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	fc, err := f.loadConfig()
	if err != nil {
		return err
	}
	r, err := audit.Run(ctx, audit.Options{
		Config: fc.cfg,
		Rootfs: abs(o.Rootfs), StateDir: o.StateDir, ConfigPath: o.Config,
		OpenClawProfile: o.OpenClawProfile, Profile: o.Profile, Deep: o.Deep, MinVersion: o.MinVersion,
		Lang: lang, Now: f.Now, Getenv: f.Getenv, Logger: f.Logger,
		Prober: localProber, EgressProber: egressProber, NftProber: nftProber, CDPProber: cdpProber, FirewallCanary: firewallCanary,
	})
	if err != nil {
		var ie *audit.InputError
		if errors.As(err, &ie) {
			return &UsageError{err}
		}
		return err
	}
	warnNotices(f, r)
	return o.emit(f, r)
}

// warnNotices repeats the report's warning-level notices (stale advisory
// data) on stderr, where an operator sees them whatever the format.
func warnNotices(f *factory, r *report.Report) {
	for _, n := range r.Meta.Notices {
		if n.Level == "warning" {
			fmt.Fprintf(f.IO.ErrOut, "clawgov: warning: %s\n", n.Message)
		}
	}
}

// openclawProfileRE is OpenClaw's rule for --profile names.
var openclawProfileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`) })

// localProber is set by the probe integration; nil means --deep records
// that no probe ran.
var localProber = defaultProber

// oneShotGC sets the collector for one audit and returns the undo. An
// audit is a single pass that allocates about 3 MiB and exits; with the
// default settings the collector runs once, just as the heap reaches its
// 4 MiB starting goal, and that collection frees nothing the process
// still needs while its metadata and the reuse of freed spans add about a
// megabyte of resident memory and 3 ms. So collection waits for a soft
// limit of 64 MiB instead, which a large host can still reach (and then
// is collected as usual). GOGC or GOMEMLIMIT in the environment win.
func oneShotGC(getenv func(string) string) (undo func()) {
	return gctune.Set(getenv, -1, 64<<20)
}

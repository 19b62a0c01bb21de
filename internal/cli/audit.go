package cli

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/audit"
)

// AuditOptions are the flags of `clawgov audit`.
type AuditOptions struct {
	reportFlags
	StateDir        string
	Config          string
	Rootfs          string
	Profile         string
	OpenClawProfile string
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
with non-executing requests.

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
	fl := cmd.Flags()
	fl.StringVar(&o.StateDir, "state-dir", "", "OpenClaw state directory (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Config, "config", "", "OpenClaw config file (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Rootfs, "rootfs", "", "treat this directory as / (a mounted disk or an unpacked container image)")
	fl.StringVar(&o.Profile, "profile", "miit-2026", "compliance profile (see `clawgov controls --profiles`)")
	fl.StringVar(&o.OpenClawProfile, "openclaw-profile", "", "OpenClaw named profile (like openclaw --profile NAME: ~/.openclaw-NAME)")
	fl.BoolVar(&o.Deep, "deep", false, "also probe the local gateway over loopback with non-executing requests")
	return cmd
}

func runAudit(ctx context.Context, f *factory, o *AuditOptions) error {
	if _, _, err := o.validate(); err != nil {
		return err
	}
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return err
	}
	if o.OpenClawProfile != "" && !openclawProfileRE.MatchString(o.OpenClawProfile) {
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
		OpenClawProfile: o.OpenClawProfile, Profile: o.Profile, Deep: o.Deep,
		Lang: lang, Now: f.Now, Getenv: f.Getenv, Logger: f.Logger,
		Prober: localProber,
	})
	if err != nil {
		var ie *audit.InputError
		if errors.As(err, &ie) {
			return &UsageError{err}
		}
		return err
	}
	return o.emit(f, r)
}

// openclawProfileRE is OpenClaw's rule for --profile names.
var openclawProfileRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// localProber is set by the probe integration; nil means --deep records
// that no probe ran.
var localProber = defaultProber

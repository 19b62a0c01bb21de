package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/remediate"
)

// FixOptions are the flags of `clawgov fix`.
type FixOptions struct {
	StateDir        string
	Config          string
	Rootfs          string
	Profile         string
	OpenClawProfile string
	Format          string
	Lang            string
	DryRun          bool
	Yes             bool
	Only            []string
	Skip            []string
	TokenStore      string
	ShowToken       bool
	OpenClaw        string
	BackupDir       string
	Rollback        string
	ListBackups     bool
	Restore         string
	RestartOK       bool
	// egress, when set, plans the OpenClaw settings of the egress chain
	// (clawgov egress openclaw-config --apply).
	egress []wiring.Setting
}

func newFixCmd(f *factory) *cobra.Command {
	o := &FixOptions{}
	cmd := &cobra.Command{
		Use:   "fix",
		Short: "Plan and apply safe, reversible fixes for audit findings",
		Long: `Build a fix plan from the audit and, with --yes, apply it.

Each action names the checks it resolves, the exact change (config key
old → new with file and line, file mode old → new, a skill moved to
quarantine), its risk and whether the gateway must restart. Config edits
keep your JSON5 (comments, key order, layout) and go to the file that
holds the key, $include files included. When the openclaw command is
available (PATH, CLAWGOV_OPENCLAW or --openclaw) the edited config is
checked with 'openclaw config validate' first and never written if it
fails.

Without --yes the plan and a diff are printed and nothing changes (on a
terminal you are asked to confirm). Every apply keeps a backup set and a
journal under <state>/.clawgov/backups/<ID>/; --rollback [ID] restores it
byte for byte, --list-backups lists them, --restore ID returns a
quarantined skill.

Exit codes: 0 done (or nothing to do), 2 refused or bad input (a managed
or unparseable config, a running gateway that would be locked out without
--yes-restart-needed), 3 the apply failed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// "--rollback ID" (with a space) leaves ID as an argument,
			// because the flag's value is optional.
			if len(args) == 1 {
				if o.Rollback != "latest" {
					return usageErrorf("unexpected argument %q", args[0])
				}
				o.Rollback = args[0]
			}
			return runFix(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.StateDir, "state-dir", "", "OpenClaw state directory (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Config, "config", "", "OpenClaw config file (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Rootfs, "rootfs", "", "treat this directory as / (a mounted disk or an unpacked container image)")
	fl.StringVar(&o.Profile, "profile", "miit-2026", "compliance profile")
	fl.StringVar(&o.OpenClawProfile, "openclaw-profile", "", "OpenClaw named profile (like OPENCLAW_PROFILE)")
	fl.StringVar(&o.Format, "format", "text", "plan format: text|json")
	fl.StringVar(&o.Lang, "lang", "", "plan language zh|en (default from LC_ALL/LANG)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "print the plan and diff, change nothing (default without --yes when not on a terminal)")
	fl.BoolVarP(&o.Yes, "yes", "y", false, "apply the plan without asking")
	fl.StringSliceVar(&o.Only, "only", nil, "only actions resolving these check IDs (or action IDs)")
	fl.StringSliceVar(&o.Skip, "skip", nil, "skip actions resolving these check IDs (or action IDs)")
	fl.StringVar(&o.TokenStore, "token-store", "", "env file for a generated gateway token (default <state>/.env, which OpenClaw reads)")
	fl.BoolVar(&o.ShowToken, "show-token", false, "print a generated gateway token after applying")
	fl.StringVar(&o.OpenClaw, "openclaw", "", "openclaw command used to validate edited configs (default: CLAWGOV_OPENCLAW, then PATH)")
	fl.StringVar(&o.BackupDir, "backup-dir", "", "where backup sets go (default <state>/.clawgov/backups)")
	fl.StringVar(&o.Rollback, "rollback", "", "restore backup set ID exactly (\"latest\" or no value: the latest)")
	fl.Lookup("rollback").NoOptDefVal = "latest"
	fl.BoolVar(&o.ListBackups, "list-backups", false, "list backup sets")
	fl.StringVar(&o.Restore, "restore", "", "return quarantined skill ID to where it was")
	fl.BoolVar(&o.RestartOK, "yes-restart-needed", false, "accept that a running gateway must be restarted and its clients updated")
	return cmd
}

func (o *FixOptions) remediateOptions(f *factory) (remediate.Options, error) {
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return remediate.Options{}, err
	}
	fc, err := f.loadConfig()
	if err != nil {
		return remediate.Options{}, err
	}
	rootfs := o.Rootfs
	if rootfs != "" {
		if a, err := filepath.Abs(rootfs); err == nil {
			rootfs = a
		}
	}
	return remediate.Options{
		Rootfs: rootfs, StateDir: o.StateDir, ConfigPath: o.Config, OpenClawProfile: o.OpenClawProfile,
		Profile: o.Profile, Config: fc.cfg, Lang: lang, Getenv: f.Getenv, Now: f.Now, Logger: f.Logger,
		Only: o.Only, Skip: o.Skip, TokenStore: o.TokenStore, BackupDir: o.BackupDir,
		OpenClaw: findOpenClaw(f, o.OpenClaw), RestartOK: o.RestartOK, Egress: o.egress,
	}, nil
}

// findOpenClaw: --openclaw, CLAWGOV_OPENCLAW, then openclaw on PATH.
func findOpenClaw(f *factory, flag string) string {
	if flag != "" {
		return flag
	}
	if v := f.Getenv("CLAWGOV_OPENCLAW"); v != "" {
		return v
	}
	for _, d := range filepath.SplitList(f.Getenv("PATH")) {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "openclaw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath("openclaw"); err == nil && f.Getenv("PATH") == os.Getenv("PATH") {
		return p
	}
	return ""
}

func runFix(ctx context.Context, f *factory, o *FixOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return usageErrorf("--format: want text or json, got %q", o.Format)
	}
	modes := 0
	for _, b := range []bool{o.Rollback != "", o.ListBackups, o.Restore != ""} {
		if b {
			modes++
		}
	}
	if modes > 1 {
		return usageErrorf("--rollback, --list-backups and --restore exclude each other")
	}
	if err := checkIDs(o.Only, o.Skip); err != nil {
		return err
	}
	ro, err := o.remediateOptions(f)
	if err != nil {
		return err
	}
	if modes == 1 {
		return runFixMaintenance(f, o, ro)
	}
	plan, err := remediate.Build(ctx, ro)
	if err != nil {
		return fixError(err)
	}
	if o.Format == "json" {
		err = plan.WriteJSON(f.IO.Out)
	} else {
		err = plan.WriteText(f.IO.Out)
	}
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if len(plan.Actions) == 0 {
		return nil
	}
	apply := o.Yes && !o.DryRun
	if !o.Yes && !o.DryRun && f.IO.InTTY {
		if plan.Refusal != "" {
			return &UsageError{errors.New(plan.Refusal)}
		}
		fmt.Fprintf(f.IO.ErrOut, "Apply %d actions? [y/N] ", len(plan.Actions))
		line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		ans := strings.ToLower(strings.TrimSpace(line))
		apply = ans == "y" || ans == "yes" || ans == "是"
	}
	if !apply {
		if o.Format == "text" {
			fmt.Fprintln(f.IO.ErrOut, remediateDryRunNote(ro))
		}
		return nil
	}
	res, err := plan.Apply()
	if err != nil {
		return fixError(err)
	}
	w := f.IO.ErrOut
	if o.Format == "text" {
		w = f.IO.Out
	}
	fmt.Fprintln(w, remediate.AppliedText(ro.Lang, res))
	if o.ShowToken && plan.Token() != "" {
		fmt.Fprintf(w, "%s=%s\n", remediate.TokenEnv, plan.Token())
	}
	return nil
}

func remediateDryRunNote(ro remediate.Options) string { return remediate.DryRunText(ro.Lang) }

// fixError maps refusals and bad input to exit 2.
func fixError(err error) error {
	var re *remediate.RefusedError
	var ie *remediate.InputError
	if errors.As(err, &re) || errors.As(err, &ie) {
		return &UsageError{err}
	}
	return err
}

func runFixMaintenance(f *factory, o *FixOptions, ro remediate.Options) error {
	stateDir, err := remediate.ResolveStateDir(ro)
	if err != nil {
		return &UsageError{err}
	}
	root := remediate.BackupRoot(ro, stateDir)
	switch {
	case o.ListBackups:
		list, err := remediate.ListBackups(root)
		if err != nil {
			return err
		}
		if o.Format == "json" {
			if list == nil {
				list = []remediate.BackupInfo{}
			}
			enc := json.NewEncoder(f.IO.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		if len(list) == 0 {
			fmt.Fprintf(f.IO.Out, "no backups in %s\n", root)
			return nil
		}
		for _, b := range list {
			fmt.Fprintf(f.IO.Out, "%s  %-11s  %d files  %s\n", b.ID, b.Status, b.Files, strings.Join(b.Actions, ", "))
		}
		return nil
	case o.Rollback != "":
		id := o.Rollback
		if id == "latest" {
			id = ""
		}
		got, err := remediate.Rollback(root, id, func() { fixTestPause(f) })
		if err != nil {
			return err
		}
		if got == "" {
			fmt.Fprintf(f.IO.Out, "nothing to roll back in %s\n", root)
			return nil
		}
		fmt.Fprintf(f.IO.Out, "rolled back %s\n", got)
		return nil
	default:
		m, err := remediate.Restore(ro, stateDir, o.Restore)
		if err != nil {
			return &UsageError{err}
		}
		fmt.Fprintf(f.IO.Out, "restored %s to %s\n", m.Name, m.Origin)
		return nil
	}
}

var checkIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^CG-[A-Z]+-\d+$`) })

// checkIDs rejects --only/--skip check IDs the catalog does not know, so a
// typo does not silently select nothing. Other values are action IDs.
func checkIDs(lists ...[]string) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, id := range cat.CheckIDs() {
		known[id] = true
	}
	for _, l := range lists {
		for i, id := range l {
			id = strings.ToUpper(strings.TrimSpace(id))
			if !checkIDRE().MatchString(id) {
				continue
			}
			// A retired ID names its replacement (IDs are stable forever,
			// so old scripts keep working).
			if c := cat.Canonical(id); c != id {
				l[i], id = c, c
			}
			if !known[id] {
				return usageErrorf("unknown check ID %s (see clawgov controls)", id)
			}
		}
	}
	return nil
}

// fixTestPause is the crash-test hook for rollback: CLAWGOV_FIX_TEST_PAUSE
// (milliseconds) pauses before each restored path and says so on stderr.
func fixTestPause(f *factory) {
	if v := f.Getenv("CLAWGOV_FIX_TEST_PAUSE"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			f.Logger.Warn("fix test pause", "ms", ms)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
	}
}

package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/version"
)

// SkillsScanOptions are the flags of `clawgov skills scan`.
type SkillsScanOptions struct {
	reportFlags
	Paths           []string
	Installed       bool
	StateDir        string
	Config          string
	Rootfs          string
	OpenClawProfile string
	Workers         int
	// Indicators is a signed indicator update; TrustedKeys verify it.
	Indicators  string
	TrustedKeys []string
}

func newSkillsCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "skills",
		Short: "Vet OpenClaw skills: scan folders and archives, or act as the install-policy hook",
	}
	cmd.AddCommand(newSkillsScanCmd(f, nil), newSkillsHookCmd(f), newSkillsRulesCmd(f), newSkillsSignIndicatorsCmd(f))
	return cmd
}

func newSkillsScanCmd(f *factory, runF func(context.Context, *SkillsScanOptions) error) *cobra.Command {
	o := &SkillsScanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan skill folders, SKILL.md files and .zip/.tgz archives for malicious techniques",
		Long: `Scan skills without running anything from them. PATH may be a skill folder,
a folder of many skills (every folder with a SKILL.md, up to 8 levels down),
a single SKILL.md or other file, or a .zip/.tgz/.tar.gz/.tar archive (read in
memory; nested archives are followed within limits). --installed scans every
skill and plugin folder OpenClaw would load, resolved exactly as
` + "`clawgov audit`" + ` resolves them (--state-dir, --config, --rootfs).

Each skill gets a verdict (malicious, suspicious, clean) with the score
explained, and every match names the rule, file, line and matched text
(secrets redacted). A skill that could not be fully read is reported as an
error, never as clean.

With registry.url in clawgov.yaml, --installed also checks every skill
installed from that registry against its signed approval (CG-SKL-016): the
record must verify against registry.signing_key and name the files on disk
(token from CLAWHUB_TOKEN). A changed, revoked or unapproved skill fails; an
unreachable registry or no pinned key is manual, never a pass.

` + exitCodeHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runSkillsScan(cmd.Context(), f, o)
		},
	}
	o.register(cmd)
	o.registerBaseline(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&o.Installed, "installed", false, "scan every installed skill and plugin folder")
	fl.StringVar(&o.StateDir, "state-dir", "", "OpenClaw state directory for --installed (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Config, "config", "", "OpenClaw config file for --installed (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Rootfs, "rootfs", "", "treat this directory as / for --installed")
	fl.StringVar(&o.OpenClawProfile, "openclaw-profile", "", "OpenClaw named profile for --installed (like OPENCLAW_PROFILE)")
	fl.IntVar(&o.Workers, "workers", 0, "parallel scan workers (default: number of CPUs)")
	fl.StringVar(&o.Indicators, "indicators", "", "signed indicator update (YAML with a detached FILE.sig) merged with the embedded list")
	fl.StringArrayVar(&o.TrustedKeys, "trusted-key", nil, "public key file (from `clawgov advisories keygen`) that signed --indicators; repeatable")
	return cmd
}

func runSkillsScan(ctx context.Context, f *factory, o *SkillsScanOptions) error {
	if _, _, err := o.validate(); err != nil {
		return err
	}
	if len(o.Paths) == 0 && !o.Installed {
		return usageErrorf("skills scan: give at least one PATH or --installed")
	}
	fc, err := f.loadConfig()
	if err != nil {
		return err
	}
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return err
	}
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	opts := skillscan.Options{Workers: o.Workers}
	if o.Indicators != "" {
		var keys []ed25519.PublicKey
		for _, kf := range o.TrustedKeys {
			b, err := os.ReadFile(kf)
			if err != nil {
				return usageErrorf("--trusted-key: %v", err)
			}
			k, err := advisory.ParsePublicKey(b)
			if err != nil {
				return usageErrorf("--trusted-key %s: %v", kf, err)
			}
			keys = append(keys, k)
		}
		ind, err := skillscan.LoadSignedIndicators(o.Indicators, keys)
		if err != nil {
			return &UsageError{err}
		}
		opts.Indicators = ind
	}
	sc, err := skillscan.New(opts)
	if err != nil {
		return fmt.Errorf("load skill rules: %w", err)
	}
	var (
		fs      []finding.Finding
		runErrs []report.RunError
		inputOK bool
		target  = report.Target{}
		ran     = []string{skillscan.CheckVerdict, skillscan.CheckMatch}
	)
	if len(o.Paths) > 0 {
		results, errs := sc.ScanPaths(ctx, o.Paths)
		for _, e := range errs {
			runErrs = append(runErrs, report.RunError{Source: "skills scan", Message: e.Error(), Checks: []string{skillscan.CheckVerdict}})
		}
		if len(results) > 0 {
			inputOK = true
		}
		for _, r := range results {
			fs = append(fs, skillscan.ResultFindings(r, r.Source, string(lang))...)
		}
	}
	if o.Installed {
		inv, err := gatherInventory(ctx, f, o)
		if err != nil {
			return err
		}
		target.StateDir, target.ConfigPath, target.Rootfs = inv.Paths.StateDir, inv.Paths.ConfigPath, inv.Rootfs
		res := sc.ScanInstalled(ctx, inv)
		inputOK = true
		for _, r := range res {
			fs = append(fs, skillscan.ResultFindings(r.Result, r.Shown, string(lang))...)
		}
		// Skills from the organisation registry are checked against its
		// signed approvals, exactly as the audit checks them.
		reg, err := audit.OrgRegistry(fc.cfg, f.Getenv, inv, 0)
		if err != nil {
			return &UsageError{err}
		}
		fs = append(fs, skillscan.ApprovalFindings(ctx, inv, reg)...)
		ran = append(ran, skillscan.CheckApproval)
		for _, p := range inv.Problems {
			if p.Area == "skills" || p.Area == "plugins" {
				runErrs = append(runErrs, report.RunError{Source: p.Path, Message: p.Err.Error(), Checks: []string{skillscan.CheckVerdict}})
			}
		}
	}
	if !inputOK && len(runErrs) > 0 {
		return &UsageError{errors.New(runErrs[0].Message)}
	}
	hostname, _ := os.Hostname()
	target.Host = hostname
	r, err := report.Build(cat, report.Input{
		Kind: "skills-scan", Tool: report.Tool{Name: "clawgov", Version: version.Version},
		Now: f.Now(), Lang: lang, ProfileID: "miit-2026", Target: target,
		Ran: ran, Findings: fs, Errors: runErrs,
		Config: fc.cfg, Waivers: waiversOf(fc.cfg),
	})
	if err != nil {
		return fmt.Errorf("build report: %w", err)
	}
	if err := o.emit(f, r); err != nil {
		return err
	}
	if len(runErrs) > 0 {
		// The report was written; some input could not be read.
		return &UsageError{fmt.Errorf("%d input path(s) could not be scanned (see the report's errors)", len(runErrs))}
	}
	return nil
}

// gatherInventory resolves the deployment exactly as the audit does (same
// rootfs checks, same filtering of other deployments' gateways, same
// service environment), so --installed scans what `clawgov audit` judges.
func gatherInventory(ctx context.Context, f *factory, o *SkillsScanOptions) (*openclaw.Inventory, error) {
	rootfs := o.Rootfs
	if rootfs != "" {
		if a, err := filepath.Abs(rootfs); err == nil {
			rootfs = a
		}
	}
	_, inv, err := audit.Gather(ctx, audit.Options{
		Rootfs: rootfs, StateDir: o.StateDir, ConfigPath: o.Config,
		OpenClawProfile: o.OpenClawProfile, Getenv: f.Getenv, Logger: f.Logger,
	})
	if err != nil {
		var ie *audit.InputError
		if errors.As(err, &ie) {
			return nil, &UsageError{err}
		}
		return nil, err
	}
	return inv, nil
}

func newSkillsHookCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "hook",
		Short: "OpenClaw security.installPolicy.exec hook: scan the staged skill or plugin and answer allow/warn/block",
		Long: `Implements OpenClaw's install-policy protocol (version 1): reads one JSON
request on stdin, scans the staged source at sourcePath without running
anything from it, and writes one JSON decision on stdout: block for a
malicious skill or one that could not be fully scanned, warn for a
suspicious one (OpenClaw then asks the operator), allow otherwise.

Configure it with an absolute path:

  openclaw config set security.installPolicy.enabled true
  openclaw config set security.installPolicy.exec \
    '{"source":"exec","command":"/usr/local/bin/clawgov","args":["skills","hook"],"timeoutMs":30000}' --strict-json

(OpenClaw validates exec as a whole, so set it in one call; a large plugin
can take longer to scan than the 10 s default timeout.)

Any other argument OpenClaw passes is ignored. The exit code is 0 whenever a
decision was written; every failure is written as a block.`,
		Args:               cobra.ArbitraryArgs,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Flags are not parsed (OpenClaw may pass its own), but a person
			// asking for help gets it rather than a block decision.
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			resp := skillscan.HookResponse{}
			sc, err := skillscan.New(skillscan.Options{})
			if err != nil {
				resp = skillscan.HookResponse{ProtocolVersion: 1, Decision: "block", Reason: "clawgov: cannot load skill rules: " + err.Error()}
			} else {
				resp = sc.Decide(cmd.Context(), f.IO.In)
			}
			return writeJSONLine(f.IO.Out, resp)
		},
	}
}

// writeJSONLine writes v as one line of JSON: the install-policy protocol
// reads exactly one object from stdout.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func newSkillsRulesCmd(f *factory) *cobra.Command {
	var patterns, keywords bool
	var lang string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the embedded skill-scan rules (or print their RE2 patterns, one per line)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := skillscan.DefaultRules()
			if err != nil {
				return fmt.Errorf("load skill rules: %w", err)
			}
			l, err := resolveLang(f, lang)
			if err != nil {
				return err
			}
			if keywords {
				seen := map[string]bool{}
				for _, r := range rs.Rules {
					for _, k := range r.Keywords {
						if !seen[k] {
							seen[k] = true
							fmt.Fprintln(f.IO.Out, k)
						}
					}
				}
				return nil
			}
			for _, r := range rs.Rules {
				if patterns {
					fmt.Fprintln(f.IO.Out, r.Re.String())
					continue
				}
				fmt.Fprintf(f.IO.Out, "%s\t%-8s\t%-22s\t%s\n", r.ID, r.Severity, r.Category, r.Title.Get(string(l)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&patterns, "patterns", false, "print only the patterns (for comparing with grep tools)")
	cmd.Flags().BoolVar(&keywords, "keywords", false, "print the prefilter keywords, one per line")
	cmd.Flags().StringVar(&lang, "lang", "", "language of the titles zh|en")
	return cmd
}

func newSkillsSignIndicatorsCmd(f *factory) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "sign-indicators --key PRIVATE FILE",
		Short: "Sign an indicator update (writes FILE.sig) for `skills scan --indicators`",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kb, err := os.ReadFile(key)
			if err != nil {
				return usageErrorf("--key: %v", err)
			}
			priv, err := advisory.ParsePrivateKey(kb)
			if err != nil {
				return usageErrorf("--key %s: %v", key, err)
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErrorf("read %s: %v", args[0], err)
			}
			if _, err := skillscan.ParseIndicators(data); err != nil {
				return &UsageError{err}
			}
			if err := os.WriteFile(args[0]+skillscan.SignatureSuffix, skillscan.SignIndicators(data, priv), 0o644); err != nil {
				return fmt.Errorf("write signature: %w", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "signed %s -> %s%s\n", args[0], args[0], skillscan.SignatureSuffix)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "private key file (from `clawgov advisories keygen`)")
	return cmd
}

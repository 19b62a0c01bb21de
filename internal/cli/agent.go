package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/report"
)

type agentOptions struct {
	Dir      string
	StateDir string
	Config   string
	Rootfs   string
	Profile  string
	Deep     bool
	DryRun   bool
	// profileSet: --profile was given on the command line.
	profileSet bool
}

func newAgentCmd(f *factory) *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Enroll this host with a fleet server and push signed audit reports",
		Long: `The fleet agent. 'agent enroll' creates this host's ed25519 key (its
identity; never a hardware UUID) in --agent-dir and registers it with an
enrollment token. 'agent once' audits and pushes one signed report and exits
0 only when the server acknowledged it; 'agent run' does so on an interval
with jitter and whenever the OpenClaw config file changes. Reports are
spooled on disk first (bounded; oldest dropped and counted) and sent in
order when the server is reachable.

Exit codes: 0 acknowledged, 2 usage error or not enrolled, 3 audit or
send failed (the report stays in the spool).`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.Dir, "agent-dir", agent.DefaultDir, "agent key, state and spool directory")
	cmd.AddCommand(newAgentEnrollCmd(f, o), newAgentOnceCmd(f, o), newAgentRunCmd(f, o))
	return cmd
}

func auditFlags(cmd *cobra.Command, o *agentOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.StateDir, "state-dir", "", "OpenClaw state directory (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Config, "config", "", "OpenClaw config file (default: as OpenClaw resolves it)")
	fl.StringVar(&o.Rootfs, "rootfs", "", "treat this directory as /")
	fl.StringVar(&o.Profile, "profile", "miit-2026", "compliance profile")
	fl.BoolVar(&o.Deep, "deep", false, "also probe the local gateway over loopback")
	fl.BoolVar(&o.DryRun, "dry-run", false, "print the envelope that would be sent and send nothing")
}

func newAgentEnrollCmd(f *factory, o *agentOptions) *cobra.Command {
	var srv, token, tokenFile, pin string
	var policyKeys []string
	cmd := &cobra.Command{
		Use: "enroll", Short: "Create the host key and register it with the server", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if srv == "" {
				return usageErrorf("--server URL is required")
			}
			if token == "" && tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return usageErrorf("--token-file: %v", err)
				}
				token = strings.TrimSpace(string(b))
			}
			if token == "" {
				token = f.Getenv("CLAWGOV_ENROLL_TOKEN")
			}
			if token == "" {
				return usageErrorf("an enrollment token is required (--token, --token-file or CLAWGOV_ENROLL_TOKEN)")
			}
			var keys []ed25519.PublicKey
			if len(policyKeys) > 0 {
				k, err := advisory.LoadPublicKeys("", policyKeys)
				if err != nil {
					return usageErrorf("--policy-key: %v", err)
				}
				keys = k
			}
			a, err := agent.Enroll(cmd.Context(), o.Dir, srv, token, pin, agent.Facts(o.Dir), keys...)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "enrolled as host %s (key %s)\n", a.State.HostID, a.State.KeyFP[:16])
			if n := len(a.State.PolicyKeys); n > 0 {
				fmt.Fprintf(f.IO.Out, "pinned %d organisation policy key(s): only policy bundles they signed will be applied\n", n)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&srv, "server", "", "fleet server URL (https://host:8443)")
	fl.StringVar(&token, "token", "", "enrollment token (prefer --token-file or CLAWGOV_ENROLL_TOKEN: command lines are visible to other users)")
	fl.StringVar(&tokenFile, "token-file", "", "file holding the enrollment token")
	fl.StringVar(&pin, "fingerprint", "", "pin the server's TLS certificate by SHA-256 (printed by clawgov server)")
	fl.StringSliceVar(&policyKeys, "policy-key", nil, "pin this policy public key file (KEY.pub) instead of the keys the server announces")
	return cmd
}

// agentAudit runs the audit the agent reports. With an organisation
// policy from the server (a != nil), that policy is the clawgov.yaml the
// host is judged by, and its profile wins over --profile: the point of a
// central policy is that a host cannot pick a laxer one.
func agentAudit(ctx context.Context, f *factory, o *agentOptions, a *agent.Agent) (*report.Report, error) {
	fc, err := f.loadConfig()
	if err != nil {
		return nil, err
	}
	cfg, profile := fc.cfg, o.Profile
	if a != nil {
		pol, err := a.Policy(ctx)
		if err != nil {
			return nil, err
		}
		for _, w := range pol.Warnings {
			fmt.Fprintf(f.IO.ErrOut, "clawgov agent: %s\n", w)
		}
		if pol.Config != nil {
			cfg = pol.Config
			if pol.Updated {
				fmt.Fprintf(f.IO.ErrOut, "clawgov agent: applied organisation policy v%d (%s)\n", cfg.Bundle.Version, cfg.Bundle.Digest[:16])
			}
			if cfg.Profile != "" {
				if o.profileSet && o.Profile != cfg.Profile {
					fmt.Fprintf(f.IO.ErrOut, "clawgov agent: --profile %s ignored: organisation policy v%d sets %s\n", o.Profile, cfg.Bundle.Version, cfg.Profile)
				}
				profile = cfg.Profile
			}
		}
	}
	rootfs := o.Rootfs
	if rootfs != "" {
		if a, err := filepath.Abs(rootfs); err == nil {
			rootfs = a
		}
	}
	r, err := audit.Run(ctx, audit.Options{Config: cfg, Rootfs: rootfs, StateDir: o.StateDir, ConfigPath: o.Config, Profile: profile, Deep: o.Deep,
		Now: f.Now, Getenv: f.Getenv, Logger: f.Logger, Prober: localProber})
	if err != nil {
		var ie *audit.InputError
		if errors.As(err, &ie) {
			return nil, &UsageError{err}
		}
		return nil, err
	}
	return r, nil
}

// agentCycle audits, spools and flushes; it reports whether this cycle's
// report was acknowledged.
func agentCycle(ctx context.Context, f *factory, o *agentOptions, a *agent.Agent) error {
	rep, err := agentAudit(ctx, f, o, a)
	if err != nil {
		return err
	}
	now := f.Now()
	id := agent.NewReportID(now)
	facts := agent.Facts(o.Dir)
	body, err := agent.Envelope(rep, facts, id, now)
	if err != nil {
		return err
	}
	if o.DryRun {
		var pretty map[string]any
		_ = json.Unmarshal(body, &pretty)
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(pretty)
	}
	if a == nil {
		return &UsageError{agent.ErrNotEnrolled}
	}
	if err := a.Spool(id, body); err != nil {
		return err
	}
	res, err := a.Flush(ctx)
	for rid, e := range res.Rejected {
		fmt.Fprintf(f.IO.ErrOut, "clawgov agent: server rejected report %s: %s\n", rid, e)
	}
	if res.Corrupt > 0 {
		fmt.Fprintf(f.IO.ErrOut, "clawgov agent: skipped %d unreadable spool entr(ies) (%d so far)\n", res.Corrupt, a.Corrupt())
	}
	if d := a.Dropped(); d > 0 {
		fmt.Fprintf(f.IO.ErrOut, "clawgov agent: %d report(s) dropped so far by the spool bound\n", d)
	}
	if err != nil {
		return fmt.Errorf("report %s spooled, not acknowledged (%d pending): %w", id, res.Pending, err)
	}
	for _, s := range res.Sent {
		if s == id {
			fmt.Fprintf(f.IO.Out, "report %s acknowledged\n", id)
			return nil
		}
	}
	return fmt.Errorf("report %s was not acknowledged", id)
}

func loadAgent(o *agentOptions) (*agent.Agent, error) {
	if o.DryRun {
		a, err := agent.Load(o.Dir)
		if err != nil {
			return nil, nil // a dry run needs no enrollment
		}
		return a, nil
	}
	a, err := agent.Load(o.Dir)
	if errors.Is(err, agent.ErrNotEnrolled) {
		return nil, &UsageError{err}
	}
	return a, err
}

func newAgentOnceCmd(f *factory, o *agentOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use: "once", Short: "Audit and push one report; exit 0 only when acknowledged", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.profileSet = cmd.Flags().Changed("profile")
			a, err := loadAgent(o)
			if err != nil {
				return err
			}
			return agentCycle(cmd.Context(), f, o, a)
		},
	}
	auditFlags(cmd, o)
	return cmd
}

func newAgentRunCmd(f *factory, o *agentOptions) *cobra.Command {
	var interval time.Duration
	cmd := &cobra.Command{
		Use: "run", Short: "Audit and push on an interval with jitter and on config change", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.profileSet = cmd.Flags().Changed("profile")
			if interval < time.Minute {
				return usageErrorf("--interval must be at least 1m")
			}
			a, err := loadAgent(o)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg := o.Config
			if cfg == "" && o.StateDir != "" {
				cfg = filepath.Join(o.StateDir, "openclaw.json")
			}
			if cfg == "" {
				if home, err := os.UserHomeDir(); err == nil {
					cfg = filepath.Join(home, ".openclaw", "openclaw.json")
				}
			}
			last := modTime(cfg)
			for {
				if err := agentCycle(ctx, f, o, a); err != nil {
					var ue *UsageError
					if errors.As(err, &ue) {
						return err
					}
					f.Logger.Warn("agent cycle failed; will retry", "err", err)
				}
				if o.DryRun {
					return nil
				}
				// ±10% jitter so thousands of hosts do not report on the same minute.
				j, _ := rand.Int(rand.Reader, big.NewInt(int64(interval/5)+1))
				wait := interval - interval/10 + time.Duration(j.Int64())
				deadline := time.Now().Add(wait)
				for time.Now().Before(deadline) {
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(10 * time.Second):
					}
					if m := modTime(cfg); !m.Equal(last) {
						last = m
						f.Logger.Info("OpenClaw config changed; auditing now", "config", cfg)
						break
					}
				}
			}
		},
	}
	auditFlags(cmd, o)
	cmd.Flags().DurationVar(&interval, "interval", time.Hour, "time between audits (±10% jitter)")
	return cmd
}

func modTime(p string) time.Time {
	if p == "" {
		return time.Time{}
	}
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

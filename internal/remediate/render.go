package remediate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// WriteText prints the plan for a person: one block per action, then the
// skipped ones with their reasons, then the diff.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s %s)\n", tr(p.Lang, "plan.title"), p.StateDir, tr(p.Lang, "plan.config"), p.ConfigPath)
	if len(p.Actions) == 0 {
		fmt.Fprintf(&b, "%s\n", tr(p.Lang, "plan.empty"))
	}
	for i, a := range p.Actions {
		restart := tr(p.Lang, "restart.no")
		if a.Restart {
			restart = tr(p.Lang, "restart.yes")
		}
		fmt.Fprintf(&b, "\n%d. [%s] %s (%s)\n", i+1, a.ID, a.Summary, restart)
		fmt.Fprintf(&b, "   %s: %s\n", tr(p.Lang, "plan.resolves"), strings.Join(a.Checks, ", "))
		for _, f := range a.Findings {
			fmt.Fprintf(&b, "     - %s\n", f)
		}
		for _, c := range a.Changes {
			fmt.Fprintf(&b, "   %s\n", c.String())
		}
		fmt.Fprintf(&b, "   %s: %s\n", tr(p.Lang, "plan.risk"), a.Risk)
		for _, n := range a.Notes {
			fmt.Fprintf(&b, "   → %s\n", n)
		}
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintf(&b, "\n%s:\n", tr(p.Lang, "plan.skipped"))
		for _, a := range p.Skipped {
			fmt.Fprintf(&b, "  - [%s] %s (%s): %s\n", a.ID, a.Summary, strings.Join(a.Checks, ", "), a.Skipped)
		}
	}
	if p.Validation != "" {
		fmt.Fprintf(&b, "\nopenclaw config validate: %s\n", p.Validation)
	}
	if p.Diff != "" {
		fmt.Fprintf(&b, "\n%s", p.Diff)
	}
	if p.Refusal != "" {
		fmt.Fprintf(&b, "\n! %s\n", p.Refusal)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String renders a change: "file:line key: old → new".
func (c Change) String() string {
	loc := c.File
	if c.Line > 0 {
		loc = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	switch c.Kind {
	case "config", "env":
		return fmt.Sprintf("%s %s: %s → %s", loc, c.KeyPath, c.Old, c.New)
	case "mode":
		return fmt.Sprintf("%s mode %s → %s", loc, c.Old, c.New)
	case "owner":
		return fmt.Sprintf("%s owner %s → %s", loc, c.Old, c.New)
	case "move":
		return fmt.Sprintf("%s → %s", c.Old, c.New)
	case "mkdir":
		return fmt.Sprintf("mkdir %s (%s)", loc, c.New)
	}
	return fmt.Sprintf("%s %s → %s", loc, c.Old, c.New)
}

// WriteJSON prints the plan as JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// Token returns the generated gateway token ("" when none): only for
// --show-token.
func (p *Plan) Token() string { return p.token }

// AppliedText is the one-line summary after an apply.
func AppliedText(lang catalog.Lang, r *Result) string {
	s := tr(lang, "applied", r.Applied, r.BackupDir, r.BackupID)
	for _, q := range r.Quarantined {
		s += "\n" + tr(lang, "quarantined", q)
	}
	for _, n := range r.Notes {
		s += "\n" + n
	}
	if r.Restart {
		s += "\n" + tr(lang, "restart.hint")
	}
	return s
}

// DryRunText says nothing was changed.
func DryRunText(lang catalog.Lang) string { return tr(lang, "plan.dryrun") }

// ResolveStateDir resolves the state directory from flags and the
// environment alone (for --rollback, --list-backups, --restore, which must
// work even when the config no longer loads).
func ResolveStateDir(o Options) (string, error) {
	o.defaults()
	p := &Plan{opts: o, inv: &openclaw.Inventory{}}
	p.resolvePaths()
	if p.StateDir == "" || p.StateDir == "." {
		return "", fmt.Errorf("cannot tell the OpenClaw state directory: pass --state-dir")
	}
	return p.StateDir, nil
}

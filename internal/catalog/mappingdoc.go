package catalog

import (
	"bytes"
	"fmt"
	"strings"
)

// MappingMarkdown renders the check -> controls -> why table that
// docs/control-mapping.md holds, from the catalog alone, so a reviewer can
// audit the mapping itself and a test can keep the document in sync
// (go test ./internal/catalog -run TestMappingDoc -update rewrites it;
// `clawgov controls --format markdown` prints the same text).
func (c *Catalog) MappingMarkdown() []byte {
	var b bytes.Buffer
	cell := func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.ReplaceAll(s, "\n", " ")
	}
	fmt.Fprintf(&b, "# Control mapping: check → controls → why\n\n")
	fmt.Fprintf(&b, "<!-- Generated from internal/catalog/data by `clawgov controls --format markdown`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "Framework: %s (%s, %s).\n\n", c.Framework.Title.EN, c.Framework.Issuer.EN, c.Framework.Published)
	fmt.Fprintf(&b, "Each check decides the controls listed next to it. A control's verdict is the worst outcome of its checks that apply (fail > error > warn > manual > pass); checks that do not apply (`skip`) are left out, and a control none of whose checks apply is `manual`. The why column is the rationale kept in `internal/catalog/data/mapping.yaml`.\n\n")

	fmt.Fprintf(&b, "## Controls\n\n| Control | Title | Checks |\n|---|---|---|\n")
	for _, ctl := range c.Controls {
		fmt.Fprintf(&b, "| %s | %s — %s | %d: %s |\n", ctl.ID, cell(ctl.Title.ZH), cell(ctl.Title.EN), len(ctl.Checks), strings.Join(ctl.Checks, ", "))
	}

	fmt.Fprintf(&b, "\n## Checks\n\n| Check | Title | Severity | Controls | Why |\n|---|---|---|---|---|\n")
	for _, id := range c.CheckIDs() {
		ch := c.checks[id]
		ctls := strings.Join(ch.Controls, ", ")
		if ctls == "" {
			ctls = "(unmapped)"
		}
		why := ch.Why
		if why == "" {
			why = "(no rationale recorded)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", id, cell(ch.Title.EN), ch.Severity, ctls, cell(why))
	}

	if len(c.retired) > 0 {
		fmt.Fprintf(&b, "\n## Retired check IDs\n\nIDs are stable forever: a retired ID is never reused. Profiles and `--only`/`--skip` lists that still name one apply to its replacement.\n\n| Check | Title | Replaced by | Reason |\n|---|---|---|---|\n")
		for _, r := range c.retired {
			rb := r.ReplacedBy
			if rb == "" {
				rb = "—"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.ID, cell(r.Title.EN), rb, cell(r.Reason.EN))
		}
	}
	return b.Bytes()
}

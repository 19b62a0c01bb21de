package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/catalog"
)

type controlsOptions struct {
	Lang     string
	Format   string
	Profiles bool
	Checks   bool
}

func newControlsCmd(f *factory) *cobra.Command {
	o := &controlsOptions{}
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "Print the 12 controls, their mapped checks and the profiles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runControls(f, o)
		},
	}
	cmd.Flags().StringVar(&o.Lang, "lang", "", "zh|en (default from LC_ALL/LANG)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text|json|markdown (markdown: the check -> controls -> why table of docs/control-mapping.md)")
	cmd.Flags().BoolVar(&o.Profiles, "profiles", false, "list the compliance profiles")
	cmd.Flags().BoolVar(&o.Checks, "checks", false, "list every check with its title and severity")
	return cmd
}

func runControls(f *factory, o *controlsOptions) error {
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return err
	}
	if o.Format != "text" && o.Format != "json" && o.Format != "markdown" {
		return usageErrorf("--format: unknown format %q (want text, json or markdown)", o.Format)
	}
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	if o.Format == "markdown" {
		_, err := f.IO.Out.Write(cat.MappingMarkdown())
		return err
	}
	type checkOut struct {
		ID       string       `json:"id"`
		Severity string       `json:"severity"`
		Title    catalog.Text `json:"title"`
		Engine   string       `json:"engine"`
		Why      string       `json:"why,omitempty"`
	}
	type controlOut struct {
		ID          string       `json:"id"`
		Kind        string       `json:"kind"`
		Title       catalog.Text `json:"title"`
		Description catalog.Text `json:"description"`
		Checks      []checkOut   `json:"checks"`
	}
	type profileOut struct {
		ID          string       `json:"id"`
		Extends     string       `json:"extends,omitempty"`
		Title       catalog.Text `json:"title"`
		Description catalog.Text `json:"description"`
		WarnAsFail  bool         `json:"warn_as_fail"`
	}
	var controls []controlOut
	for _, c := range cat.Controls {
		co := controlOut{ID: c.ID, Kind: c.Kind, Title: c.Title, Description: c.Description}
		for _, id := range c.Checks {
			ch, _ := cat.Check(id)
			co.Checks = append(co.Checks, checkOut{ID: id, Severity: ch.Severity.String(), Title: ch.Title, Engine: ch.Engine, Why: ch.Why})
		}
		controls = append(controls, co)
	}
	var profiles []profileOut
	for _, id := range cat.ProfileIDs() {
		p, _ := cat.Profile(id)
		profiles = append(profiles, profileOut{ID: p.ID, Extends: p.Extends, Title: p.Title, Description: p.Description, WarnAsFail: p.WarnAsFail})
	}
	out := f.IO.Out
	if o.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"framework": cat.Framework, "controls": controls, "profiles": profiles, "retired": cat.Retired()})
	}
	fmt.Fprintf(out, "%s\n%s (%s)\n\n", cat.Framework.Title.Get(lang), cat.Framework.Issuer.Get(lang), cat.Framework.Published)
	if o.Profiles {
		for _, p := range profiles {
			ext := ""
			if p.Extends != "" {
				ext = " (extends " + p.Extends + ")"
			}
			fmt.Fprintf(out, "%-20s %s%s\n    %s\n", p.ID, p.Title.Get(lang), ext, p.Description.Get(lang))
		}
		return nil
	}
	for _, c := range controls {
		fmt.Fprintf(out, "%-7s %s\n", c.ID, c.Title.Get(lang))
		if o.Checks {
			for _, ch := range c.Checks {
				fmt.Fprintf(out, "        %-11s %-8s %s\n", ch.ID, ch.Severity, ch.Title.Get(lang))
			}
		} else {
			ids := make([]string, 0, len(c.Checks))
			for _, ch := range c.Checks {
				ids = append(ids, ch.ID)
			}
			fmt.Fprintf(out, "        %s\n", strings.Join(ids, " "))
		}
	}
	return nil
}

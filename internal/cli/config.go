package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
)

// configDefaults are the flags clawgov.yaml may set: flag name -> the
// config key that provides its default. A flag given on the command line
// always wins.
var configDefaults = []struct{ flag, key string }{
	{"profile", "profile"},
	{"lang", "lang"},
	{"format", "format"},
	{"fail-on", "fail_on"},
}

func (c *factoryConfig) value(key string) string {
	cfg := c.cfg
	if cfg == nil {
		return ""
	}
	switch key {
	case "profile":
		return cfg.Profile
	case "lang":
		return cfg.Lang
	case "format":
		return cfg.Format
	case "fail_on":
		return cfg.FailOn
	case "organisation":
		return cfg.Organisation
	case "registry.url":
		return cfg.Registry.URL
	case "registry.signing_key":
		return cfg.Registry.SigningKey
	case "egress.proxy":
		return cfg.Egress.Proxy
	case "egress.policy":
		return cfg.Egress.Policy
	case "advisories.source":
		return cfg.Advisories.Source
	case "fleet.server":
		return cfg.Fleet.Server
	}
	return ""
}

// factoryConfig is the loaded clawgov.yaml and how it was found.
type factoryConfig struct {
	cfg      *config.Config
	searched []string
}

// loadConfig finds and reads clawgov.yaml once per run. A broken file is a
// usage error for every command: running on defaults while the
// organisation's waivers or profile silently failed to load would judge a
// host by the wrong rules.
func (f *factory) loadConfig() (*factoryConfig, error) {
	if f.config != nil {
		return f.config, nil
	}
	cwd, _ := os.Getwd()
	fc := &factoryConfig{searched: config.SearchPath(cwd, f.Getenv)}
	p, err := config.Find(f.ConfigFile, cwd, f.Getenv)
	if err != nil {
		return nil, &UsageError{err}
	}
	if p != "" {
		c, err := config.Load(p)
		if err != nil {
			return nil, &UsageError{err}
		}
		fc.cfg = c
	}
	f.config = fc
	return fc, nil
}

// applyConfigDefaults sets the flags clawgov.yaml provides that the
// command line did not.
func applyConfigDefaults(f *factory, cmd *cobra.Command) error {
	fc, err := f.loadConfig()
	if err != nil {
		return err
	}
	if fc.cfg == nil {
		return nil
	}
	for _, d := range configDefaults {
		fl := cmd.Flags().Lookup(d.flag)
		v := fc.value(d.key)
		if fl == nil || fl.Changed || v == "" {
			continue
		}
		if err := fl.Value.Set(v); err != nil {
			return usageErrorf("%s: %s: %v", fc.cfg.Where(d.key), d.key, err)
		}
	}
	return nil
}

func newConfigCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or check clawgov's own configuration (clawgov.yaml)",
		Long: `clawgov reads clawgov.yaml from --config-file, or the first of
./clawgov.yaml, $XDG_CONFIG_HOME/clawgov/clawgov.yaml (~/.config/clawgov)
and /etc/clawgov/clawgov.yaml. It sets the default profile, language,
format and fail-on of every command (flags override it), the organisation
name for reports, local profile files, waivers and attestations, and the
registry, egress, advisory and fleet settings. The JSON Schema is
schema/clawgov-config.schema.json.`,
	}
	var format string
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective settings and where each came from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigShow(f, format)
		},
	}
	show.Flags().StringVar(&format, "format", "text", "text|json")
	validate := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a clawgov.yaml (default: the one clawgov would use)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				f.ConfigFile = args[0]
			}
			fc, err := f.loadConfig()
			if err != nil {
				return err
			}
			if fc.cfg == nil {
				return usageErrorf("no clawgov.yaml found (searched %s)", strings.Join(fc.searched, ", "))
			}
			if err := validateConfigAgainstCatalog(fc.cfg); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "%s: valid (%d waivers, %d profile files, %d attestations)\n", fc.cfg.Path, len(fc.cfg.Waivers), len(fc.cfg.Profiles), len(fc.cfg.Attestations))
			return nil
		},
	}
	cmd.AddCommand(show, validate)
	return cmd
}

type shownSetting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func runConfigShow(f *factory, format string) error {
	if format != "text" && format != "json" {
		return usageErrorf("--format %q: want text or json", format)
	}
	fc, err := f.loadConfig()
	if err != nil {
		return err
	}
	defaults := map[string]string{"profile": "miit-2026", "lang": "(from LC_ALL/LC_MESSAGES/LANG)", "format": "text", "fail_on": "high"}
	keys := []string{"profile", "lang", "format", "fail_on", "organisation", "registry.url", "registry.signing_key", "egress.proxy", "egress.policy", "advisories.source", "fleet.server"}
	var rows []shownSetting
	for _, k := range keys {
		v, src := fc.value(k), ""
		if v != "" {
			src = fc.cfg.Where(k)
		} else if d, ok := defaults[k]; ok {
			v, src = d, "default"
		} else {
			src = "unset"
		}
		rows = append(rows, shownSetting{Key: k, Value: v, Source: src})
	}
	if fc.cfg != nil {
		for i, p := range fc.cfg.ProfilePaths() {
			rows = append(rows, shownSetting{Key: fmt.Sprintf("profiles[%d]", i), Value: p, Source: fc.cfg.Where(fmt.Sprintf("profiles[%d]", i))})
		}
		for _, w := range fc.cfg.Waivers {
			target := w.Check
			if w.Fingerprint != "" {
				target = strings.TrimSpace(target + " " + w.Fingerprint)
			}
			rows = append(rows, shownSetting{Key: "waiver " + w.ID, Value: fmt.Sprintf("%s until %s: %s", target, w.Expires, w.Reason), Source: w.Source})
		}
		ids := make([]string, 0, len(fc.cfg.Attestations))
		for id := range fc.cfg.Attestations {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			a := fc.cfg.Attestations[id]
			rows = append(rows, shownSetting{Key: "attestation " + id, Value: fmt.Sprintf("%s on %s: %s", a.By, a.Date, a.Evidence), Source: a.Source})
		}
	}
	file := "(none)"
	if fc.cfg != nil {
		file = fc.cfg.Path
	}
	if format == "json" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			File     string         `json:"file"`
			Searched []string       `json:"searched"`
			Settings []shownSetting `json:"settings"`
		}{file, fc.searched, rows})
	}
	fmt.Fprintf(f.IO.Out, "config file: %s\nsearched:    %s\n\n", file, strings.Join(fc.searched, ", "))
	tw := tabwriter.NewWriter(f.IO.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Key, oneLine(r.Value), r.Source)
	}
	return tw.Flush()
}

// registerConfigFileFlag adds --config-file to the root.
func registerConfigFileFlag(f *factory, fs *pflag.FlagSet) {
	fs.StringVar(&f.ConfigFile, "config-file", "", "clawgov's own configuration (default: ./clawgov.yaml, then $XDG_CONFIG_HOME/clawgov/, then /etc/clawgov/)")
}

// configPathForWrite is the file `clawgov waive` appends to: the one in
// use, else ./clawgov.yaml.
func configPathForWrite(f *factory) (string, error) {
	fc, err := f.loadConfig()
	if err != nil {
		return "", err
	}
	if fc.cfg != nil {
		return fc.cfg.Path, nil
	}
	if f.ConfigFile != "" {
		return f.ConfigFile, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Join(cwd, config.FileName), nil
}

func waiversOf(c *config.Config) []config.Waiver {
	if c == nil {
		return nil
	}
	return c.Waivers
}

// validateConfigAgainstCatalog checks what only the catalog knows: local
// profiles, the default profile and every waived check ID exist.
func validateConfigAgainstCatalog(c *config.Config) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	if paths := c.ProfilePaths(); len(paths) > 0 {
		if cat, err = cat.WithProfileFiles(paths); err != nil {
			return &UsageError{err}
		}
	}
	if c.Profile != "" {
		if _, err := cat.Profile(c.Profile); err != nil {
			return usageErrorf("%s: %v", c.Where("profile"), err)
		}
	}
	if err := c.ValidateChecks(func(id string) bool { _, ok := cat.Check(id); return ok }); err != nil {
		return &UsageError{err}
	}
	return nil
}

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
)

type waiveOptions struct {
	Reason, Expires, Owner, Ticket, Fingerprint, ID string
	Host, Path, Skill                               string
}

func newWaiveCmd(f *factory) *cobra.Command {
	o := &waiveOptions{}
	cmd := &cobra.Command{
		Use:   "waive CHECK-ID",
		Short: "Accept a finding's risk for a while: append a waiver to clawgov.yaml",
		Long: `Append a waiver (reason, owner, ticket, expiry) to clawgov.yaml. A waived
finding stays in every report as status "waived" with the waiver shown, and
no longer counts toward --fail-on or its control's status. After its
expiry it stops applying and the report says so; a waiver that matches
nothing is reported as stale.

The file is re-validated before it is written, written atomically, and the
previous version is kept next to it as clawgov.yaml.bak.

Examples:
  clawgov waive CG-GW-004 --reason "token rotation moves to the vault in Q1" --expires 90d --owner secops --ticket SEC-12
  clawgov waive CG-SKL-002 --skill weather-* --reason "reviewed by the AppSec team" --expires 2027-03-31`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWaive(f, o, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Reason, "reason", "", "why the risk is accepted (required, at least 10 characters)")
	fl.StringVar(&o.Expires, "expires", "", "expiry: a date (YYYY-MM-DD) or a duration in days (90d) (required)")
	fl.StringVar(&o.Owner, "owner", "", "who owns the accepted risk")
	fl.StringVar(&o.Ticket, "ticket", "", "tracking ticket")
	fl.StringVar(&o.Fingerprint, "fingerprint", "", "waive only the finding with this fingerprint")
	fl.StringVar(&o.ID, "id", "", "waiver ID (default: W<n>)")
	fl.StringVar(&o.Host, "host", "", "only on hosts matching this glob")
	fl.StringVar(&o.Path, "path", "", "only for evidence under this path (glob or folder)")
	fl.StringVar(&o.Skill, "skill", "", "only for the skill matching this glob")
	return cmd
}

var daysRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{1,4})d$`) })

func runWaive(f *factory, o *waiveOptions, check string) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	if _, ok := cat.Check(check); !ok {
		return usageErrorf("unknown check %s (see clawgov controls --checks)", check)
	}
	if len(strings.TrimSpace(o.Reason)) < 10 {
		return usageErrorf("--reason is required (at least 10 characters): say why the risk is accepted")
	}
	if o.Expires == "" {
		return usageErrorf("--expires is required (YYYY-MM-DD or e.g. 90d): every waiver ends")
	}
	today := f.Now().UTC().Truncate(24 * time.Hour)
	var exp time.Time
	if m := daysRE().FindStringSubmatch(o.Expires); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n == 0 {
			return usageErrorf("--expires %s: must be at least 1 day", o.Expires)
		}
		exp = today.AddDate(0, 0, n)
	} else {
		exp, err = time.Parse(time.DateOnly, o.Expires)
		if err != nil {
			return usageErrorf("--expires %q: want YYYY-MM-DD or a number of days such as 90d", o.Expires)
		}
	}
	if exp.Before(today) {
		return usageErrorf("--expires %s is in the past", exp.Format(time.DateOnly))
	}

	path, err := waiveTarget(f)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var existing *config.Config
	if len(old) > 0 {
		if existing, err = config.Parse(path, old); err != nil {
			return &UsageError{err}
		}
	} else {
		existing = &config.Config{}
	}
	id := o.ID
	if id == "" {
		id = nextWaiverID(existing)
	}
	w := map[string]any{"id": id, "check": check, "reason": o.Reason, "created": today.Format(time.DateOnly), "expires": exp.Format(time.DateOnly)}
	for k, v := range map[string]string{"owner": o.Owner, "ticket": o.Ticket, "fingerprint": o.Fingerprint} {
		if v != "" {
			w[k] = v
		}
	}
	scope := map[string]any{}
	for k, v := range map[string]string{"host": o.Host, "path": o.Path, "skill": o.Skill} {
		if v != "" {
			scope[k] = v
		}
	}
	if len(scope) > 0 {
		w["scope"] = scope
	}
	out, err := appendWaiver(old, w)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	// Never write a file clawgov itself would then refuse.
	if _, err := config.Parse(path, out); err != nil {
		return &UsageError{fmt.Errorf("new waiver would make the file invalid: %w", err)}
	}
	if len(old) > 0 {
		if err := writeFileAtomic(path+".bak", func(fh *os.File) error { _, err := fh.Write(old); return err }); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
	}
	if err := writeFileAtomic(path, func(fh *os.File) error { _, err := fh.Write(out); return err }); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "waiver %s for %s added to %s (expires %s)\n", id, check, path, exp.Format(time.DateOnly))
	return nil
}

func waiveTarget(f *factory) (string, error) {
	if f.ConfigFile != "" {
		return f.ConfigFile, nil // may not exist yet: waive creates it
	}
	return configPathForWrite(f)
}

func nextWaiverID(c *config.Config) string {
	used := map[string]bool{}
	for _, w := range c.Waivers {
		used[w.ID] = true
	}
	for n := len(c.Waivers) + 1; ; n++ {
		if id := "W" + strconv.Itoa(n); !used[id] {
			return id
		}
	}
}

// appendWaiver adds w to the waivers list of the YAML document, keeping
// the rest of the file (comments, order) as the YAML library preserves it.
func appendWaiver(src []byte, w map[string]any) ([]byte, error) {
	var doc yaml.Node
	if len(bytes.TrimSpace(src)) > 0 {
		if err := yaml.Unmarshal(src, &doc); err != nil {
			return nil, err
		}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
		root := doc.Content[0]
		root.Content = append(root.Content, scalar("version"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("top level is not a mapping")
	}
	var item yaml.Node
	if err := item.Encode(w); err != nil {
		return nil, err
	}
	var seq *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "waivers" {
			seq = root.Content[i+1]
		}
	}
	if seq == nil {
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		root.Content = append(root.Content, scalar("waivers"), seq)
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("waivers is not a list")
	}
	seq.Style = 0
	seq.Content = append(seq.Content, &item)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

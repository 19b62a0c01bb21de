package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/advisory"
)

// advisoriesOptions are the flags shared by the advisories subcommands.
type advisoriesOptions struct {
	Format   string
	CacheDir string
	Package  string
	KeyDir   string
	Keys     []string
	From     string
	Sign     string
	Out      string
	All      bool
	// update from a URL
	CACert    string
	AllowHTTP bool
	Timeout   time.Duration
}

func newAdvisoriesCmd(f *factory) *cobra.Command {
	o := &advisoriesOptions{}
	cmd := &cobra.Command{
		Use:   "advisories",
		Short: "List, show and match OpenClaw security advisories; update the database from a signed bundle",
		Long: `The advisory database is embedded in clawgov (OSV records of the GitHub
Advisory Database merged with public CVE records, with the source of every
fact). "update" imports a signed bundle of OSV JSON into the user cache;
the cached database is used when it is newer than the embedded one.`,
	}
	cmd.PersistentFlags().StringVar(&o.CacheDir, "cache-dir", "", "advisory cache directory (default: the user cache dir + clawgov/advisories)")
	cmd.PersistentFlags().StringVar(&o.Format, "format", "text", "text|json")

	list := &cobra.Command{Use: "list", Short: "List the advisories", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runAdvList(f, o) }}
	list.Flags().StringVar(&o.Package, "package", "", "only advisories affecting this package (openclaw, clawdbot, moltbot)")
	list.Flags().BoolVar(&o.All, "all", false, "include withdrawn and duplicate advisories")

	show := &cobra.Command{Use: "show ID", Short: "Show one advisory by GHSA or CVE ID, with the source of each fact", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, a []string) error { return runAdvShow(f, o, a[0]) }}

	match := &cobra.Command{Use: "match VERSION", Short: "List the advisories affecting a version (accepts `openclaw --version` output)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, a []string) error { return runAdvMatch(f, o, a[0]) }}
	match.Flags().StringVar(&o.Package, "package", "openclaw", "package name (openclaw, clawdbot, moltbot)")

	update := &cobra.Command{Use: "update [--from PATH|URL]", Short: "Import a signed bundle or an OSV export into the cache", Args: cobra.NoArgs,
		Long: `Import advisories into the cache, from a file or a URL.

--from PATH takes a signed bundle (directory or zip made by 'advisories
bundle'), for air-gapped sites; its signature must verify with a trusted key.
--from URL (or advisories.source in clawgov.yaml when --from is not given)
downloads either a signed bundle, checked the same way whatever the
transport, or an OSV-format export (a zip of OSV JSON records, as OSV
publishes per ecosystem), which has no signature of its own and is therefore
accepted over HTTPS only (--ca-cert adds an internal CA), or over plain HTTP
with --allow-http for a mirror on a closed network. Only records about
OpenClaw are kept. On any error the cache stays as it was.`,
		RunE: func(*cobra.Command, []string) error { return runAdvUpdate(f, o) }}
	update.Flags().StringVar(&o.From, "from", "", "bundle directory or zip, or an http(s) URL of a bundle or OSV export (default: advisories.source from clawgov.yaml)")
	update.Flags().StringVar(&o.CACert, "ca-cert", "", "PEM file of extra CA certificates for an https source")
	update.Flags().BoolVar(&o.AllowHTTP, "allow-http", false, "accept an unsigned OSV export over plain http")
	update.Flags().DurationVar(&o.Timeout, "timeout", 5*time.Minute, "time limit of the download")
	update.Flags().StringArrayVar(&o.Keys, "trusted-key", nil, "public key file of a trusted signer (repeatable)")
	update.Flags().StringVar(&o.KeyDir, "trusted-keys-dir", "", "directory of trusted *.pub keys (default: the user config dir + clawgov/trusted-keys)")

	bundle := &cobra.Command{Use: "bundle --sign KEY --from DIR --out FILE.zip", Short: "Sign a directory of OSV JSON into a bundle for update", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runAdvBundle(f, o) }}
	bundle.Flags().StringVar(&o.Sign, "sign", "", "private key file (from advisories keygen)")
	bundle.Flags().StringVar(&o.From, "from", "", "directory or zip of OSV JSON files (e.g. OSV's npm export)")
	bundle.Flags().BoolVar(&o.All, "all", false, "keep records that do not concern OpenClaw")
	bundle.Flags().StringVar(&o.Out, "out", "", "bundle zip to write")

	keygen := &cobra.Command{Use: "keygen --out PREFIX", Short: "Make a signing key pair (PREFIX and PREFIX.pub)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runAdvKeygen(f, o) }}
	keygen.Flags().StringVar(&o.Out, "out", "", "path prefix of the key files")

	cmd.AddCommand(list, show, match, update, bundle, keygen)
	return cmd
}

func (o *advisoriesOptions) cacheDir() string {
	if o.CacheDir != "" {
		return o.CacheDir
	}
	d, err := advisory.DefaultCacheDir()
	if err != nil {
		return ""
	}
	return d
}

func (o *advisoriesOptions) checkFormat() error {
	if o.Format != "text" && o.Format != "json" {
		return usageErrorf("--format: unknown format %q (want text or json)", o.Format)
	}
	return nil
}

func (o *advisoriesOptions) db(f *factory) (*advisory.DB, advisory.Source, error) {
	db, src, err := advisory.Current(o.cacheDir())
	if err != nil {
		return nil, src, err
	}
	if src.Note != "" {
		f.Logger.Warn("advisory database", "note", src.Note)
	}
	return db, src, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// advRow is the list/match view of an advisory.
type advRow struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases,omitempty"`
	Severity  string   `json:"severity"`
	Summary   string   `json:"summary,omitempty"`
	Packages  []string `json:"packages,omitempty"`
	Withdrawn bool     `json:"withdrawn,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

func rowOf(a *advisory.Advisory) advRow {
	r := advRow{ID: a.ID, Aliases: a.Aliases, Severity: sevText(a.Severity), Summary: a.Summary, Withdrawn: a.Withdrawn != "", Tags: a.Tags}
	for _, af := range a.Affected {
		r.Packages = append(r.Packages, af.Package+" "+rangeText(af))
	}
	return r
}

func sevText(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func rangeText(af advisory.Affected) string {
	if !af.RangeKnown {
		return "(range unknown)"
	}
	var parts []string
	for _, r := range af.Ranges {
		var p []string
		if r.Introduced != "" && r.Introduced != "0" {
			p = append(p, ">="+r.Introduced)
		}
		if r.Fixed != "" {
			p = append(p, "<"+r.Fixed)
		}
		if r.LastAffected != "" {
			p = append(p, "<="+r.LastAffected)
		}
		if len(p) == 0 {
			p = append(p, "all")
		}
		parts = append(parts, strings.Join(p, " "))
	}
	parts = append(parts, af.Versions...)
	return strings.Join(parts, " || ")
}

func runAdvList(f *factory, o *advisoriesOptions) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	db, src, err := o.db(f)
	if err != nil {
		return err
	}
	var rows []advRow
	for i := range db.Advisories {
		a := &db.Advisories[i]
		if a.Withdrawn != "" && !o.All {
			continue
		}
		if o.Package != "" && !slices.ContainsFunc(a.Affected, func(x advisory.Affected) bool { return x.Package == o.Package }) {
			continue
		}
		rows = append(rows, rowOf(a))
	}
	if o.Format == "json" {
		return writeJSON(f.IO.Out, map[string]any{"database": map[string]string{"source": src.Kind, "modified": db.Modified}, "advisories": rows})
	}
	for _, r := range rows {
		fmt.Fprintf(f.IO.Out, "%-20s %-8s %-16s %s\n", r.ID, r.Severity, firstOr(r.Aliases, "-"), r.Summary)
	}
	fmt.Fprintf(f.IO.Out, "\n%d advisories (database: %s, modified %s)\n", len(rows), src.Kind, db.Modified)
	return nil
}

func firstOr(xs []string, d string) string {
	if len(xs) == 0 {
		return d
	}
	return xs[0]
}

func runAdvShow(f *factory, o *advisoriesOptions, id string) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	db, _, err := o.db(f)
	if err != nil {
		return err
	}
	a, ok := db.Get(id)
	if !ok {
		return usageErrorf("advisory %s: not in the database", id)
	}
	if o.Format == "json" {
		return writeJSON(f.IO.Out, a)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s  %s\n", a.ID, a.Summary)
	fmt.Fprintf(w, "  aliases:    %s\n", orDashCLI(strings.Join(a.Aliases, ", ")))
	sev := sevText(a.Severity)
	if a.CVSS != nil {
		parts := []string{"CVSS"}
		if a.CVSS.Version != "" {
			parts = append(parts, a.CVSS.Version)
		}
		if a.CVSS.Score > 0 {
			parts = append(parts, fmt.Sprintf("%.1f", a.CVSS.Score))
		}
		if a.CVSS.Vector != "" {
			parts = append(parts, a.CVSS.Vector)
		}
		sev += " (" + strings.Join(parts, " ") + ")"
	}
	fmt.Fprintf(w, "  severity:   %s\n", sev)
	fmt.Fprintf(w, "  cwe:        %s\n", orDashCLI(strings.Join(a.CWE, ", ")))
	fmt.Fprintf(w, "  published:  %s   modified: %s\n", orDashCLI(a.Published), orDashCLI(a.Modified))
	if a.Withdrawn != "" {
		fmt.Fprintf(w, "  withdrawn:  %s\n", a.Withdrawn)
	}
	for _, af := range a.Affected {
		fmt.Fprintf(w, "  affected:   %s %s\n", af.Package, rangeText(af))
	}
	if len(a.Tags) > 0 {
		fmt.Fprintf(w, "  tags:       %s\n", strings.Join(a.Tags, ", "))
	}
	fmt.Fprintf(w, "  detail:     %s\n", a.Detail)
	for _, n := range a.Notes {
		fmt.Fprintf(w, "  note:       %s\n", n)
	}
	keys := make([]string, 0, len(a.Provenance))
	for k := range a.Provenance {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintln(w, "  provenance:")
	for _, k := range keys {
		fmt.Fprintf(w, "    %-24s %s\n", k, a.Provenance[k])
	}
	for _, r := range a.References {
		fmt.Fprintf(w, "  ref:        %s\n", r)
	}
	return nil
}

func orDashCLI(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type matchRow struct {
	advRow
	Range   string `json:"range,omitempty"`
	Fixed   string `json:"fixed,omitempty"`
	Upgrade string `json:"upgrade,omitempty"`
}

func runAdvMatch(f *factory, o *advisoriesOptions, arg string) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	v, err := advisory.ParseVersion(arg)
	if err != nil {
		if v, err = advisory.ExtractVersion(arg); err != nil {
			return usageErrorf("%v", err)
		}
	}
	db, src, err := o.db(f)
	if err != nil {
		return err
	}
	rel, err := advisory.EmbeddedReleases()
	if err != nil {
		return err
	}
	ms := db.Match(o.Package, v)
	var affected, open, presumed []matchRow
	for _, m := range ms {
		if m.Kind != advisory.MatchAffected {
			continue
		}
		up := m.Fixed
		if up == "" || o.Package != "openclaw" {
			up = rel.Latest().Version
		}
		affected = append(affected, matchRow{advRow: rowOf(m.Advisory), Range: m.Range, Fixed: m.Fixed, Upgrade: advisory.UpgradeCommand("npm-global", up)})
	}
	op, pf := advisory.SplitUnknown(ms, v, rel)
	for _, m := range op {
		open = append(open, matchRow{advRow: rowOf(m.Advisory)})
	}
	for _, m := range pf {
		presumed = append(presumed, matchRow{advRow: rowOf(m.Advisory)})
	}
	if o.Format == "json" {
		return writeJSON(f.IO.Out, map[string]any{
			"package": o.Package, "version": v.String(),
			"database":       map[string]string{"source": src.Kind, "modified": db.Modified},
			"affected":       nonNil(affected),
			"unknown_range":  nonNil(open),
			"presumed_fixed": nonNil(presumed),
		})
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s %s: %d advisories affect this version\n", o.Package, v, len(affected))
	for _, r := range affected {
		fmt.Fprintf(w, "  %-20s %-8s %-16s fixed %-12s %s\n", r.ID, r.Severity, firstOr(r.Aliases, "-"), orDashCLI(r.Fixed), r.Summary)
	}
	if len(open) > 0 {
		fmt.Fprintf(w, "%d advisories name %s without a known range and were published after this release (check them):\n", len(open), o.Package)
		for _, r := range open {
			fmt.Fprintf(w, "  %-20s %s\n", r.ID, r.Summary)
		}
	}
	if len(presumed) > 0 {
		fmt.Fprintf(w, "%d advisories without a known range predate this release and are presumed fixed in it.\n", len(presumed))
	}
	return nil
}

func nonNil(x []matchRow) []matchRow {
	if x == nil {
		return []matchRow{}
	}
	return x
}

func runAdvUpdate(f *factory, o *advisoriesOptions) error {
	from := o.From
	if from == "" {
		fc, err := f.loadConfig()
		if err != nil {
			return err
		}
		from = fc.value("advisories.source")
	}
	if from == "" {
		return usageErrorf("update: --from PATH|URL is required (or set advisories.source in clawgov.yaml)")
	}
	dir := o.cacheDir()
	if dir == "" {
		return usageErrorf("update: no user cache directory; pass --cache-dir")
	}
	keyDir := o.KeyDir
	if keyDir == "" {
		keyDir = advisory.DefaultKeyDir()
	}
	keys, err := advisory.TrustedKeys(keyDir, o.Keys)
	if err != nil {
		return &UsageError{err}
	}
	var res *advisory.UpdateResult
	if advisory.IsURL(from) {
		res, err = advisory.UpdateFromURL(context.Background(), from, dir, keys,
			advisory.FetchOptions{CACert: o.CACert, AllowHTTP: o.AllowHTTP, Timeout: o.Timeout, Now: f.Now()})
		var fe *advisory.FetchError
		if errors.As(err, &fe) {
			return err // the download failed: exit 3, try again later
		}
		if err != nil {
			return &UsageError{err}
		}
	} else {
		if res, err = advisory.Update(from, dir, keys); err != nil {
			return &UsageError{err}
		}
	}
	how := fmt.Sprintf("%d signed records (key %s)", res.Records, res.KeyID)
	if res.KeyID == "" {
		how = fmt.Sprintf("%d OSV export records", res.Records)
	}
	if res.Source != "" {
		how += " from " + res.Source
	}
	fmt.Fprintf(f.IO.Out, "advisory database updated from %s: %d advisories, modified %s (was %s); stored at %s\n",
		how, res.Total, res.Modified, res.Previous, res.Path)
	if res.Skipped > 0 {
		fmt.Fprintf(f.IO.Out, "note: %d records do not concern OpenClaw and were ignored\n", res.Skipped)
	}
	if !res.InUse {
		fmt.Fprintln(f.IO.Out, "note: the update is not newer than the embedded database, which stays in use")
	}
	return nil
}

func runAdvBundle(f *factory, o *advisoriesOptions) error {
	if o.Sign == "" || o.From == "" || o.Out == "" {
		return usageErrorf("bundle: --sign KEY, --from DIR and --out FILE are required")
	}
	kb, err := os.ReadFile(o.Sign)
	if err != nil {
		return usageErrorf("bundle: read key: %v", err)
	}
	key, err := advisory.ParsePrivateKey(kb)
	if err != nil {
		return usageErrorf("bundle: %s: %v", o.Sign, err)
	}
	var buf bytes.Buffer
	n, skipped, err := advisory.Sign(o.From, key, f.Now(), &buf, o.All)
	if err != nil {
		return &UsageError{fmt.Errorf("bundle: %w", err)}
	}
	if err := advWriteFile(o.Out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "wrote %s: %d OSV records signed by key %s", o.Out, n, advisory.KeyID(key.Public().(ed25519.PublicKey)))
	if skipped > 0 {
		fmt.Fprintf(f.IO.Out, " (%d records not about OpenClaw left out; --all keeps them)", skipped)
	}
	fmt.Fprintln(f.IO.Out)
	return nil
}

func runAdvKeygen(f *factory, o *advisoriesOptions) error {
	return writeKeyPair(f, o.Out, "give it to clawgov advisories update --trusted-key")
}

// writeKeyPair makes an ed25519 signing key pair at out and out.pub (the
// one key format of advisory bundles, releases and policy bundles); use
// tells the user where the public half goes.
func writeKeyPair(f *factory, out, use string) error {
	if out == "" {
		return usageErrorf("keygen: --out PREFIX is required")
	}
	if _, err := os.Stat(out); err == nil {
		return usageErrorf("keygen: %s exists; refusing to overwrite a key", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	priv, pub, err := advisory.GenerateKey()
	if err != nil {
		return err
	}
	if err := advWriteFile(out, priv, 0o600); err != nil {
		return err
	}
	if err := advWriteFile(out+".pub", pub, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "wrote %s (private, keep it secret) and %s.pub (%s)\n", out, out, use)
	return nil
}

func advWriteFile(p string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, p)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

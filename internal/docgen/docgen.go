// Package docgen writes clawgov's man pages and shell completions from the
// cobra command tree, so the packages ship documentation that cannot drift
// from the commands.
package docgen

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Man writes one gzip-compressed section 1 page per command
// (clawgov.1.gz, clawgov-audit.1.gz, ...) into dir. date and version go
// into every page's header; with the same inputs the bytes are the same
// (the gzip header carries no name and no time), which the reproducible
// package build relies on.
func Man(root *cobra.Command, dir, version string, date time.Time) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("man pages: %w", err)
	}
	root.DisableAutoGenTag = true
	hdr := &doc.GenManHeader{
		Title:   strings.ToUpper(root.Name()),
		Section: "1",
		Date:    &date,
		Source:  "clawgov " + version,
		Manual:  "clawgov manual",
	}
	n := 0
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
				continue
			}
			if err := walk(sub); err != nil {
				return err
			}
		}
		c.DisableAutoGenTag = true
		h := *hdr
		h.Title = strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-"))
		var page bytes.Buffer
		if err := doc.GenMan(c, &h, &page); err != nil {
			return fmt.Errorf("man page of %q: %w", c.CommandPath(), err)
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
		if err := writeGzip(filepath.Join(dir, name), page.Bytes()); err != nil {
			return err
		}
		n++
		return nil
	}
	return n, walk(root)
}

func writeGzip(path string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	// ModTime stays zero and Name empty: no build time in the bytes.
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}

// Completions writes the bash, zsh and fish completion scripts into dir as
// clawgov.bash, _clawgov and clawgov.fish, the names the packages install.
func Completions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("completions: %w", err)
	}
	gens := []struct {
		name string
		gen  func(*bytes.Buffer) error
	}{
		{root.Name() + ".bash", func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{"_" + root.Name(), func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{root.Name() + ".fish", func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
	}
	for _, g := range gens {
		var b bytes.Buffer
		if err := g.gen(&b); err != nil {
			return fmt.Errorf("completion %s: %w", g.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, g.name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("completions: %w", err)
		}
	}
	return nil
}

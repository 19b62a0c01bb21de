// Command gen regenerates internal/advisory/data/advisories.json from the
// OSV records and the research seed in the shared data directory:
//
//	go run ./internal/advisory/gen -data ../shared/data
//
// The output depends only on the inputs (no clock, no paths), so running it
// twice gives the same bytes; a test checks that.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/clawgov/clawgov/internal/advisory"
)

func main() {
	data := flag.String("data", "../shared/data", "shared data directory (osv/, openclaw-advisories-seed.json, osv-partial.json)")
	out := flag.String("out", "internal/advisory/data/advisories.json", "output file")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	db, conflicts, err := advisory.Generate(os.DirFS(data))
	if err != nil {
		return err
	}
	for _, c := range conflicts {
		fmt.Fprintf(os.Stderr, "gen: note: %s\n", c)
	}
	b, err := db.Encode()
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("rename %s: %w", out, err)
	}
	total, withdrawn := db.Count()
	fmt.Fprintf(os.Stderr, "gen: wrote %d advisories (%d withdrawn) to %s\n", total, withdrawn, out)
	return nil
}

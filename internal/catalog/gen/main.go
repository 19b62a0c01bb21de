// Command gen compiles the catalog YAML under internal/catalog/data into
// internal/catalog/catalog.pack, the form the binary embeds:
//
//	go generate ./internal/catalog
//
// It runs the full validation of catalog.Load first, so invalid data never
// reaches a binary. The output depends only on the YAML, so running it twice
// gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/clawgov/clawgov/internal/catalog"
)

func main() {
	data := flag.String("data", "data", "catalog data directory")
	out := flag.String("out", "catalog.pack", "output file")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintf(os.Stderr, "catalog gen: %v\n", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	b, err := catalog.Compile(os.DirFS(data))
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
	return nil
}

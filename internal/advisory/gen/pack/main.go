// Command pack compiles internal/advisory/data/advisories.json and
// releases.json into the .pack files the binary embeds:
//
//	go generate ./internal/advisory
//
// It validates both the way loading them would (ParseDB, ParseReleases),
// so bad data never reaches a binary. The output depends only on the
// input, so running it twice gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clawgov/clawgov/internal/advisory"
)

func main() {
	dir := flag.String("dir", "data", "advisory data directory")
	flag.Parse()
	for _, f := range []struct {
		in, out string
		pack    func([]byte) ([]byte, error)
	}{
		{"advisories.json", "advisories.pack", advisory.PackDB},
		{"releases.json", "releases.pack", advisory.PackReleases},
	} {
		if err := run(filepath.Join(*dir, f.in), filepath.Join(*dir, f.out), f.pack); err != nil {
			fmt.Fprintf(os.Stderr, "advisory pack: %v\n", err)
			os.Exit(1)
		}
	}
}

func run(in, out string, pack func([]byte) ([]byte, error)) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	p, err := pack(b)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, p, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("rename %s: %w", out, err)
	}
	return nil
}

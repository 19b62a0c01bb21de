package main

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/manifest"
)

// build encodes every listing (VERSION.tsv.gz) in dir into out.
func build(dir, out string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.tsv.gz"))
	if err != nil {
		return err
	}
	set := &manifest.Set{Package: "openclaw", Releases: map[string]*manifest.Release{}}
	var nfiles int
	for _, f := range files {
		v := strings.TrimSuffix(filepath.Base(f), ".tsv.gz")
		fs, sums, err := readRaw(f)
		if err != nil {
			return err
		}
		r, err := manifest.BuildRelease(v, fs, sums)
		if err != nil {
			return err
		}
		set.Releases[v] = r
		nfiles += len(fs)
	}
	b, err := manifest.Encode(set)
	if err != nil {
		return err
	}
	if _, err := manifest.Decode(b); err != nil {
		return fmt.Errorf("encoded manifest does not decode: %w", err)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("rename %s: %w", out, err)
	}
	fmt.Fprintf(os.Stderr, "gen-manifests: wrote %d releases (%d files) to %s, %d bytes\n", len(set.Releases), nfiles, out, len(b))
	return nil
}

func readRaw(file string) ([]manifest.File, [][32]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("gunzip %s: %w", file, err)
	}
	var fs []manifest.File
	var sums [][32]byte
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 4)
		if len(parts) != 4 {
			return nil, nil, fmt.Errorf("%s: bad line %q", file, sc.Text())
		}
		h, err := hex.DecodeString(parts[0])
		size, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || err2 != nil || len(h) != 32 {
			return nil, nil, fmt.Errorf("%s: bad line %q", file, sc.Text())
		}
		var sum [32]byte
		copy(sum[:], h)
		fs = append(fs, manifest.File{Path: parts[3], Size: size})
		sums = append(sums, sum)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	return fs, sums, nil
}

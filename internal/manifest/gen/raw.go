package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// rawEntry is one regular file of a published tarball.
type rawEntry struct {
	Path string
	Size int64
	Mode int64
	Sum  [32]byte
}

// readTarball lists the regular files of an npm tarball with their SHA-256.
// npm strips the first path component ("package/") when it installs, so we
// do the same; links and directories are not installed as files and are
// left out.
func readTarball(file string) ([]rawEntry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open tarball %s: %w", file, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", file, err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]int{}
	var out []rawEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tarball %s: %w", file, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		i := strings.IndexByte(name, '/')
		if i < 0 {
			continue
		}
		name = name[i+1:]
		if name == "" || strings.HasPrefix(name, "../") || strings.ContainsAny(name, "\t\n") {
			return nil, fmt.Errorf("tarball %s: unusable path %q", file, h.Name)
		}
		hs := sha256.New()
		n, err := io.Copy(hs, tr)
		if err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", name, file, err)
		}
		e := rawEntry{Path: name, Size: n, Mode: h.Mode & 0o777}
		copy(e.Sum[:], hs.Sum(nil))
		// A later entry with the same name overwrites the earlier one on
		// extraction; keep the last, as tar does.
		if j, ok := seen[name]; ok {
			out[j] = e
			continue
		}
		seen[name] = len(out)
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// writeRaw stores one release's listing as gzip'd TSV (sha256, size, mode,
// path): the intermediate form the build step reads, kept so that a
// resumed or re-encoded run never downloads a tarball twice.
func writeRaw(out string, es []rawEntry) error {
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	gz := gzip.NewWriter(f)
	w := bufio.NewWriter(gz)
	for _, e := range es {
		fmt.Fprintf(w, "%s\t%d\t%o\t%s\n", hex.EncodeToString(e.Sum[:]), e.Size, e.Mode, e.Path)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := gz.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	return os.Rename(tmp, out)
}

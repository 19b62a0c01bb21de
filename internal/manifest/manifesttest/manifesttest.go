// Package manifesttest gives tests a private copy of the real OpenClaw
// install to tamper with. The copy hard-links files where it can (the
// install is 300 MB), so every change goes through Replace or os.Remove,
// which make a new file and never write through a shared link: the cached
// install is never modified.
package manifesttest

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Version is the pinned release scripts/install-openclaw.sh installs.
const Version = "2026.9.6"

// RealInstall returns the package root of the pinned OpenClaw, or skips.
func RealInstall(t testing.TB) string {
	t.Helper()
	var cands []string
	if w := os.Getenv("CLAWGOV_OPENCLAW"); w != "" {
		// The wrapper is <cache>/bin/openclaw-VERSION.
		cands = append(cands, filepath.Join(filepath.Dir(filepath.Dir(w)), "openclaw-"+Version, "lib/node_modules/openclaw"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, ".cache/clawgov/openclaw-"+Version, "lib/node_modules/openclaw"))
	}
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "package.json")); err == nil {
			return c
		}
	}
	t.Skip("the real OpenClaw " + Version + " is not installed; run scripts/install-openclaw.sh")
	return ""
}

// Copy makes dst a copy of the tree at src.
func Copy(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, out)
		case d.Type().IsRegular():
			if os.Link(p, out) == nil {
				return nil
			}
			return copyFile(p, out)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Replace gives p new content as a new file (a hard link's other names
// keep the old content).
func Replace(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// SameSizeEdit returns content of the same length with a few bytes changed
// (the patch an attacker who knows about size checks would make).
func SameSizeEdit(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8 {
		t.Fatalf("%s: too small to edit", p)
	}
	out := []byte(strings.Clone(string(b)))
	copy(out[len(out)-8:], "/*evil*/")
	if string(out) == string(b) {
		copy(out[len(out)-8:], "/*EVIL*/")
	}
	return out
}

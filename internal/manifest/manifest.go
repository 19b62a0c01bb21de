// Package manifest holds, for official openclaw npm releases, the list of
// files the published tarball installs (path, size and a short tag of each
// file's SHA-256) with two full SHA-256 digests per release, and verifies
// an installed package against it. It lets the audit decide DONT-1
// ("no tampered or patched build") on hosts where no lockfile or npm cache
// entry recorded the tarball's integrity, which is most global installs.
//
// Why this shape: a release has ~12,000 files and the table ~130 releases,
// so a full SHA-256 per file would be tens of megabytes. Instead each
// release stores
//
//   - every file's path and size, so added, removed and resized files are
//     found from a directory walk without reading any file;
//   - a 32-bit tag of each decisive file's SHA-256, used only to point at
//     the file that changed, never to accept one;
//   - the SHA-256 of the "decisive" files (package.json, the package's top
//     level launchers and the dist/ entry points; see Decisive) taken
//     together, checked on every audit;
//   - the SHA-256 of all files taken together, checked in full mode.
//
// Acceptance therefore always rests on a full SHA-256, and paths, sizes and
// tags are shared across releases, which keeps the embedded data small.
package manifest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"path"
	"sort"
	"strings"
)

// Format identifies the encoding; DecisiveRule the rule Decisive
// implements. Both are written into the data, so a binary never verifies
// against digests computed under another rule.
const (
	Format       = 1
	DecisiveRule = 1
)

// File is one file of a published release.
type File struct {
	Path string
	Size int64
	// Tag is the first four bytes of the file's SHA-256, big-endian, for
	// decisive files; 0 for the others (only their size is stored).
	Tag uint32
}

// Release is the manifest of one published version.
type Release struct {
	Version string
	// Files are sorted by path.
	Files []File
	// Tree is the SHA-256 over every file but the lifecycle markers;
	// Decisive the one over the decisive files (see Digest).
	Tree, Decisive [32]byte
}

// Set is the manifest of many releases of one package.
type Set struct {
	Package  string
	Releases map[string]*Release
}

// Lookup returns the manifest of version v.
func (s *Set) Lookup(v string) (*Release, bool) {
	if s == nil {
		return nil, false
	}
	r, ok := s.Releases[v]
	return r, ok
}

// Versions returns the versions the set covers, sorted as strings.
func (s *Set) Versions() []string {
	out := make([]string, 0, len(s.Releases))
	for v := range s.Releases {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// lifecycleMarkers are files the package ships for its own postinstall
// step to delete ("the lifecycle has not run yet"); their absence is the
// normal state of an installed package, so they may be missing.
var lifecycleMarkers = map[string]bool{
	".openclaw-lifecycle-pending": true,
	"dist/openclaw-install-guard": true,
}

// Optional reports whether a published file may be absent after install.
func Optional(p string) bool { return lifecycleMarkers[p] }

// Decisive reports whether p is one of the files hashed on every audit:
// package.json, every file at the package's top level (the launchers
// `openclaw.mjs` and friends, which Node runs first), and the dist/ entry
// points (`dist/*.js` directly in dist/, which the launchers and the
// package's exports load by name; the content-hashed chunks they import
// are compared by size unless full mode is on). Changing this rule means
// bumping DecisiveRule and regenerating the data.
func Decisive(p string) bool {
	if Optional(p) {
		return false
	}
	if !strings.Contains(p, "/") {
		return true
	}
	dir, base := path.Split(p)
	return dir == "dist/" && (strings.HasSuffix(base, ".js") || strings.HasSuffix(base, ".cjs") || base == "build-info.json")
}

// Digest is the SHA-256 over the given files' path and content hash, in
// path order: path, NUL, the 32-byte SHA-256 of the content.
type Digest struct {
	last string
	h    hash.Hash
}

// NewDigest starts a digest.
func NewDigest() *Digest { return &Digest{h: sha256.New()} }

// Add adds one file; files must come in increasing path order.
func (d *Digest) Add(p string, sum [32]byte) error {
	if d.last != "" && p <= d.last {
		return errors.New("digest: files out of order")
	}
	d.last = p
	d.h.Write([]byte(p))
	d.h.Write([]byte{0})
	d.h.Write(sum[:])
	return nil
}

// Sum returns the digest.
func (d *Digest) Sum() [32]byte {
	var out [32]byte
	copy(out[:], d.h.Sum(nil))
	return out
}

// TagOf returns the tag of a SHA-256.
func TagOf(sum [32]byte) uint32 {
	return uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
}

// BuildRelease makes a release manifest from the full listing (path and
// SHA-256 of each file); sums must be in path order.
func BuildRelease(version string, files []File, sums [][32]byte) (*Release, error) {
	if len(files) != len(sums) {
		return nil, fmt.Errorf("release %s: %d files, %d sums", version, len(files), len(sums))
	}
	r := &Release{Version: version, Files: files}
	tree, dec := NewDigest(), NewDigest()
	for i, f := range files {
		if i > 0 && files[i-1].Path >= f.Path {
			return nil, fmt.Errorf("release %s: files not sorted at %s", version, f.Path)
		}
		if Decisive(f.Path) {
			files[i].Tag = TagOf(sums[i])
		}
		if Optional(f.Path) {
			continue
		}
		if err := tree.Add(f.Path, sums[i]); err != nil {
			return nil, err
		}
		if Decisive(f.Path) {
			if err := dec.Add(f.Path, sums[i]); err != nil {
				return nil, err
			}
		}
	}
	r.Tree, r.Decisive = tree.Sum(), dec.Sum()
	return r, nil
}

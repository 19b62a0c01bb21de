package manifest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Options tune Verify.
type Options struct {
	// Full hashes every file and checks the release's tree digest; by
	// default only the decisive files are hashed and the rest are compared
	// by path and size.
	Full bool
}

// Result is what Verify found. The lists are sorted paths relative to the
// package root.
type Result struct {
	Version string
	Full    bool
	// Compared is the number of official files compared by path and size;
	// Hashed and HashedBytes what was read and hashed.
	Compared    int
	Hashed      int
	HashedBytes int64
	Added       []string
	Removed     []string
	Resized     []Resize
	Modified    []string
	// NotRegular are paths of official files that are links, directories
	// or devices on disk.
	NotRegular []string
	// Unlocated is true when a digest differed but no stored tag pointed at
	// a file (a non-decisive file changed in full mode).
	Unlocated bool
	// Dependencies is the number of node_modules/ folders (and npm's own
	// files there) that npm installed beside the package, not compared.
	Dependencies int
}

// Resize is an official file whose size differs.
type Resize struct {
	Path           string
	Size, Official int64
}

// OK reports whether the installed files match.
func (r *Result) OK() bool {
	return len(r.Added)+len(r.Removed)+len(r.Resized)+len(r.Modified)+len(r.NotRegular) == 0 && !r.Unlocated
}

// maxWalk bounds the directory walk: the package has ~12,000 files; a
// tree a hundred times larger is not an openclaw install.
const maxWalk = 1 << 20

// Verify compares the package installed at root (a host path) with the
// release manifest. Sizes first: if the file lists or sizes differ the
// answer is known and nothing is read. Otherwise the decisive files (all
// files with opt.Full) are hashed and checked against the release's
// digest.
func Verify(root string, rel *Release, opt Options) (*Result, error) {
	res, _, err := VerifyLoad(root, func() (*Release, bool, error) { return rel, true, nil }, opt)
	return res, err
}

// VerifyLoad is Verify with the manifest loaded while the directory is
// walked (decoding one release and walking 12,000 files take about as
// long, on different resources). ok is false when load found no manifest.
func VerifyLoad(root string, load func() (*Release, bool, error), opt Options) (res *Result, ok bool, err error) {
	return verifyWalk(root, load, opt)
}

type onDisk struct {
	size    int64
	regular bool
}

// walk lists the files under root (a node_modules/ subtree relative to
// the package root when sub is not ""). Below the package's own
// node_modules/ it lists only the dependency folders' names: npm installed
// them, and which of them the tarball bundles is known only from the
// manifest, so those few are walked later.
func walk(root, sub string, found map[string]onDisk, deps map[string]bool, n *int) error {
	start := filepath.Join(root, filepath.FromSlash(sub))
	return filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if *n++; *n > maxWalk {
			return fmt.Errorf("more than %d entries under %s", maxWalk, root)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if sub == "" && (rel == "node_modules" || strings.HasPrefix(rel, "node_modules/")) {
			dd := depDir(rel)
			switch {
			case rel == "node_modules" || (dd == "" && d.IsDir() && strings.HasPrefix(rel, "node_modules/@")):
				return nil // node_modules itself or a scope folder
			case dd == "":
				deps[rel] = false // npm's own files (.bin, .package-lock.json)
			default:
				deps[dd] = false
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		found[rel] = onDisk{size: info.Size(), regular: info.Mode().IsRegular()}
		return nil
	})
}

func verifyWalk(root string, load func() (*Release, bool, error), opt Options) (*Result, bool, error) {
	type loaded struct {
		rel *Release
		ok  bool
		err error
	}
	ch := make(chan loaded, 1)
	go func() {
		r, ok, err := load()
		ch <- loaded{r, ok, err}
	}()
	found, deps, n := map[string]onDisk{}, map[string]bool{}, 0
	werr := walk(root, "", found, deps, &n)
	l := <-ch
	if l.err != nil || !l.ok {
		return nil, false, l.err
	}
	if werr != nil {
		return nil, true, fmt.Errorf("walk %s: %w", root, werr)
	}
	rel := l.rel
	res := &Result{Version: rel.Version, Full: opt.Full}
	bundled := bundledDirs(rel)
	for dd := range deps {
		if !bundled[dd] {
			res.Dependencies++
			continue
		}
		if err := walk(root, dd, found, deps, &n); err != nil {
			return nil, true, fmt.Errorf("walk %s: %w", root, err)
		}
	}
	res, err := compare(root, rel, found, res, opt)
	return res, true, err
}

func compare(root string, rel *Release, found map[string]onDisk, res *Result, opt Options) (*Result, error) {
	var toHash []File
	for _, f := range rel.Files {
		got, ok := found[f.Path]
		delete(found, f.Path)
		switch {
		case !ok:
			if !Optional(f.Path) {
				res.Removed = append(res.Removed, f.Path)
			}
			continue
		case !got.regular:
			res.NotRegular = append(res.NotRegular, f.Path)
		case got.size != f.Size:
			res.Resized = append(res.Resized, Resize{Path: f.Path, Size: got.size, Official: f.Size})
		}
		res.Compared++
		if opt.Full || Decisive(f.Path) {
			toHash = append(toHash, f)
		}
	}
	for p := range found {
		res.Added = append(res.Added, p)
	}
	sort.Strings(res.Added)
	if !res.OK() {
		return res, nil // decided by the listing; nothing needs reading
	}

	dec, tree := NewDigest(), NewDigest()
	for _, f := range toHash {
		sum, n, err := hashFile(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, err
		}
		res.Hashed++
		res.HashedBytes += n
		if Decisive(f.Path) {
			if TagOf(sum) != f.Tag {
				res.Modified = append(res.Modified, f.Path)
			}
			if err := dec.Add(f.Path, sum); err != nil {
				return nil, err
			}
		}
		if opt.Full && !Optional(f.Path) {
			if err := tree.Add(f.Path, sum); err != nil {
				return nil, err
			}
		}
	}
	if dec.Sum() != rel.Decisive || (opt.Full && tree.Sum() != rel.Tree) {
		if len(res.Modified) == 0 {
			res.Unlocated = true
		}
	}
	return res, nil
}

// bundledDirs are the node_modules/ packages the tarball itself ships
// (bundleDependencies): those are part of the release and compared; the
// rest of node_modules/ is what npm installed as dependencies.
func bundledDirs(rel *Release) map[string]bool {
	out := map[string]bool{}
	for _, f := range rel.Files {
		if d := depDir(f.Path); d != "" {
			out[d] = true
		}
	}
	return out
}

// depDir returns "node_modules/NAME" or "node_modules/@SCOPE/NAME" for a
// path inside a top-level dependency folder (or that folder itself), ""
// otherwise.
func depDir(p string) string {
	parts := strings.SplitN(p, "/", 4)
	if len(parts) < 2 || parts[0] != "node_modules" {
		return ""
	}
	if strings.HasPrefix(parts[1], "@") {
		if len(parts) < 3 {
			return ""
		}
		return path.Join(parts[0], parts[1], parts[2])
	}
	if strings.HasPrefix(parts[1], ".") {
		return "" // .bin, .package-lock.json: npm's own
	}
	return path.Join(parts[0], parts[1])
}

func hashFile(p string) ([32]byte, int64, error) {
	var sum [32]byte
	f, err := os.Open(p)
	if err != nil {
		return sum, 0, fmt.Errorf("hash %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return sum, n, fmt.Errorf("hash %s: %w", p, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, n, nil
}

// ErrNoRelease is returned by Embedded lookups for a version the data
// does not cover.
var ErrNoRelease = errors.New("release not in the file manifest")

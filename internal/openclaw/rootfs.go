package openclaw

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSymlinks bounds symlink hops while resolving one path (Linux uses 40).
const maxSymlinks = 40

// errSymlinkLoop is returned when a path needs more than maxSymlinks hops.
var errSymlinkLoop = errors.New("too many levels of symbolic links")

// rootFS reads a deployment's files. Paths passed in are as the deployment
// sees them (absolute, slash-separated). With a rootfs, every path is read
// under the root and symlinks are resolved here, component by component,
// against the root: an absolute link target means root+target and ".."
// never climbs above the root, so a hostile image cannot make clawgov read
// the auditing machine's own files. Without a rootfs the OS resolves paths
// as usual.
type rootFS struct {
	root string // "" = live host
}

func newRootFS(root string) rootFS {
	if root == "" || root == "/" {
		return rootFS{}
	}
	return rootFS{root: filepath.Clean(root)}
}

// clean makes p absolute and lexically clean in the deployment namespace.
func cleanDeploy(p string) string {
	if p == "" {
		return ""
	}
	if !path.IsAbs(p) {
		p = "/" + p
	}
	return path.Clean(p)
}

// host maps a deployment path to the host path without resolving links
// (used for Lstat of the final component).
func (r rootFS) hostLexical(p string) string {
	p = cleanDeploy(p)
	if r.root == "" {
		return p
	}
	return filepath.Join(r.root, filepath.FromSlash(p))
}

// resolve returns the deployment path with every symlink resolved inside
// the root. When followLast is false the final component is not followed.
// A missing component stops resolution: the rest is appended lexically
// (like realpath on a non-existent tail), so callers get ENOENT later.
func (r rootFS) resolve(p string, followLast bool) (string, error) {
	p = cleanDeploy(p)
	if r.root == "" {
		if !followLast {
			dir, err := filepath.EvalSymlinks(path.Dir(p))
			if err != nil {
				return p, nil //nolint:nilerr // missing parent: report on access
			}
			return path.Join(dir, path.Base(p)), nil
		}
		rp, err := filepath.EvalSymlinks(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return p, nil
			}
			if errors.Is(err, syscall.ELOOP) || strings.Contains(err.Error(), "too many links") {
				return p, fmt.Errorf("resolve %s: %w", p, errSymlinkLoop)
			}
			return p, err
		}
		return rp, nil
	}
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	hops := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		if len(rest) == 0 && !followLast {
			cur = next
			break
		}
		fi, err := os.Lstat(r.hostLexical(next))
		if err != nil {
			// Missing (or unreadable) component: keep the rest lexical.
			cur = path.Join(append([]string{next}, rest...)...)
			return cur, nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		if hops > maxSymlinks {
			return "", fmt.Errorf("resolve %s: %w", p, errSymlinkLoop)
		}
		target, err := os.Readlink(r.hostLexical(next))
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		target = filepath.ToSlash(target)
		if path.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return cur, nil
}

// hostPath resolves p inside the root and returns the host path to open.
func (r rootFS) hostPath(p string) (string, error) {
	if r.root == "" {
		return cleanDeploy(p), nil
	}
	rp, err := r.resolve(p, true)
	if err != nil {
		return "", err
	}
	return r.hostLexical(rp), nil
}

// Stat follows symlinks (inside the root).
func (r rootFS) Stat(p string) (fs.FileInfo, error) {
	hp, err := r.hostPath(p)
	if err != nil {
		return nil, err
	}
	return os.Stat(hp)
}

// Lstat does not follow a final symlink.
func (r rootFS) Lstat(p string) (fs.FileInfo, error) {
	if r.root == "" {
		return os.Lstat(cleanDeploy(p))
	}
	rp, err := r.resolve(p, false)
	if err != nil {
		return nil, err
	}
	return os.Lstat(r.hostLexical(rp))
}

// Exists reports whether p exists (following links), as fs.existsSync.
func (r rootFS) Exists(p string) bool {
	_, err := r.Stat(p)
	return err == nil
}

// IsDir reports whether p is a directory (following links).
func (r rootFS) IsDir(p string) bool {
	fi, err := r.Stat(p)
	return err == nil && fi.IsDir()
}

// errTooLarge marks a file over a read limit.
var errTooLarge = errors.New("file too large")

// ReadFile reads at most limit bytes; a longer file is an error (never a
// silent truncation: a cut config would parse differently).
func (r rootFS) ReadFile(p string, limit int64) ([]byte, error) {
	hp, err := r.hostPath(p)
	if err != nil {
		return nil, err
	}
	f, err := r.openFile(hp)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory")
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", errTooLarge, limit)
	}
	return data, nil
}

// openFile opens for reading without blocking on a FIFO (a hostile image
// could put one where the config belongs) and, under a rootfs, without
// following a symlink swapped in after resolution.
func (r rootFS) openFile(hp string) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if r.root != "" {
		flags |= syscall.O_NOFOLLOW
	}
	return os.OpenFile(hp, flags, 0)
}

// ReadDir lists a directory (following links), sorted by name.
func (r rootFS) ReadDir(p string) ([]fs.DirEntry, error) {
	hp, err := r.hostPath(p)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(hp)
}

// ReadDirLimit lists at most n entries of a directory (unsorted beyond
// what the OS gives) and reports whether more exist. It keeps a 100k-file
// directory from costing a full listing.
func (r rootFS) ReadDirLimit(p string, n int) ([]fs.DirEntry, bool, error) {
	hp, err := r.hostPath(p)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(hp)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	ents, err := f.ReadDir(n + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if len(ents) > n {
		return ents[:n], true, nil
	}
	return ents, false, nil
}

// Realpath is the deployment path with all symlinks resolved.
func (r rootFS) Realpath(p string) (string, error) {
	return r.resolve(p, true)
}

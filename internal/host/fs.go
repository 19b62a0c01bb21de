package host

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// MaxFileSize bounds every in-root read. Host facts come from small text
// files; anything larger is hostile or not what we think it is, and must
// not make an audit of a mounted disk exhaust memory.
const MaxFileSize = 8 << 20

// maxSymlinks bounds symlink resolution like the kernel's ELOOP limit.
const maxSymlinks = 40

// maxDirEntries bounds one directory listing.
const maxDirEntries = 100000

// Errors returned by the in-root readers.
var (
	ErrTooLarge    = errors.New("file too large")
	ErrNotRegular  = errors.New("not a regular file")
	ErrSymlinkLoop = errors.New("too many levels of symbolic links")
)

// Root reads files below a directory treated as "/". Symlinks are
// resolved by Root itself, component by component: an absolute target is
// re-rooted and ".." stops at the root, so nothing outside the root is ever
// read, whatever the image contains. The resolved path is then opened
// through os.Root, which refuses to escape even if the tree changes
// between resolution and open.
//
// A Root caches the resolution of directories it has walked and keeps
// the os.Root open; it is not safe for concurrent use. Close releases it.
type Root struct {
	dir  string
	or   *os.Root
	dirs map[string]resolvedDir // in-root directory path -> resolution
}

type resolvedDir struct {
	res string
	err error
}

// NewRoot returns a Root for rootfs ("" = live "/").
func NewRoot(rootfs string) (*Root, error) {
	if rootfs == "" {
		rootfs = "/"
	}
	abs, err := filepath.Abs(rootfs)
	if err != nil {
		return nil, fmt.Errorf("rootfs %s: %w", rootfs, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("rootfs %s: not a directory", rootfs)
	}
	return &Root{dir: abs, dirs: map[string]resolvedDir{}}, nil
}

// Close releases the directory handle a Root keeps open.
func (r *Root) Close() error {
	if r.or == nil {
		return nil
	}
	err := r.or.Close()
	r.or = nil
	return err
}

// Dir is the host directory the root maps to.
func (r *Root) Dir() string { return r.dir }

// HostPath is the host path for an in-root path, without resolving
// symlinks (for messages and for callers that already resolved it).
func (r *Root) HostPath(p string) string {
	return filepath.Join(r.dir, filepath.FromSlash(path.Clean("/"+p)))
}

// Resolve resolves every symlink in p inside the root and returns the
// clean in-root path ("/etc/passwd"). When the final component does not
// exist the error wraps fs.ErrNotExist.
func (r *Root) Resolve(p string) (string, error) {
	return r.resolve(p, true)
}

func (r *Root) resolve(p string, followLast bool) (string, error) {
	todo := splitPath(p)
	resolved := "/"
	// Start from the cached resolution of the parent directory when the
	// path has no ".." (which must be applied after symlinks, not
	// lexically).
	if parent := path.Dir(path.Clean("/" + p)); parent != "/" && !strings.Contains(p, "..") {
		d, ok := r.dirs[parent]
		if !ok {
			d.res, d.err = r.resolve(parent, true)
			r.dirs[parent] = d
		}
		if d.err != nil {
			return parent, d.err
		}
		resolved, todo = d.res, []string{path.Base(path.Clean("/" + p))}
	}
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, c)
		if len(todo) == 0 && !followLast {
			resolved = next
			break
		}
		hp := r.HostPath(next)
		fi, err := os.Lstat(hp)
		if err != nil {
			return path.Join(append([]string{next}, todo...)...), &fs.PathError{Op: "lstat", Path: next, Err: unwrapPathErr(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > maxSymlinks {
			return next, &fs.PathError{Op: "resolve", Path: p, Err: ErrSymlinkLoop}
		}
		target, err := os.Readlink(hp)
		if err != nil {
			return next, &fs.PathError{Op: "readlink", Path: next, Err: unwrapPathErr(err)}
		}
		if strings.HasPrefix(target, "/") {
			resolved = "/"
		}
		todo = append(splitPath(target), todo...)
	}
	return resolved, nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resolveLive is Resolve for a path about to be opened. On the live root
// the kernel's own resolution is the same as Resolve's (absolute links
// start again at /, ".." stops there), so the path is only cleaned and the
// open resolves it, instead of an lstat per uncached directory and one for
// the file itself. A disk image resolves inside the image.
func (r *Root) resolveLive(p string) (string, error) {
	if r.dir == "/" {
		return path.Clean("/" + p), nil
	}
	return r.Resolve(p)
}

// rel turns a resolved in-root path into an os.Root name.
func rel(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// openResolved opens an already resolved path through os.Root without
// blocking on FIFOs.
func (r *Root) openResolved(resolved string) (*os.File, error) {
	const flags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
	if r.dir == "/" {
		// The live root: nothing lies outside it, so the component-wise
		// walk os.Root does (an openat, fstat and close per directory,
		// for every file) buys no confinement here. resolve already
		// followed the links.
		f, err := os.OpenFile(resolved, flags, 0)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: resolved, Err: unwrapPathErr(err)}
		}
		return f, nil
	}
	if r.or == nil {
		or, err := os.OpenRoot(r.dir)
		if err != nil {
			return nil, fmt.Errorf("open root %s: %w", r.dir, err)
		}
		r.or = or
	}
	f, err := r.or.OpenFile(rel(resolved), flags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: resolved, Err: unwrapPathErr(err)}
	}
	return f, nil
}

// Open opens the regular file p inside the root.
func (r *Root) Open(p string) (*os.File, error) {
	f, _, err := r.open(p)
	return f, err
}

func (r *Root) open(p string) (*os.File, fs.FileInfo, error) {
	resolved, err := r.resolveLive(p)
	if err != nil {
		return nil, nil, err
	}
	f, err := r.openResolved(resolved)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("stat %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	return f, st, nil
}

// ReadFile reads the regular file p inside the root, at most MaxFileSize
// bytes.
func (r *Root) ReadFile(p string) ([]byte, error) {
	if r.dir == "/" {
		return readLive(path.Clean("/"+p), nil)
	}
	f, st, err := r.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSized(f, p, st.Size())
}

// ReadFileInto is ReadFile reading into buf's storage when it is big
// enough, for callers that scan many files and keep few: the result
// aliases buf and is valid until buf is used again.
func (r *Root) ReadFileInto(p string, buf []byte) ([]byte, error) {
	if r.dir == "/" {
		return readLive(path.Clean("/"+p), buf)
	}
	f, st, err := r.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size := st.Size(); size > 0 && size < int64(cap(buf)) {
		return readInto(f, p, buf[:0], 0)
	}
	return readSized(f, p, st.Size())
}

// readLive reads the regular file at the absolute host path p with bare
// system calls (open, fstat, read, close), into buf's storage when it is
// big enough. An audit reads several hundred small files, and an os.File
// costs each of them fcntl and epoll registration calls on top, which on
// a virtual machine are a large part of the audit's time. The rules are
// ReadFile's: regular files only, never blocking on a FIFO, at most
// MaxFileSize bytes.
func readLive(p string, buf []byte) ([]byte, error) {
	fd, err := openRetry(p, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &fs.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	size := int(st.Size)
	if size > MaxFileSize {
		return nil, &fs.PathError{Op: "read", Path: p, Err: ErrTooLarge}
	}
	want := size + 1 // one more byte: a file that grew is read on
	if want < 512 {
		want = 512 // /proc and sysfs files report size 0
	}
	if cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	return readInto(fdReader(fd), p, buf[:0], size)
}

// fdReader reads a bare file descriptor: EINTR retried, a read of nothing
// is io.EOF.
type fdReader int

func (fd fdReader) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func openRetry(p string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(p, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// readSized is readLimited with the size the file had when opened as the
// first guess, so a read allocates once instead of growing from 512
// bytes (most host files are a few KB, and an audit reads hundreds).
func readSized(rd io.Reader, name string, size int64) ([]byte, error) {
	if size <= 0 || size > MaxFileSize {
		return readLimited(rd, name)
	}
	// One byte more than the size, so a file that grew is read on.
	return readInto(rd, name, make([]byte, 0, size+1), 0)
}

// readInto reads rd to its end into b's storage (grown when the file
// grew), at most MaxFileSize bytes. size > 0 is the size of a regular
// file as opened: a read that leaves at most that many bytes is its end,
// which saves the read that would only return EOF (the live root's files
// are several hundred; /proc files report 0 and are read to EOF).
func readInto(rd io.Reader, name string, b []byte, size int) ([]byte, error) {
	for {
		if len(b) > MaxFileSize {
			return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // the file grew: read on
		}
		n, err := rd.Read(b[len(b):min(cap(b), MaxFileSize+1)])
		b = b[:len(b)+n]
		if err == io.EOF || (err == nil && size > 0 && n > 0 && len(b) <= size) {
			if len(b) > MaxFileSize {
				return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
			}
			return b, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
}

func readLimited(rd io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(rd, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > MaxFileSize {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	return b, nil
}

// Lstat describes p inside the root without following a final symlink
// (symlinks in the parent directories are resolved).
func (r *Root) Lstat(p string) (fs.FileInfo, error) {
	resolved, err := r.resolve(p, false)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(r.HostPath(resolved))
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: resolved, Err: unwrapPathErr(err)}
	}
	return fi, nil
}

// Stat describes p inside the root, following symlinks inside the root.
func (r *Root) Stat(p string) (fs.FileInfo, error) {
	resolved, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(r.HostPath(resolved))
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: resolved, Err: unwrapPathErr(err)}
	}
	return fi, nil
}

// Readlink returns the target of the symlink p (parents resolved).
func (r *Root) Readlink(p string) (string, error) {
	resolved, err := r.resolve(p, false)
	if err != nil {
		return "", err
	}
	t, err := os.Readlink(r.HostPath(resolved))
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: resolved, Err: unwrapPathErr(err)}
	}
	return t, nil
}

// ReadDir lists directory p inside the root, sorted by name, at most
// maxDirEntries entries.
func (r *Root) ReadDir(p string) ([]fs.DirEntry, error) {
	resolved, err := r.resolveLive(p)
	if err != nil {
		return nil, err
	}
	f, err := r.openResolved(resolved)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(maxDirEntries)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &fs.PathError{Op: "readdir", Path: resolved, Err: unwrapPathErr(err)}
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return ents, nil
}

// ReadFile reads path inside rootfs ("" = live "/") with the same
// confinement and size limit as Root.ReadFile.
func ReadFile(rootfs, p string) ([]byte, error) {
	r, err := NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.ReadFile(p)
}

// Open opens the regular file path inside rootfs ("" = live "/").
func Open(rootfs, p string) (*os.File, error) {
	r, err := NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Open(p)
}

// Lstat describes path inside rootfs without following its final symlink.
func Lstat(rootfs, p string) (fs.FileInfo, error) {
	r, err := NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Lstat(p)
}

// Stat describes path inside rootfs, following symlinks inside the root.
func Stat(rootfs, p string) (fs.FileInfo, error) {
	r, err := NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Stat(p)
}

// Resolve resolves path inside rootfs and returns the in-root result.
func Resolve(rootfs, p string) (string, error) {
	r, err := NewRoot(rootfs)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return r.Resolve(p)
}

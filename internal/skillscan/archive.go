package skillscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Limits bound the work and memory one scan may spend. Archives are read
// into memory only (never extracted to disk), so these are also what stops
// a bomb.
type Limits struct {
	// MaxFileSize is the most bytes read from one file; beyond it the file
	// is reported as not fully scanned (never silently truncated).
	MaxFileSize int64
	// MaxArchiveBytes is the total uncompressed size accepted from one
	// top-level archive, nested members included.
	MaxArchiveBytes int64
	// MaxArchiveEntries bounds the member count of one archive.
	MaxArchiveEntries int
	// MaxRatio is the largest uncompressed:compressed ratio accepted for a
	// member bigger than 1 MiB (zip bombs run at 1000:1 and more).
	MaxRatio int64
	// MaxDepth is how deep archives inside archives are followed.
	MaxDepth int
	// MaxDirDepth is how deep skill discovery descends (OpenClaw: 6).
	MaxDirDepth int
	// MaxFilesPerSkill bounds the files read from one skill folder.
	MaxFilesPerSkill int
}

// DefaultLimits are generous for real skills (the largest ClawHub
// archives are a few MiB; OpenClaw itself refuses archives over 256 MiB).
func DefaultLimits() Limits {
	return Limits{
		MaxFileSize:       64 << 20,
		MaxArchiveBytes:   256 << 20,
		MaxArchiveEntries: 20000,
		MaxRatio:          200,
		MaxDepth:          3,
		MaxDirDepth:       8,
		MaxFilesPerSkill:  20000,
	}
}

// memFile is an archive member held in memory.
type memFile struct {
	path string
	data []byte
}

// problem is something wrong with the input itself (zip-slip, a device
// file, a bomb): it becomes a finding of a built-in rule.
type problem struct {
	rule   string
	file   string
	detail string
}

// Built-in rule IDs for problems found while reading, not by pattern.
const (
	ruleArchiveUnsafePath = "OC-SKL-201"
	ruleArchiveLink       = "OC-SKL-202"
	ruleSpecialFile       = "OC-SKL-203"
	ruleArchiveBomb       = "OC-SKL-204"
	ruleArchiveDepth      = "OC-SKL-205"
	ruleEncryptedArchive  = "OC-SKL-206"
	ruleExecutableBinary  = "OC-SKL-207"
	ruleOpaqueBinary      = "OC-SKL-208"
	ruleTooLarge          = "OC-SKL-209"
	ruleBadArchive        = "OC-SKL-210"
	ruleSymlink           = "OC-SKL-211"
	ruleInvalidUTF8       = "OC-SKL-212"
	ruleInstallNoHash     = "OC-SKL-213"
	ruleBadFrontMatter    = "OC-SKL-214"
	ruleIndicatorNetwork  = "OC-SKL-220"
	ruleIndicatorHandle   = "OC-SKL-221"
	ruleIndicatorHash     = "OC-SKL-222"
)

// archiveKind recognises an archive by magic bytes first, then by name.
func archiveKind(name string, head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "zip"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "tgz"
	case len(head) > 262 && string(head[257:262]) == "ustar":
		return "tar"
	}
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".zip"), strings.HasSuffix(n, ".skill"):
		return "zip"
	case strings.HasSuffix(n, ".tgz"), strings.HasSuffix(n, ".tar.gz"):
		return "tgz"
	case strings.HasSuffix(n, ".tar"):
		return "tar"
	}
	return ""
}

// safeMemberPath cleans an archive member name and reports whether it
// stays inside the archive root (no absolute path, no "..", no drive
// letter, no backslash traversal).
func safeMemberPath(name string) (string, bool) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", false
	}
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return "", false
	}
	c := path.Clean(n)
	if c == ".." || strings.HasPrefix(c, "../") || c == "." {
		return "", false
	}
	return c, true
}

// archiveReader reads archives into memory within limits; one per
// top-level archive, so the byte budget covers nested members too.
type archiveReader struct {
	lim      Limits
	budget   int64
	files    []memFile
	problems []problem
	entries  int
}

var errBudget = errors.New("archive exceeds the size limit")

// read adds the members of archive data (named name, at depth) to r.
func (r *archiveReader) read(name string, data []byte, kind string, depth int) {
	if depth > r.lim.MaxDepth {
		r.problems = append(r.problems, problem{ruleArchiveDepth, name, fmt.Sprintf("archive nested deeper than %d levels; not opened", r.lim.MaxDepth)})
		return
	}
	var err error
	switch kind {
	case "zip":
		err = r.readZip(name, data, depth)
	case "tgz":
		gz, gerr := gzip.NewReader(bytes.NewReader(data))
		if gerr != nil {
			err = gerr
			break
		}
		// Decompression is bounded by the budget: a gzip bomb stops at
		// the limit instead of filling memory.
		err = r.readTar(name, gz, int64(len(data)), depth)
	case "tar":
		err = r.readTar(name, bytes.NewReader(data), int64(len(data)), depth)
	}
	if err != nil {
		rule := ruleBadArchive
		if errors.Is(err, errBudget) {
			rule = ruleArchiveBomb
		}
		r.problems = append(r.problems, problem{rule, name, err.Error()})
	}
}

func (r *archiveReader) prefix(name string, depth int) string {
	if depth == 0 {
		return ""
	}
	return name + "!/"
}

func (r *archiveReader) member(outer string, depth int, rawName string, data []byte) {
	p, _ := safeMemberPath(rawName)
	full := r.prefix(outer, depth) + p
	if k := archiveKind(p, head(data)); k != "" {
		r.read(full, data, k, depth+1)
		return
	}
	r.files = append(r.files, memFile{path: full, data: data})
}

func head(b []byte) []byte {
	if len(b) > 512 {
		return b[:512]
	}
	return b
}

func (r *archiveReader) take(n int64) bool {
	if n > r.budget {
		r.budget = 0
		return false
	}
	r.budget -= n
	return true
}

func (r *archiveReader) readZip(name string, data []byte, depth int) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("read zip: %w", err)
	}
	pre := r.prefix(name, depth)
	for _, f := range zr.File {
		r.entries++
		if r.entries > r.lim.MaxArchiveEntries {
			return fmt.Errorf("%w: more than %d members", errBudget, r.lim.MaxArchiveEntries)
		}
		if _, ok := safeMemberPath(f.Name); !ok {
			r.problems = append(r.problems, problem{ruleArchiveUnsafePath, pre + f.Name, "member path escapes the archive root (zip-slip); rejected"})
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			continue
		case mode&fs.ModeSymlink != 0:
			r.problems = append(r.problems, problem{ruleArchiveLink, pre + f.Name, "symbolic link inside archive; rejected"})
			continue
		case !mode.IsRegular():
			r.problems = append(r.problems, problem{ruleSpecialFile, pre + f.Name, fmt.Sprintf("special file (%s) inside archive; rejected", mode.Type())})
			continue
		}
		if f.Flags&0x1 != 0 {
			r.problems = append(r.problems, problem{ruleEncryptedArchive, pre + f.Name, "password-protected (encrypted) archive member: its content cannot be vetted"})
			continue
		}
		if f.UncompressedSize64 > uint64(r.budget) {
			return fmt.Errorf("%w: member %s declares %d bytes", errBudget, f.Name, f.UncompressedSize64)
		}
		if f.UncompressedSize64 > 1<<20 && f.CompressedSize64 > 0 && int64(f.UncompressedSize64/f.CompressedSize64) > r.lim.MaxRatio {
			return fmt.Errorf("%w: member %s compresses %d:1 (bomb)", errBudget, f.Name, f.UncompressedSize64/f.CompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			r.problems = append(r.problems, problem{ruleBadArchive, pre + f.Name, err.Error()})
			continue
		}
		// Never trust the declared size: read at most budget+1 bytes.
		b, err := io.ReadAll(io.LimitReader(rc, r.budget+1))
		rc.Close()
		if err != nil {
			r.problems = append(r.problems, problem{ruleBadArchive, pre + f.Name, err.Error()})
			continue
		}
		if !r.take(int64(len(b))) {
			return fmt.Errorf("%w: member %s is larger than declared", errBudget, f.Name)
		}
		r.member(name, depth, f.Name, b)
	}
	return nil
}

func (r *archiveReader) readTar(name string, rd io.Reader, compressed int64, depth int) error {
	tr := tar.NewReader(rd)
	pre := r.prefix(name, depth)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		r.entries++
		if r.entries > r.lim.MaxArchiveEntries {
			return fmt.Errorf("%w: more than %d members", errBudget, r.lim.MaxArchiveEntries)
		}
		if _, ok := safeMemberPath(h.Name); !ok {
			r.problems = append(r.problems, problem{ruleArchiveUnsafePath, pre + h.Name, "member path escapes the archive root (path traversal); rejected"})
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			r.problems = append(r.problems, problem{ruleArchiveLink, pre + h.Name, "link inside archive (to " + h.Linkname + "); rejected"})
			continue
		case tar.TypeReg, '\x00': // '\x00' is the pre-POSIX regular file (TypeRegA)
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			continue
		default:
			r.problems = append(r.problems, problem{ruleSpecialFile, pre + h.Name, fmt.Sprintf("special file (type %q) inside archive; rejected", h.Typeflag)})
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, r.budget+1))
		if err != nil {
			return fmt.Errorf("read tar member %s: %w", h.Name, err)
		}
		if !r.take(int64(len(b))) {
			return fmt.Errorf("%w: member %s", errBudget, h.Name)
		}
		total += int64(len(b))
		if total > 1<<20 && compressed > 0 && total/compressed > r.lim.MaxRatio {
			return fmt.Errorf("%w: expands %d:1 (bomb)", errBudget, total/compressed)
		}
		r.member(name, depth, h.Name, b)
	}
}

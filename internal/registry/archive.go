package registry

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Publish limits: the clawhub CLI's own (10 MB a file, 50 MB a skill),
// plus bounds on entries and on the zip decoder's expansion.
const (
	MaxFileBytes   = 10 << 20
	MaxSkillBytes  = 50 << 20
	MaxFiles       = 2000
	MaxPathLen     = 512
	MaxPathDepth   = 32
	maxZipRatio    = 200
	maxArchiveRead = MaxSkillBytes + 1<<20
)

// InputError is bad publish input: the client gets it as a 400 with the
// message, and nothing is stored.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, a ...any) error { return &InputError{fmt.Sprintf(format, a...)} }

// CleanPath checks a file path of a skill: relative, slash-separated,
// no empty, "." or ".." segments, no backslash, no control characters, a
// bounded length and depth. It returns the path unchanged or an error:
// anything a client might resolve outside the skill folder is refused,
// never rewritten.
func CleanPath(p string) (string, error) {
	switch {
	case p == "":
		return "", inputErrorf("empty file path")
	case len(p) > MaxPathLen:
		return "", inputErrorf("file path longer than %d bytes", MaxPathLen)
	case !utf8.ValidString(p):
		return "", inputErrorf("file path %q is not UTF-8", p)
	case strings.HasPrefix(p, "/"):
		return "", inputErrorf("file path %q is absolute", p)
	case strings.ContainsRune(p, '\\'):
		return "", inputErrorf("file path %q has a backslash", p)
	case len(p) >= 2 && p[1] == ':':
		return "", inputErrorf("file path %q has a drive letter", p)
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return "", inputErrorf("file path %q has a control character", p)
		}
	}
	segs := strings.Split(p, "/")
	if len(segs) > MaxPathDepth {
		return "", inputErrorf("file path %q is nested deeper than %d", p, MaxPathDepth)
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", inputErrorf("file path %q escapes the skill folder or has an empty segment", p)
		}
	}
	return p, nil
}

// skillFileNames are the names OpenClaw accepts as the skill file, in its
// order of preference.
var skillFileNames = []string{"SKILL.md", "skill.md", "skills.md", "SKILL.MD"}

// SkillFile returns the top-level skill file's name, or "".
func SkillFile(files map[string][]byte) string {
	for _, n := range skillFileNames {
		if _, ok := files[n]; ok {
			return n
		}
	}
	return ""
}

// CheckFiles validates a skill's file set as a whole.
func CheckFiles(files map[string][]byte) error {
	if len(files) == 0 {
		return inputErrorf("no files")
	}
	if len(files) > MaxFiles {
		return inputErrorf("%d files: at most %d", len(files), MaxFiles)
	}
	var total int64
	lower := map[string]string{}
	for p, b := range files {
		if _, err := CleanPath(p); err != nil {
			return err
		}
		if len(b) > MaxFileBytes {
			return inputErrorf("%s: %d bytes, at most %d per file", p, len(b), MaxFileBytes)
		}
		total += int64(len(b))
		// A file and a folder of one name cannot both exist on disk.
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := files[d]; ok {
				return inputErrorf("%s is both a file and a folder", d)
			}
		}
		// Case-insensitive file systems would merge these.
		if q, ok := lower[strings.ToLower(p)]; ok {
			return inputErrorf("%s and %s differ only in case", q, p)
		}
		lower[strings.ToLower(p)] = p
	}
	if total > MaxSkillBytes {
		return inputErrorf("%d bytes in all, at most %d per skill", total, MaxSkillBytes)
	}
	if SkillFile(files) == "" {
		return inputErrorf("no SKILL.md at the top of the skill")
	}
	return nil
}

// zipEpoch is the fixed timestamp of every entry (as the public server).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildArchive writes the deterministic ZIP the registry serves: files at
// the root (no wrapper folder, no _meta.json), entries sorted by path,
// fixed timestamps and modes, deflate. The same files always give the
// same bytes, so the archive SHA-256 OpenClaw records is known at publish.
func BuildArchive(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: zipEpoch}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", n, err)
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, fmt.Errorf("zip %s: %w", n, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeArchive unpacks an uploaded skill ZIP in memory, refusing rather
// than repairing anything unsafe: absolute or escaping paths (zip slip),
// symlinks and other non-regular entries, duplicate names, files over the
// limits, too many entries, and members that expand beyond their declared
// size or a sane ratio (bombs). A single top folder holding SKILL.md is
// unwrapped (the layouts OpenClaw accepts); dot-paths and folders are
// dropped as the CLI drops them at publish.
func DecodeArchive(data []byte) (map[string][]byte, error) {
	if len(data) > maxArchiveRead {
		return nil, inputErrorf("archive of %d bytes: at most %d", len(data), maxArchiveRead)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, inputErrorf("not a ZIP archive: %v", err)
	}
	if len(zr.File) > MaxFiles*2 {
		return nil, inputErrorf("archive has %d entries: at most %d", len(zr.File), MaxFiles*2)
	}
	files := map[string][]byte{}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		mode := f.Mode()
		if strings.HasSuffix(name, "/") && (mode.IsDir() || mode&^0o7777 == 0 || f.UncompressedSize64 == 0) {
			if _, err := CleanPath(strings.TrimSuffix(name, "/")); err != nil && name != "/" {
				return nil, err
			}
			continue
		}
		if _, err := CleanPath(name); err != nil {
			return nil, err
		}
		if !mode.IsRegular() {
			return nil, inputErrorf("%s: not a regular file (%s): symlinks and special files are refused", name, mode.Type())
		}
		if f.UncompressedSize64 > MaxFileBytes {
			return nil, inputErrorf("%s: %d bytes, at most %d per file", name, f.UncompressedSize64, MaxFileBytes)
		}
		if f.CompressedSize64 > 0 && f.UncompressedSize64 > 1<<20 && f.UncompressedSize64/f.CompressedSize64 > maxZipRatio {
			return nil, inputErrorf("%s: compression ratio over %d:1 (archive bomb)", name, maxZipRatio)
		}
		if _, dup := files[name]; dup {
			return nil, inputErrorf("%s: duplicate entry", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, inputErrorf("%s: %v", name, err)
		}
		// Read one byte past the declared size: a member that expands
		// beyond what its header says is a lie and is refused.
		b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		rc.Close()
		if err != nil {
			return nil, inputErrorf("%s: %v", name, err)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			return nil, inputErrorf("%s: expands to more than its declared %d bytes", name, f.UncompressedSize64)
		}
		total += int64(len(b))
		if total > MaxSkillBytes {
			return nil, inputErrorf("archive expands to more than %d bytes", MaxSkillBytes)
		}
		files[name] = b
	}
	files = unwrap(files)
	for p := range files {
		if dotPath(p) {
			delete(files, p)
		}
	}
	if err := CheckFiles(files); err != nil {
		return nil, err
	}
	return files, nil
}

// unwrap removes a single top-level folder when the skill file is inside
// it and not at the root.
func unwrap(files map[string][]byte) map[string][]byte {
	if SkillFile(files) != "" {
		return files
	}
	top := ""
	for p := range files {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return files
		}
		if top != "" && p[:i] != top {
			return files
		}
		top = p[:i]
	}
	if top == "" {
		return files
	}
	out := make(map[string][]byte, len(files))
	for p, b := range files {
		out[strings.TrimPrefix(p, top+"/")] = b
	}
	return out
}

// dotPath reports a path the CLI never uploads: any dot segment and
// node_modules (and so never fingerprints).
func dotPath(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, ".") || s == "node_modules" {
			return true
		}
	}
	return false
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Fingerprint is the clawhub CLI's bundle fingerprint (§7.1): the files'
// "<path>:<sha256>" lines sorted as JavaScript's localeCompare sorts them
// (ICU root collation, which x/text's CLDR collator follows), joined by
// newlines and hashed. /api/v1/resolve matches installs by it.
func Fingerprint(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for p := range files {
		if !dotPath(p) {
			names = append(names, p)
		}
	}
	c := collate.New(language.Und)
	sort.SliceStable(names, func(i, j int) bool {
		if r := c.CompareString(names[i], names[j]); r != 0 {
			return r < 0
		}
		return names[i] < names[j]
	})
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = n + ":" + sha256Hex(files[n])
	}
	return sha256Hex([]byte(strings.Join(lines, "\n")))
}

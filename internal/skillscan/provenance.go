package skillscan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf16"
)

// OfficialRegistry is ClawHub's public registry URL as OpenClaw records it.
const OfficialRegistry = "https://clawhub.ai"

// Origin is <skill>/.clawhub/origin.json (OpenClaw 2026.9.6 and the
// clawhub CLI write the same file; unknown keys are ignored).
type Origin struct {
	Version            int    `json:"version"`
	Registry           string `json:"registry"`
	Slug               string `json:"slug"`
	OwnerHandle        string `json:"ownerHandle"`
	InstalledVersion   string `json:"installedVersion"`
	InstalledAt        int64  `json:"installedAt"`
	RequestedReference string `json:"requestedReference"`
	TrustState         string `json:"trustState"`
	SourceURL          string `json:"sourceUrl"`
	Fingerprint        string `json:"fingerprint"`
	Artifact           *struct {
		Kind      string `json:"kind"`
		SHA256    string `json:"sha256"`
		Integrity string `json:"integrity"`
	} `json:"artifact"`
	SkillFile *struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"skillFile"`
	FileTreeSHA256 string `json:"fileTreeSha256"`
	// File is where it was read (set by the reader).
	File string `json:"-"`
}

// LockEntry is one skills.<key> entry of <workspace>/.clawhub/lock.json.
type LockEntry struct {
	Version        string `json:"version"`
	Registry       string `json:"registry"`
	OwnerHandle    string `json:"ownerHandle"`
	TrustState     string `json:"trustState"`
	FileTreeSHA256 string `json:"fileTreeSha256"`
	Artifact       *struct {
		Integrity string `json:"integrity"`
	} `json:"artifact"`
	File string `json:"-"`
}

// Provenance is what the install records say about one skill folder.
type Provenance struct {
	Origin *Origin
	Lock   *LockEntry
	// TreeSHA256 is fileTreeSha256 recomputed from disk ("" if not
	// computed); TreeErr says why it could not be.
	TreeSHA256 string
	TreeErr    error
	// ReadErrs are unreadable or unparseable records.
	ReadErrs []error
}

// ReadProvenance reads the ClawHub records of the skill folder dir and, if
// the origin records a fileTreeSha256, recomputes it from disk.
func ReadProvenance(dir string) *Provenance {
	p := &Provenance{}
	for _, d := range []string{".clawhub", ".clawdhub"} {
		f := filepath.Join(dir, d, "origin.json")
		b, err := readSmall(f)
		if err != nil {
			if !os.IsNotExist(err) {
				p.ReadErrs = append(p.ReadErrs, fmt.Errorf("read %s: %w", f, err))
			}
			continue
		}
		var o Origin
		if err := json.Unmarshal(b, &o); err != nil {
			p.ReadErrs = append(p.ReadErrs, fmt.Errorf("parse %s: %w", f, err))
			continue
		}
		o.File = f
		p.Origin = &o
		break
	}
	// <root>/skills/<slug> -> <root>/.clawhub/lock.json
	root := filepath.Dir(filepath.Dir(dir))
	slug := filepath.Base(dir)
	if p.Origin != nil && p.Origin.Slug != "" {
		slug = p.Origin.Slug
	}
	for _, d := range []string{".clawhub", ".clawdhub"} {
		f := filepath.Join(root, d, "lock.json")
		b, err := readSmall(f)
		if err != nil {
			continue
		}
		var lf struct {
			Skills map[string]json.RawMessage `json:"skills"`
		}
		if err := json.Unmarshal(b, &lf); err != nil {
			p.ReadErrs = append(p.ReadErrs, fmt.Errorf("parse %s: %w", f, err))
			continue
		}
		for k, raw := range lf.Skills {
			key := k
			if i := strings.LastIndexByte(k, '/'); i >= 0 {
				key = k[i+1:]
			}
			if key != slug {
				continue
			}
			var le LockEntry
			if err := json.Unmarshal(raw, &le); err == nil {
				le.File = f
				p.Lock = &le
			}
		}
		break
	}
	if p.Origin != nil && p.Origin.FileTreeSHA256 != "" {
		p.TreeSHA256, p.TreeErr = FileTreeSHA256(dir)
	}
	return p
}

// FileTreeSHA256 computes OpenClaw's fileTreeSha256 of a skill folder
// (clawhub-protocol.md §7.2): a depth-first walk, names at each level in
// JavaScript string order (UTF-16 code units), only the top-level
// .clawhub and .clawdhub skipped, one entry per folder before its
// contents and per file with the SHA-256 of its bytes, serialised as
// JSON.stringify does (no whitespace, non-ASCII raw), then hashed.
// Symlinks, special files and hard-linked files are errors, as in
// OpenClaw.
func FileTreeSHA256(dir string) (string, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	first := true
	var walk func(abs, rel string, top bool) error
	walk = func(abs, rel string, top bool) error {
		ents, err := os.ReadDir(abs)
		if err != nil {
			return fmt.Errorf("read %s: %w", abs, err)
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if top && (e.Name() == ".clawhub" || e.Name() == ".clawdhub") {
				continue
			}
			names = append(names, e.Name())
		}
		sort.Slice(names, func(i, j int) bool { return jsLess(names[i], names[j]) })
		for _, n := range names {
			p := filepath.Join(abs, n)
			r := n
			if rel != "" {
				r = rel + "/" + n
			}
			st, err := os.Lstat(p)
			if err != nil {
				return fmt.Errorf("stat %s: %w", p, err)
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			switch {
			case st.Mode()&fs.ModeSymlink != 0:
				return fmt.Errorf("%s: symbolic link in skill folder", r)
			case st.IsDir():
				fmt.Fprintf(&buf, `{"path":%s,"type":"directory"}`, jsString(r))
				if err := walk(p, r, false); err != nil {
					return err
				}
			case st.Mode().IsRegular():
				if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
					return fmt.Errorf("%s: hard-linked file in skill folder", r)
				}
				h, err := hashFile(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(&buf, `{"path":%s,"type":"file","sha256":"%s"}`, jsString(r), h)
			default:
				return fmt.Errorf("%s: special file in skill folder", r)
			}
		}
		return nil
	}
	if err := walk(dir, "", true); err != nil {
		return "", err
	}
	buf.WriteByte(']')
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsLess is JavaScript's a < b on strings: UTF-16 code-unit order, which
// differs from Go's byte order for characters above U+FFFF.
func jsLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// jsString quotes s as JSON.stringify does: only '"', '\\' and control
// characters are escaped (Go's encoding/json also escapes <, >, & and
// U+2028/2029, which would change the hash).
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

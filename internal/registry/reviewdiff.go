package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Bounds of the version diff on the review page: a skill may hold 2,000
// files of 10 MB, and the page must stay readable and cheap to build.
const (
	// diffFileMax is the largest side of a file that gets a text diff.
	diffFileMax = 256 << 10
	// diffFileLines and diffTotalLines cap the diff lines shown per file
	// and per page; what is cut is said, never silently dropped.
	diffFileLines  = 400
	diffTotalLines = 3000
	// diffContext is the unchanged lines kept around each change.
	diffContext = 3
)

// FileChange is one file that differs between two versions.
type FileChange struct {
	Path string
	// Kind is added, removed or changed.
	Kind             string
	OldSize, NewSize int64
	// Hunks is the unified text diff (changed text files only).
	Hunks []DiffHunk
	// NoText says why a changed file has no text diff: binary,
	// too_large, cut_page (the page's line budget ran out) or unreadable.
	NoText string
	// Cut says the diff was cut at diffFileLines.
	Cut bool
}

// DiffHunk is one hunk of a unified diff; From and To are its first line
// numbers in the old and new file, Header its "@@ -a,b +c,d @@" line.
type DiffHunk struct {
	From, To int
	Header   string
	Lines    []DiffLine
}

func (h *DiffHunk) setHeader() {
	nf, nt := 0, 0
	for _, l := range h.Lines {
		if l.Op != "+" {
			nf++
		}
		if l.Op != "-" {
			nt++
		}
	}
	h.Header = fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.From, nf, h.To, nt)
}

// DiffLine is one line of a hunk: Op is "+", "-" or " ".
type DiffLine struct {
	Op   string
	Text string
}

// VersionDiff is what changed from Old to New.
type VersionDiff struct {
	Old, New Version
	Changes  []FileChange
	// Same counts the unchanged files.
	Same int
}

// DiffFiles compares two file lists by path and hash; file bytes are
// fetched through read (path, sha256 -> bytes) only for changed files
// that may get a text diff.
func DiffFiles(oldFiles, newFiles []FileMeta, read func(side int, f FileMeta) ([]byte, error)) ([]FileChange, int) {
	om := map[string]FileMeta{}
	for _, f := range oldFiles {
		om[f.Path] = f
	}
	nm := map[string]FileMeta{}
	for _, f := range newFiles {
		nm[f.Path] = f
	}
	var out []FileChange
	same := 0
	for _, f := range newFiles {
		o, ok := om[f.Path]
		switch {
		case !ok:
			out = append(out, FileChange{Path: f.Path, Kind: "added", NewSize: f.Size})
		case o.SHA256 == f.SHA256:
			same++
		default:
			out = append(out, FileChange{Path: f.Path, Kind: "changed", OldSize: o.Size, NewSize: f.Size})
		}
	}
	for _, f := range oldFiles {
		if _, ok := nm[f.Path]; !ok {
			out = append(out, FileChange{Path: f.Path, Kind: "removed", OldSize: f.Size})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	budget := diffTotalLines
	for i := range out {
		c := &out[i]
		if c.Kind != "changed" {
			continue
		}
		switch {
		case c.OldSize > diffFileMax || c.NewSize > diffFileMax:
			c.NoText = "too_large"
			continue
		case budget <= 0:
			c.NoText = "cut_page"
			continue
		}
		a, errA := read(0, om[c.Path])
		b, errB := read(1, nm[c.Path])
		if errA != nil || errB != nil {
			c.NoText = "unreadable"
			continue
		}
		if !isText(a) || !isText(b) {
			c.NoText = "binary"
			continue
		}
		c.Hunks, c.Cut = textDiff(string(a), string(b), min(diffFileLines, budget))
		for _, h := range c.Hunks {
			budget -= len(h.Lines)
		}
	}
	return out, same
}

// isText is valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// textDiff is the unified line diff of a and b (udiff: the Myers diff of
// gopls), at most maxLines lines; cut reports that lines were left out.
func textDiff(a, b string, maxLines int) (hunks []DiffHunk, cut bool) {
	edits := udiff.Lines(a, b)
	u, err := udiff.ToUnifiedDiff("a", "b", a, edits, diffContext)
	if err != nil {
		return nil, false
	}
	n := 0
	for _, h := range u.Hunks {
		dh := DiffHunk{From: h.FromLine, To: h.ToLine}
		for _, l := range h.Lines {
			if n >= maxLines {
				if len(dh.Lines) > 0 {
					dh.setHeader()
					hunks = append(hunks, dh)
				}
				return hunks, true
			}
			op := " "
			switch l.Kind {
			case udiff.Insert:
				op = "+"
			case udiff.Delete:
				op = "-"
			}
			dh.Lines = append(dh.Lines, DiffLine{Op: op, Text: strings.TrimSuffix(l.Content, "\n")})
			n++
		}
		dh.setHeader()
		hunks = append(hunks, dh)
	}
	return hunks, false
}

// diffVersions compares v with the previous approved version of its slug
// (nil when there is none). File bytes come from the stored archives,
// which are re-hashed on read like every blob.
func (s *Server) diffVersions(ctx context.Context, v Version) (*VersionDiff, error) {
	old, err := s.o.Store.PreviousApproved(ctx, v)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	d := &VersionDiff{Old: old, New: v}
	var archives [2]map[string][]byte
	var loadErr [2]error
	loaded := [2]bool{}
	read := func(side int, f FileMeta) ([]byte, error) {
		if !loaded[side] {
			loaded[side] = true
			sum := old.ArchiveSHA256
			if side == 1 {
				sum = v.ArchiveSHA256
			}
			data, err := s.o.Blobs.Get(sum, MaxSkillBytes*2)
			if err == nil {
				archives[side], err = DecodeArchive(data)
			}
			loadErr[side] = err
		}
		if loadErr[side] != nil {
			return nil, loadErr[side]
		}
		b, ok := archives[side][f.Path]
		if !ok {
			return nil, fmt.Errorf("%s: not in the archive", f.Path)
		}
		return b, nil
	}
	d.Changes, d.Same = DiffFiles(old.Files, v.Files, read)
	return d, nil
}

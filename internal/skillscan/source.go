package skillscan

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// fileRef is one file of a unit: on disk (osPath) or in memory (data).
type fileRef struct {
	rel    string // slash path inside the skill, shown in findings
	osPath string
	data   []byte
	size   int64
	inMem  bool
}

// unit is one skill (or plugin folder) to scan.
type unit struct {
	name     string
	source   string // what the user named, or the installed dir
	dir      string // on-disk skill folder ("" for archives and files)
	files    []fileRef
	problems []problem
	// errs are reasons the unit could not be fully read.
	errs []string
	// pending means the folder dir has not been listed yet: listing is
	// left to the scan worker so that walking thousands of skills runs in
	// parallel too.
	pending bool
}

// load lists a pending folder unit.
func (u *unit) load(lim Limits) {
	if !u.pending {
		return
	}
	l := readDirUnit(u.dir, lim)
	l.name, l.source = u.name, u.source
	l.errs = append(u.errs, l.errs...)
	*u = *l
}

var skillFileNames = []string{"SKILL.md", "skill.md", "skills.md", "SKILL.MD"}

func isSkillFile(name string) bool {
	for _, n := range skillFileNames {
		if name == n {
			return true
		}
	}
	return false
}

// skipDir names folders never loaded as skill content. .git is history,
// not what runs; node_modules is dependency code OpenClaw also skips.
func skipDir(name string) bool {
	return name == ".git" || name == "node_modules" || name == ".clawhub" || name == ".clawdhub"
}

// discover turns one user-supplied path into units.
func discover(p string, lim Limits) ([]*unit, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", p, err)
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		// A symlink named on the command line is the user's choice:
		// follow it, but only to a directory or regular file.
		st, err = os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", p, err)
		}
		if !st.IsDir() && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("scan %s: not a regular file or directory", p)
		}
		fallthrough
	case st.IsDir() || st.Mode().IsRegular():
		if st.IsDir() {
			return discoverDir(p, lim)
		}
		return discoverFile(p, st, lim)
	default:
		return nil, fmt.Errorf("scan %s: not a regular file or directory (%s)", p, st.Mode().Type())
	}
}

func discoverFile(p string, st fs.FileInfo, lim Limits) ([]*unit, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", p, err)
	}
	defer f.Close()
	hd := make([]byte, 512)
	n, _ := io.ReadFull(f, hd)
	hd = hd[:n]
	kind := archiveKind(filepath.Base(p), hd)
	if kind == "" {
		name := filepath.Base(filepath.Dir(p))
		if !isSkillFile(filepath.Base(p)) {
			name = filepath.Base(p)
		}
		return []*unit{{name: name, source: p, files: []fileRef{{rel: filepath.Base(p), osPath: p, size: st.Size()}}}}, nil
	}
	if st.Size() > lim.MaxArchiveBytes {
		u := &unit{name: filepath.Base(p), source: p}
		u.problems = append(u.problems, problem{ruleArchiveBomb, filepath.Base(p), fmt.Sprintf("archive is %d bytes, over the %d-byte limit; not opened", st.Size(), lim.MaxArchiveBytes)})
		u.errs = append(u.errs, "archive over the size limit")
		return []*unit{u}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("scan %s: %w", p, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxArchiveBytes+1))
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", p, err)
	}
	return unitsFromArchive(filepath.Base(p), p, data, kind, lim), nil
}

// unitsFromArchive reads an archive in memory and splits it into skills:
// every folder holding a SKILL.md is one; an archive without any is one
// unit (still scanned: a payload does not need a SKILL.md to be bad).
func unitsFromArchive(name, source string, data []byte, kind string, lim Limits) []*unit {
	ar := &archiveReader{lim: lim, budget: lim.MaxArchiveBytes}
	ar.read(name, data, kind, 0)
	roots := map[string]bool{}
	for _, f := range ar.files {
		if isSkillFile(path.Base(f.path)) && !strings.Contains(f.path, "!/") {
			roots[path.Dir(f.path)] = true
		}
	}
	rootList := outermost(roots)
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, ".zip"), ".tgz"), ".tar.gz")
	byRoot := map[string]*unit{}
	var units []*unit
	get := func(p string) (*unit, string) {
		root := ""
		for _, r := range rootList {
			if r == "." || p == r || strings.HasPrefix(p, r+"/") {
				root = r
				break
			}
		}
		if root == "" && len(rootList) > 0 {
			// Files outside every skill folder are still scanned, with the
			// first skill, so nothing in the archive goes unread.
			root = rootList[0]
		}
		u, ok := byRoot[root]
		if !ok {
			u = &unit{name: base, source: source}
			if root != "" && root != "." {
				u.name = path.Base(root)
				u.source = source + "!/" + root
			}
			byRoot[root] = u
			units = append(units, u)
		}
		return u, root
	}
	for _, f := range ar.files {
		u, root := get(f.path)
		rel := f.path
		if root != "" && root != "." && strings.HasPrefix(rel, root+"/") {
			rel = rel[len(root)+1:]
		}
		u.files = append(u.files, fileRef{rel: rel, data: f.data, size: int64(len(f.data)), inMem: true})
	}
	if len(units) == 0 {
		get("")
	}
	// Problems belong to the whole archive; attach them to the first unit
	// so they are reported once.
	units[0].problems = append(units[0].problems, ar.problems...)
	for _, p := range ar.problems {
		if p.rule == ruleBadArchive || p.rule == ruleArchiveBomb {
			units[0].errs = append(units[0].errs, p.file+": "+p.detail)
		}
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].source < units[j].source })
	return units
}

// outermost keeps the roots not nested inside another root, sorted.
func outermost(roots map[string]bool) []string {
	var list []string
	for r := range roots {
		list = append(list, r)
	}
	sort.Strings(list)
	var out []string
	for _, r := range list {
		nested := false
		for _, o := range out {
			if o == "." || strings.HasPrefix(r, o+"/") {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, r)
		}
	}
	return out
}

// discoverDir finds the skills under dir: dir itself when it holds a
// SKILL.md, otherwise every outermost folder with one (up to MaxDirDepth
// levels), otherwise dir as one unit.
func discoverDir(dir string, lim Limits) ([]*unit, error) {
	for _, n := range skillFileNames {
		if st, err := os.Lstat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return []*unit{readDirUnit(dir, lim)}, nil
		}
	}
	roots := map[string]bool{}
	var walkErr []string
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if depth > lim.MaxDirDepth {
			return
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			walkErr = append(walkErr, err.Error())
			return
		}
		for _, e := range ents {
			if e.IsDir() && !skipDir(e.Name()) {
				sub := filepath.Join(d, e.Name())
				if hasSkillFile(sub) {
					roots[sub] = true
					continue
				}
				walk(sub, depth+1)
			}
		}
	}
	walk(dir, 1)
	if len(roots) == 0 {
		u := readDirUnit(dir, lim)
		u.errs = append(u.errs, walkErr...)
		return []*unit{u}, nil
	}
	var list []string
	for r := range roots {
		list = append(list, r)
	}
	sort.Strings(list)
	units := make([]*unit, 0, len(list))
	for _, r := range list {
		units = append(units, &unit{name: filepath.Base(r), source: r, dir: r, pending: true})
	}
	if len(walkErr) > 0 {
		units[0].errs = append(units[0].errs, walkErr...)
	}
	return units, nil
}

func hasSkillFile(d string) bool {
	for _, n := range skillFileNames {
		if st, err := os.Lstat(filepath.Join(d, n)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// readDirUnit lists one skill folder without following symlinks. Archives
// inside it are opened in memory and their members become files of the
// same skill.
func readDirUnit(dir string, lim Limits) *unit {
	u := &unit{name: filepath.Base(dir), source: dir, dir: dir}
	count := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			u.errs = append(u.errs, fmt.Sprintf("%s: %v", rel, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && skipDir(d.Name()) {
				return fs.SkipDir
			}
			if strings.Count(rel, "/") >= lim.MaxDirDepth+4 {
				u.problems = append(u.problems, problem{ruleArchiveDepth, rel, "folder nesting too deep; not descended"})
				u.errs = append(u.errs, rel+": folder nesting too deep")
				return fs.SkipDir
			}
			return nil
		}
		t := d.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			u.problems = append(u.problems, problem{ruleSymlink, rel, "symbolic link to " + target + " (not followed)"})
			return nil
		case !t.IsRegular():
			u.problems = append(u.problems, problem{ruleSpecialFile, rel, fmt.Sprintf("special file (%s); not read", t)})
			return nil
		}
		count++
		if count > lim.MaxFilesPerSkill {
			if count == lim.MaxFilesPerSkill+1 {
				u.errs = append(u.errs, fmt.Sprintf("more than %d files; the rest were not scanned", lim.MaxFilesPerSkill))
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			u.errs = append(u.errs, fmt.Sprintf("%s: %v", rel, err))
			return nil
		}
		if kind := archiveKindOfFile(p, rel); kind != "" && info.Size() <= lim.MaxArchiveBytes {
			data, err := os.ReadFile(p)
			if err != nil {
				u.errs = append(u.errs, fmt.Sprintf("%s: %v", rel, err))
				return nil
			}
			ar := &archiveReader{lim: lim, budget: lim.MaxArchiveBytes}
			ar.read(rel, data, kind, 1)
			for _, f := range ar.files {
				u.files = append(u.files, fileRef{rel: f.path, data: f.data, size: int64(len(f.data)), inMem: true})
			}
			u.problems = append(u.problems, ar.problems...)
			for _, pr := range ar.problems {
				if pr.rule == ruleBadArchive || pr.rule == ruleArchiveBomb {
					u.errs = append(u.errs, pr.file+": "+pr.detail)
				}
			}
			// The archive bytes themselves are scanned too (a lure may
			// sit in a zip comment).
		}
		u.files = append(u.files, fileRef{rel: rel, osPath: p, size: info.Size()})
		return nil
	})
	if err != nil {
		u.errs = append(u.errs, err.Error())
	}
	return u
}

func archiveKindOfFile(p, rel string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	hd := make([]byte, 512)
	n, _ := io.ReadFull(f, hd)
	return archiveKind(rel, hd[:n])
}

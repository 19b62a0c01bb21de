package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// maxWalk bounds how many entries a recursive mode fix visits.
const maxWalk = 20000

// modeTarget is one path whose mode matters and the check that judges it.
type modeTarget struct {
	path    string // deployment path
	check   string
	recurse bool
}

func (p *Plan) modeTargets() []modeTarget {
	st := p.StateDir
	creds := p.inv.Paths.CredentialsDir
	if creds == "" {
		creds = path.Join(st, "credentials")
	}
	t := []modeTarget{
		{st, "CG-FS-001", false},
		{p.ConfigPath, "CG-FS-002", false},
		{path.Join(st, ".env"), "CG-FS-004", false},
		{path.Join(st, "secrets.json"), "CG-FS-004", false},
		{creds, "CG-FS-004", true},
		{path.Join(st, "state"), "CG-FS-007", true},
		{path.Join(st, "logs"), "CG-LOG-003", true},
	}
	if p.cfg != nil {
		for _, inc := range p.cfg.Includes {
			t = append(t, modeTarget{inc, "CG-FS-003", false})
		}
	}
	if lf, _ := p.cfg.String("logging.file"); lf != "" && !sharedTmp(lf) && path.IsAbs(lf) {
		t = append(t, modeTarget{lf, "CG-LOG-003", false})
	}
	if ents, err := os.ReadDir(p.hostPath(path.Join(st, "agents"))); err == nil {
		t = append(t, modeTarget{path.Join(st, "agents"), "CG-FS-005", false})
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			ag := path.Join(st, "agents", e.Name())
			t = append(t, modeTarget{ag, "CG-FS-005", false}, modeTarget{path.Join(ag, "agent"), "CG-FS-005", true}, modeTarget{path.Join(ag, "sessions"), "CG-FS-006", true})
		}
	}
	// Whatever else the inventory stat-ed, by role.
	role := map[string]string{"state-dir": "CG-FS-001", "config": "CG-FS-002", "include": "CG-FS-003", "credentials-dir": "CG-FS-004", "credential": "CG-FS-004", "env-file": "CG-FS-004", "agent-dir": "CG-FS-005", "sqlite": "CG-FS-007", "log": "CG-LOG-003", "log-dir": "CG-LOG-003"}
	var keys []string
	for k := range p.inv.Files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := p.inv.Files[k]
		if c, ok := role[f.Role]; ok && f.Exists && !sharedTmp(f.Path) {
			t = append(t, modeTarget{f.Path, c, false})
		}
	}
	return t
}

// expectedOwner is who should own the deployment: the state dir's owner,
// or the gateway process's user when root owns the state dir. ok is false
// when clawgov cannot change owners (not root) or cannot tell.
func (p *Plan) expectedOwner() (uid, gid int, ok bool) {
	if os.Geteuid() != 0 || p.opts.Rootfs != "" {
		return 0, 0, false
	}
	fi, err := os.Stat(p.hostPath(p.StateDir))
	if err != nil {
		return 0, 0, false
	}
	st, isSys := fi.Sys().(*syscall.Stat_t)
	if !isSys {
		return 0, 0, false
	}
	uid, gid = int(st.Uid), int(st.Gid)
	if uid == 0 && p.hostF != nil {
		for _, pr := range p.hostF.Processes {
			if pr.UID > 0 {
				uid = pr.UID
				if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
					if g, err := strconv.Atoi(u.Gid); err == nil {
						gid = g
					}
				}
				break
			}
		}
	}
	if uid == 0 {
		return 0, 0, false // root-owned and run by root: nothing to hand back
	}
	return uid, gid, true
}

func (p *Plan) modeActions() []*Action {
	seen := map[string]bool{}
	byCheck := map[string]*Action{}
	var order []string
	ownUID, ownGID, chown := p.expectedOwner()
	var owner *Action
	visit := func(dp, check string, fi fs.FileInfo) {
		if seen[dp] || fi.Mode()&fs.ModeSymlink != 0 || !(fi.IsDir() || fi.Mode().IsRegular()) {
			return
		}
		seen[dp] = true
		st, _ := fi.Sys().(*syscall.Stat_t)
		uid, gid := -1, -1
		if st != nil {
			uid, gid = int(st.Uid), int(st.Gid)
		}
		old := fi.Mode()
		newMode := old
		if fi.IsDir() {
			if old.Perm()&0o077 != 0 {
				newMode = old&^fs.ModePerm | 0o700
			}
		} else if old.Perm()&0o077 != 0 {
			newMode = old &^ 0o077
		}
		if newMode != old {
			a := byCheck[check]
			if a == nil {
				a = p.newAction("modes:"+check, []string{check}, tr(p.Lang, "modes.summary"), tr(p.Lang, "modes.risk"), false)
				byCheck[check] = a
				order = append(order, check)
			}
			a.modes = append(a.modes, modeChange{file: dp, isDir: fi.IsDir(), oldMode: old, newMode: newMode, oldUID: uid, oldGID: gid, uid: -1, gid: -1})
			a.Changes = append(a.Changes, Change{Kind: "mode", File: dp, Old: fmt.Sprintf("%04o", old.Perm()), New: fmt.Sprintf("%04o", newMode.Perm())})
		}
		if chown && st != nil && (uid != ownUID || gid != ownGID) {
			if owner == nil {
				owner = p.newAction("owner", []string{"CG-PRV-004"}, tr(p.Lang, "owner.summary", fmt.Sprintf("%d:%d", ownUID, ownGID)), tr(p.Lang, "modes.risk"), false)
			}
			owner.modes = append(owner.modes, modeChange{file: dp, isDir: fi.IsDir(), oldMode: old, newMode: old, oldUID: uid, oldGID: gid, uid: ownUID, gid: ownGID})
			owner.Changes = append(owner.Changes, Change{Kind: "owner", File: dp, Old: fmt.Sprintf("%d:%d", uid, gid), New: fmt.Sprintf("%d:%d", ownUID, ownGID)})
		}
	}
	count := 0
	for _, t := range p.modeTargets() {
		hp := p.hostPath(t.path)
		fi, err := os.Lstat(hp)
		if err != nil {
			continue
		}
		visit(t.path, t.check, fi)
		if !t.recurse || !fi.IsDir() {
			continue
		}
		_ = filepath.WalkDir(hp, func(h string, d fs.DirEntry, err error) error {
			if err != nil || h == hp {
				return nil
			}
			count++
			if count > maxWalk {
				return filepath.SkipAll
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(hp, h)
			visit(path.Join(t.path, filepath.ToSlash(rel)), t.check, info)
			return nil
		})
	}
	var out []*Action
	for _, c := range order {
		out = append(out, byCheck[c])
	}
	if owner != nil {
		out = append(out, owner)
	}
	return out
}

// ---- quarantine ----

type quarantineMove struct {
	name   string
	src    string // deployment path of the skill dir
	id     string // <timestamp>-<name>
	dst    string // deployment path of the quarantine entry
	reason string
}

// Manifest is <state>/quarantine/<id>/manifest.json.
type Manifest struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Origin        string            `json:"origin"`
	Reason        string            `json:"reason"`
	QuarantinedAt string            `json:"quarantined_at"`
	Files         map[string]string `json:"files"` // relative path -> sha256
	TreeSHA256    string            `json:"tree_sha256"`
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "skill"
	}
	return b.String()
}

func (p *Plan) quarantineActions(rep *report.Report) []*Action {
	if rep == nil {
		return nil
	}
	var out []*Action
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.CheckID != "CG-SKL-001" || f.Status != finding.Fail || f.MessageKey != "malicious" {
			continue
		}
		name := f.Target
		dir := ""
		for _, s := range p.inv.Skills {
			if s.Name == name {
				dir = s.Dir
				break
			}
		}
		if dir == "" && f.Params != nil {
			dir = f.Params["dir"]
		}
		if dir == "" || seen[dir] {
			continue
		}
		seen[dir] = true
		id := p.opts.Now().UTC().Format("20060102T150405Z") + "-" + safeName(name)
		a := p.newAction("quarantine:"+name, []string{"CG-SKL-001"}, tr(p.Lang, "quarantine.summary", name), tr(p.Lang, "quarantine.risk", id), false)
		if fi, err := os.Stat(p.hostPath(dir)); err != nil || !fi.IsDir() {
			a.Skipped = tr(p.Lang, "skip.nodir", dir)
			out = append(out, a)
			continue
		}
		dst := path.Join(p.StateDir, "quarantine", id)
		a.move = &quarantineMove{name: name, src: dir, id: id, dst: dst, reason: f.Message}
		a.Changes = append(a.Changes, Change{Kind: "move", File: dir, Old: dir, New: path.Join(dst, "skill")})
		out = append(out, a)
	}
	return out
}

// treeHashes hashes every regular file below dir.
func treeHashes(dir string) (map[string]string, string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(h string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(h)
		if err != nil {
			return err
		}
		defer f.Close()
		hs := sha256.New()
		if _, err := io.Copy(hs, f); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, h)
		files[filepath.ToSlash(rel)] = hex.EncodeToString(hs.Sum(nil))
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tree := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(tree, "%s  %s\n", files[k], k)
	}
	return files, hex.EncodeToString(tree.Sum(nil)), nil
}

var errNotQuarantined = errors.New("no such quarantine entry")

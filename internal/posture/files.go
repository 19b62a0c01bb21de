package posture

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// File-mode checks (DO-3: "files and dirs 600/700; credentials not
// world-readable"). They mirror the fs.* checks of `openclaw security
// audit` (openclaw-internals §4.2) over the stat results the inventory
// collected (Inventory.Files), plus the workspace 700 rule of the NVDB
// appendix. A path the inventory could not stat is an error, never a pass.

func init() {
	register("CG-FS-001", lpWrap(checkFS001))
	register("CG-FS-002", lpWrap(checkFS002))
	register("CG-FS-003", lpWrap(checkFS003))
	register("CG-FS-004", lpWrap(checkFS004))
	register("CG-FS-005", lpWrap(checkFS005))
	register("CG-FS-006", lpWrap(checkFS006))
	register("CG-FS-007", lpWrap(checkFS007))
	register("CG-FS-008", lpWrap(checkFS008))
	register("CG-FS-009", lpWrap(checkFS009))
	register("CG-FS-010", lpWrap(checkFS010))
}

// File categories used to route stat results to checks.
const (
	fsCatState     = "state"
	fsCatConfig    = "config"
	fsCatInclude   = "include"
	fsCatCred      = "cred"
	fsCatAgent     = "agent"
	fsCatSessions  = "sessions"
	fsCatStateDB   = "statedb"
	fsCatWorkspace = "workspace"
	fsCatLog       = "log"
)

// fsCategory classifies a stat result by its inventory role and, where
// roles are coarse (sqlite, agent-dir), by its place under the state dir.
func fsCategory(inv *openclaw.Inventory, f openclaw.FileInfo) string {
	switch f.Role {
	case "state-dir":
		return fsCatState
	case "config", "config-backup": // the .bak ring holds the same secrets
		return fsCatConfig
	case "include":
		return fsCatInclude
	case "workspace":
		return fsCatWorkspace
	case "log", "log-dir":
		return fsCatLog
	case "socket":
		return "" // access to a socket is its own protocol's business
	case "sessions", "sessions-dir":
		return fsCatSessions
	case "auth-profiles", "agent-dir":
		return fsCatAgent
	case "credentials-dir", "credential", "env-file", "secrets-file", "exec-approvals", "key", "tls-dir":
		return fsCatCred
	case "state-db-dir":
		return fsCatStateDB
	}
	rel := f.Path
	if sd := strings.TrimSuffix(inv.Paths.StateDir, "/"); sd != "" && strings.HasPrefix(f.Path, sd+"/") {
		rel = strings.TrimPrefix(f.Path, sd+"/")
	}
	base := path.Base(f.Path)
	switch {
	case strings.Contains("/"+rel+"/", "/sessions/") || base == "sessions.json":
		return fsCatSessions
	case strings.HasPrefix(rel, "agents/") || base == "auth-profiles.json" || strings.HasPrefix(base, "openclaw-agent.sqlite"):
		return fsCatAgent
	case base == "secrets.json" || base == ".env" || strings.HasPrefix(rel, "credentials"):
		return fsCatCred
	case rel == "state" || strings.HasPrefix(rel, "state/") || f.Role == "sqlite":
		return fsCatStateDB
	}
	return ""
}

// lpFilesCollected reports whether the inventory stat-ed the deployment's
// files at all: with a state dir on disk, its own entry must be there.
// Without it, "no risky file found" would only mean "nothing looked".
func lpFilesCollected(inv *openclaw.Inventory) bool {
	if !inv.Paths.StateDirExists {
		return true // nothing deployed, nothing to stat
	}
	return len(lpFilesOf(inv, fsCatState)) > 0
}

// lpFilesOf returns the existing stat results of one category, by path.
func lpFilesOf(inv *openclaw.Inventory, cat string) []openclaw.FileInfo {
	var all []openclaw.FileInfo
	for p, f := range inv.Files {
		if f.Path == "" {
			f.Path = p
		}
		if fsCategory(inv, f) == cat {
			all = append(all, f)
		}
	}
	// Deterministic order.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].Path < all[j-1].Path; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all
}

func fsMode(m fs.FileMode) string { return fmt.Sprintf("%04o", m.Perm()) }

// fsPermFinding judges one stat result. For directories the keys are
// world_writable/group_writable/readable when dirKeys is "state", and
// dir_writable/dir_readable otherwise; files use writable/world_readable/
// group_readable. worldReadFail makes o+r on a file a failure (config,
// includes, credentials).
func fsPermFinding(id string, f openclaw.FileInfo, stateKeys, worldReadFail bool) (finding.Finding, bool) {
	perm := f.Mode.Perm()
	ev := lpFileEv(f, "")
	p := kv("path", f.Path, "mode", fsMode(f.Mode))
	mk := func(st finding.Status, sev finding.Severity, key string) (finding.Finding, bool) {
		nf := newFinding(id, st, sev, key, p, ev)
		nf.MatchKey = key + ":" + f.Path
		return nf, true
	}
	if f.IsDir {
		switch {
		case stateKeys && perm&0o002 != 0:
			return mk(finding.Fail, finding.Critical, "world_writable")
		case stateKeys && perm&0o020 != 0:
			return mk(finding.Warn, finding.Medium, "group_writable")
		case stateKeys && perm&0o044 != 0:
			return mk(finding.Warn, finding.Medium, "readable")
		case perm&0o002 != 0:
			return mk(finding.Fail, finding.Critical, "dir_writable")
		case perm&0o020 != 0:
			return mk(finding.Warn, finding.High, "dir_writable")
		case perm&0o044 != 0:
			return mk(finding.Warn, finding.Medium, "dir_readable")
		}
		return finding.Finding{}, false
	}
	switch {
	case perm&0o022 != 0:
		return mk(finding.Fail, finding.Critical, "writable")
	case perm&0o004 != 0 && worldReadFail:
		return mk(finding.Fail, finding.Critical, "world_readable")
	case perm&0o004 != 0:
		return mk(finding.Warn, finding.High, "world_readable")
	case perm&0o040 != 0:
		return mk(finding.Warn, finding.Medium, "group_readable")
	}
	return finding.Finding{}, false
}

// fsCheckCategory runs the permission rule over one category. Symlinks
// are judged by CG-FS-008, as OpenClaw skips them.
func fsCheckCategory(s *Snapshot, id, cat string, stateKeys, worldReadFail bool) []finding.Finding {
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if !lpFilesCollected(s.OC) {
		return errorFinding(id, "file modes under "+s.OC.Paths.StateDir+" were not collected")
	}
	var out []finding.Finding
	for _, f := range lpFilesOf(s.OC, cat) {
		if !f.Exists || f.IsSymlink {
			continue
		}
		if f.Err != "" {
			out = append(out, newFinding(id, finding.Error, finding.Info, "unreadable", kv("path", f.Path, "err", f.Err), lpFileEv(f, "")))
			continue
		}
		if nf, ok := fsPermFinding(id, f, stateKeys, worldReadFail); ok {
			out = append(out, nf)
		}
	}
	return out
}

func checkFS001(s *Snapshot) []finding.Finding {
	const id = "CG-FS-001"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if len(lpFilesOf(s.OC, fsCatState)) == 0 && s.OC.Paths.StateDirExists {
		return []finding.Finding{newFinding(id, finding.Error, finding.Info, "not_collected", kv("path", s.OC.Paths.StateDir))}
	}
	return fsCheckCategory(s, id, fsCatState, true, false)
}

func checkFS002(s *Snapshot) []finding.Finding {
	const id = "CG-FS-002"
	if s != nil && s.OC != nil && s.OC.Paths.ConfigExists && len(lpFilesOf(s.OC, fsCatConfig)) == 0 {
		return errorFinding(id, "the mode of the config file "+s.OC.Paths.ConfigPath+" was not collected")
	}
	return fsCheckCategory(s, id, fsCatConfig, false, true)
}

func checkFS003(s *Snapshot) []finding.Finding {
	return fsCheckCategory(s, "CG-FS-003", fsCatInclude, false, true)
}

func checkFS004(s *Snapshot) []finding.Finding {
	return fsCheckCategory(s, "CG-FS-004", fsCatCred, false, true)
}

func checkFS005(s *Snapshot) []finding.Finding {
	return fsCheckCategory(s, "CG-FS-005", fsCatAgent, false, false)
}

func checkFS006(s *Snapshot) []finding.Finding {
	return fsCheckCategory(s, "CG-FS-006", fsCatSessions, false, false)
}

func checkFS007(s *Snapshot) []finding.Finding {
	return fsCheckCategory(s, "CG-FS-007", fsCatStateDB, false, false)
}

func checkFS008(s *Snapshot) []finding.Finding {
	const id = "CG-FS-008"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	var out []finding.Finding
	for _, x := range []struct{ cat, key string }{{fsCatState, "state_symlink"}, {fsCatConfig, "config_symlink"}} {
		for _, f := range lpFilesOf(s.OC, x.cat) {
			if f.Exists && f.IsSymlink {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, x.key, kv("path", f.Path), lpFileEv(f, "")))
			}
		}
	}
	return out
}

// fsSyncMarkers are path fragments of cloud sync folders (lower case), as
// OpenClaw's fs.synced_dir check plus the macOS iCloud Drive location.
var fsSyncMarkers = []struct{ frag, service string }{
	{"icloud", "iCloud"}, {"mobile documents", "iCloud"}, {"clouddocs", "iCloud"},
	{"dropbox", "Dropbox"}, {"google drive", "Google Drive"}, {"googledrive", "Google Drive"},
	{"onedrive", "OneDrive"},
}

func checkFS009(s *Snapshot) []finding.Finding {
	const id = "CG-FS-009"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	var out []finding.Finding
	seen := map[string]bool{}
	for _, x := range []struct{ p, what string }{{s.OC.Paths.StateDir, "state dir"}, {s.OC.Paths.ConfigPath, "config"}} {
		lp := strings.ToLower(x.p)
		for _, m := range fsSyncMarkers {
			if x.p != "" && strings.Contains(lp, m.frag) && !seen[x.p] {
				seen[x.p] = true
				nf := newFinding(id, finding.Warn, finding.Medium, "synced", kv("path", x.p, "service", m.service),
					finding.Evidence{Kind: "file", File: x.p, Detail: x.what + " path contains " + m.frag})
				nf.MatchKey = "synced:" + x.p
				out = append(out, nf)
			}
		}
	}
	return out
}

func checkFS010(s *Snapshot) []finding.Finding {
	const id = "CG-FS-010"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if !lpFilesCollected(s.OC) {
		return errorFinding(id, "file modes under "+s.OC.Paths.StateDir+" were not collected")
	}
	var out []finding.Finding
	for _, f := range lpFilesOf(s.OC, fsCatWorkspace) {
		if !f.Exists {
			continue
		}
		if f.Err != "" {
			out = append(out, newFinding(id, finding.Error, finding.Info, "unreadable", kv("path", f.Path, "err", f.Err), lpFileEv(f, "")))
			continue
		}
		if f.Mode.Perm()&0o077 != 0 {
			sev, st := finding.Medium, finding.Warn
			if f.Mode.Perm()&0o002 != 0 {
				sev, st = finding.High, finding.Fail
			}
			nf := newFinding(id, st, sev, "workspace_open", kv("path", f.Path, "mode", fsMode(f.Mode)), lpFileEv(f, ""))
			nf.MatchKey = "workspace_open:" + f.Path
			out = append(out, nf)
		}
	}
	return out
}

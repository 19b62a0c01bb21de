package posture

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Administrator-account checks (DONT-3). The deployment's identity always
// comes from host facts read from the audited root (units, /proc,
// /etc/passwd, /etc/group, sudoers), never from clawgov's own process, so
// an audit of a mounted disk judges the disk's service account.

func init() {
	register("CG-PRV-001", lpWrap(checkPRV001))
	register("CG-PRV-002", lpWrap(checkPRV002))
	register("CG-PRV-003", lpWrap(checkPRV003))
	register("CG-PRV-004", lpWrap(checkPRV004))
	register("CG-PRV-005", lpWrap(checkPRV005))
	register("CG-PRV-006", lpWrap(checkPRV006))
	register("CG-PRV-007", lpWrap(checkPRV007))
}

// prvIdentity is one account the gateway runs (or would run) as.
type prvIdentity struct {
	User string
	// UID is -1 when only the name is known.
	UID int
	Ev  finding.Evidence
}

func (p prvIdentity) isRoot() bool { return p.UID == 0 || p.User == "root" }

// lpUnitRunAs returns the account a unit runs as ("" when transient or
// unknown). host.Unit.RunAs is preferred; older facts fall back to User=
// and the unit kind.
func lpUnitRunAs(u host.Unit) string {
	if u.RunAs != "" {
		return u.RunAs
	}
	if u.DynamicUser {
		return ""
	}
	if u.User != "" {
		return u.User
	}
	switch u.Kind {
	case "systemd-system", "launchd-daemon", "openrc", "sysv":
		return "root"
	case "systemd-user", "launchd", "launchd-agent":
		return u.Owner
	}
	return ""
}

func lpUnitEv(u host.Unit, runAs string) finding.Evidence {
	e := finding.Evidence{Kind: "unit", File: u.Path, KeyPath: "User", Value: u.User}
	if u.User == "" {
		e.Detail = fmt.Sprintf("%s unit without User= runs as %s", u.Kind, runAs)
	}
	return e
}

// lpIdentities lists the accounts the gateway runs as, from units and
// running processes, plus (withOwner, or when nothing else is known) the
// owner of the state directory.
func lpIdentities(s *Snapshot, withOwner bool) []prvIdentity {
	h := s.Host
	var out []prvIdentity
	seen := map[string]bool{}
	add := func(p prvIdentity) {
		if p.User == "" && p.UID >= 0 {
			if u, ok := h.UserByUID(p.UID); ok {
				p.User = u.Name
			}
		}
		if p.UID < 0 && p.User != "" {
			if u, ok := h.UserByName(p.User); ok {
				p.UID = u.UID
			} else if n, err := strconv.Atoi(p.User); err == nil {
				p.UID = n
				if u, ok := h.UserByUID(n); ok {
					p.User = u.Name
				}
			}
		}
		k := p.User + "/" + strconv.Itoa(p.UID)
		if p.User == "" && p.UID < 0 || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, p)
	}
	for _, u := range h.Units {
		if u.Masked {
			continue
		}
		if ra := lpUnitRunAs(u); ra != "" {
			add(prvIdentity{User: ra, UID: -1, Ev: lpUnitEv(u, ra)})
		}
	}
	for _, p := range h.Processes {
		uid := p.UID
		if p.EUID == 0 {
			uid = 0
		}
		add(prvIdentity{User: p.User, UID: uid, Ev: finding.Evidence{Kind: "process", KeyPath: "pid " + strconv.Itoa(p.PID), Value: p.Comm, Detail: fmt.Sprintf("uid %d euid %d", p.UID, p.EUID)}})
	}
	// The state directory's owner is the account the deployment belongs
	// to even when a unit starts the gateway as someone else.
	if s.OC != nil && (withOwner || len(out) == 0) {
		for _, f := range lpFilesByRole(s.OC, "state-dir") {
			if f.Exists && f.Err == "" {
				add(prvIdentity{UID: f.UID, Ev: lpFileEv(f, "owner of the state directory")})
			}
		}
	}
	return out
}

// lpFilesByRole returns the inventory's stat results with one of roles,
// sorted by path.
func lpFilesByRole(inv *openclaw.Inventory, roles ...string) []openclaw.FileInfo {
	var out []openclaw.FileInfo
	if inv == nil {
		return nil
	}
	want := map[string]bool{}
	for _, r := range roles {
		want[r] = true
	}
	for p, f := range inv.Files {
		if want[f.Role] {
			if f.Path == "" {
				f.Path = p
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// lpFileEv is evidence about a stat result: "mode 0644 uid 0".
func lpFileEv(f openclaw.FileInfo, note string) finding.Evidence {
	d := fmt.Sprintf("mode %04o uid %d gid %d", f.Mode.Perm(), f.UID, f.GID)
	if f.IsSymlink {
		d += " symlink"
	}
	if note != "" {
		d += "; " + note
	}
	return finding.Evidence{Kind: "file", File: f.Path, Detail: d}
}

// lpHostErr returns an error finding when no host facts were gathered.
func lpHostErr(s *Snapshot, id string) []finding.Finding {
	if s == nil || s.Host == nil {
		return []finding.Finding{newFinding(id, finding.Error, finding.Info, "no_host", nil)}
	}
	return nil
}

func checkPRV001(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-001"
	if s == nil || s.Host == nil {
		return errorFinding(id, "no host facts were gathered")
	}
	h := s.Host
	if !h.Live {
		return noLiveHost(id)
	}
	if len(h.Processes) == 0 {
		if !h.Coverage.Processes {
			return errorFinding(id, "/proc could not be read, so running processes are unknown")
		}
		return []finding.Finding{newFinding(id, finding.Skip, finding.Info, "no_process", nil)}
	}
	var out []finding.Finding
	for _, p := range h.Processes {
		if p.UID != 0 && p.EUID != 0 {
			continue
		}
		out = append(out, newFinding(id, finding.Fail, finding.Critical, "process_root", kv("pid", strconv.Itoa(p.PID)),
			finding.Evidence{Kind: "process", KeyPath: "pid " + strconv.Itoa(p.PID), Value: p.Comm, Detail: fmt.Sprintf("uid %d euid %d user %s", p.UID, p.EUID, p.User)}))
	}
	return out
}

func checkPRV002(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-002"
	if e := lpHostErr(s, id); e != nil {
		return e
	}
	if len(s.Host.Units) == 0 {
		return []finding.Finding{newFinding(id, finding.Skip, finding.Info, "no_unit", nil)}
	}
	var out []finding.Finding
	for _, u := range s.Host.Units {
		if u.Masked {
			continue
		}
		ra := lpUnitRunAs(u)
		isRoot := ra == "root" || ra == "0"
		if !isRoot && ra != "" {
			if usr, ok := s.Host.UserByName(ra); ok && usr.UID == 0 {
				isRoot = true
			}
		}
		if !isRoot {
			continue
		}
		name := u.Name
		if name == "" {
			name = u.Path
		}
		key := "unit_root"
		if u.User == "" {
			key = "unit_no_user"
		}
		out = append(out, newFinding(id, finding.Fail, finding.High, key, kv("unit", name, "user", ra), lpUnitEv(u, ra)))
	}
	return out
}

// prvAdminGroups are groups whose members can become root.
var prvAdminGroups = map[string]bool{"sudo": true, "wheel": true, "admin": true, "root": true, "docker": true, "lxd": true}

func checkPRV003(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-003"
	if e := lpHostErr(s, id); e != nil {
		return e
	}
	h := s.Host
	ids := lpIdentities(s, true)
	if len(ids) == 0 {
		return []finding.Finding{newFinding(id, finding.Error, finding.Info, "no_identity", nil)}
	}
	var out []finding.Finding
	var unknown []string
	for _, p := range ids {
		if p.isRoot() {
			out = append(out, newFinding(id, finding.Fail, finding.Critical, "admin_uid0", kv("user", lpUserLabel(p)), p.Ev))
			continue
		}
		if _, ok := h.UserByName(p.User); !ok {
			if !h.Coverage.Passwd {
				unknown = append(unknown, "/etc/passwd")
			}
			out = append(out, newFinding(id, finding.Error, finding.Info, "user_unknown", kv("user", lpUserLabel(p)), p.Ev))
			continue
		}
		for _, g := range h.GroupsOf(p.User) {
			if prvAdminGroups[g] {
				out = append(out, newFinding(id, finding.Fail, finding.Critical, "admin_group", kv("user", p.User, "group", g),
					finding.Evidence{Kind: "file", File: "/etc/group", KeyPath: g, Value: p.User, Detail: "member of " + g}, p.Ev))
			}
		}
		for _, r := range h.SudoRulesFor(p.User) {
			sev := finding.High
			detail := "sudo rule"
			if r.All || r.NoPasswdAll {
				sev = finding.Critical
				detail = "grants ALL commands"
			}
			if r.NoPasswdAll || (r.NoPasswd && r.All) {
				detail = "NOPASSWD: ALL"
			}
			f := newFinding(id, finding.Fail, sev, "admin_sudo", kv("user", p.User, "who", r.Who, "rule", r.Rule),
				finding.Evidence{Kind: "file", File: r.File, Line: r.Line, KeyPath: r.Who, Value: r.Rule, Detail: detail}, p.Ev)
			f.MatchKey = "admin_sudo:" + r.File + ":" + r.Who + ":" + r.Rule
			out = append(out, f)
		}
		if !h.Coverage.Group {
			unknown = append(unknown, "/etc/group")
		}
		if !h.Coverage.Sudoers {
			unknown = append(unknown, "/etc/sudoers")
		}
	}
	// A unit can hand the service an admin group directly (Group=,
	// SupplementaryGroups=) whatever /etc/group says.
	for _, u := range h.Units {
		if u.Masked {
			continue
		}
		groups := strings.Fields(u.Hardening["SupplementaryGroups"])
		if u.Group != "" {
			groups = append([]string{u.Group}, groups...)
		}
		for _, g := range groups {
			if !prvAdminGroups[g] {
				continue
			}
			key := "Group"
			if g != u.Group {
				key = "SupplementaryGroups"
			}
			f := newFinding(id, finding.Fail, finding.Critical, "admin_group", kv("user", lpUnitRunAs(u), "group", g),
				finding.Evidence{Kind: "unit", File: u.Path, KeyPath: key, Value: g})
			f.MatchKey = "admin_group:" + u.Path + ":" + g
			out = append(out, f)
		}
	}
	// Nothing proved admin rights, but part of the evidence was missing:
	// that is unknown, not a pass.
	if len(out) == 0 && len(unknown) > 0 {
		out = append(out, newFinding(id, finding.Error, finding.Info, "host_unknown", kv("reason", strings.Join(lpUniq(unknown), ", "))))
	}
	return out
}

func lpUserLabel(p prvIdentity) string {
	if p.User != "" {
		return p.User
	}
	return "uid " + strconv.Itoa(p.UID)
}

func lpUniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func checkPRV004(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-004"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	files := lpFilesByRole(s.OC, "state-dir", "config")
	if len(files) == 0 {
		if s.OC.Paths.StateDirExists || s.OC.Paths.ConfigExists {
			return errorFinding(id, "the owners of the state directory and config were not collected")
		}
		return nil // nothing deployed
	}
	var ids []prvIdentity
	if s.Host != nil {
		ids = lpIdentities(s, false)
	}
	svc, svcRoot := "", len(ids) > 0
	for _, p := range ids {
		if !p.isRoot() {
			svcRoot = false
			if svc == "" {
				svc = lpUserLabel(p)
			}
		}
	}
	var out []finding.Finding
	for _, f := range files {
		if !f.Exists {
			continue
		}
		if f.Err != "" {
			out = append(out, newFinding(id, finding.Error, finding.Info, "not_collected", kv("path", f.Path), lpFileEv(f, f.Err)))
			continue
		}
		if f.UID != 0 {
			continue
		}
		switch {
		case svcRoot:
			out = append(out, newFinding(id, finding.Fail, finding.High, "owned_root_as_root", kv("path", f.Path), lpFileEv(f, "")))
		default:
			user := svc
			if user == "" {
				user = "?"
			}
			out = append(out, newFinding(id, finding.Fail, finding.High, "owned_root", kv("path", f.Path, "user", user), lpFileEv(f, "")))
		}
	}
	return out
}

func checkPRV005(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-005"
	if e := lpHostErr(s, id); e != nil {
		return e
	}
	ct := s.Host.Container
	if !ct.InContainer {
		return nil
	}
	ev := finding.Evidence{Kind: "host", Detail: "container markers: " + strings.Join(ct.Markers, ", ")}
	var out []finding.Finding
	if ct.Privileged != nil && *ct.Privileged {
		out = append(out, newFinding(id, finding.Fail, finding.Critical, "privileged", nil, ev))
	}
	if ct.DockerSocket {
		p := ct.DockerSocketPath
		if p == "" {
			p = "/var/run/docker.sock"
		}
		out = append(out, newFinding(id, finding.Fail, finding.Critical, "docker_sock", kv("path", p), finding.Evidence{Kind: "file", File: p, Detail: "runtime socket inside the container"}))
	}
	if len(out) == 0 && ct.Privileged == nil {
		// Privileged mode is a property of the running container: an image
		// or disk audited with --rootfs cannot show it.
		if s.NoLiveHost() {
			return noLiveHost(id)
		}
		out = append(out, newFinding(id, finding.Error, finding.Info, "privilege_unknown", nil, ev))
	}
	return out
}

func checkPRV006(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-006"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		for _, bd := range lpBinds(b) {
			if lpIsDockerSocket(bd.src) {
				out = append(out, newFinding(id, finding.Fail, finding.Critical, "sandbox_docker_sock", kv("scope", b.scope, "bind", bd.raw), c.ev(bd.key, bd.v, bd.raw)))
			}
		}
	}
	return out
}

// prvNoLogin are shells that refuse interactive logins.
var prvNoLogin = map[string]bool{"/usr/sbin/nologin": true, "/sbin/nologin": true, "/bin/false": true, "/usr/bin/false": true, "/usr/bin/nologin": true}

func checkPRV007(s *Snapshot) []finding.Finding {
	const id = "CG-PRV-007"
	if e := lpHostErr(s, id); e != nil {
		return e
	}
	ids := lpIdentities(s, false)
	if len(ids) == 0 {
		return []finding.Finding{newFinding(id, finding.Skip, finding.Info, "no_identity", nil)}
	}
	var out []finding.Finding
	for _, p := range ids {
		if p.isRoot() {
			continue // CG-PRV-001..003 already fail it
		}
		u, ok := s.Host.UserByName(p.User)
		if !ok || u.Shell == "" || prvNoLogin[u.Shell] {
			continue
		}
		f := newFinding(id, finding.Warn, finding.Low, "login_shell", kv("user", u.Name, "shell", u.Shell),
			finding.Evidence{Kind: "file", File: "/etc/passwd", KeyPath: u.Name, Value: u.Shell}, p.Ev)
		f.MatchKey = "login_shell:" + u.Name
		out = append(out, f)
	}
	return out
}

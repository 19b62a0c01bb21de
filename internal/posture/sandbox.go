package posture

import (
	"path"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
)

// Sandbox checks (DO-3: "prefer isolation in a container or VM"). Keys as
// in gateway/config-agents/sandbox.md: agents.defaults.sandbox.* and per
// agent agents.entries.<id>.sandbox.* / agents.list[i].sandbox.*. The
// blocked bind list mirrors dist/validate-sandbox-security-*.mjs.

func init() {
	register("CG-SBX-001", lpWrap(checkSBX001))
	register("CG-SBX-002", lpWrap(checkSBX002))
	register("CG-SBX-003", lpWrap(checkSBX003))
	register("CG-SBX-004", lpWrap(checkSBX004))
	register("CG-SBX-005", lpWrap(checkSBX005))
	register("CG-SBX-006", lpWrap(checkSBX006))
	register("CG-SBX-007", lpWrap(checkSBX007))
}

// sbxBlock is one sandbox config block: the global defaults or an agent's
// own sandbox object.
type sbxBlock struct {
	scope string
	node  *json5.Value
	path  string
}

// lpSandboxBlocks returns agents.defaults.sandbox and every agent's own
// sandbox object that exists.
func lpSandboxBlocks(c conf) []sbxBlock {
	var out []sbxBlock
	if v := c.get("agents.defaults.sandbox"); v != nil && v.Kind == json5.Object {
		out = append(out, sbxBlock{scope: "agents.defaults", node: v, path: "agents.defaults.sandbox"})
	}
	for _, a := range lpScopes(c)[1:] {
		if v, k := a.own("sandbox"); v != nil && v.Kind == json5.Object {
			out = append(out, sbxBlock{scope: a.Path, node: v, path: k})
		}
	}
	return out
}

func checkSBX001(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-001"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	// The framework prefers container or VM isolation; a gateway that
	// itself runs in a container already has it, so there only Docker
	// sandbox settings left inert by mode off are worth a warning (the
	// operator believes tools are sandboxed; they are not).
	inContainer := s.Host != nil && s.Host.Container.InContainer
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		if a.ID != "" {
			if v, _ := a.own("sandbox.mode"); v == nil {
				continue // inherits agents.defaults
			}
		}
		mode, v, k := lpSandboxMode(c, a)
		if mode != "off" {
			continue
		}
		scope := a.label("agents.defaults")
		e := c.ev(k, v, mode)
		src := k
		if v == nil {
			src = "default"
			e.Detail = "unset: defaults to off"
		}
		if s.Host == nil {
			e.Detail += "; host facts unavailable, container isolation unknown"
		}
		docker, _ := a.lookup(c, "sandbox.docker", "agents.defaults.sandbox.docker")
		params := kv("scope", scope, "source", src)
		key := "mode_off"
		if docker != nil && docker.Kind == json5.Object && len(docker.Members) > 0 {
			key, params = "mode_off_docker_config", kv("scope", scope)
		} else if inContainer {
			continue
		}
		out = append(out, newFinding(id, finding.Warn, finding.Medium, key, params, e))
	}
	return out
}

// sbxBind is one parsed docker bind "src:dst[:opts]".
type sbxBind struct {
	raw, src, dst string
	v             *json5.Value
	key           string
}

func lpBinds(b sbxBlock) []sbxBind {
	var out []sbxBind
	for _, sub := range []string{"docker.binds", "browser.binds"} {
		lst := b.node.Lookup(sub)
		if lst == nil || lst.Kind != json5.Array {
			continue
		}
		for i, e := range lst.Elems {
			raw, ok := e.AsString()
			if !ok {
				continue
			}
			parts := strings.Split(raw, ":")
			bd := sbxBind{raw: raw, src: parts[0], v: e, key: b.path + "." + sub + "." + strconv.Itoa(i)}
			if len(parts) > 1 {
				bd.dst = parts[1]
			}
			out = append(out, bd)
		}
	}
	return out
}

var (
	sbxBlockedPaths = []string{"/etc", "/private/etc", "/proc", "/sys", "/dev", "/root", "/boot", "/run", "/var/run", "/private/var/run"}
	sbxHomeSecrets  = []string{".aws", ".cargo", ".config", ".docker", ".gnupg", ".netrc", ".npm", ".ssh"}
)

// lpIsDockerSocket reports whether p names a container runtime socket.
func lpIsDockerSocket(p string) bool {
	b := path.Base(path.Clean(p))
	return b == "docker.sock" || b == "podman.sock" || b == "containerd.sock" || b == "crio.sock"
}

// sbxDangerous reports why a bind path is blocked ("" when it is not).
func sbxDangerous(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") {
		return ""
	}
	clean := path.Clean(p)
	if lpIsDockerSocket(clean) {
		return "container runtime socket"
	}
	if clean == "/" {
		return "host root"
	}
	for _, b := range sbxBlockedPaths {
		if clean == b || strings.HasPrefix(clean, b+"/") {
			return b
		}
		// A bind of a parent (e.g. /var) covers the blocked path.
		if strings.HasPrefix(b, clean+"/") {
			return "covers " + b
		}
	}
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	for i, seg := range parts {
		for _, h := range sbxHomeSecrets {
			if seg == h && i >= 1 {
				return "~/" + h
			}
		}
	}
	// A whole home directory covers its secrets.
	if (len(parts) == 2 && (parts[0] == "home" || parts[0] == "Users")) || clean == "/home" || clean == "/Users" {
		return "home directory"
	}
	return ""
}

func checkSBX002(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-002"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		for _, bd := range lpBinds(b) {
			// Like OpenClaw, judge the host side: the container path is
			// inside the sandbox.
			why := sbxDangerous(bd.src)
			ev := c.ev(bd.key, bd.v, bd.raw)
			switch {
			case why != "":
				ev.Detail = why
				out = append(out, newFinding(id, finding.Fail, finding.Critical, "blocked_bind", kv("scope", b.scope, "bind", bd.raw), ev))
			case !strings.HasPrefix(bd.src, "/"):
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "non_absolute", kv("scope", b.scope, "bind", bd.raw), ev))
			}
		}
	}
	return out
}

func checkSBX003(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-003"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		for _, sub := range []string{"docker.network", "browser.network"} {
			v := b.node.Lookup(sub)
			n, ok := v.AsString()
			if !ok {
				continue
			}
			if ln := strings.ToLower(n); ln == "host" || strings.HasPrefix(ln, "container:") {
				out = append(out, newFinding(id, finding.Fail, finding.Critical, "network", kv("scope", b.scope, "network", n), c.ev(b.path+"."+sub, v, n)))
			}
		}
	}
	return out
}

func checkSBX004(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-004"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		for _, x := range []struct{ key, msg string }{{"docker.seccompProfile", "seccomp"}, {"docker.apparmorProfile", "apparmor"}} {
			v := b.node.Lookup(x.key)
			if sv, ok := v.AsString(); ok && strings.EqualFold(strings.TrimSpace(sv), "unconfined") {
				out = append(out, newFinding(id, finding.Fail, finding.Critical, x.msg, kv("scope", b.scope), c.ev(b.path+"."+x.key, v, sv)))
			}
		}
	}
	return out
}

var sbxDangerFlags = []string{"dangerouslyAllowReservedContainerTargets", "dangerouslyAllowExternalBindSources", "dangerouslyAllowContainerNamespaceJoin"}

func checkSBX005(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-005"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		for _, f := range sbxDangerFlags {
			v := b.node.Lookup("docker." + f)
			if bv, ok := v.AsBool(); ok && bv {
				out = append(out, newFinding(id, finding.Warn, finding.High, "dangerous_flag", kv("scope", b.scope, "flag", f), c.ev(b.path+".docker."+f, v, "true")))
			}
		}
	}
	return out
}

func checkSBX006(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-006"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		if v := b.node.Get("workspaceAccess"); v != nil {
			if sv, _ := v.AsString(); sv == "rw" {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "workspace_rw", kv("scope", b.scope), c.ev(b.path+".workspaceAccess", v, sv)))
			}
		}
		if v := b.node.Get("sessionToolsVisibility"); v != nil {
			if sv, _ := v.AsString(); sv == "all" {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "session_tools_all", kv("scope", b.scope), c.ev(b.path+".sessionToolsVisibility", v, sv)))
			}
		}
	}
	return out
}

func checkSBX007(s *Snapshot) []finding.Finding {
	const id = "CG-SBX-007"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, b := range lpSandboxBlocks(c) {
		if t, v := c.isTrue(b.path + ".browser.allowHostControl"); t {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "host_control", kv("scope", b.scope), c.ev(b.path+".browser.allowHostControl", v, "true")))
		}
		if t, v := c.isTrue(b.path + ".browser.enabled"); t {
			if r, _ := b.node.Lookup("browser.cdpSourceRange").AsString(); strings.TrimSpace(r) == "" {
				e := c.ev(b.path+".browser.enabled", v, "true")
				e.Detail = "browser.cdpSourceRange unset"
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "cdp_unrestricted", kv("scope", b.scope), e))
			}
		}
	}
	return out
}

package openclaw

import (
	"bufio"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// envState is the gateway's effective environment: values set by the
// service (or a dotenv file) over clawgov's own environment.
type envState struct {
	vals     map[string]string
	src      map[string]string
	fallback func(string) string
}

func newEnvState(opts Options) *envState {
	e := &envState{vals: map[string]string{}, src: map[string]string{}, fallback: opts.Getenv}
	if e.fallback == nil {
		e.fallback = func(string) string { return "" }
	}
	for k, v := range opts.ServiceEnv {
		e.vals[k] = v
		if s := opts.ServiceEnvSources[k]; s != "" {
			e.src[k] = s
		} else {
			e.src[k] = "service"
		}
	}
	return e
}

// get returns the value ("" when unset).
func (e *envState) get(k string) string {
	if v, ok := e.vals[k]; ok {
		return v
	}
	return e.fallback(k)
}

// isSet is the Node notion used by dotenv: any value, even empty.
func (e *envState) isSet(k string) bool {
	_, ok := e.vals[k]
	return ok || e.fallback(k) != ""
}

// trimmed is env.X?.trim() with OpenClaw's "blank/undefined/null = unset"
// rule for home-like values applied by callers where OpenClaw applies it.
func (e *envState) trimmed(k string) string { return strings.TrimSpace(e.get(k)) }

// knownEnvKeys are looked up in clawgov's own environment to fill
// Inventory.Env (the process environment cannot be enumerated through
// Getenv). They are the variables OpenClaw's behaviour depends on.
var knownEnvKeys = []string{
	"HOME", "USERPROFILE", "TMPDIR", "PATH", "PNPM_HOME", "NVM_DIR", "BUN_INSTALL", "NPM_CONFIG_PREFIX", "npm_config_prefix",
	"NPM_CONFIG_REGISTRY", "npm_config_registry", "NPM_CONFIG_USERCONFIG", "npm_config_userconfig",
	"OPENCLAW_HOME", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_WORKSPACE_DIR", "OPENCLAW_PROFILE",
	"OPENCLAW_OAUTH_DIR", "OPENCLAW_INCLUDE_ROOTS", "OPENCLAW_GIT_DIR", "OPENCLAW_GATEWAY_TOKEN", "OPENCLAW_GATEWAY_PASSWORD",
	"OPENCLAW_GATEWAY_URL", "OPENCLAW_GATEWAY_PORT", "OPENCLAW_CONFIG_READONLY", "OPENCLAW_NIX_MODE", "OPENCLAW_LOAD_SHELL_ENV",
	"OPENCLAW_LOG_LEVEL", "OPENCLAW_DISABLE_BONJOUR", "OPENCLAW_NO_AUTO_UPDATE", "OPENCLAW_ALLOW_INSECURE_PRIVATE_WS",
	"OPENCLAW_ALLOW_MULTI_GATEWAY", "OPENCLAW_SKIP_CHANNELS", "OPENCLAW_RAW_STREAM", "OPENCLAW_RAW_STREAM_PATH",
	"OPENCLAW_CLAWHUB_URL", "CLAWHUB_URL", "CLAWHUB_TOKEN", "CLAWHUB_AUTH_TOKEN", "CLAWHUB_CONFIG_PATH",
	"CLAWHUB_REGISTRY", "CLAWDHUB_REGISTRY", "CLAWHUB_SITE", "CLAWDHUB_SITE",
	"OPENCLAW_SHOW_SECRETS", "OPENCLAW_GATEWAY_SECRET", "OPENCLAW_DIAGNOSTICS_TIMELINE_PATH",
}

// snapshot returns the effective values of the service/dotenv keys and
// the known keys, with their sources.
func (e *envState) snapshot() (map[string]string, map[string]string) {
	vals := map[string]string{}
	src := map[string]string{}
	for k, v := range e.vals {
		vals[k] = v
		src[k] = e.src[k]
	}
	for _, k := range knownEnvKeys {
		if _, ok := vals[k]; ok {
			continue
		}
		if v := e.fallback(k); v != "" {
			vals[k] = v
			src[k] = "process"
		}
	}
	return vals, src
}

// normalizeHomeValue is OpenClaw's normalizeHomeDirValue.
func normalizeHomeValue(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "undefined" || v == "null" {
		return ""
	}
	return v
}

var profileNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^[a-z0-9][a-z0-9_-]{0,63}$`) })

// legacyStateDirs are probed after ~/.openclaw: 2026.9.6 knows only
// .clawdbot; early-2026 builds also used .moltbot and .moldbot, which a
// host still running such a build keeps using.
var legacyStateDirs = []string{".clawdbot", ".moltbot", ".moldbot"}

// configNames are the config file names probed in a state dir, newest
// first (clawdbot.json is known to 2026.9.6, the others to older builds).
var configNames = []string{"openclaw.json", "clawdbot.json", "moltbot.json", "moldbot.json"}

type pathResolver struct {
	rfs  rootFS
	env  *envState
	opts Options
	how  map[string]string
	// osHome is the OS-level home (HOME); home is the effective OpenClaw
	// home (OPENCLAW_HOME over osHome).
	osHome string
	home   string
}

// resolveUserPath is OpenClaw's resolveUserPath: trim, expand ~ against
// the effective home, make absolute. A relative path is relative to the
// gateway's working directory, unknown offline: under a rootfs it is
// taken from "/", on the live host from clawgov's working directory.
func (r *pathResolver) resolveUserPath(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	p = expandTilde(p, r.home)
	if !path.IsAbs(p) {
		if r.rfs.root == "" {
			if abs, err := filepath.Abs(p); err == nil {
				return filepath.ToSlash(abs)
			}
		}
		return path.Clean("/" + p)
	}
	return path.Clean(p)
}

func (r *pathResolver) resolveHome() {
	// OS home: the service's HOME, else the service user's home given by
	// the caller, else clawgov's HOME (live host: the OS answer), else
	// /root under a rootfs.
	osHome, how := "", ""
	if v, ok := r.env.vals["HOME"]; ok && normalizeHomeValue(v) != "" {
		osHome, how = normalizeHomeValue(v), "HOME ("+r.env.src["HOME"]+")"
	} else if r.opts.HomeDir != "" {
		osHome, how = r.opts.HomeDir, "service user home"
	} else if v := normalizeHomeValue(r.env.fallback("HOME")); v != "" {
		osHome, how = v, "HOME"
	} else if v := normalizeHomeValue(r.env.fallback("USERPROFILE")); v != "" {
		osHome, how = v, "USERPROFILE"
	} else if r.rfs.root != "" {
		osHome, how = "/root", "default /root (rootfs)"
	} else if h, err := os.UserHomeDir(); err == nil {
		osHome, how = h, "os home"
	} else if u, err := user.Current(); err == nil && u.HomeDir != "" {
		// HOME unset (cron, some service managers): Node's os.homedir()
		// falls back to the user database, and so does OpenClaw.
		osHome, how = u.HomeDir, "user database"
	} else {
		osHome, how = "/", "cwd fallback"
	}
	r.osHome = path.Clean(osHome)
	r.home = r.osHome
	r.how["home"] = how
	if oh := normalizeHomeValue(r.env.get("OPENCLAW_HOME")); oh != "" {
		if oh == "~" || strings.HasPrefix(oh, "~/") {
			oh = expandTilde(oh, r.osHome)
		}
		if !path.IsAbs(oh) {
			oh = "/" + oh
		}
		r.home = path.Clean(oh)
		r.how["home"] = "OPENCLAW_HOME"
	}
}

// resolve computes home, state dir, config path and credentials dir.
func (r *pathResolver) resolve() Paths {
	r.resolveHome()
	p := Paths{Home: r.home, How: r.how}

	// Named profile (OpenClaw's --profile / --dev, applyCliProfileEnv).
	// OPENCLAW_PROFILE in the environment alone does not move the state
	// dir in 2026.9.6 (checked with `openclaw config file`); it only
	// changes the derived port and log names.
	profile := strings.TrimSpace(r.opts.Profile)
	envProfile := strings.TrimSpace(r.env.get("OPENCLAW_PROFILE"))
	switch {
	case profile != "":
		p.Profile = profile
	case envProfile != "" && !strings.EqualFold(envProfile, "default") && profileNameRE().MatchString(envProfile):
		p.Profile = envProfile
	}
	if strings.EqualFold(p.Profile, "default") {
		p.Profile = ""
	}

	stateOverride := ""
	switch {
	case r.opts.StateDir != "":
		stateOverride = r.resolveUserPath(r.opts.StateDir)
		r.how["state"] = "--state-dir"
	case profile != "" && r.env.trimmed("OPENCLAW_STATE_DIR") == "":
		suffix := ""
		if !strings.EqualFold(profile, "default") {
			suffix = "-" + profile
		}
		stateOverride = path.Join(r.home, ".openclaw"+suffix)
		r.how["state"] = "profile " + profile
	case r.env.trimmed("OPENCLAW_STATE_DIR") != "":
		stateOverride = r.resolveUserPath(r.env.get("OPENCLAW_STATE_DIR"))
		r.how["state"] = "OPENCLAW_STATE_DIR"
	}
	defaultState, defaultHow := r.defaultStateDir()
	if stateOverride != "" {
		p.StateDir = stateOverride
	} else {
		p.StateDir = defaultState
		r.how["state"] = defaultHow
	}
	p.StateDirExists = r.rfs.IsDir(p.StateDir)
	for _, l := range legacyStateDirs {
		if path.Base(p.StateDir) == l {
			p.Legacy = true
		}
	}

	r.resolveConfigPath(&p, stateOverride != "", profile != "", defaultState)

	if v := r.env.trimmed("OPENCLAW_OAUTH_DIR"); v != "" {
		p.CredentialsDir = r.resolveUserPath(v)
		r.how["credentials"] = "OPENCLAW_OAUTH_DIR"
	} else {
		p.CredentialsDir = path.Join(p.StateDir, "credentials")
		r.how["credentials"] = "<state>/credentials"
	}
	return p
}

// defaultStateDir: ~/.openclaw if it exists, else the first legacy dir
// that exists, else ~/.openclaw.
func (r *pathResolver) defaultStateDir() (string, string) {
	newDir := path.Join(r.home, ".openclaw")
	if r.rfs.Exists(newDir) {
		return newDir, "default ~/.openclaw"
	}
	for _, l := range legacyStateDirs {
		d := path.Join(r.home, l)
		if r.rfs.Exists(d) {
			return d, "legacy ~/" + l
		}
	}
	return newDir, "default ~/.openclaw (absent)"
}

func (r *pathResolver) resolveConfigPath(p *Paths, stateOverridden, profiled bool, defaultState string) {
	defer func() {
		p.ConfigExists = r.rfs.Exists(p.ConfigPath)
		if !p.ConfigExists {
			// A symlink loop or an unreadable path component is not "no
			// config": let the loader report it (OpenClaw cannot read it
			// either). A dangling symlink does mean no config.
			if _, err := r.rfs.Stat(p.ConfigPath); err != nil && !isNotExist(err) {
				p.ConfigExists = true
			}
		}
		if b := path.Base(p.ConfigPath); b != "openclaw.json" && containsStr(configNames, b) {
			p.Legacy = true
		}
	}()
	switch {
	case r.opts.ConfigPath != "":
		p.ConfigPath = r.resolveUserPath(r.opts.ConfigPath)
		r.how["config"] = "--config"
		return
	case r.opts.StateDir != "":
		// --state-dir names the deployment to audit: a service-level
		// OPENCLAW_CONFIG_PATH belongs to another state dir.
	case r.env.trimmed("OPENCLAW_CONFIG_PATH") != "":
		p.ConfigPath = r.resolveUserPath(r.env.get("OPENCLAW_CONFIG_PATH"))
		r.how["config"] = "OPENCLAW_CONFIG_PATH"
		return
	case profiled:
		p.ConfigPath = path.Join(p.StateDir, "openclaw.json")
		r.how["config"] = "profile <state>/openclaw.json"
		return
	}
	for _, n := range configNames {
		c := path.Join(p.StateDir, n)
		if r.rfs.Exists(c) {
			p.ConfigPath = c
			r.how["config"] = "<state>/" + n
			return
		}
	}
	if stateOverridden || p.StateDir != defaultState {
		p.ConfigPath = path.Join(p.StateDir, "openclaw.json")
		r.how["config"] = "<state>/openclaw.json (absent)"
		return
	}
	// Default state dir: probe the default locations in order.
	for _, d := range append([]string{".openclaw"}, legacyStateDirs...) {
		for _, n := range configNames {
			c := path.Join(r.home, d, n)
			if r.rfs.Exists(c) {
				p.ConfigPath = c
				r.how["config"] = "~/" + d + "/" + n
				return
			}
		}
	}
	p.ConfigPath = path.Join(p.StateDir, "openclaw.json")
	r.how["config"] = "<state>/openclaw.json (absent)"
}

// loadDotEnv applies <state>/.env and, for the default state dir,
// ~/.config/openclaw/gateway.env the way OpenClaw's global dotenv loader
// does: first file wins, never overriding a variable already set. Unlike
// a workspace .env, the global files may set any variable, OPENCLAW_*
// included.
func (r *pathResolver) loadDotEnv(p *Paths, problems *[]Problem) {
	files := []string{path.Join(p.StateDir, ".env")}
	if r.env.trimmed("OPENCLAW_STATE_DIR") == "" || path.Join(p.StateDir, ".env") == path.Join(r.home, ".openclaw", ".env") {
		files = append(files, path.Join(r.home, ".config", "openclaw", "gateway.env"))
	}
	for _, f := range files {
		data, err := r.rfs.ReadFile(f, 1<<20)
		if err != nil {
			if !os.IsNotExist(err) && !isNotExist(err) {
				*problems = append(*problems, Problem{Path: f, Area: "env", Err: pathErr("read dotenv", f, err)})
			}
			continue
		}
		p.DotEnvFiles = append(p.DotEnvFiles, f)
		for _, kv := range parseDotEnv(data) {
			if r.env.isSet(kv[0]) {
				continue
			}
			r.env.vals[kv[0]] = kv[1]
			r.env.src[kv[0]] = "dotenv:" + f
		}
	}
}

// parseDotEnv parses KEY=VALUE lines like the dotenv package: optional
// "export ", single/double/backtick quotes (double quotes expand \n and
// \r), multi-line quoted values, inline "#" comments after unquoted values.
func parseDotEnv(data []byte) [][2]string {
	var out [][2]string
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		eq := strings.IndexAny(line, "=:")
		if eq <= 0 {
			continue
		}
		key := strings.TrimSpace(line[:eq])
		if !portableEnvKeyRE().MatchString(key) {
			continue
		}
		val := strings.TrimSpace(line[eq+1:])
		if val != "" && (val[0] == '"' || val[0] == '\'' || val[0] == '`') {
			q := val[0]
			body := val[1:]
			for {
				if j := strings.IndexByte(body, q); j >= 0 {
					body = body[:j]
					break
				}
				if i+1 >= len(lines) {
					break
				}
				i++
				body += "\n" + lines[i]
			}
			if q == '"' {
				body = strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace(body)
			}
			val = body
		} else if j := strings.Index(val, " #"); j >= 0 {
			val = strings.TrimSpace(val[:j])
		} else if strings.HasPrefix(val, "#") {
			val = ""
		}
		out = append(out, [2]string{key, val})
	}
	return out
}

// resolveWorkspaces is resolveAgentWorkspaceDir for every configured
// agent and the default one: an agent's own workspace, else (for the
// default agent) agents.defaults.workspace, else OPENCLAW_WORKSPACE_DIR,
// else <state>/workspace when OPENCLAW_STATE_DIR is set, else the
// profile's or ~/.openclaw's workspace. Other agents get
// <defaults.workspace>/<id> or <state>/workspace-<id>.
func (r *pathResolver) resolveWorkspaces(p *Paths, cfg *Config) {
	p.AgentWorkspaces = map[string]string{}
	defaultID := "main"
	ids := []string{}
	agentWS := map[string]string{}
	if cfg != nil {
		for _, a := range AgentEntries(cfg) {
			ids = append(ids, a.ID)
			if a.Workspace != "" {
				agentWS[a.ID] = a.Workspace
			}
			if a.Default {
				defaultID = a.ID
			}
		}
	}
	if !containsStr(ids, defaultID) {
		ids = append([]string{defaultID}, ids...)
	}
	fallback := ""
	if cfg != nil {
		if s, ok := cfg.String("agents.defaults.workspace"); ok {
			fallback = strings.TrimSpace(s)
		}
	}
	for _, id := range ids {
		switch {
		case agentWS[id] != "":
			p.AgentWorkspaces[id] = r.resolveUserPath(agentWS[id])
		case id == defaultID && fallback != "":
			p.AgentWorkspaces[id] = r.resolveUserPath(fallback)
		case id == defaultID:
			p.AgentWorkspaces[id] = r.defaultWorkspace(p)
		case fallback != "":
			p.AgentWorkspaces[id] = path.Join(r.resolveUserPath(fallback), id)
		default:
			p.AgentWorkspaces[id] = path.Join(p.StateDir, "workspace-"+id)
		}
	}
	p.Workspace = p.AgentWorkspaces[defaultID]
	switch {
	case agentWS[defaultID] != "":
		r.how["workspace"] = "agent " + defaultID + " workspace"
	case fallback != "":
		r.how["workspace"] = "agents.defaults.workspace"
	}
}

func (r *pathResolver) defaultWorkspace(p *Paths) string {
	if v := r.env.trimmed("OPENCLAW_WORKSPACE_DIR"); v != "" {
		r.how["workspace"] = "OPENCLAW_WORKSPACE_DIR"
		return r.resolveUserPath(v)
	}
	if r.env.trimmed("OPENCLAW_STATE_DIR") != "" || r.opts.StateDir != "" {
		r.how["workspace"] = "<state>/workspace"
		return path.Join(p.StateDir, "workspace")
	}
	if p.Profile != "" {
		r.how["workspace"] = "profile workspace"
		return path.Join(r.home, ".openclaw-"+p.Profile, "workspace")
	}
	r.how["workspace"] = "default ~/.openclaw/workspace"
	return path.Join(r.home, ".openclaw", "workspace")
}

// Agent is one configured agent, from agents.entries (2026.9.6) or
// agents.list (older).
type Agent struct {
	ID        string
	Workspace string
	Default   bool
	// Key is the config path of the entry ("agents.entries.main",
	// "agents.list.0").
	Key string
}

// AgentEntries lists the configured agents in a stable order (entries by
// key order, then list order), accepting both config shapes.
func AgentEntries(cfg *Config) []Agent {
	var out []Agent
	seen := map[string]bool{}
	if ent := cfg.Get("agents.entries"); ent != nil {
		for _, id := range ent.Keys() {
			v := ent.Get(id)
			a := Agent{ID: id, Key: "agents.entries." + id}
			a.Workspace, _ = v.Get("workspace").AsString()
			a.Default, _ = v.Get("default").AsBool()
			if !seen[id] {
				seen[id] = true
				out = append(out, a)
			}
		}
	}
	if list := cfg.Get("agents.list"); list != nil {
		for i, v := range list.Elems {
			id, _ := v.Get("id").AsString()
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			a := Agent{ID: id, Key: "agents.list." + itoa(i)}
			a.Workspace, _ = v.Get("workspace").AsString()
			a.Default, _ = v.Get("default").AsBool()
			out = append(out, a)
		}
	}
	return out
}

// IncludeRoots is OpenClaw's resolveIncludeRoots: OPENCLAW_INCLUDE_ROOTS
// split on ':', each entry trimmed and tilde-expanded against home,
// duplicates dropped. OpenClaw resolves a relative entry against the
// gateway's working directory, which an offline audit cannot know, so
// relative entries are dropped here.
func IncludeRoots(getenv func(string) string, home string) []string {
	raw := strings.TrimSpace(getenv("OPENCLAW_INCLUDE_ROOTS"))
	if raw == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range strings.Split(raw, ":") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		e = expandTilde(e, home)
		if !path.IsAbs(e) {
			continue
		}
		e = path.Clean(e)
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	return out
}

// expandTilde replaces a leading "~" or "~/" with home, as OpenClaw's
// expandHomePrefix does.
func expandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return path.Join(home, p[2:])
	}
	return p
}

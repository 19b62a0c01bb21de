package openclaw

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/clawgov/clawgov/internal/json5"
)

// Limits. The include limits are OpenClaw's own (src/config/includes.ts);
// the main-file limit is clawgov's guard against reading a huge file.
const (
	MaxConfigBytes    = 16 << 20
	maxIncludeBytes   = 2 << 20 // MAX_INCLUDE_FILE_BYTES
	maxIncludeDepth   = 10
	maxIncludePathLen = 4096
	includeKey        = "$include"
)

// EnvRef is one ${VAR} reference left unresolved.
type EnvRef struct {
	Var string
	// Key is the config key path ("gateway.auth.token", "a.list[0]").
	Key string
	Pos json5.Pos
}

// ParseConfig parses config text as the file at path, with ${VAR}
// substitution through getenv (plus the config's own env.vars, as
// OpenClaw applies them) and no $include resolution: includes need the
// filesystem (see LoadConfig). Tests and the fix engine use it.
func ParseConfig(path string, data []byte, getenv func(string) string) (*Config, error) {
	root, err := json5.Parse(path, data)
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	c := &Config{Path: path, Root: root}
	c.substitute(getenv)
	return c, nil
}

// LoadConfig reads the config at cfgPath (a path as the deployment sees
// it, read under rootfs when rootfs is not ""), resolves $include exactly
// like OpenClaw and then substitutes ${VAR}. includeRoots are the extra
// include roots (OPENCLAW_INCLUDE_ROOTS, already split and made absolute:
// see IncludeRoots). Any error is a *ConfigError naming the file: OpenClaw
// refuses to start on the same config.
func LoadConfig(rootfs, cfgPath string, getenv func(string) string, includeRoots []string) (*Config, error) {
	rfs := newRootFS(rootfs)
	cfgPath = cleanDeploy(cfgPath)
	data, err := rfs.ReadFile(cfgPath, MaxConfigBytes)
	if err != nil {
		return nil, &ConfigError{Path: cfgPath, Err: fmt.Errorf("read: %w", unwrapPathError(err))}
	}
	root, err := json5.Parse(cfgPath, data)
	if err != nil {
		return nil, &ConfigError{Path: cfgPath, Err: err}
	}
	c := &Config{Path: cfgPath}
	ip := &includer{fs: rfs, cfg: c, boundary: newBoundary(rfs, cfgPath, includeRoots)}
	merged, err := ip.process(root, cfgPath, []string{cfgPath}, 0)
	if err != nil {
		return nil, err
	}
	c.Root = merged
	c.substitute(getenv)
	return c, nil
}

// unwrapPathError drops the host path from *fs.PathError, so messages name
// the deployment path (the caller adds it) and never the rootfs mount.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type includeRoot struct {
	dir  string // lexical, deployment path
	real string // symlinks resolved
}

type includer struct {
	fs       rootFS
	cfg      *Config
	boundary []includeRoot // [0] is the config dir
}

func newBoundary(rfs rootFS, cfgPath string, extra []string) []includeRoot {
	var out []includeRoot
	add := func(d string) {
		d = path.Clean(d)
		real, err := rfs.Realpath(d)
		if err != nil {
			real = d
		}
		out = append(out, includeRoot{dir: d, real: real})
	}
	add(path.Dir(cfgPath))
	for _, r := range extra {
		if r != "" && path.IsAbs(r) {
			add(r)
		}
	}
	return out
}

// isInside mirrors OpenClaw's isPathInside: equal or below.
func isInside(root, p string) bool {
	if root == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == root || strings.HasPrefix(p, root+"/")
}

func (ip *includer) containing(p string, real bool) *includeRoot {
	for i := range ip.boundary {
		r := ip.boundary[i].dir
		if real {
			r = ip.boundary[i].real
		}
		if isInside(r, p) {
			return &ip.boundary[i]
		}
	}
	return nil
}

func includeErr(file string, pos json5.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if pos.Line > 0 {
		msg = fmt.Sprintf("%s:%d:%d: %s", pos.File, pos.Line, pos.Col, msg)
	}
	return &ConfigError{Path: file, Err: errors.New(msg)}
}

// process is IncludeProcessor.process: file is the file v came from,
// chain the include chain (for cycles), depth the include depth.
func (ip *includer) process(v *json5.Value, file string, chain []string, depth int) (*json5.Value, error) {
	switch v.Kind {
	case json5.Array:
		out := *v
		out.Elems = make([]*json5.Value, len(v.Elems))
		for i, e := range v.Elems {
			pe, err := ip.process(e, file, chain, depth)
			if err != nil {
				return nil, err
			}
			out.Elems[i] = pe
		}
		return &out, nil
	case json5.Object:
	default:
		return v, nil
	}
	inc := v.Get(includeKey)
	if inc == nil && !hasKey(v, includeKey) {
		out := *v
		out.Members = make([]json5.Member, 0, len(v.Members))
		for _, m := range v.Members {
			pv, err := ip.process(m.Value, file, chain, depth)
			if err != nil {
				return nil, err
			}
			out.Members = append(out.Members, json5.Member{Key: m.Key, KeyPos: m.KeyPos, Value: pv})
		}
		return &out, nil
	}
	included, err := ip.resolveInclude(inc, file, chain, depth)
	if err != nil {
		return nil, err
	}
	var rest []json5.Member
	for _, k := range v.Keys() {
		if k == includeKey {
			continue
		}
		m := lastMember(v, k)
		pv, err := ip.process(m.Value, file, chain, depth)
		if err != nil {
			return nil, err
		}
		rest = append(rest, json5.Member{Key: k, KeyPos: m.KeyPos, Value: pv})
	}
	if len(rest) == 0 {
		return included, nil
	}
	if included.Kind != json5.Object {
		return nil, includeErr(file, inc.Pos, "sibling keys require the $include content to be an object")
	}
	override := &json5.Value{Kind: json5.Object, Pos: v.Pos, End: v.End, Members: rest}
	return mergeDeep(included, override), nil
}

func hasKey(v *json5.Value, k string) bool {
	for _, m := range v.Members {
		if m.Key == k {
			return true
		}
	}
	return false
}

func lastMember(v *json5.Value, k string) json5.Member {
	for i := len(v.Members) - 1; i >= 0; i-- {
		if v.Members[i].Key == k {
			return v.Members[i]
		}
	}
	return json5.Member{}
}

func (ip *includer) resolveInclude(inc *json5.Value, file string, chain []string, depth int) (*json5.Value, error) {
	switch {
	case inc != nil && inc.Kind == json5.String:
		return ip.loadFile(inc, file, chain, depth)
	case inc != nil && inc.Kind == json5.Array:
		acc := &json5.Value{Kind: json5.Object, Pos: inc.Pos, End: inc.End}
		for _, e := range inc.Elems {
			if e.Kind != json5.String {
				return nil, includeErr(file, e.Pos, "invalid $include array item: expected string, got %s", jsType(e))
			}
			lv, err := ip.loadFile(e, file, chain, depth)
			if err != nil {
				return nil, err
			}
			acc = mergeDeep(acc, lv)
		}
		return acc, nil
	}
	pos := json5.Pos{}
	if inc != nil {
		pos = inc.Pos
	}
	return nil, includeErr(file, pos, "invalid $include value: expected string or array of strings, got %s", jsType(inc))
}

func jsType(v *json5.Value) string {
	if v == nil {
		return "undefined"
	}
	switch v.Kind {
	case json5.Bool:
		return "boolean"
	case json5.Number:
		return "number"
	case json5.String:
		return "string"
	}
	return "object"
}

func (ip *includer) loadFile(ref *json5.Value, file string, chain []string, depth int) (*json5.Value, error) {
	incPath := ref.Str
	if strings.ContainsRune(incPath, 0) {
		return nil, includeErr(file, ref.Pos, "include path must not contain null bytes")
	}
	if len(incPath) >= maxIncludePathLen {
		return nil, includeErr(file, ref.Pos, "include path exceeds maximum length (%d characters)", maxIncludePathLen)
	}
	resolved := incPath
	if !path.IsAbs(resolved) {
		resolved = path.Join(path.Dir(file), resolved)
	}
	resolved = path.Clean(resolved)
	if len(resolved) >= maxIncludePathLen {
		return nil, includeErr(file, ref.Pos, "resolved include path exceeds maximum length (%d characters)", maxIncludePathLen)
	}
	if ip.containing(resolved, false) == nil {
		return nil, includeErr(file, ref.Pos, "include path escapes config directory: %s (root: %s)", incPath, ip.boundary[0].dir)
	}
	if _, err := ip.fs.Lstat(resolved); err == nil {
		real, err := ip.fs.Realpath(resolved)
		if err != nil {
			return nil, includeErr(file, ref.Pos, "failed to resolve include file realpath: %s: %v", incPath, err)
		}
		if ip.containing(real, true) == nil {
			return nil, includeErr(file, ref.Pos, "include path resolves outside config directory (symlink): %s (root: %s)", incPath, ip.boundary[0].dir)
		}
	}
	for _, c := range chain {
		if c == resolved {
			return nil, includeErr(file, ref.Pos, "circular include detected: %s", strings.Join(append(append([]string{}, chain...), resolved), " -> "))
		}
	}
	if depth >= maxIncludeDepth {
		return nil, includeErr(file, ref.Pos, "maximum include depth (%d) exceeded at: %s", maxIncludeDepth, incPath)
	}
	data, err := ip.readInclude(resolved)
	if err != nil {
		return nil, includeErr(file, ref.Pos, "include %s: %v", resolved, err)
	}
	if !containsStr(ip.cfg.Includes, resolved) {
		ip.cfg.Includes = append(ip.cfg.Includes, resolved)
	}
	parsed, err := json5.Parse(resolved, data)
	if err != nil {
		return nil, &ConfigError{Path: resolved, Err: err}
	}
	return ip.process(parsed, resolved, append(append([]string{}, chain...), resolved), depth+1)
}

// readInclude applies OpenClaw's include guards: a regular file of at most
// 2 MiB with no other hard links.
func (ip *includer) readInclude(p string) ([]byte, error) {
	fi, err := ip.fs.Stat(p)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxIncludeBytes {
		return nil, fmt.Errorf("include file failed security checks (regular file, max %d bytes, no hardlinks)", maxIncludeBytes)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return nil, fmt.Errorf("include file failed security checks (regular file, max %d bytes, no hardlinks)", maxIncludeBytes)
	}
	data, err := ip.fs.ReadFile(p, maxIncludeBytes)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return data, nil
}

// blockedKey mirrors OpenClaw's prototype-key guard in deep merges.
func blockedKey(k string) bool {
	return k == "__proto__" || k == "constructor" || k == "prototype"
}

// mergeDeep is OpenClaw's mergeDeep with arrays "concat": arrays
// concatenate, objects merge recursively, anything else: override wins.
// Leaf values keep their own positions; a merged object takes the
// override's position (the file that has the last word).
func mergeDeep(base, override *json5.Value) *json5.Value {
	if base.Kind == json5.Array && override.Kind == json5.Array {
		out := *override
		out.Elems = append(append([]*json5.Value{}, base.Elems...), override.Elems...)
		return &out
	}
	if base.Kind != json5.Object || override.Kind != json5.Object {
		return override
	}
	out := *override
	out.Members = nil
	idx := map[string]int{}
	for _, k := range base.Keys() {
		if blockedKey(k) {
			continue
		}
		idx[k] = len(out.Members)
		out.Members = append(out.Members, lastMember(base, k))
	}
	for _, k := range override.Keys() {
		if blockedKey(k) {
			continue
		}
		m := lastMember(override, k)
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out.Members)
			out.Members = append(out.Members, m)
			continue
		}
		cur := out.Members[i].Value
		switch {
		case m.Value.Kind == json5.Object && cur.Kind == json5.Object:
			m.Value = mergeDeep(cur, m.Value)
		case m.Value.Kind == json5.Array && cur.Kind == json5.Array:
			m.Value = mergeDeep(cur, m.Value)
		}
		out.Members[i] = m
	}
	return &out
}

var envNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`) })
var portableEnvKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// configEnvVars is OpenClaw's collectConfigEnvVarsByTarget: env.vars.* and
// string keys directly under env (except shellEnv/vars), minus keys it
// refuses to apply and values that themselves reference ${VAR}. The host
// "dangerous variable" list (NODE_OPTIONS, LD_*, ...) is approximated.
func configEnvVars(root *json5.Value) map[string]string {
	env := root.Get("env")
	if env == nil || env.Kind != json5.Object {
		return nil
	}
	out := map[string]string{}
	take := func(k string, v *json5.Value) {
		s, ok := v.AsString()
		if !ok || strings.TrimSpace(s) == "" {
			return
		}
		k = strings.TrimSpace(k)
		if !portableEnvKeyRE().MatchString(k) || blockedConfigEnv(k) || containsEnvRef(s) {
			return
		}
		out[k] = s
	}
	if vars := env.Get("vars"); vars != nil && vars.Kind == json5.Object {
		for _, k := range vars.Keys() {
			take(k, vars.Get(k))
		}
	}
	for _, k := range env.Keys() {
		if k == "shellEnv" || k == "vars" {
			continue
		}
		take(k, env.Get(k))
	}
	return out
}

func blockedConfigEnv(k string) bool {
	u := strings.ToUpper(k)
	switch u {
	case "OPENCLAW_ALLOW_OLDER_BINARY_DESTRUCTIVE_ACTIONS", "OPENCLAW_INCLUDE_ROOTS", "OPENCLAW_CONFIG_READONLY",
		"NODE_OPTIONS", "NODE_PATH", "PATH", "HOME", "SHELL", "BASH_ENV", "ENV", "PYTHONPATH", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT":
		return true
	}
	return strings.HasPrefix(u, "LD_") || strings.HasPrefix(u, "DYLD_")
}

// envToken is one ${NAME} or $${NAME} at s[i:].
func envToken(s string, i int) (kind byte, name string, end int) {
	if s[i] != '$' {
		return 0, "", 0
	}
	if strings.HasPrefix(s[i:], "$${") {
		if j := strings.IndexByte(s[i+3:], '}'); j >= 0 {
			if n := s[i+3 : i+3+j]; envNameRE().MatchString(n) {
				return 'e', n, i + 3 + j
			}
		}
	}
	if strings.HasPrefix(s[i:], "${") {
		if j := strings.IndexByte(s[i+2:], '}'); j >= 0 {
			if n := s[i+2 : i+2+j]; envNameRE().MatchString(n) {
				return 's', n, i + 2 + j
			}
		}
	}
	return 0, "", 0
}

func containsEnvRef(s string) bool {
	for i := 0; i < len(s); i++ {
		k, _, end := envToken(s, i)
		switch k {
		case 'e':
			i = end
		case 's':
			return true
		}
	}
	return false
}

// SubstituteEnv applies OpenClaw's ${VAR} rules to one string: names are
// [A-Z_][A-Z0-9_]*, $${X} yields a literal ${X}, and a missing or empty
// variable stays literally as ${X} and is returned in missing.
func SubstituteEnv(s string, lookup func(string) string) (out string, missing []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		k, name, end := envToken(s, i)
		switch k {
		case 'e':
			sb.WriteString("${" + name + "}")
			i = end
		case 's':
			if v := lookup(name); v != "" {
				sb.WriteString(v)
			} else {
				missing = append(missing, name)
				sb.WriteString("${" + name + "}")
			}
			i = end
		default:
			sb.WriteByte(s[i])
		}
	}
	return sb.String(), missing
}

// substitute resolves ${VAR} in every string value of the merged tree.
// Merged trees may share nodes with nothing else, so values are replaced
// in place; the original text is kept in Value.Template.
func (c *Config) substitute(getenv func(string) string) {
	if c.Root == nil {
		return
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfgEnv := configEnvVars(c.Root)
	lookup := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return cfgEnv[k]
	}
	seen := map[string]bool{}
	var walk func(v *json5.Value, key string)
	walk = func(v *json5.Value, key string) {
		switch v.Kind {
		case json5.String:
			if v.Template != "" {
				return // already substituted (node reachable twice)
			}
			out, missing := SubstituteEnv(v.Str, lookup)
			for _, m := range missing {
				c.UnresolvedRefs = append(c.UnresolvedRefs, EnvRef{Var: m, Key: key, Pos: v.Pos})
				if !seen[m] {
					seen[m] = true
					c.Unresolved = append(c.Unresolved, m)
				}
			}
			if out != v.Str {
				v.Template = v.Str
				v.Str = out
			}
		case json5.Array:
			for i, e := range v.Elems {
				walk(e, key+"["+strconv.Itoa(i)+"]")
			}
		case json5.Object:
			for _, m := range v.Members {
				k := m.Key
				if key != "" {
					k = key + "." + k
				}
				walk(m.Value, k)
			}
		}
	}
	walk(c.Root, "")
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

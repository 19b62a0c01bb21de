package remediate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
)

// stage computes the new content of every file the planned actions
// rewrite, action by action: an action whose edit fails is skipped whole,
// so no half action is ever applied. Then the diff and validation.
func (p *Plan) stage() error {
	var kept []Action
	for _, a := range p.Actions {
		next := map[string][]byte{}
		cur := func(hp string) []byte {
			if b, ok := next[hp]; ok {
				return b
			}
			if b, ok := p.staged[hp]; ok {
				return b
			}
			return p.orig[hp]
		}
		var failed error
		for _, e := range a.edits {
			hp := p.hostPath(e.file)
			if _, err := p.readOrig(e.file); err != nil {
				failed = err
				break
			}
			out, err := e.op.apply(e.file, cur(hp))
			if err != nil {
				failed = err
				break
			}
			next[hp] = out
		}
		if failed == nil && a.envSet != nil {
			hp := p.hostPath(a.envSet.file)
			if _, ok := p.orig[hp]; !ok {
				b, err := os.ReadFile(hp)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					failed = fmt.Errorf("read %s: %w", a.envSet.file, err)
				}
				p.orig[hp] = b
			}
			if failed == nil {
				next[hp] = setEnvLine(cur(hp), a.envSet.key, a.envSet.value)
			}
		}
		if failed != nil {
			a.Skipped = tr(p.Lang, "skip.notobject", finding.RedactAll(failed.Error(), p.secrets))
			p.Skipped = append(p.Skipped, a)
			continue
		}
		for k, v := range next {
			p.staged[k] = v
		}
		kept = append(kept, a)
	}
	p.Actions = kept
	p.Diff = p.diff()
	return nil
}

// envFiles are the host paths of files written as env files (their
// content is never shown).
func (p *Plan) envFiles() map[string]bool {
	out := map[string]bool{}
	for _, a := range p.Actions {
		if a.envSet != nil {
			out[p.hostPath(a.envSet.file)] = true
		}
	}
	return out
}

func (p *Plan) configChanged() bool {
	env := p.envFiles()
	for hp, b := range p.staged {
		if !env[hp] && !bytes.Equal(b, p.orig[hp]) {
			return true
		}
	}
	return false
}

func (p *Plan) stagedPaths() []string {
	var out []string
	for hp := range p.staged {
		out = append(out, hp)
	}
	sort.Strings(out)
	return out
}

func (p *Plan) diff() string {
	env := p.envFiles()
	var sb strings.Builder
	for _, hp := range p.stagedPaths() {
		name := p.deployPath(hp)
		if env[hp] {
			// Never print an env file: it holds other secrets too.
			fmt.Fprintf(&sb, "--- %s\n+++ %s\n@@ env @@\n+%s=<redacted>\n", name, name, TokenEnv)
			continue
		}
		sb.WriteString(unifiedDiff(name, p.orig[hp], p.staged[hp]))
	}
	secrets := p.secrets
	if p.token != "" {
		secrets = append(secrets, p.token)
	}
	return finding.RedactAll(sb.String(), secrets)
}

func (p *Plan) deployPath(hp string) string {
	if p.opts.Rootfs == "" {
		return hp
	}
	rel, err := filepath.Rel(p.opts.Rootfs, hp)
	if err != nil {
		return hp
	}
	return "/" + filepath.ToSlash(rel)
}

// setEnvLine sets KEY=value in dotenv text, replacing an existing
// assignment (with or without "export") and keeping everything else.
func setEnvLine(data []byte, key, value string) []byte {
	var out bytes.Buffer
	found := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		if strings.HasPrefix(t, key+"=") || strings.HasPrefix(t, key+" =") {
			if !found {
				out.WriteString(key + "=" + value + "\n")
				found = true
			}
			continue
		}
		out.WriteString(line + "\n")
	}
	if !found {
		out.WriteString(key + "=" + value + "\n")
	}
	return out.Bytes()
}

// ---- refusals ----

func (p *Plan) refusal() string {
	for _, k := range []string{"OPENCLAW_CONFIG_READONLY", "OPENCLAW_NIX_MODE"} {
		if v, src := p.env(k); v == "1" || strings.EqualFold(v, "true") {
			return fmt.Sprintf("%s=1 (from %s): the config is managed outside OpenClaw, so clawgov will not change it; apply the plan in the tool that manages it", k, src)
		}
	}
	if p.configChanged() {
		if r := p.managed(); r != "" {
			return r
		}
	}
	if p.running() && !p.opts.RestartOK {
		for _, a := range p.Actions {
			if a.locksOut {
				return fmt.Sprintf("a gateway is running and the plan changes how clients reach it (%s): once it restarts, clients that are not updated are locked out. Re-run with --yes-restart-needed, then restart the gateway and update its clients (see the plan's risks and notes)", a.ID)
			}
		}
	}
	return ""
}

// managed explains why a config file must not be edited, or "".
func (p *Plan) managed() string {
	env := p.envFiles()
	for _, hp := range p.stagedPaths() {
		if env[hp] || bytes.Equal(p.staged[hp], p.orig[hp]) {
			continue
		}
		name := p.deployPath(hp)
		if real, err := filepath.EvalSymlinks(hp); err == nil && (strings.HasPrefix(real, "/nix/store/") || strings.Contains(real, "/nix/store/")) {
			return fmt.Sprintf("%s is a link into the Nix store (%s): it is managed by Nix; change your Nix configuration instead", name, real)
		}
		fi, err := os.Stat(hp)
		if err == nil && fi.Mode().Perm()&0o222 == 0 {
			return fmt.Sprintf("%s is a read-only file (mode %04o): clawgov will not override that; make it writable if it is not managed by another tool", name, fi.Mode().Perm())
		}
		head := p.orig[hp]
		if len(head) > 2048 {
			head = head[:2048]
		}
		lower := strings.ToLower(string(head))
		for _, m := range []string{"managed by", "do not edit", "generated by"} {
			if i := strings.Index(lower, m); i >= 0 && inComment(lower, i) {
				return fmt.Sprintf("%s says it is %q another tool: change it there (clawgov leaves managed configs alone)", name, m)
			}
		}
	}
	return ""
}

// inComment reports whether offset i of s is inside a // or /* comment
// (a cheap scan, good enough for a header).
func inComment(s string, i int) bool {
	ls := strings.LastIndexByte(s[:i], '\n') + 1
	if strings.Contains(s[ls:i], "//") || strings.HasPrefix(strings.TrimSpace(s[ls:i]), "#") {
		return true
	}
	open := strings.LastIndex(s[:i], "/*")
	return open >= 0 && !strings.Contains(s[open:i], "*/")
}

// running reports whether a gateway process runs on this host.
func (p *Plan) running() bool {
	return p.opts.Rootfs == "" && p.hostF != nil && len(p.hostF.Processes) > 0
}

// ---- validation with the real OpenClaw ----

// validate runs `openclaw config validate --json` on a staged copy of the
// config set in a throw-away home. It returns "ok", or a description of
// the rejection (which also becomes the plan's refusal).
func (p *Plan) validate() string {
	tmp, err := os.MkdirTemp("", "clawgov-validate-*")
	if err != nil {
		return "not run: " + err.Error()
	}
	defer os.RemoveAll(tmp)
	home, state, cfgDir := filepath.Join(tmp, "home"), filepath.Join(tmp, "state"), filepath.Join(tmp, "cfg")
	for _, d := range []string{home, state, cfgDir, filepath.Join(tmp, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "not run: " + err.Error()
		}
	}
	mainDir := path.Dir(p.ConfigPath)
	files := append([]string{p.ConfigPath}, p.cfg.Includes...)
	for _, f := range files {
		rel, err := filepath.Rel(mainDir, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			if _, changed := p.staged[p.hostPath(f)]; changed {
				return "not run: include " + f + " is outside the config directory"
			}
			continue // read from its own place through OPENCLAW_INCLUDE_ROOTS
		}
		b, ok := p.staged[p.hostPath(f)]
		if !ok {
			b, err = os.ReadFile(p.hostPath(f))
			if err != nil {
				if f == p.ConfigPath {
					b = []byte("{}\n")
				} else {
					return "not run: " + err.Error()
				}
			}
		}
		dst := filepath.Join(cfgDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "not run: " + err.Error()
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return "not run: " + err.Error()
		}
	}
	// ${VAR} references resolve from the state dir's .env as in OpenClaw.
	envFile := p.hostPath(path.Join(p.StateDir, ".env"))
	if b, ok := p.staged[envFile]; ok {
		_ = os.WriteFile(filepath.Join(state, ".env"), b, 0o600)
	} else if b, err := os.ReadFile(envFile); err == nil {
		_ = os.WriteFile(filepath.Join(state, ".env"), b, 0o600)
	}
	env := []string{
		"HOME=" + home, "PATH=" + p.opts.Getenv("PATH"), "TMPDIR=" + filepath.Join(tmp, "tmp"),
		"OPENCLAW_STATE_DIR=" + state, "OPENCLAW_CONFIG_PATH=" + filepath.Join(cfgDir, path.Base(p.ConfigPath)),
		"OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "NO_COLOR=1",
	}
	// ${VAR} references in the config resolve from the gateway's
	// environment: pass exactly those variables through.
	for _, name := range p.templateVars() {
		if v, _ := p.env(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	if len(p.inv.Paths.IncludeRoots) > 0 {
		env = append(env, "OPENCLAW_INCLUDE_ROOTS="+strings.Join(p.inv.Paths.IncludeRoots, ":"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.opts.OpenClaw, "config", "validate", "--json")
	cmd.Env, cmd.Dir = env, tmp
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct {
		Valid  bool `json:"valid"`
		Issues []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"issues"`
	}
	out := stdout.Bytes()
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &res); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		if runErr != nil {
			return fmt.Sprintf("rejected: openclaw config validate failed: %v %s", runErr, msg)
		}
		return "rejected: unreadable output from openclaw config validate"
	}
	if res.Valid {
		return "ok"
	}
	var parts []string
	for _, is := range res.Issues {
		parts = append(parts, is.Path+": "+is.Message)
	}
	return "rejected: " + finding.RedactAll(strings.Join(parts, "; "), p.secrets)
}

var envRefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)\}`) })

// templateVars lists the variables ${VAR} references in the config name.
func (p *Plan) templateVars() []string {
	seen := map[string]bool{}
	var out []string
	var walk func(v *json5.Value)
	walk = func(v *json5.Value) {
		if v == nil {
			return
		}
		src := v.Template
		if src == "" && v.Kind == json5.String {
			src = v.Str
		}
		for _, m := range envRefRE().FindAllStringSubmatch(src, -1) {
			switch m[1] {
			case "HOME", "PATH", "TMPDIR", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_HOME":
				continue
			}
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
		for _, m := range v.Members {
			walk(m.Value)
		}
		for _, e := range v.Elems {
			walk(e)
		}
	}
	if p.cfg != nil {
		walk(p.cfg.Root)
	}
	sort.Strings(out)
	return out
}

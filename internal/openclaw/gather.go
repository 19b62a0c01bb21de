package openclaw

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/json5"
)

// Options tell Gather where to look.
type Options struct {
	// Rootfs is treated as "/" for every absolute path ("" = live host).
	Rootfs string
	// Getenv is clawgov's own environment (os.Getenv in production).
	Getenv func(string) string
	// ServiceEnv is the gateway's service environment (unit Environment=
	// and EnvironmentFile=, running process env); it wins over Getenv, as
	// it is what the gateway actually runs with.
	ServiceEnv map[string]string
	// ServiceEnvSources names where each ServiceEnv key came from.
	ServiceEnvSources map[string]string
	// StateDir and ConfigPath come from --state-dir / --config.
	StateDir   string
	ConfigPath string
	// Profile is --profile of OpenClaw (named profile), not clawgov's.
	Profile string
	// HomeDir overrides the home directory (e.g. the service user's home
	// under --rootfs); "" resolves like OpenClaw.
	HomeDir string
	// PathDirs is the PATH to search for the openclaw binary (a PATH in
	// ServiceEnv takes precedence: it is what the service runs with).
	PathDirs []string
	Logger   *slog.Logger
	// Now is the clock (today's dated log file); nil means time.Now.
	Now func() time.Time
}

// Gather builds the inventory. It returns an error only when the audit
// cannot proceed meaningfully (see ConfigError); unreadable files become
// Problems.
func Gather(ctx context.Context, opts Options) (*Inventory, error) {
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inv := &Inventory{Rootfs: opts.Rootfs}
	r, paths, probs := resolveAll(opts)
	env := r.env
	inv.Problems = append(inv.Problems, probs...)
	log.Debug("openclaw paths", "state", paths.StateDir, "config", paths.ConfigPath, "how", paths.How)

	if paths.ConfigExists {
		cfg, err := LoadConfig(opts.Rootfs, paths.ConfigPath, env.get, paths.IncludeRoots)
		if err != nil {
			return nil, err
		}
		inv.Config = cfg
		for k, v := range configEnvVars(cfg.Root) {
			if !env.isSet(k) {
				env.vals[k] = v
				env.src[k] = "config:" + cfg.Path + " env"
			}
		}
	}
	r.resolveWorkspaces(&paths, inv.Config)
	inv.Paths = paths
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	st, probs := ReadState(ctx, opts.Rootfs, paths.StateDir)
	inv.Problems = append(inv.Problems, probs...)
	if recs := ConfigPluginInstalls(inv.Config); len(recs) > 0 {
		if st == nil {
			st = &State{Legacy: true}
		}
		st.PluginInstalls = append(st.PluginInstalls, recs...)
	}
	inv.State = st

	pathDirs := opts.PathDirs
	if v, ok := env.vals["PATH"]; ok {
		pathDirs = strings.Split(v, ":")
	}
	installs, probs := FindInstalls(InstallOptions{Rootfs: opts.Rootfs, PathDirs: pathDirs, Home: r.osHome, Getenv: env.get})
	inv.Installs = installs
	inv.Problems = append(inv.Problems, probs...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	plugins, probs := FindPlugins(opts.Rootfs, paths)
	inv.Plugins = plugins
	inv.Problems = append(inv.Problems, probs...)
	skills, probs := FindSkills(opts.Rootfs, paths, inv.Config, plugins)
	inv.Skills = skills
	inv.Problems = append(inv.Problems, probs...)

	files, logs, probs := FileFacts(opts.Rootfs, paths, inv.Config, paths.Profile, opts.Now())
	inv.Files, inv.LogFiles = files, logs
	inv.Problems = append(inv.Problems, probs...)

	inv.Env, inv.EnvSources = env.snapshot()
	for _, p := range inv.Problems {
		log.Debug("openclaw inventory problem", "area", p.Area, "path", p.Path, "err", p.Err)
	}
	return inv, nil
}

// resolveAll resolves the paths, applies the dotenv files OpenClaw loads
// and resolves again when one of them moved a path.
func resolveAll(opts Options) (*pathResolver, Paths, []Problem) {
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	var probs []Problem
	env := newEnvState(opts)
	r := &pathResolver{rfs: newRootFS(opts.Rootfs), env: env, opts: opts, how: map[string]string{}}
	paths := r.resolve()
	r.loadDotEnv(&paths, &probs)
	if dotenvMoved(env) {
		// A dotenv file relocated home/state/config/credentials: resolve
		// again with it (the dotenv files found stay recorded).
		files := paths.DotEnvFiles
		r.how = map[string]string{"dotenv": "paths re-resolved after dotenv"}
		paths = r.resolve()
		paths.DotEnvFiles = files
	}
	paths.IncludeRoots = IncludeRoots(env.get, r.home)
	return r, paths, probs
}

// dotenvMoved reports whether a dotenv file set a variable that moves
// OpenClaw's paths.
func dotenvMoved(env *envState) bool {
	for _, k := range []string{"OPENCLAW_HOME", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_OAUTH_DIR"} {
		if strings.HasPrefix(env.src[k], "dotenv:") {
			return true
		}
	}
	return false
}

// ConfigError means the config exists but cannot be used (parse error,
// include cycle, include escaping its root). OpenClaw refuses to start on
// it too, so the audit stops with a usage/input error naming the file.
type ConfigError struct {
	Path string
	Err  error
}

func (e *ConfigError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Path+":") {
		// Syntax errors already start with "file:line:col".
		return "config " + msg
	}
	return "config " + e.Path + ": " + msg
}
func (e *ConfigError) Unwrap() error { return e.Err }

// Get returns the config value at a dotted path, nil when absent or when
// there is no config.
func (c *Config) Get(path string) *json5.Value {
	if c == nil || c.Root == nil {
		return nil
	}
	return c.Root.Lookup(path)
}

// String returns the string at path.
func (c *Config) String(path string) (string, bool) { return c.Get(path).AsString() }

// Bool returns the boolean at path.
func (c *Config) Bool(path string) (bool, bool) { return c.Get(path).AsBool() }

// ParseConfig parses config text as if it were the file path (no
// $include resolution beyond what getenv and the filesystem allow). Tests
// and the fix engine use it. Implemented in config.go.
var _ = ParseConfig

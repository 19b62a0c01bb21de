package openclaw

import (
	"context"
	"log/slog"
	"strings"

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
	// PathDirs is the PATH to search for the openclaw binary.
	PathDirs []string
	Logger   *slog.Logger
}

// Gather builds the inventory. It returns an error only when the audit
// cannot proceed meaningfully (see ConfigError); unreadable files become
// Problems.
func Gather(ctx context.Context, opts Options) (*Inventory, error) {
	_ = ctx
	return &Inventory{Rootfs: opts.Rootfs, Env: map[string]string{}}, nil
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

// KnownSecrets returns every secret value the inventory holds in memory
// (gateway token/password, hook tokens, channel tokens, API keys, env
// secrets), so callers can scrub any text before it leaves the process.
func KnownSecrets(inv *Inventory) []string {
	_ = inv
	return nil
}

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

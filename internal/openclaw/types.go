// Package openclaw is the only package that knows OpenClaw's on-disk
// formats and locations: path resolution, the JSON5 config with $include and
// ${VAR}, the SQLite state (read-only), the install and its version, skills
// and plugins, and the modes and owners of the files that matter. It is a
// pure reader: nothing here writes to a deployment.
package openclaw

import (
	"io/fs"
	"time"

	"github.com/clawgov/clawgov/internal/json5"
)

// Inventory is everything learned about one OpenClaw deployment.
type Inventory struct {
	// Rootfs is the directory treated as "/" ("" for the live host).
	Rootfs string
	// Env is the effective environment used for resolution: the gateway
	// service's Environment=/EnvironmentFile= on top of clawgov's own.
	Env map[string]string
	// EnvSources says where each OPENCLAW_* variable came from
	// ("process", "unit:/etc/systemd/system/openclaw-gateway.service", ...).
	EnvSources map[string]string

	Paths Paths
	// Config is nil when no config file exists (OpenClaw then runs on
	// defaults, which the checks must treat as such).
	Config *Config
	// State is nil when no state database or legacy JSON state exists.
	State *State
	// Installs lists every OpenClaw-like package found (official, forks,
	// legacy), the one on PATH first.
	Installs []Install
	Skills   []Skill
	Plugins  []Plugin
	// Files are stat results for the files and dirs whose modes matter,
	// keyed by the path as the deployment sees it.
	Files map[string]FileInfo
	// LogFiles are the gateway log files found (configured or default).
	LogFiles []FileInfo
	// Live is filled by the --deep probe of the local gateway; nil when not
	// probed.
	Live *LiveGateway
	// Problems are non-fatal read errors (unreadable file, bad table).
	Problems []Problem
}

// Problem is a read error that did not stop the inventory.
type Problem struct {
	Path string
	Err  error
	// Area names what it affects: config, state, install, skills, files.
	Area string
}

// Paths are resolved as OpenClaw resolves them.
type Paths struct {
	Home           string
	StateDir       string
	ConfigPath     string
	CredentialsDir string
	Workspace      string
	// Profile is the named profile ("" for the default).
	Profile string
	// Legacy is true when the state dir or config is a pre-rename layout
	// (~/.clawdbot, clawdbot.json, ...).
	Legacy bool
	// StateDirExists and ConfigExists record what was found on disk.
	StateDirExists bool
	ConfigExists   bool
	// How records how each path was chosen ("OPENCLAW_STATE_DIR",
	// "--state-dir", "default", "legacy ~/.clawdbot").
	How map[string]string
	// AgentWorkspaces maps every configured agent (and the default one)
	// to its workspace; Workspace is the default agent's.
	AgentWorkspaces map[string]string
	// DotEnvFiles are the dotenv files OpenClaw would load that exist
	// (<state>/.env, ~/.config/openclaw/gateway.env).
	DotEnvFiles []string
	// IncludeRoots are the extra $include roots (OPENCLAW_INCLUDE_ROOTS).
	IncludeRoots []string
}

// Config is the loaded, merged configuration.
type Config struct {
	// Path is the main config file as the deployment sees it.
	Path string
	// Root is the merged tree after $include and ${VAR}; every node keeps
	// the file and line it came from.
	Root *json5.Value
	// Includes are the files pulled in by $include, in load order.
	Includes []string
	// Unresolved lists ${VAR} references with no value (kept literally).
	Unresolved []string
	// UnresolvedRefs says where each unresolved reference is.
	UnresolvedRefs []EnvRef
}

// State is what the SQLite state (or the older JSON files) says.
type State struct {
	Path          string
	Legacy        bool // facts came from pre-2026.9.6 JSON files
	AppVersion    string
	SchemaVersion int
	Tables        []string

	ExecApprovals *ExecApprovals
	CronJobs      []CronJob
	Devices       []PairedDevice
	// Secrets lists store entries: names and allowed hosts, never values.
	Secrets        []SecretEntry
	Audit          AuditStats
	PluginInstalls []PluginInstallRecord
	// PairingAllow are senders approved through DM pairing.
	PairingAllow []PairingAllowEntry
	// AuthProfiles are model auth profiles from the shared store
	// (config_machine_state authProfiles.store) and the per-agent
	// databases (auth_profile_store); values are never read.
	AuthProfiles []AuthProfile
	// CredentialRows counts rows of other credential tables
	// (mcp_oauth_stores, device_auth_tokens, worker_environment_credentials).
	CredentialRows map[string]int
	// AuthProfileFiles are legacy auth-profiles.json files found
	// (plaintext model credentials in older builds).
	AuthProfileFiles []string
	// LegacyFiles are pre-2026.9.6 JSON state files read or found
	// (exec-approvals.json, cron/jobs.json).
	LegacyFiles []string
	// Snapshot says how the database was read: "copy" (copied with its
	// WAL to a private directory), "immutable" (no WAL; opened in place
	// read-only) or "" for JSON-only state.
	Snapshot string
}

// AuthProfile is one model auth profile, without its secret.
type AuthProfile struct {
	// Store is "shared" or the agent ID of a per-agent database.
	Store    string
	ID       string
	Type     string // api_key, oauth, token
	Provider string
	// HasSecret is true when a plaintext key/token is stored; HasRef
	// when a SecretRef (keyRef/tokenRef) is used instead.
	HasSecret bool
	HasRef    bool
}

// PairingAllowEntry is one row of channel_pairing_allow_entries.
type PairingAllowEntry struct {
	Channel string
	Account string
	Entry   string
}

// ExecApprovals is the host exec approvals document.
type ExecApprovals struct {
	Source          string // "sqlite" or the JSON file path
	DefaultSecurity string
	DefaultAsk      string
	AskFallback     string
	AutoAllowSkills bool
	AllowlistCount  int
	// Agents maps agent ID to its overrides.
	Agents map[string]AgentApprovals
	// SocketPath and HasSocketToken describe the approvals socket.
	SocketPath     string
	HasSocketToken bool
	// socketToken is kept only so KnownSecrets can scrub it.
	socketToken string
}

// AgentApprovals is a per-agent part of the approvals document.
type AgentApprovals struct {
	Security        string
	Ask             string
	AskFallback     string
	AutoAllowSkills *bool
	Allowlist       []string
}

// CronJob is a scheduled job.
type CronJob struct {
	// Store is the cron store key (older: the jobs.json path).
	Store       string
	ID          string
	Name        string
	Enabled     bool
	PayloadKind string
	Schedule    string
	ToolsAllow  []string
	// Command is the shell command of an exec payload, if any.
	Command string
}

// PairedDevice is an operator or node device.
type PairedDevice struct {
	ID          string
	Role        string
	Scopes      []string
	RemoteIP    string
	ApprovedVia string
}

// SecretEntry is a secret store row without its value.
type SecretEntry struct {
	// ID is the entry name (e.g. OPENAI_API_KEY).
	ID string
	// Provider is "store" for secret_store_entries.
	Provider     string
	AllowedHosts []string
	HasValue     bool
	// ScopeKind/ScopeID are the store scope ("team"/"" or
	// "identity"/<id>); Kind is "secret" or "env".
	ScopeKind string
	ScopeID   string
	Kind      string
	// Deleted is true for soft-deleted rows (deleted_at_ms set).
	Deleted bool
}

// AuditStats summarises the audit_events table.
type AuditStats struct {
	TablePresent bool
	Count        int
	Earliest     time.Time
	Latest       time.Time
}

// PluginInstallRecord is an install record of a plugin or hook pack.
type PluginInstallRecord struct {
	// From is where the record was read: "sqlite" or "config"
	// (plugins.installs in older configs).
	From        string
	ID          string
	Source      string
	Spec        string
	InstallPath string
	Version     string
	Integrity   string
}

// Install is one OpenClaw-like package found on the host.
type Install struct {
	// Bin is the command path that led here ("" when found by prefix).
	Bin string
	// Root is the package root (dir holding package.json).
	Root       string
	Name       string
	Version    string
	Repository string
	Bins       []string
	// Method: npm-global, pnpm-global, bun-global, local, git, install-cli,
	// docker, unknown.
	Method    string
	BuildInfo *BuildInfo
	// Integrity of the installed tarball when a lockfile or npm cache
	// recorded it; IntegritySource names that file.
	Integrity       string
	IntegritySource string
	// Registry the package was resolved from and where that was read.
	Registry       string
	RegistrySource string
	// OnPath is true for the install the `openclaw` command runs.
	OnPath bool
}

// BuildInfo is dist/build-info.json.
type BuildInfo struct {
	Version string
	Commit  string
	BuiltAt string
	BuildID string
}

// Skill is one installed skill directory.
type Skill struct {
	Name string
	Dir  string
	// Root is the kind of root it was found in: workspace, workspace-agents,
	// user-agents, managed, workshop, bundled, extra, plugin.
	Root   string
	Origin *SkillOrigin
}

// SkillOrigin is .clawhub/origin.json (or the workspace lock entry).
type SkillOrigin struct {
	Source           string // "origin.json" or "lock.json"
	Registry         string
	Slug             string
	OwnerHandle      string
	InstalledVersion string
	TrustState       string
	Integrity        string
	FileTreeSHA256   string
}

// Plugin is one installed plugin.
type Plugin struct {
	ID      string
	Dir     string
	Name    string
	Version string
	// ManifestID is the id in openclaw.plugin.json ("" when absent).
	ManifestID string
	// SkillDirs are the skill directories the manifest declares.
	SkillDirs []string
}

// FileInfo is a stat result. Exists is false when the path is absent.
type FileInfo struct {
	Path      string
	Role      string // state-dir, config, include, credentials-dir, credential, sqlite, log, log-dir, agent-dir, workspace, env-file
	Exists    bool
	IsDir     bool
	IsSymlink bool
	// LinkTarget is where a symlink resolves (inside the rootfs); Mode,
	// UID and GID then describe the target.
	LinkTarget string
	Mode       fs.FileMode
	UID        int
	GID        int
	Size       int64
	ModTime    time.Time
	Err        string
}

// LiveGateway is what a non-executing probe of the local gateway saw.
type LiveGateway struct {
	URL       string
	Reachable bool
	Version   string
	// Auth is "open", "required" or "unknown".
	Auth            string
	ControlUI       bool
	TerminalEnabled *bool
	OpenAIEndpoints *bool
	WSChallenge     bool
	Error           string
	// Product is OpenClaw, Clawdbot or Moltbot when confirmed.
	Product string
	// OpenAI is off, on (behind auth) or open; "" when not determined.
	// OpenAIEndpoints is its boolean summary.
	OpenAI string
	// TLS is true when the gateway answered over TLS.
	TLS bool
	// Evidence is one line per probe request: what was sent, what came
	// back, which signatures matched.
	Evidence []string
}

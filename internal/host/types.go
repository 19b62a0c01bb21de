// Package host reads facts about the machine an OpenClaw deployment runs on:
// users, groups and sudo rights, the running gateway processes, listening
// sockets, the service units that start the gateway, container markers and
// the host firewall. Under --rootfs every fact that is a file is read from
// that root, and identity never comes from clawgov's own process. It is a
// pure reader: Root (and ReadFile, Open, Lstat, Stat, Resolve) confine
// every read to the root, resolving symlinks inside it, and are meant to
// be reused by other packages that read files under --rootfs.
package host

// Facts is the host snapshot.
type Facts struct {
	// Rootfs is the root the file facts were read from ("" = live "/").
	Rootfs string
	// Live is true when /proc describes the audited system (no --rootfs),
	// so processes and sockets are meaningful.
	Live     bool
	Hostname string
	OS       string
	// OSID and OSVersion are ID= and VERSION_ID= from os-release.
	OSID      string
	OSVersion string

	Container Container
	Users     []User
	Groups    []Group
	Sudoers   []SudoRule
	Processes []Process
	Sockets   []Socket
	Units     []Unit
	Firewall  Firewall
	// Problems are non-fatal read errors.
	Problems []Problem
	// Coverage says which sources were actually read, so a consumer can
	// tell "no sudo rule" from "sudoers unreadable".
	Coverage Coverage
	// Scheduled lists jobs the host runs on a schedule (crontab lines,
	// /etc/cron.d, systemd timers with the ExecStart of the service they
	// trigger), read under Rootfs. Used to tell whether a regular security
	// audit is scheduled; Coverage.Scheduled says whether it was read.
	Scheduled []ScheduledJob
}

// ScheduledJob is one scheduled command on the host.
type ScheduledJob struct {
	// Kind: crontab, cron.d, cron.hourly/daily/weekly/monthly (Command
	// is then the script's commands), systemd-timer (enabled timers
	// only), launchd (StartInterval/StartCalendarInterval jobs).
	Kind string
	// Source is the file it was read from; Line is 1-based where known.
	Source string
	Line   int
	// Schedule is the cron expression or OnCalendar= value.
	Schedule string
	// Command is what runs.
	Command string
	// User the command runs as, where the source says.
	User string
}

// Coverage records which fact sources were read completely. A false field
// means the matching facts are unknown, not empty.
type Coverage struct {
	Passwd bool
	Group  bool
	// Sudoers is true when /etc/sudoers and every file it includes were
	// read.
	Sudoers bool
	// Processes and Sockets are true on a live host whose /proc was
	// readable.
	Processes bool
	Sockets   bool
	// Scheduled is true when crontabs and systemd timers were read.
	Scheduled bool
}

// Problem is a read error that did not stop fact gathering.
type Problem struct {
	Path string
	Err  error
}

// Container describes container markers.
type Container struct {
	InContainer bool
	// Markers that were found: /.dockerenv, /run/.containerenv,
	// /proc/1/cgroup:docker, FLY_APP_NAME ...
	Markers []string
	// Privileged is nil when unknown.
	Privileged *bool
	// DockerSocket is true when /var/run/docker.sock exists in the root
	// (inside a container: mounted from the host).
	DockerSocket bool
	// DockerSocketPath is the in-root path found (/var/run/docker.sock or
	// /run/docker.sock).
	DockerSocketPath string
}

// User is an /etc/passwd entry.
type User struct {
	Name  string
	UID   int
	GID   int
	Home  string
	Shell string
}

// Group is an /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// SudoRule is one sudoers line that grants something.
type SudoRule struct {
	File string
	Line int
	// Who is the user or %group the rule applies to.
	Who      string
	Rule     string
	NoPasswd bool
	// All is true when the rule grants ALL commands.
	All bool
	// RunAs is the runas spec of the rule ("(ALL : ALL)" -> "ALL:ALL");
	// empty means the default, root.
	RunAs string
	// NoPasswdAll is true when ALL commands are granted with NOPASSWD.
	NoPasswdAll bool
	// Via names the User_Alias the rule reached Who through, if any.
	Via string
}

// Process is a running OpenClaw gateway (or node host) process.
type Process struct {
	PID int
	// UID is the real and EUID the effective user ID from
	// /proc/<pid>/status; -1 when it was unreadable.
	UID  int
	EUID int
	User string
	Comm string
	// Cmdline is the argument vector joined by spaces, with the values
	// of secret flags (--token, --password, ...) replaced by "***".
	Cmdline string
	// Env holds only the OPENCLAW_*, CLAWHUB_*, HOME and NODE_OPTIONS
	// variables of the process, secrets among them redacted by the
	// consumer. Nil when /proc/<pid>/environ was unreadable.
	Env map[string]string
	// Inodes are the socket inodes the process holds.
	Inodes []uint64
}

// Socket is a listening TCP socket.
type Socket struct {
	Proto string // tcp or tcp6
	IP    string
	Port  int
	UID   int
	Inode uint64
	// PID owning the socket, 0 when not attributable.
	PID int
	// Scope classifies IP: loopback, private, public or wildcard.
	Scope Scope
}

// Unit is a service definition that starts the gateway.
type Unit struct {
	Path string
	// Kind: systemd-system, systemd-user or launchd.
	Kind      string
	Name      string
	User      string
	Group     string
	ExecStart string
	// Environment is Environment= plus the EnvironmentFile= contents, in
	// systemd's order (later wins).
	Environment      map[string]string
	EnvironmentFiles []string
	// Owner is the account a user unit or launch agent belongs to (from
	// its home dir); "" for system units, launch daemons and global user
	// units (/etc/systemd/user, /Library/LaunchAgents), which run for
	// every user who starts a session.
	Owner string
	// Hardening lists notable directives (NoNewPrivileges, ProtectSystem, ...).
	Hardening map[string]string

	// RunAs is the account the service really runs as: User= when set,
	// otherwise root for system units and launch daemons, the Owner for
	// user units and launch agents, "" with DynamicUser (a transient uid).
	RunAs       string
	DynamicUser bool
	// EnvSource maps each Environment key to where it was set
	// ("Environment=" with the unit or drop-in path, or an env file path).
	EnvSource map[string]string
	// DropIns are the drop-in files applied, in order.
	DropIns []string
	// Enabled is true when a *.wants/ link or launchd RunAtLoad starts the
	// unit; nil when that cannot be told.
	Enabled *bool
	// Masked is true when the unit file is a link to /dev/null.
	Masked bool
	// Args is ExecStart (or ProgramArguments) split into words.
	Args []string
}

// Firewall summarises host firewall rules that could be read.
type Firewall struct {
	// Known is false when no rules could be read: unknown, never "open".
	Known bool
	// Sources are the files or interfaces read.
	Sources []string
	// Active is true when some firewall (nftables, iptables, ufw) has rules.
	Active bool
	// DefaultDrop is true when incoming traffic is dropped by default.
	DefaultDrop bool
	// Ports maps a TCP port to "allow" or "deny" where an active
	// firewall's rule names it (single ports and ranges of at most 256
	// ports; PortVerdict also answers for wider ranges).
	Ports map[int]string
	// Rules are all TCP port rules read, in file order per backend;
	// PortVerdict consults them for ports inside ranges.
	Rules []PortRule
	// Backends are the individual firewalls found.
	Backends []FirewallBackend
}

// PortRule is one inbound TCP port rule.
type PortRule struct {
	Backend string
	Source  string // file the rule was read from
	Line    int
	From    int
	To      int
	// Action is "allow" or "deny".
	Action string
	// Addr is the source address restriction ("" = any).
	Addr string
}

// FirewallBackend is one firewall configuration that was read.
type FirewallBackend struct {
	// Name: nftables, iptables, ip6tables, ufw, firewalld.
	Name   string
	Source string
	// Enabled is true when the backend's service starts at boot (or ufw's
	// ENABLED=yes), false when it demonstrably does not, nil when unknown.
	Enabled     *bool
	Active      bool
	DefaultDrop bool
	Rules       int
}

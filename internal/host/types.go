// Package host reads facts about the machine an OpenClaw deployment runs on:
// users, groups and sudo rights, the running gateway processes, listening
// sockets, the service units that start the gateway, container markers and
// the host firewall. Under --rootfs every fact that is a file is read from
// that root, and identity never comes from clawgov's own process. It is a
// pure reader.
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
}

// Process is a running OpenClaw gateway (or node host) process.
type Process struct {
	PID     int
	UID     int
	User    string
	Comm    string
	Cmdline string
	// Env holds only the OPENCLAW_*/CLAWHUB_* variables of the process,
	// secrets among them redacted by the consumer.
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
}

// Unit is a service definition that starts the gateway.
type Unit struct {
	Path string
	// Kind: systemd-system, systemd-user, launchd, openrc, sysv.
	Kind      string
	Name      string
	User      string
	Group     string
	ExecStart string
	// Environment is Environment= plus the EnvironmentFile= contents, in
	// systemd's order (later wins).
	Environment      map[string]string
	EnvironmentFiles []string
	// Owner is the account a user unit belongs to (from its home dir).
	Owner string
	// Hardening lists notable directives (NoNewPrivileges, ProtectSystem, ...).
	Hardening map[string]string
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
	// Ports maps a TCP port to "allow" or "deny" where a rule names it.
	Ports map[int]string
}

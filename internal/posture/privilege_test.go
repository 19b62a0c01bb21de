package posture

import (
	"io/fs"
	"testing"

	"github.com/clawgov/clawgov/internal/host"
)

func TestPrivilegeChecks(t *testing.T) {
	yes := true
	no := false
	systemUnit := func(user string) func(*Snapshot) {
		return func(s *Snapshot) {
			s.Host.Units = []host.Unit{{Path: "/etc/systemd/system/openclaw-gateway.service", Kind: "systemd-system", Name: "openclaw-gateway.service", User: user, ExecStart: "/usr/bin/openclaw gateway run"}}
			s.Host.Processes = nil
		}
	}
	lpRun(t, []lpCase{
		// CG-PRV-001
		{name: "gateway as service user", check: "CG-PRV-001"},
		{name: "gateway as root", mut: func(s *Snapshot) {
			s.Host.Processes[0].UID, s.Host.Processes[0].EUID, s.Host.Processes[0].User = 0, 0, "root"
		}, check: "CG-PRV-001", want: []string{"fail:process_root"}},
		{name: "setuid to root (euid 0)", mut: func(s *Snapshot) { s.Host.Processes[0].EUID = 0 }, check: "CG-PRV-001", want: []string{"fail:process_root"}},
		{name: "rootfs audit cannot see processes", mut: func(s *Snapshot) { s.Host.Live = false; s.Host.Processes = nil }, check: "CG-PRV-001", want: []string{"skip:no_live_host"}},
		{name: "proc unreadable", mut: func(s *Snapshot) { s.Host.Processes = nil; s.Host.Coverage.Processes = false }, check: "CG-PRV-001", want: []string{"error:-"}},
		{name: "no host facts", mut: func(s *Snapshot) { s.Host = nil }, check: "CG-PRV-001", want: []string{"error:-"}},

		// CG-PRV-002
		{name: "user unit", check: "CG-PRV-002"},
		{name: "system unit without User=", mut: systemUnit(""), check: "CG-PRV-002", want: []string{"fail:unit_no_user"}},
		{name: "system unit User=root", mut: systemUnit("root"), check: "CG-PRV-002", want: []string{"fail:unit_root"}},
		{name: "system unit User=openclaw", mut: systemUnit("openclaw"), check: "CG-PRV-002"},
		{name: "User= names a uid-0 alias", mut: func(s *Snapshot) {
			systemUnit("toor")(s)
			s.Host.Users = append(s.Host.Users, host.User{Name: "toor", UID: 0})
		}, check: "CG-PRV-002", want: []string{"fail:unit_root"}},
		{name: "RunAs from facts wins", mut: func(s *Snapshot) {
			systemUnit("")(s)
			s.Host.Units[0].DynamicUser = true
		}, check: "CG-PRV-002"},
		{name: "no unit", mut: func(s *Snapshot) { s.Host.Units = nil }, check: "CG-PRV-002", want: []string{"skip:no_unit"}},

		// CG-PRV-003
		{name: "dedicated unprivileged user", check: "CG-PRV-003"},
		{name: "service user in sudo group", mut: func(s *Snapshot) { s.Host.Groups[3].Members = append(s.Host.Groups[3].Members, "openclaw") }, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "service user in docker group", mut: func(s *Snapshot) { s.Host.Groups[4].Members = []string{"openclaw"} }, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "unit adds the docker group", mut: func(s *Snapshot) {
			s.Host.Units[0].Hardening = map[string]string{"SupplementaryGroups": "audio docker"}
		}, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "unit Group=wheel", mut: func(s *Snapshot) { s.Host.Units[0].Group = "wheel" }, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "unit harmless groups", mut: func(s *Snapshot) {
			s.Host.Units[0].Group = "openclaw"
			s.Host.Units[0].Hardening = map[string]string{"SupplementaryGroups": "audio"}
		}, check: "CG-PRV-003"},
		{name: "NOPASSWD ALL for user", mut: func(s *Snapshot) {
			s.Host.Sudoers = []host.SudoRule{{File: "/etc/sudoers.d/openclaw", Line: 1, Who: "openclaw", Rule: "ALL=(ALL) NOPASSWD: ALL", NoPasswd: true, All: true, NoPasswdAll: true}}
		}, check: "CG-PRV-003", want: []string{"fail:admin_sudo"}},
		{name: "sudo via %group", mut: func(s *Snapshot) {
			s.Host.Groups = append(s.Host.Groups, host.Group{Name: "ops", GID: 500, Members: []string{"openclaw"}})
			s.Host.Sudoers = []host.SudoRule{{File: "/etc/sudoers", Line: 30, Who: "%ops", Rule: "ALL=(ALL:ALL) ALL", All: true}}
		}, check: "CG-PRV-003", want: []string{"fail:admin_sudo"}},
		{name: "sudo rule for someone else", mut: func(s *Snapshot) {
			s.Host.Sudoers = []host.SudoRule{{File: "/etc/sudoers", Line: 30, Who: "%sudo", Rule: "ALL=(ALL:ALL) ALL", All: true}}
		}, check: "CG-PRV-003"},
		{name: "root service user", mut: systemUnit(""), check: "CG-PRV-003", want: []string{"fail:admin_uid0"}},
		{name: "identity from state dir owner", mut: func(s *Snapshot) {
			s.Host.Units, s.Host.Processes = nil, nil
			f := s.OC.Files[lpTestState]
			f.UID = 1000 // alice, a sudoer by group
			s.OC.Files[lpTestState] = f
		}, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "state dir owner is an admin although the unit is not", mut: func(s *Snapshot) {
			f := s.OC.Files[lpTestState]
			f.UID = 1000
			s.OC.Files[lpTestState] = f
		}, check: "CG-PRV-003", want: []string{"fail:admin_group"}},
		{name: "no identity at all", mut: func(s *Snapshot) {
			s.Host.Units, s.Host.Processes = nil, nil
			delete(s.OC.Files, lpTestState)
		}, check: "CG-PRV-003", want: []string{"error:no_identity"}},
		{name: "sudoers unreadable is unknown", mut: func(s *Snapshot) { s.Host.Coverage.Sudoers = false }, check: "CG-PRV-003", want: []string{"error:host_unknown"}},
		{name: "user missing from passwd", mut: func(s *Snapshot) { s.Host.Units[0].RunAs = "ghost"; s.Host.Processes = nil }, check: "CG-PRV-003", want: []string{"error:user_unknown"}},
		{name: "no host facts", mut: func(s *Snapshot) { s.Host = nil }, check: "CG-PRV-003", want: []string{"error:no_host"}},

		// CG-PRV-004
		{name: "owned by service user", check: "CG-PRV-004"},
		{name: "state dir owned by root, service user openclaw", cfg: `{}`, mut: func(s *Snapshot) {
			f := s.OC.Files[lpTestState]
			f.UID = 0
			s.OC.Files[lpTestState] = f
		}, check: "CG-PRV-004", want: []string{"fail:owned_root"}},
		{name: "config owned by root with root gateway", cfg: `{}`, mut: func(s *Snapshot) {
			systemUnit("")(s)
			f := s.OC.Files[lpTestConfig]
			f.UID = 0
			s.OC.Files[lpTestConfig] = f
		}, check: "CG-PRV-004", want: []string{"fail:owned_root_as_root"}},
		{name: "owners not collected", mut: func(s *Snapshot) { s.OC.Files = nil }, check: "CG-PRV-004", want: []string{"error:-"}},

		// CG-PRV-005
		{name: "not in a container", check: "CG-PRV-005"},
		{name: "privileged container", mut: func(s *Snapshot) {
			s.Host.Container = host.Container{InContainer: true, Privileged: &yes, Markers: []string{"/.dockerenv"}}
		}, check: "CG-PRV-005", want: []string{"fail:privileged"}},
		{name: "docker.sock mounted", mut: func(s *Snapshot) {
			s.Host.Container = host.Container{InContainer: true, Privileged: &no, DockerSocket: true, DockerSocketPath: "/var/run/docker.sock"}
		}, check: "CG-PRV-005", want: []string{"fail:docker_sock"}},
		{name: "plain container", mut: func(s *Snapshot) { s.Host.Container = host.Container{InContainer: true, Privileged: &no} }, check: "CG-PRV-005"},
		{name: "privilege unknown", mut: func(s *Snapshot) { s.Host.Container = host.Container{InContainer: true} }, check: "CG-PRV-005", want: []string{"error:privilege_unknown"}},
		{name: "privilege not visible in an image", mut: func(s *Snapshot) { s.Host.Live = false; s.Host.Container = host.Container{InContainer: true} }, check: "CG-PRV-005", want: []string{"skip:no_live_host"}},

		// CG-PRV-007
		{name: "service user with bash", mut: func(s *Snapshot) { s.Host.Users[1].Shell = "/bin/bash" }, check: "CG-PRV-007", want: []string{"warn:login_shell"}},
		{name: "service user with nologin", mut: func(s *Snapshot) { s.Host.Users[1].Shell = "/usr/sbin/nologin" }, check: "CG-PRV-007"},
		{name: "root service is judged elsewhere", mut: systemUnit(""), check: "CG-PRV-007"},
		{name: "no identity", mut: func(s *Snapshot) { s.Host.Units, s.Host.Processes, s.OC.Files = nil, nil, nil }, check: "CG-PRV-007", want: []string{"skip:no_identity"}},
		{name: "no host", mut: func(s *Snapshot) { s.Host = nil }, check: "CG-PRV-007", want: []string{"error:no_host"}},

		// CG-PRV-006
		{name: "sandbox binds docker.sock", cfg: `{agents: {defaults: {sandbox: {mode: "all", docker: {binds: ["/var/run/docker.sock:/var/run/docker.sock"]}}}}}`, check: "CG-PRV-006", want: []string{"fail:sandbox_docker_sock"}},
		{name: "agent sandbox binds docker.sock", cfg: `{agents: {list: [{id: "ci", sandbox: {docker: {binds: ["/run/docker.sock:/x:ro"]}}}]}}`, check: "CG-PRV-006", want: []string{"fail:sandbox_docker_sock"}},
		{name: "harmless bind", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/srv/data:/data:ro"]}}}}}`, check: "CG-PRV-006"},
		{name: "socket path only inside the container", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/srv/sock:/var/run/docker.sock"]}}}}}`, check: "CG-PRV-006"},
	})
}

// The deployment's identity comes from the audited root's facts, never
// from the process running clawgov (which runs as root in this test).
func TestIdentityFromHostFacts(t *testing.T) {
	s := lpSnap(t, "")
	if fs := checkPRV003(s); len(fs) != 0 {
		t.Fatalf("unprivileged service user judged from clawgov's own identity: %+v", fs)
	}
	s.OC.Files[lpTestState] = lpFile(lpTestState, "state-dir", fs.ModeDir|0o700, 999)
	ids := lpIdentities(s, true)
	if len(ids) != 1 || ids[0].User != "openclaw" || ids[0].UID != 999 {
		t.Fatalf("identities %+v", ids)
	}
}

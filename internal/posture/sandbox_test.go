package posture

import (
	"testing"

	"github.com/clawgov/clawgov/internal/host"
)

func TestSandboxChecks(t *testing.T) {
	inContainer := func(s *Snapshot) {
		s.Host.Container = host.Container{InContainer: true, Markers: []string{"/.dockerenv"}}
	}
	lpRun(t, []lpCase{
		// CG-SBX-001
		{name: "default off", check: "CG-SBX-001", want: []string{"warn:mode_off_default"}},
		{name: "explicit off", cfg: `{agents: {defaults: {sandbox: {mode: "off"}}}}`, check: "CG-SBX-001", want: []string{"warn:mode_off"}},
		{name: "all", cfg: `{agents: {defaults: {sandbox: {mode: "all"}}}}`, check: "CG-SBX-001"},
		{name: "non-main", cfg: `{agents: {defaults: {sandbox: {mode: "non-main"}}}}`, check: "CG-SBX-001"},
		{name: "gateway itself in a container", mut: inContainer, check: "CG-SBX-001"},
		{name: "in a container, docker settings left inert", cfg: `{agents: {defaults: {sandbox: {mode: "off", docker: {network: "none"}}}}}`, mut: inContainer, check: "CG-SBX-001", want: []string{"warn:mode_off_docker_config"}},
		{name: "docker settings but off", cfg: `{agents: {defaults: {sandbox: {docker: {network: "none"}}}}}`, check: "CG-SBX-001", want: []string{"warn:mode_off_docker_config"}},
		{name: "agent turns it off", cfg: `{agents: {defaults: {sandbox: {mode: "all"}}, entries: {ops: {sandbox: {mode: "off"}}}}}`, check: "CG-SBX-001", want: []string{"warn:mode_off"}},
		{name: "config unreadable", mut: func(s *Snapshot) { s.OC.Paths.ConfigExists = true }, check: "CG-SBX-001", want: []string{"error:-"}},

		// CG-SBX-002
		{name: "etc bind", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/etc:/host-etc:ro"]}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "ssh dir bind", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/home/oc/.ssh:/root/.ssh"]}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "whole home", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/home/oc:/work"]}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "parent of blocked", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/var:/v"]}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "docker socket", cfg: `{agents: {entries: {a: {sandbox: {docker: {binds: ["/var/run/docker.sock:/var/run/docker.sock"]}}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "relative source", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["data:/data"]}}}}}`, check: "CG-SBX-002", want: []string{"warn:non_absolute"}},
		{name: "blocked path only as container target", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/srv/conf:/etc/app:ro"]}}}}}`, check: "CG-SBX-002"},
		{name: "host root", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/:/host:ro"]}}}}}`, check: "CG-SBX-002", want: []string{"fail:blocked_bind"}},
		{name: "project dir ro", cfg: `{agents: {defaults: {sandbox: {docker: {binds: ["/srv/project:/project:ro"]}}}}}`, check: "CG-SBX-002"},

		// CG-SBX-003
		{name: "host network", cfg: `{agents: {defaults: {sandbox: {docker: {network: "host"}}}}}`, check: "CG-SBX-003", want: []string{"fail:network"}},
		{name: "container namespace", cfg: `{agents: {list: [{id: "x", sandbox: {docker: {network: "container:db"}}}]}}`, check: "CG-SBX-003", want: []string{"fail:network"}},
		{name: "none network", cfg: `{agents: {defaults: {sandbox: {docker: {network: "none"}}}}}`, check: "CG-SBX-003"},

		// CG-SBX-004
		{name: "seccomp unconfined", cfg: `{agents: {defaults: {sandbox: {docker: {seccompProfile: "unconfined"}}}}}`, check: "CG-SBX-004", want: []string{"fail:seccomp"}},
		{name: "apparmor unconfined", cfg: `{agents: {defaults: {sandbox: {docker: {apparmorProfile: "Unconfined"}}}}}`, check: "CG-SBX-004", want: []string{"fail:apparmor"}},
		{name: "custom profiles", cfg: `{agents: {defaults: {sandbox: {docker: {seccompProfile: "/etc/oc-seccomp.json"}}}}}`, check: "CG-SBX-004"},

		// CG-SBX-005
		{name: "dangerous flags", cfg: `{agents: {defaults: {sandbox: {docker: {dangerouslyAllowExternalBindSources: true, dangerouslyAllowContainerNamespaceJoin: true}}}}}`,
			check: "CG-SBX-005", want: []string{"warn:dangerous_flag", "warn:dangerous_flag"}},
		{name: "flags false", cfg: `{agents: {defaults: {sandbox: {docker: {dangerouslyAllowExternalBindSources: false}}}}}`, check: "CG-SBX-005"},

		// CG-SBX-006
		{name: "workspace rw", cfg: `{agents: {defaults: {sandbox: {mode: "all", workspaceAccess: "rw"}}}}`, check: "CG-SBX-006", want: []string{"warn:workspace_rw"}},
		{name: "session tools all", cfg: `{agents: {entries: {a: {sandbox: {sessionToolsVisibility: "all"}}}}}`, check: "CG-SBX-006", want: []string{"warn:session_tools_all"}},
		// CG-SBX-007
		{name: "sandbox browser without source range", cfg: `{agents: {defaults: {sandbox: {mode: "all", browser: {enabled: true}}}}}`, check: "CG-SBX-007", want: []string{"warn:cdp_unrestricted"}},
		{name: "sandbox browser with source range", cfg: `{agents: {defaults: {sandbox: {mode: "all", browser: {enabled: true, cdpSourceRange: "172.21.0.1/32"}}}}}`, check: "CG-SBX-007"},
		{name: "host control", cfg: `{agents: {entries: {a: {sandbox: {browser: {allowHostControl: true}}}}}}`, check: "CG-SBX-007", want: []string{"warn:host_control"}},
		{name: "no sandbox browser", cfg: `{}`, check: "CG-SBX-007"},
		{name: "ro and spawned", cfg: `{agents: {defaults: {sandbox: {workspaceAccess: "ro", sessionToolsVisibility: "spawned"}}}}`, check: "CG-SBX-006"},
	})
}

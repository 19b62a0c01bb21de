package posture

import (
	"io/fs"
	"testing"

	"github.com/clawgov/clawgov/internal/openclaw"
)

func TestFileChecks(t *testing.T) {
	set := func(fis ...openclaw.FileInfo) func(*Snapshot) {
		return func(s *Snapshot) {
			for _, f := range fis {
				s.OC.Files[f.Path] = f
			}
		}
	}
	dir := func(p, role string, mode fs.FileMode) openclaw.FileInfo { return lpFile(p, role, fs.ModeDir|mode, 999) }
	file := func(p, role string, mode fs.FileMode) openclaw.FileInfo { return lpFile(p, role, mode, 999) }
	st := lpTestState
	lpRun(t, []lpCase{
		// CG-FS-001 state dir
		{name: "700", check: "CG-FS-001"},
		{name: "755 readable", mut: set(dir(st, "state-dir", 0o755)), check: "CG-FS-001", want: []string{"warn:readable"}},
		{name: "775 group writable", mut: set(dir(st, "state-dir", 0o775)), check: "CG-FS-001", want: []string{"warn:group_writable"}},
		{name: "777 world writable", mut: set(dir(st, "state-dir", 0o777)), check: "CG-FS-001", want: []string{"fail:world_writable"}},
		{name: "stat failed", mut: set(openclaw.FileInfo{Path: st, Role: "state-dir", Exists: true, Err: "permission denied"}), check: "CG-FS-001", want: []string{"error:unreadable"}},
		{name: "not collected", mut: func(s *Snapshot) { delete(s.OC.Files, st) }, check: "CG-FS-001", want: []string{"error:not_collected"}},

		{name: "files never stat-ed", mut: func(s *Snapshot) { s.OC.Files = nil }, check: "CG-FS-004", want: []string{"error:-"}},
		{name: "workspace never stat-ed", mut: func(s *Snapshot) { s.OC.Files = nil }, check: "CG-FS-010", want: []string{"error:-"}},
		{name: "nothing deployed", mut: func(s *Snapshot) { s.OC.Files = nil; s.OC.Paths.StateDirExists = false }, check: "CG-FS-005"},

		// CG-FS-002 config
		{name: "600", cfg: `{}`, check: "CG-FS-002"},
		{name: "644 world readable", cfg: `{}`, mut: set(file(lpTestConfig, "config", 0o644)), check: "CG-FS-002", want: []string{"fail:world_readable"}},
		{name: "640 group readable", cfg: `{}`, mut: set(file(lpTestConfig, "config", 0o640)), check: "CG-FS-002", want: []string{"warn:group_readable"}},
		{name: "620 group writable", cfg: `{}`, mut: set(file(lpTestConfig, "config", 0o620)), check: "CG-FS-002", want: []string{"fail:writable"}},
		{name: "config exists but not stat-ed", cfg: `{}`, mut: func(s *Snapshot) { delete(s.OC.Files, lpTestConfig) }, check: "CG-FS-002", want: []string{"error:-"}},
		{name: "symlinked config skipped here", cfg: `{}`, mut: func(s *Snapshot) {
			f := file(lpTestConfig, "config", 0o777)
			f.IsSymlink = true
			s.OC.Files[lpTestConfig] = f
		}, check: "CG-FS-002"},

		{name: "config backup 644", cfg: `{}`, mut: set(file(lpTestConfig+".bak", "config-backup", 0o644)), check: "CG-FS-002", want: []string{"fail:world_readable"}},

		// CG-FS-003 includes
		{name: "include 644", mut: set(file(st+"/channels.json5", "include", 0o644)), check: "CG-FS-003", want: []string{"fail:world_readable"}},
		{name: "include 600", mut: set(file(st+"/channels.json5", "include", 0o600)), check: "CG-FS-003"},

		// CG-FS-004 credentials
		{name: "credentials dir 755", mut: set(dir(st+"/credentials", "credentials-dir", 0o755)), check: "CG-FS-004", want: []string{"warn:dir_readable"}},
		{name: "creds.json 644", mut: set(file(st+"/credentials/whatsapp/default/creds.json", "credential", 0o644)), check: "CG-FS-004", want: []string{"fail:world_readable"}},
		{name: "secrets.json 640", mut: set(file(st+"/secrets.json", "", 0o640)), check: "CG-FS-004", want: []string{"warn:group_readable"}},
		{name: ".env 666", mut: set(file(st+"/.env", "env-file", 0o666)), check: "CG-FS-004", want: []string{"fail:writable"}},
		{name: "tls dir 755", mut: set(dir(st+"/gateway/tls", "tls-dir", 0o755)), check: "CG-FS-004", want: []string{"warn:dir_readable"}},
		{name: "approvals file 644", mut: set(file(st+"/exec-approvals.json", "exec-approvals", 0o644)), check: "CG-FS-004", want: []string{"fail:world_readable"}},
		{name: "approval socket ignored", mut: set(file(st+"/exec-approvals.sock", "socket", 0o777)), check: "CG-FS-004"},
		{name: "credentials private", mut: set(dir(st+"/credentials", "credentials-dir", 0o700), file(st+"/credentials/x.json", "credential", 0o600)), check: "CG-FS-004"},

		// CG-FS-005 agent dirs and DBs
		{name: "agent dir 755 (setup default)", mut: set(dir(st+"/agents/main", "agent-dir", 0o755)), check: "CG-FS-005", want: []string{"warn:dir_readable"}},
		{name: "agent sqlite 644", mut: set(file(st+"/agents/main/agent/openclaw-agent.sqlite", "sqlite", 0o644)), check: "CG-FS-005", want: []string{"warn:world_readable"}},
		{name: "auth-profiles 660", mut: set(file(st+"/agents/main/agent/auth-profiles.json", "auth-profiles", 0o660)), check: "CG-FS-005", want: []string{"fail:writable"}},
		{name: "agent private", mut: set(dir(st+"/agents/main", "agent-dir", 0o700), file(st+"/agents/main/agent/openclaw-agent.sqlite", "sqlite", 0o600)), check: "CG-FS-005"},

		// CG-FS-006 sessions
		{name: "sessions dir 755", mut: set(dir(st+"/agents/main/sessions", "sessions-dir", 0o755)), check: "CG-FS-006", want: []string{"warn:dir_readable"}},
		{name: "sessions.json 644", mut: set(file(st+"/agents/main/sessions/sessions.json", "sessions", 0o644)), check: "CG-FS-006", want: []string{"warn:world_readable"}},
		{name: "sessions private", mut: set(dir(st+"/agents/main/sessions", "agent-dir", 0o700)), check: "CG-FS-006"},

		// CG-FS-007 state DB
		{name: "state db 644", mut: set(file(st+"/state/openclaw.sqlite", "sqlite", 0o644)), check: "CG-FS-007", want: []string{"warn:world_readable"}},
		{name: "state db wal 664", mut: set(file(st+"/state/openclaw.sqlite-wal", "sqlite", 0o664)), check: "CG-FS-007", want: []string{"fail:writable"}},
		{name: "state dir 777", mut: set(dir(st+"/state", "state-db-dir", 0o777)), check: "CG-FS-007", want: []string{"fail:dir_writable"}},
		{name: "state db private", mut: set(dir(st+"/state", "", 0o700), file(st+"/state/openclaw.sqlite", "sqlite", 0o600)), check: "CG-FS-007"},

		// CG-FS-008 symlinks
		{name: "real dirs", check: "CG-FS-008"},
		{name: "symlinked state dir", mut: func(s *Snapshot) {
			f := s.OC.Files[st]
			f.IsSymlink = true
			s.OC.Files[st] = f
		}, check: "CG-FS-008", want: []string{"warn:state_symlink"}},
		{name: "symlinked config", cfg: `{}`, mut: func(s *Snapshot) {
			f := s.OC.Files[lpTestConfig]
			f.IsSymlink = true
			s.OC.Files[lpTestConfig] = f
		}, check: "CG-FS-008", want: []string{"warn:config_symlink"}},

		// CG-FS-009 synced folders
		{name: "local state", check: "CG-FS-009"},
		{name: "dropbox state", mut: func(s *Snapshot) { s.OC.Paths.StateDir = "/home/oc/Dropbox/openclaw" }, check: "CG-FS-009", want: []string{"warn:synced"}},
		{name: "icloud config", mut: func(s *Snapshot) {
			s.OC.Paths.ConfigPath = "/Users/oc/Library/Mobile Documents/com~apple~CloudDocs/openclaw.json"
		}, check: "CG-FS-009", want: []string{"warn:synced"}},
		{name: "OneDrive", mut: func(s *Snapshot) { s.OC.Paths.StateDir = "/mnt/c/Users/x/OneDrive/.openclaw" }, check: "CG-FS-009", want: []string{"warn:synced"}},

		// CG-FS-010 workspace
		{name: "workspace 700", check: "CG-FS-010"},
		{name: "workspace 755 (setup default)", mut: set(dir(st+"/workspace", "workspace", 0o755)), check: "CG-FS-010", want: []string{"warn:workspace_open"}},
		{name: "workspace 777", mut: set(dir(st+"/workspace", "workspace", 0o777)), check: "CG-FS-010", want: []string{"fail:workspace_open"}},
	})
}

func TestFileEvidenceDetail(t *testing.T) {
	s := lpSnap(t, "")
	f := lpFile(lpTestState, "state-dir", fs.ModeDir|0o755, 0)
	s.OC.Files[lpTestState] = f
	out := checkFS001(s)
	if len(out) != 1 {
		t.Fatalf("got %+v", out)
	}
	if e := out[0].Evidence[0]; e.Kind != "file" || e.File != lpTestState || e.Detail != "mode 0755 uid 0 gid 0" {
		t.Fatalf("evidence %+v", e)
	}
	if out[0].Params["mode"] != "0755" {
		t.Fatalf("params %+v", out[0].Params)
	}
}

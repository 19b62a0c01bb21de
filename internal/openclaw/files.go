package openclaw

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Walk bounds: a state dir can hold 100k session files; clawgov lists only
// the directories whose entries matter, each capped.
const (
	maxAgents          = 500
	maxCredentialFiles = 2000
	maxLogFiles        = 200
	maxListEntries     = 5000
)

// statFile is Lstat plus, for a symlink, the facts of its target (the
// mode that matters for access) resolved inside the rootfs.
func statFile(rfs rootFS, p, role string) FileInfo {
	fi := FileInfo{Path: p, Role: role}
	li, err := rfs.Lstat(p)
	if err != nil {
		if !isNotExist(err) {
			fi.Err = pathErr("stat", p, err).Error()
		}
		return fi
	}
	st := li
	if li.Mode()&fs.ModeSymlink != 0 {
		fi.IsSymlink = true
		if target, err := rfs.Realpath(p); err == nil {
			fi.LinkTarget = target
		}
		ti, err := rfs.Stat(p)
		if err != nil {
			fi.Err = pathErr("stat", p, err).Error()
			if isNotExist(err) {
				fi.Err = "dangling symlink " + p
			}
			fi.Mode = li.Mode()
			return fi
		}
		st = ti
	}
	fi.Exists = true
	fi.IsDir = st.IsDir()
	fi.Mode = st.Mode()
	fi.Size = st.Size()
	fi.ModTime = st.ModTime()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fi.UID, fi.GID = int(sys.Uid), int(sys.Gid)
	}
	return fi
}

type fileCollector struct {
	rfs   rootFS
	files map[string]FileInfo
	probs []Problem
}

// add records p; optional files are recorded only when present.
func (c *fileCollector) add(p, role string, optional bool) FileInfo {
	if p == "" {
		return FileInfo{}
	}
	if old, ok := c.files[p]; ok {
		return old
	}
	fi := statFile(c.rfs, p, role)
	if optional && !fi.Exists && !fi.IsSymlink && fi.Err == "" {
		return fi
	}
	c.files[p] = fi
	return fi
}

func (c *fileCollector) list(dir string, limit int, area string) []fs.DirEntry {
	ents, more, err := c.rfs.ReadDirLimit(dir, limit)
	if err != nil {
		if !isNotExist(err) {
			c.probs = append(c.probs, Problem{Path: dir, Area: area, Err: pathErr("list", dir, err)})
		}
		return nil
	}
	if more {
		c.probs = append(c.probs, Problem{Path: dir, Area: area, Err: fmt.Errorf("list %s: more than %d entries, only the first %d examined", dir, limit, limit)})
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return ents
}

// FileFacts stats the files and directories whose modes and owners
// matter: state dir, config and includes, credentials, agent dirs and
// databases, session indexes, the state database, workspaces, dotenv
// files and logs. It returns them keyed by deployment path, plus the log
// files found.
func FileFacts(rootfs string, p Paths, cfg *Config, profile string, now time.Time) (map[string]FileInfo, []FileInfo, []Problem) {
	c := &fileCollector{rfs: newRootFS(rootfs), files: map[string]FileInfo{}}
	c.add(p.StateDir, "state-dir", false)
	c.add(p.ConfigPath, "config", false)
	if cfg != nil {
		for _, inc := range cfg.Includes {
			c.add(inc, "include", false)
		}
	}
	for _, b := range []string{".bak", ".bak.1"} {
		c.add(p.ConfigPath+b, "config-backup", true)
	}
	c.add(path.Join(p.StateDir, "state"), "state-db-dir", true)
	db := stateDBPath(p.StateDir)
	for _, s := range []string{"", "-wal", "-shm"} {
		c.add(db+s, "sqlite", true)
	}
	c.add(path.Join(p.StateDir, "secrets.json"), "secrets-file", true)
	c.add(path.Join(p.StateDir, "exec-approvals.json"), "exec-approvals", true)
	c.add(path.Join(p.StateDir, "exec-approvals.sock"), "socket", true)
	c.add(path.Join(p.StateDir, "config-journal-fingerprint.key"), "key", true)
	c.add(path.Join(p.StateDir, "gateway", "tls"), "tls-dir", true)
	c.add(path.Join(p.StateDir, ".env"), "env-file", true)
	for _, f := range p.DotEnvFiles {
		c.add(f, "env-file", true)
	}

	// Credentials: the dir and every JSON file up to three levels down
	// (whatsapp/<account>/creds.json), capped.
	if fi := c.add(p.CredentialsDir, "credentials-dir", false); fi.Exists && fi.IsDir {
		budget := maxCredentialFiles
		var walk func(dir string, depth int)
		walk = func(dir string, depth int) {
			for _, e := range c.list(dir, maxListEntries, "files") {
				if budget <= 0 {
					return
				}
				sub := path.Join(dir, e.Name())
				if e.IsDir() && depth < 3 {
					walk(sub, depth+1)
					continue
				}
				if strings.HasSuffix(e.Name(), ".json") || e.Type()&fs.ModeSymlink != 0 {
					budget--
					c.add(sub, "credential", false)
				}
			}
		}
		walk(p.CredentialsDir, 0)
		if budget <= 0 {
			c.probs = append(c.probs, Problem{Path: p.CredentialsDir, Area: "files", Err: fmt.Errorf("credentials %s: stopped after %d files", p.CredentialsDir, maxCredentialFiles)})
		}
	}

	// Agents: agents/<id>, its agent/ dir, database and session index.
	agentsDir := path.Join(p.StateDir, "agents")
	for _, e := range c.list(agentsDir, maxAgents, "files") {
		if !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		ad := path.Join(agentsDir, e.Name())
		c.add(ad, "agent-dir", false)
		c.add(path.Join(ad, "agent"), "agent-dir", true)
		adb := path.Join(ad, "agent", "openclaw-agent.sqlite")
		for _, s := range []string{"", "-wal", "-shm"} {
			c.add(adb+s, "sqlite", true)
		}
		c.add(path.Join(ad, "agent", "auth-profiles.json"), "auth-profiles", true)
		c.add(path.Join(ad, "sessions"), "sessions-dir", true)
		c.add(path.Join(ad, "sessions", "sessions.json"), "sessions", true)
	}
	c.add(path.Join(p.StateDir, "agent", "auth-profiles.json"), "auth-profiles", true)

	ws := make([]string, 0, len(p.AgentWorkspaces))
	for _, w := range p.AgentWorkspaces {
		ws = append(ws, w)
	}
	sort.Strings(ws)
	for _, w := range ws {
		c.add(w, "workspace", true)
	}
	if p.Workspace != "" {
		c.add(p.Workspace, "workspace", true)
	}

	logs := c.logFacts(p, cfg, profile, now)
	return c.files, logs, c.probs
}

var uidDirRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^openclaw-[0-9]+$`) })

// logFacts finds the gateway's file log: logging.file when configured,
// else /tmp/openclaw/openclaw[-<profile>]-YYYY-MM-DD.log (OpenClaw keeps
// dated files for 24 h, so all dated files present are collected).
func (c *fileCollector) logFacts(p Paths, cfg *Config, profile string, now time.Time) []FileInfo {
	var logs []FileInfo
	addLog := func(fi FileInfo) {
		if fi.Exists {
			logs = append(logs, fi)
		}
	}
	configured := ""
	if cfg != nil {
		if s, ok := cfg.String("logging.file"); ok && strings.TrimSpace(s) != "" {
			configured = expandTilde(strings.TrimSpace(s), p.Home)
			if !path.IsAbs(configured) {
				configured = path.Join(p.StateDir, configured)
			}
			configured = path.Clean(configured)
		}
	}
	if configured != "" {
		c.add(path.Dir(configured), "log-dir", false)
		addLog(c.add(configured, "log", false))
		// Rotated archives sit next to it (<file>.1 ... .5).
		for i := 1; i <= 5; i++ {
			addLog(c.add(fmt.Sprintf("%s.%d", configured, i), "log", true))
		}
	} else {
		prefix := "openclaw-"
		if profile != "" {
			prefix = "openclaw-" + profile + "-"
		}
		// /tmp/openclaw, or the per-user fallback <tmp>/openclaw-<uid>
		// OpenClaw uses when /tmp/openclaw is unsafe.
		dirs := []string{"/tmp/openclaw"}
		ents, _, _ := c.rfs.ReadDirLimit("/tmp", maxListEntries)
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			if uidDirRE().MatchString(e.Name()) && e.IsDir() {
				dirs = append(dirs, path.Join("/tmp", e.Name()))
			}
		}
		n := 0
		for i, dir := range dirs {
			c.add(dir, "log-dir", i > 0)
			today := path.Join(dir, prefix+now.Format("2006-01-02")+".log")
			addLog(c.add(today, "log", i > 0))
			for _, e := range c.list(dir, maxListEntries, "files") {
				name := e.Name()
				if !strings.HasPrefix(name, "openclaw") || !strings.Contains(name, ".log") || e.IsDir() {
					continue
				}
				if n++; n > maxLogFiles {
					break
				}
				if f := path.Join(dir, name); f != today {
					addLog(c.add(f, "log", false))
				}
			}
		}
	}
	for _, n := range []string{"gateway-restart.log", "raw-stream.jsonl"} {
		addLog(c.add(path.Join(p.StateDir, "logs", n), "log", true))
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].Path < logs[j].Path })
	return logs
}

package host

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// cronEnvRe matches a crontab environment assignment (SHELL=/bin/sh).
var cronEnvRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\s*=`) })

// secretFlagRe finds secret flag values inside a shell command string.
var secretFlagRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(--?[a-z0-9_-]*(?:token|password|passwd|secret|api[-_]?key)[a-z0-9_-]*)(=|\s+)("[^"]*"|'[^']*'|\S+)`)
})

// RedactCommand replaces the values of secret flags in a shell command
// string ("--token X" -> "--token ***").
func RedactCommand(cmd string) string {
	return secretFlagRe().ReplaceAllString(cmd, "${1}${2}***")
}

// cutFields splits off the first n whitespace-separated fields of s and
// returns them with the untouched remainder.
func cutFields(s string, n int) ([]string, string, bool) {
	var f []string
	rest := strings.TrimLeft(s, " \t")
	for len(f) < n {
		if rest == "" {
			return f, "", false
		}
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			f = append(f, rest)
			rest = ""
		} else {
			f = append(f, rest[:i])
			rest = strings.TrimLeft(rest[i:], " \t")
		}
	}
	return f, rest, true
}

// ParseCrontab parses crontab content. With system set (/etc/crontab,
// /etc/cron.d) a user field follows the schedule; otherwise the jobs run
// as user, the crontab's owner. Environment lines and comments are
// skipped; command values of secret flags are redacted.
func ParseCrontab(source, kind string, data []byte, system bool, user string) ([]ScheduledJob, []LineError) {
	var jobs []ScheduledJob
	var errs []LineError
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if line == "" || line[0] == '#' || cronEnvRe().MatchString(line) {
			continue
		}
		n := 5
		if strings.HasPrefix(line, "@") {
			n = 1
		}
		if system {
			n++
		}
		f, rest, ok := cutFields(line, n)
		if !ok || rest == "" {
			errs = append(errs, LineError{i + 1, "crontab line without a command"})
			continue
		}
		j := ScheduledJob{Kind: kind, Source: source, Line: i + 1, User: user, Command: RedactCommand(rest)}
		if system {
			j.User = f[len(f)-1]
			f = f[:len(f)-1]
		}
		j.Schedule = strings.Join(f, " ")
		jobs = append(jobs, j)
	}
	return jobs, errs
}

// cronNameSkipped mirrors cron's refusal of package-manager leftovers and
// editor backups in /etc/cron.d and the periodic directories.
func cronNameSkipped(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") || strings.Contains(name, ".dpkg-") ||
		strings.Contains(name, ".rpm") || strings.HasSuffix(name, ".swp") || name == "README"
}

// scheduled gathers crontabs, periodic cron scripts, enabled systemd
// timers and periodic launchd jobs.
func (g *gatherer) scheduled() {
	complete := true
	add := func(jobs []ScheduledJob, p string, errs []LineError) {
		g.f.Scheduled = append(g.f.Scheduled, jobs...)
		g.lineProblems(p, errs)
	}
	readOrMark := func(p string) ([]byte, bool) {
		b, err := g.r.ReadFile(p)
		if err != nil {
			if !isNotExist(err) {
				g.problem(p, err)
				complete = false
			}
			return nil, false
		}
		return b, true
	}
	listOrMark := func(d string) []string {
		ents, err := g.r.ReadDir(d)
		if err != nil {
			if !isNotExist(err) {
				g.problem(d, err)
				complete = false
			}
			return nil
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && !cronNameSkipped(e.Name()) {
				names = append(names, e.Name())
			}
		}
		return names
	}

	if b, ok := readOrMark("/etc/crontab"); ok {
		jobs, errs := ParseCrontab("/etc/crontab", "crontab", b, true, "")
		add(jobs, "/etc/crontab", errs)
	}
	for _, n := range listOrMark("/etc/cron.d") {
		p := path.Join("/etc/cron.d", n)
		if b, ok := readOrMark(p); ok {
			jobs, errs := ParseCrontab(p, "cron.d", b, true, "")
			add(jobs, p, errs)
		}
	}
	for _, period := range []string{"hourly", "daily", "weekly", "monthly"} {
		d := "/etc/cron." + period
		for _, n := range listOrMark(d) {
			p := path.Join(d, n)
			b, ok := readOrMark(p)
			if !ok {
				continue
			}
			// The script's own commands, so a matcher can see what runs.
			var cmds []string
			for _, line := range strings.Split(string(b), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					cmds = append(cmds, line)
				}
			}
			g.f.Scheduled = append(g.f.Scheduled, ScheduledJob{Kind: "cron." + period, Source: p, Schedule: "@" + period, User: "root", Command: RedactCommand(strings.Join(cmds, "; "))})
		}
	}
	// Per-user crontabs (Debian, SUSE, Red Hat layouts); usually readable
	// by root only.
	for _, d := range []string{"/var/spool/cron/crontabs", "/var/spool/cron/tabs", "/var/spool/cron"} {
		for _, n := range listOrMark(d) {
			p := path.Join(d, n)
			if b, ok := readOrMark(p); ok {
				jobs, errs := ParseCrontab(p, "crontab", b, false, n)
				add(jobs, p, errs)
			}
		}
	}
	g.timers("systemd-system", "", systemUnitDirs)
	for _, h := range g.homes() {
		g.timers("systemd-user", h.owner, append([]string{path.Join(h.dir, ".config/systemd/user"), path.Join(h.dir, ".local/share/systemd/user")}, globalUserDirs...))
	}
	for _, ld := range g.launchdDirs() {
		for _, e := range g.listDir(ld.dir) {
			if !strings.HasSuffix(e.Name(), ".plist") {
				continue
			}
			p := path.Join(ld.dir, e.Name())
			b, err := g.r.ReadFile(p)
			if err != nil {
				continue
			}
			job, err := ParsePlist(b)
			if err != nil || job.Schedule == "" {
				continue
			}
			u := launchdUnit(p, job, ld.owner, ld.daemon)
			g.f.Scheduled = append(g.f.Scheduled, ScheduledJob{Kind: "launchd", Source: p, Schedule: job.Schedule, Command: u.ExecStart, User: u.RunAs})
		}
	}
	g.f.Coverage.Scheduled = complete
}

// timerKeys are the [Timer] settings that make a timer fire.
var timerKeys = []string{"OnCalendar", "OnBootSec", "OnStartupSec", "OnActiveSec", "OnUnitActiveSec", "OnUnitInactiveSec"}

// timers records the enabled *.timer units in dirs with the ExecStart of
// the service each one triggers.
func (g *gatherer) timers(kind, owner string, dirs []string) {
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, e := range g.listDir(d) {
			name := e.Name()
			if !strings.HasSuffix(name, ".timer") || e.IsDir() || seen[name] {
				continue
			}
			seen[name] = true
			if en := g.unitEnabled(name, dirs); en == nil || !*en {
				continue // a timer nothing enables never fires
			}
			p := path.Join(d, name)
			b, err := g.r.ReadFile(p)
			if err != nil {
				if !isNotExist(err) {
					g.problem(p, err)
				}
				continue
			}
			uf, errs := ParseUnitFile(b)
			g.lineProblems(p, errs)
			target := strings.TrimSuffix(name, ".timer") + ".service"
			var sched []string
			for _, sec := range uf.Sections {
				if sec.Name != "Timer" {
					continue
				}
				for _, en := range sec.Entries {
					if en.Key == "Unit" && en.Value != "" {
						target = en.Value
					}
					for _, k := range timerKeys {
						if en.Key == k && en.Value != "" {
							v := en.Value
							if k != "OnCalendar" {
								v = k + "=" + v
							}
							sched = append(sched, v)
						}
					}
				}
			}
			j := ScheduledJob{Kind: "systemd-timer", Source: p, Schedule: strings.Join(sched, "; ")}
			if svc, ok := g.plainUnit(target, dirs, kind, owner); ok {
				j.Command, j.User = svc.ExecStart, svc.RunAs
			}
			g.f.Scheduled = append(g.f.Scheduled, j)
		}
	}
}

// plainUnit loads a unit by name from dirs (first match, with drop-ins)
// without the gateway filter.
func (g *gatherer) plainUnit(name string, dirs []string, kind, owner string) (Unit, bool) {
	var parts []unitFilePart
	for _, d := range dirs {
		p := path.Join(d, name)
		if b, err := g.r.ReadFile(p); err == nil {
			parts = append(parts, unitFilePart{Path: p, Data: b})
			break
		}
	}
	if len(parts) == 0 {
		return Unit{}, false
	}
	for _, d := range dirs {
		dd := path.Join(d, name+".d")
		for _, e := range g.listDir(dd) {
			if strings.HasSuffix(e.Name(), ".conf") {
				if b, err := g.r.ReadFile(path.Join(dd, e.Name())); err == nil {
					parts = append(parts, unitFilePart{Path: path.Join(dd, e.Name()), Data: b})
				}
			}
		}
	}
	manager := ""
	if kind == "systemd-user" {
		manager = owner
	}
	u, _ := buildSystemdUnit(name, parts, manager, g.homeOf)
	switch {
	case kind == "systemd-user":
		u.RunAs = owner
	case u.DynamicUser:
	case u.User != "":
		u.RunAs = u.User
	default:
		u.RunAs = "root"
	}
	return u, true
}

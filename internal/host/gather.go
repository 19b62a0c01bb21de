package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Options tell Gather where to look.
type Options struct {
	// Rootfs is treated as "/" ("" = live host, /proc is read too).
	Rootfs string
	Logger *slog.Logger
	// Getenv reads the environment clawgov runs in, for container markers
	// (FLY_APP_NAME, KUBERNETES_SERVICE_HOST, container=). nil means
	// os.Getenv on a live host and no environment under Rootfs, where
	// clawgov's own environment says nothing about the audited image.
	Getenv func(string) string
	// Proc is the procfs read on a live host ("" = /proc). Tests point it
	// at a fixture tree.
	Proc string
}

// Gather collects host facts. Unreadable sources become Problems; it fails
// only when the root itself is unusable.
func Gather(ctx context.Context, opts Options) (*Facts, error) {
	r, err := NewRoot(opts.Rootfs)
	if err != nil {
		return nil, err
	}
	g := &gatherer{
		ctx: ctx, r: r, opts: opts,
		f:        &Facts{Rootfs: opts.Rootfs, Live: opts.Rootfs == ""},
		proc:     opts.Proc,
		log:      opts.Logger,
		dirCache: map[string][]fs.DirEntry{},
		dirSets:  map[string]map[string]bool{},
	}
	defer r.Close()
	if g.proc == "" {
		g.proc = "/proc"
	}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g.getenv = opts.Getenv
	if g.getenv == nil {
		if g.f.Live {
			g.getenv = os.Getenv
		} else {
			g.getenv = func(string) string { return "" }
		}
	}
	steps := []struct {
		name string
		fn   func()
	}{
		{"system", g.system},
		{"identity", g.identity},
		{"container", g.container},
		{"units", g.units},
		{"firewall", g.firewall},
		{"scheduled", g.scheduled},
	}
	// The process and socket scan needs only the accounts (identity) and
	// is mostly waiting on /proc; it runs beside the unit, firewall and
	// cron reads, which are too. Its results are applied last, in the
	// order the steps always had, so the facts and their problems do not
	// depend on which finished first.
	var live chan liveScan
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			if live != nil {
				<-live
			}
			return g.f, fmt.Errorf("gather host facts: %w", err)
		}
		s.fn()
		g.log.Debug("host facts", "step", s.name, "problems", len(g.f.Problems))
		if s.name == "identity" && g.f.Live {
			live = make(chan liveScan, 1)
			users := &Facts{Users: g.f.Users}
			go func() { live <- g.scanLive(users) }()
		}
	}
	if live != nil {
		ls := <-live
		if err := ctx.Err(); err != nil {
			return g.f, fmt.Errorf("gather host facts: %w", err)
		}
		g.applyLive(ls)
		g.log.Debug("host facts", "step", "processes", "problems", len(g.f.Problems))
	}
	return g.f, nil
}

type gatherer struct {
	dirCache map[string][]fs.DirEntry
	dirSets  map[string]map[string]bool
	homeList *[]home
	ctx      context.Context
	r        *Root
	opts     Options
	f        *Facts
	proc     string
	log      *slog.Logger
	getenv   func(string) string
	unitBuf  []byte // scratch for unit files (systemdUnit, one goroutine)
}

func (g *gatherer) problem(p string, err error) {
	g.f.Problems = append(g.f.Problems, Problem{Path: p, Err: err})
}

// read reads an in-root file; a missing file is reported only when
// required.
func (g *gatherer) read(p string, required bool) ([]byte, bool) {
	b, err := g.r.ReadFile(p)
	if err != nil {
		if required || !isNotExist(err) {
			g.problem(p, err)
		}
		return nil, false
	}
	return b, true
}

func (g *gatherer) lineProblems(p string, errs []LineError) {
	for _, e := range errs {
		g.problem(p, e)
	}
}

func (g *gatherer) system() {
	if g.f.Live {
		if h, err := os.Hostname(); err == nil {
			g.f.Hostname = h
		}
	}
	if g.f.Hostname == "" {
		if b, ok := g.read("/etc/hostname", false); ok {
			for _, line := range strings.Split(string(b), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					g.f.Hostname = line
					break
				}
			}
		}
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, ok := g.read(p, false)
		if !ok {
			continue
		}
		kv := parseKeyValueFile(b)
		g.f.OSID, g.f.OSVersion = kv["ID"], kv["VERSION_ID"]
		g.f.OS = kv["PRETTY_NAME"]
		if g.f.OS == "" {
			g.f.OS = strings.TrimSpace(kv["NAME"] + " " + kv["VERSION_ID"])
		}
		break
	}
	if g.f.OS == "" {
		// macOS has no os-release; its version file marks a macOS root.
		if _, err := g.r.Lstat("/System/Library/CoreServices/SystemVersion.plist"); err == nil {
			g.f.OS, g.f.OSID = "darwin", "macos"
		} else if g.f.Live {
			g.f.OS = runtime.GOOS
		}
	}
}

func (g *gatherer) identity() {
	if b, ok := g.read("/etc/passwd", true); ok {
		var errs []LineError
		g.f.Users, errs = ParsePasswd(b)
		g.lineProblems("/etc/passwd", errs)
		g.f.Coverage.Passwd = true
	}
	if b, ok := g.read("/etc/group", true); ok {
		var errs []LineError
		g.f.Groups, errs = ParseGroup(b)
		g.lineProblems("/etc/group", errs)
		g.f.Coverage.Group = true
	}
	short, _, _ := strings.Cut(g.f.Hostname, ".")
	rules, probs, complete := loadSudoers(g.r, short)
	g.f.Sudoers = rules
	g.f.Problems = append(g.f.Problems, probs...)
	g.f.Coverage.Sudoers = complete
}

// containerWords are cgroup path fragments of container runtimes.
var containerWords = []string{"docker", "kubepods", "containerd", "libpod", "lxc"}

func (g *gatherer) container() {
	c := &g.f.Container
	for _, m := range []string{"/.dockerenv", "/run/.containerenv", "/var/run/secrets/kubernetes.io/serviceaccount"} {
		if _, err := g.r.Lstat(m); err == nil {
			c.Markers = append(c.Markers, m)
		}
	}
	if g.f.Live {
		if b, err := readProc(filepath.Join(g.proc, "1", "cgroup")); err == nil {
			s := string(b)
			for _, w := range containerWords {
				if strings.Contains(s, w) {
					c.Markers = append(c.Markers, "/proc/1/cgroup:"+w)
					break
				}
			}
		}
		if b, err := readProc(filepath.Join(g.proc, "1", "environ")); err == nil {
			for _, kv := range splitNUL(b) {
				if v, ok := strings.CutPrefix(kv, "container="); ok && v != "" {
					c.Markers = append(c.Markers, "/proc/1/environ:container="+v)
				}
			}
		}
	}
	for _, k := range []string{"FLY_APP_NAME", "KUBERNETES_SERVICE_HOST", "container"} {
		if v := g.getenv(k); v != "" {
			if k == "container" {
				c.Markers = append(c.Markers, "env:container="+v)
			} else {
				c.Markers = append(c.Markers, "env:"+k)
			}
		}
	}
	c.InContainer = len(c.Markers) > 0
	for _, s := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if _, err := g.r.Stat(s); err == nil {
			c.DockerSocket, c.DockerSocketPath = true, s
			break
		}
	}
	if g.f.Live && c.InContainer {
		c.Privileged = g.privileged()
	}
}

// privileged compares the effective capabilities of pid 1 with every
// capability the kernel knows: a privileged container's init holds them
// all. nil when either file is unreadable.
func (g *gatherer) privileged() *bool {
	st, err := readProc(filepath.Join(g.proc, "1", "status"))
	if err != nil {
		return nil
	}
	last, err := readProc(filepath.Join(g.proc, "sys", "kernel", "cap_last_cap"))
	if err != nil {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(last)))
	if err != nil || n < 0 || n > 63 {
		return nil
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return nil
			}
			full := uint64(1)<<(n+1) - 1
			if n == 63 {
				full = ^uint64(0)
			}
			p := caps&full == full
			return &p
		}
	}
	return nil
}

// liveScan is what the process and socket scan found on a live host.
type liveScan struct {
	procs    []Process
	socks    []Socket
	problems []Problem
	// scanned: the process list was read; complete: no other account's
	// processes were hidden; sockets: the socket tables were read.
	scanned, complete, sockets bool
}

// scanLive reads /proc for processes and sockets. It touches no gatherer
// state but read-only fields, so it may run beside the other steps; ids
// holds the accounts (owners of processes are named from it).
func (g *gatherer) scanLive(ids *Facts) liveScan {
	var ls liveScan
	procs, probs, err := scanProcesses(g.ctx, g.proc, ids, os.Getpid())
	ls.problems = append(ls.problems, probs...)
	if err != nil {
		ls.problems = append(ls.problems, Problem{Path: g.proc, Err: err})
		return ls
	}
	ls.procs, ls.scanned, ls.complete = procs, true, true
	if opt := hidepid(g.proc); opt != "" && os.Geteuid() != 0 {
		// Other users' processes are hidden or unreadable: a gateway run by
		// another account would be missed, so "no gateway" is unknown.
		ls.complete = false
		ls.problems = append(ls.problems, Problem{Path: g.proc, Err: fmt.Errorf("procfs mounted with %s: other users' processes are not visible", opt)})
	}
	socks, sprobs, ok := scanSockets(g.ctx, g.proc, procs)
	ls.socks, ls.sockets = socks, ok
	ls.problems = append(ls.problems, sprobs...)
	return ls
}

func (g *gatherer) applyLive(ls liveScan) {
	g.f.Problems = append(g.f.Problems, ls.problems...)
	if !ls.scanned {
		return
	}
	g.f.Processes = ls.procs
	g.f.Coverage.Processes = ls.complete
	g.f.Sockets = ls.socks
	g.f.Coverage.Sockets = ls.sockets
}

// home is a home directory and the account it belongs to.
type home struct {
	dir, owner string
}

type launchdDir struct {
	dir, owner string
	daemon     bool
}

// launchdDirs lists the launchd job directories: every home's
// LaunchAgents, then the global agents and daemons.
func (g *gatherer) launchdDirs() []launchdDir {
	var out []launchdDir
	for _, h := range g.homes() {
		out = append(out, launchdDir{dir: path.Join(h.dir, "Library/LaunchAgents"), owner: h.owner})
	}
	return append(out, launchdDir{dir: "/Library/LaunchAgents"}, launchdDir{dir: "/Library/LaunchDaemons", daemon: true})
}

// homes lists the home directories in passwd plus /home/* and /Users/*
// (macOS keeps its users out of /etc/passwd), each once.
func (g *gatherer) homes() []home {
	if g.homeList != nil {
		return *g.homeList
	}
	out := g.listHomes()
	g.homeList = &out
	return out
}

func (g *gatherer) listHomes() []home {
	var out []home
	seen := map[string]bool{}
	add := func(dir, owner string) {
		switch dir {
		case "", "/", "/nonexistent", "/dev/null", "/var/empty":
			return
		}
		res, err := g.r.Resolve(dir)
		if err != nil || seen[res] {
			return
		}
		if fi, err := g.r.Stat(res); err != nil || !fi.IsDir() {
			return
		}
		seen[res] = true
		out = append(out, home{dir: dir, owner: owner})
	}
	for _, u := range g.f.Users {
		add(u.Home, u.Name)
	}
	for _, base := range []string{"/home", "/Users"} {
		ents, err := g.r.ReadDir(base)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.IsDir() || e.Type()&os.ModeSymlink != 0 {
				add(path.Join(base, e.Name()), e.Name())
			}
		}
	}
	return out
}

func (g *gatherer) homeOf(user string) string {
	if u, ok := g.f.UserByName(user); ok {
		return u.Home
	}
	return ""
}

var (
	systemUnitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}
	globalUserDirs = []string{"/etc/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user"}
)

func (g *gatherer) units() {
	g.systemdUnits("systemd-system", "", systemUnitDirs, len(systemUnitDirs))
	g.systemdUnits("systemd-user", "", globalUserDirs, len(globalUserDirs))
	for _, h := range g.homes() {
		// ~/.config/systemd/user outranks the global directories;
		// ~/.local/share/systemd/user ranks below them but is still the
		// user's own.
		dirs := append([]string{path.Join(h.dir, ".config/systemd/user"), path.Join(h.dir, ".local/share/systemd/user")}, globalUserDirs...)
		g.systemdUnits("systemd-user", h.owner, dirs, 2)
	}
	for _, ld := range g.launchdDirs() {
		g.launchd(ld.dir, ld.owner, ld.daemon)
	}
	sort.SliceStable(g.f.Units, func(i, j int) bool {
		a, b := g.f.Units[i], g.f.Units[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Path < b.Path
	})
}

// listDir lists an in-root directory once per Gather; a missing
// directory lists as empty, other errors are reported once.
func (g *gatherer) listDir(d string) []fs.DirEntry {
	if ents, ok := g.dirCache[d]; ok {
		return ents
	}
	ents, err := g.r.ReadDir(d)
	if err != nil && !isNotExist(err) {
		g.problem(d, err)
	}
	g.dirCache[d] = ents
	return ents
}

// dirHas reports whether the in-root directory d has an entry called name
// (of any type, a dangling link included: what an lstat would find).
func (g *gatherer) dirHas(d, name string) bool {
	set, ok := g.dirSets[d]
	if !ok {
		ents := g.listDir(d)
		set = make(map[string]bool, len(ents))
		for _, e := range ents {
			set[e.Name()] = true
		}
		g.dirSets[d] = set
	}
	return set[name]
}

// mentionsProduct reports whether unit text names an OpenClaw-family
// program; units that do not are skipped without further parsing.
func mentionsProduct(b []byte) bool {
	for _, w := range productWords {
		if containsFoldASCII(b, w) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether b contains the lower-case ASCII word
// w in any letter case, without the copy bytes.ToLower makes (unit files
// are read by the hundred and almost none mention the product).
func containsFoldASCII(b []byte, w string) bool {
	if len(w) == 0 {
		return true
	}
	first, upper := w[0], w[0]-'a'+'A'
	for i := 0; i+len(w) <= len(b); i++ {
		c := b[i]
		if c != first && c != upper {
			continue
		}
		j := 1
		for ; j < len(w); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

// systemdUnits finds *.service files in the first mainDirs of dirs (in
// precedence order), applies drop-ins from all dirs and keeps the units
// that start a gateway.
func (g *gatherer) systemdUnits(kind, owner string, dirs []string, mainDirs int) {
	// Resolve the directories once; /lib is often a link to /usr/lib.
	var rdirs []string
	seen := map[string]bool{}
	mainSet := map[string]bool{}
	for i, d := range dirs {
		res, err := g.r.Resolve(d)
		if err != nil || seen[res] {
			continue
		}
		seen[res] = true
		rdirs = append(rdirs, d)
		if i < mainDirs {
			mainSet[d] = true
		}
	}
	found := map[string]string{}
	// plain: the listing says the unit file is a regular file, not a link
	// (a masked unit is a link to /dev/null).
	plain := map[string]bool{}
	var names []string
	for _, d := range rdirs {
		if !mainSet[d] {
			continue
		}
		for _, e := range g.listDir(d) {
			n := e.Name()
			if !strings.HasSuffix(n, ".service") || e.IsDir() {
				continue
			}
			if _, ok := found[n]; ok {
				continue // overridden by a higher-precedence directory
			}
			found[n] = path.Join(d, n)
			plain[n] = e.Type().IsRegular()
			names = append(names, n)
		}
	}
	for _, n := range names {
		if g.ctx.Err() != nil {
			return
		}
		g.systemdUnit(kind, owner, n, found[n], plain[n], rdirs)
	}
}

func (g *gatherer) systemdUnit(kind, owner, name, mainPath string, plain bool, dirs []string) {
	// A regular file (as listed) is no link to /dev/null: most units on a
	// host are, and the two lookups below cost a path walk each.
	masked := false
	if !plain {
		if t, err := g.r.Readlink(mainPath); err == nil && t == "/dev/null" {
			masked = true
		} else if res, err := g.r.Resolve(mainPath); err == nil && res == "/dev/null" {
			masked = true
		}
	}
	if masked {
		if startsGateway(name, nil) {
			u := Unit{Path: mainPath, Kind: kind, Name: name, Owner: owner, Masked: true}
			f := false
			u.Enabled = &f
			g.f.Units = append(g.f.Units, u)
		}
		return
	}
	// Drop-in directories are known from the listings already made.
	var dropDirs []string
	for _, d := range dirs {
		if g.dirHas(d, name+".d") {
			dropDirs = append(dropDirs, path.Join(d, name+".d"))
		}
	}
	nameHit := startsGateway(name, nil)
	// Most unit files are read only to learn they are not about the
	// product: read them into one scratch buffer, copy the few that are.
	data, err := g.r.ReadFileInto(mainPath, g.unitBuf)
	if err != nil {
		if nameHit || mentionsProduct([]byte(name)) {
			g.problem(mainPath, err)
		}
		return
	}
	if cap(data) > cap(g.unitBuf) && cap(data) <= 256<<10 {
		g.unitBuf = data[:0]
	}
	if !nameHit && !mentionsProduct(data) && len(dropDirs) == 0 {
		return
	}
	data = bytes.Clone(data)
	parts := []unitFilePart{{Path: mainPath, Data: data}}
	dropNames := map[string]string{}
	var dropOrder []string
	for _, dd := range dropDirs {
		for _, e := range g.listDir(dd) {
			if !strings.HasSuffix(e.Name(), ".conf") {
				continue
			}
			if _, ok := dropNames[e.Name()]; !ok {
				dropNames[e.Name()] = path.Join(dd, e.Name())
				dropOrder = append(dropOrder, e.Name())
			}
		}
	}
	sort.Strings(dropOrder)
	hit := nameHit || mentionsProduct(data)
	for _, dn := range dropOrder {
		if b, ok := g.read(dropNames[dn], true); ok {
			parts = append(parts, unitFilePart{Path: dropNames[dn], Data: b})
			hit = hit || mentionsProduct(b)
		}
	}
	if !hit {
		return
	}
	manager := ""
	if kind == "systemd-user" {
		manager = owner
		if manager == "" {
			manager = "%u" // global user unit: each user's own manager
		}
	}
	u, errs := buildSystemdUnit(name, parts, manager, g.homeOf)
	if !startsGateway(name, u.Args) {
		return
	}
	g.lineProblems(mainPath, errs)
	u.Kind, u.Owner = kind, owner
	switch {
	case kind == "systemd-user":
		u.RunAs = owner // User= has no effect in a user manager
	case u.DynamicUser:
		u.RunAs = ""
	case u.User != "":
		u.RunAs = u.User
	default:
		u.RunAs = "root"
	}
	g.envFiles(&u)
	u.Enabled = g.unitEnabled(name, dirs)
	g.f.Units = append(g.f.Units, u)
}

// envFiles reads EnvironmentFile= files under the root; their values
// override Environment= as in systemd. A "-" prefix makes a missing file
// acceptable; a glob in the last component matches files in order.
func (g *gatherer) envFiles(u *Unit) {
	for _, spec := range u.EnvironmentFiles {
		optional := strings.HasPrefix(spec, "-")
		p := strings.TrimPrefix(spec, "-")
		if !path.IsAbs(p) {
			g.problem(u.Path, fmt.Errorf("EnvironmentFile %q is not absolute", p))
			continue
		}
		files := []string{p}
		if strings.ContainsAny(path.Base(p), "*?[") {
			files = nil
			ents, _ := g.r.ReadDir(path.Dir(p))
			for _, e := range ents {
				if ok, _ := path.Match(path.Base(p), e.Name()); ok {
					files = append(files, path.Join(path.Dir(p), e.Name()))
				}
			}
		}
		for _, fp := range files {
			b, ok := g.read(fp, !optional)
			if !ok {
				continue
			}
			kvs, errs := ParseEnvFile(b)
			g.lineProblems(fp, errs)
			for _, kv := range kvs {
				u.Environment[kv[0]], u.EnvSource[kv[0]] = kv[1], fp
			}
		}
	}
}

// unitEnabled looks for name in the *.wants/ and *.requires/ directories
// of the unit directories.
func (g *gatherer) unitEnabled(name string, dirs []string) *bool {
	t, f := true, false
	for _, d := range dirs {
		for _, e := range g.listDir(d) {
			if !strings.HasSuffix(e.Name(), ".wants") && !strings.HasSuffix(e.Name(), ".requires") {
				continue
			}
			// The listing is cached per Gather, so each unit costs a map
			// lookup per .wants directory instead of an lstat.
			if g.dirHas(path.Join(d, e.Name()), name) {
				return &t
			}
		}
	}
	return &f
}

func (g *gatherer) launchd(dir, owner string, daemon bool) {
	ents, err := g.r.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".plist") {
			continue
		}
		p := path.Join(dir, n)
		ln := strings.ToLower(n)
		relevant := strings.Contains(ln, "openclaw") || strings.Contains(ln, "clawdbot") || strings.Contains(ln, "moltbot")
		b, err := g.r.ReadFile(p)
		if err != nil {
			if relevant {
				g.problem(p, err)
			}
			continue
		}
		job, err := ParsePlist(b)
		if err != nil {
			if relevant {
				g.problem(p, err)
			}
			continue
		}
		label := job.Label
		if label == "" {
			label = strings.TrimSuffix(n, ".plist")
		}
		args := job.ProgramArguments
		if len(args) == 0 && job.Program != "" {
			args = []string{job.Program}
		}
		if !startsGateway(label, args) {
			continue
		}
		g.f.Units = append(g.f.Units, launchdUnit(p, job, owner, daemon))
	}
}

func (g *gatherer) firewall() {
	fw := &g.f.Firewall
	fw.Ports = map[int]string{}
	add := func(name, source string, enabled *bool, cfg *FirewallConfig) {
		b := FirewallBackend{Name: name, Source: source, Enabled: enabled, DefaultDrop: cfg.DefaultDrop, Rules: cfg.Rules}
		b.Active = (cfg.Rules > 0 || cfg.DefaultDrop) && (enabled == nil || *enabled)
		fw.Backends = append(fw.Backends, b)
		fw.Sources = append(fw.Sources, source)
		fw.Known = true
		if !b.Active {
			return
		}
		fw.Active = true
		fw.DefaultDrop = fw.DefaultDrop || b.DefaultDrop
		fw.Rules = append(fw.Rules, cfg.PortRules...)
	}

	nftEnabled := serviceEnabled(g.r, "nftables.service")
	for _, p := range []string{"/etc/nftables.conf", "/etc/sysconfig/nftables.conf"} {
		if cfg, ok := g.nftFile(p, 0); ok {
			add("nftables", p, nftEnabled, cfg)
		}
	}
	for _, src := range []struct{ name, path string }{
		{"iptables", "/etc/iptables/rules.v4"}, {"iptables", "/etc/sysconfig/iptables"}, {"iptables", "/etc/iptables/iptables.rules"},
		{"ip6tables", "/etc/iptables/rules.v6"}, {"ip6tables", "/etc/sysconfig/ip6tables"}, {"ip6tables", "/etc/iptables/ip6tables.rules"},
	} {
		b, ok := g.read(src.path, false)
		if !ok {
			continue
		}
		cfg := ParseIptablesSave(src.path, src.name, b)
		add(src.name, src.path, serviceEnabled(g.r, "netfilter-persistent.service", src.name+".service"), cfg)
	}
	if b, ok := g.read("/etc/ufw/ufw.conf", false); ok {
		conf := parseKeyValueFile(b)
		en := strings.EqualFold(conf["ENABLED"], "yes")
		cfg := &FirewallConfig{}
		if d, ok := g.read("/etc/default/ufw", false); ok {
			pol := strings.ToUpper(parseKeyValueFile(d)["DEFAULT_INPUT_POLICY"])
			cfg.DefaultDrop = pol == "DROP" || pol == "REJECT"
		}
		for _, p := range []string{"/etc/ufw/user.rules", "/etc/ufw/user6.rules"} {
			if ub, ok := g.read(p, false); ok {
				uc := ParseIptablesSave(p, "ufw", ub)
				uc.DefaultDrop = false // ufw's policy lives in /etc/default/ufw
				cfg.merge(uc)
			}
		}
		if en && cfg.Rules == 0 {
			cfg.Rules = 1 // enabled ufw installs its own chains even with no user rules
		}
		add("ufw", "/etc/ufw/ufw.conf", &en, cfg)
	}
	g.firewalld(add)
	for _, r := range fw.Rules {
		if r.To-r.From > 256 {
			continue
		}
		for p := r.From; p <= r.To; p++ {
			if _, done := fw.Ports[p]; !done {
				fw.Ports[p] = fw.PortVerdict(p)
			}
		}
	}
}

// nftFile parses an nftables file and the files it includes (globs
// allowed), at most 8 levels deep.
func (g *gatherer) nftFile(p string, depth int) (*FirewallConfig, bool) {
	b, ok := g.read(p, depth > 0)
	if !ok {
		return nil, false
	}
	cfg := ParseNftables(p, b)
	if depth >= 8 {
		if len(cfg.Includes) > 0 {
			g.problem(p, errIncludeDepth)
		}
		return cfg, true
	}
	for _, inc := range cfg.Includes {
		if !path.IsAbs(inc) {
			inc = path.Join(path.Dir(p), inc)
		}
		files := []string{inc}
		if strings.ContainsAny(path.Base(inc), "*?[") {
			files = nil
			ents, _ := g.r.ReadDir(path.Dir(inc))
			for _, e := range ents {
				if ok, _ := path.Match(path.Base(inc), e.Name()); ok {
					files = append(files, path.Join(path.Dir(inc), e.Name()))
				}
			}
		}
		for _, f := range files {
			if sub, ok := g.nftFile(f, depth+1); ok {
				cfg.merge(sub)
			}
		}
	}
	return cfg, true
}

// firewalld reads the default zone (applies to every interface not bound
// elsewhere) and the other zones under /etc/firewalld/zones that bind
// interfaces or sources (their allows are restricted to those). Allowed
// services are resolved to ports through their definitions.
func (g *gatherer) firewalld(add func(string, string, *bool, *FirewallConfig)) {
	zone := "public"
	confRead := false
	if b, ok := g.read("/etc/firewalld/firewalld.conf", false); ok {
		confRead = true
		if z := parseKeyValueFile(b)["DefaultZone"]; z != "" {
			zone = z
		}
	}
	var def *firewalldZone
	defPath := ""
	for _, d := range []string{"/etc/firewalld/zones", "/usr/lib/firewalld/zones"} {
		p := path.Join(d, zone+".xml")
		b, ok := g.read(p, false)
		if !ok {
			continue
		}
		z, err := parseFirewalldZone(p, b)
		if err != nil {
			g.problem(p, err)
			return
		}
		def, defPath = z, p
		break
	}
	if def == nil {
		if confRead {
			g.problem("/etc/firewalld/zones/"+zone+".xml", fmt.Errorf("default zone %q not found", zone))
		}
		return
	}
	cfg := def.cfg
	g.firewalldServices(cfg, def, defPath, "")
	for _, e := range g.listDir("/etc/firewalld/zones") {
		p := path.Join("/etc/firewalld/zones", e.Name())
		if !strings.HasSuffix(e.Name(), ".xml") || p == defPath {
			continue
		}
		b, ok := g.read(p, false)
		if !ok {
			continue
		}
		z, err := parseFirewalldZone(p, b)
		if err != nil {
			g.problem(p, err)
			continue
		}
		if z.bound == "" {
			continue // a zone nothing is bound to filters nothing
		}
		for _, r := range z.cfg.PortRules {
			if r.Action == "allow" && r.Addr == "" {
				r.Addr = z.bound
			}
			cfg.PortRules = append(cfg.PortRules, r)
		}
		g.firewalldServices(cfg, z, p, z.bound)
		cfg.Rules += z.cfg.Rules
	}
	add("firewalld", defPath, serviceEnabled(g.r, "firewalld.service"), cfg)
}

func (g *gatherer) firewalldServices(cfg *FirewallConfig, z *firewalldZone, zonePath, addr string) {
	for _, name := range z.services {
		for _, d := range []string{"/etc/firewalld/services", "/usr/lib/firewalld/services"} {
			b, ok := g.read(path.Join(d, name+".xml"), false)
			if !ok {
				continue
			}
			ports, err := parseFirewalldService(b)
			if err != nil {
				g.problem(path.Join(d, name+".xml"), err)
				break
			}
			for _, pr := range ports {
				cfg.PortRules = append(cfg.PortRules, PortRule{Backend: "firewalld", Source: zonePath, From: pr[0], To: pr[1], Action: "allow", Addr: addr})
			}
			break
		}
	}
}

// hidepid returns the hidepid= option of the procfs mounted at procDir
// when it hides other users' processes, or "".
func hidepid(procDir string) string {
	b, err := readProc(filepath.Join(procDir, "mounts"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "proc" || f[1] != procDir {
			continue
		}
		for _, o := range strings.Split(f[3], ",") {
			if v, ok := strings.CutPrefix(o, "hidepid="); ok && v != "0" && v != "off" {
				return o
			}
		}
	}
	return ""
}

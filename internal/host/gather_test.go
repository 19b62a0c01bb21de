package host

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestGatherFixtureSystemAndContainer(t *testing.T) {
	t.Parallel()
	f := fixtureFacts(t)
	if f.Live || f.Rootfs != fixture {
		t.Errorf("Live/Rootfs = %v %q", f.Live, f.Rootfs)
	}
	if f.Hostname != "vm-fixture" || f.OS != "Debian GNU/Linux 12 (bookworm)" || f.OSID != "debian" || f.OSVersion != "12" {
		t.Errorf("system = %q %q %q %q", f.Hostname, f.OS, f.OSID, f.OSVersion)
	}
	c := f.Container
	if !c.InContainer || !reflect.DeepEqual(c.Markers, []string{"/.dockerenv"}) {
		t.Errorf("container = %+v", c)
	}
	if !c.DockerSocket || c.DockerSocketPath != "/var/run/docker.sock" {
		t.Errorf("docker socket = %+v", c)
	}
	if c.Privileged != nil {
		t.Error("privileged must stay unknown under --rootfs")
	}
	// /proc belongs to the auditing machine, not to the image.
	if len(f.Processes) != 0 || len(f.Sockets) != 0 || f.Coverage.Processes || f.Coverage.Sockets {
		t.Errorf("processes/sockets read under rootfs: %v %v %+v", f.Processes, f.Sockets, f.Coverage)
	}
	fw := f.Firewall
	if !fw.Known || !fw.Active || !fw.DefaultDrop || !reflect.DeepEqual(fw.Sources, []string{"/etc/nftables.conf", "/etc/ufw/ufw.conf"}) {
		t.Errorf("firewall = %+v", fw)
	}
	// nftables is enabled (sysinit.target.wants), ufw is not (ENABLED=no):
	// ufw's allow for 18789 must not count.
	for _, r := range fw.Rules {
		if r.Backend != "nftables" {
			t.Errorf("rule from inactive backend: %+v", r)
		}
	}
	if fw.Ports[18789] != "allow" || fw.Ports[443] != "allow" || fw.Ports[8080] != "allow" || fw.PortVerdict(18850) != "deny" || fw.PortVerdict(3306) != "" {
		t.Errorf("ports = %v", fw.Ports)
	}
	if len(fw.Backends) != 2 || fw.Backends[1].Name != "ufw" || fw.Backends[1].Active || *fw.Backends[1].Enabled {
		t.Errorf("backends = %+v", fw.Backends)
	}
	var probs []string
	for _, p := range f.Problems {
		probs = append(probs, p.Path+": "+p.Err.Error())
	}
	want := []string{
		"/etc/passwd: line 10: passwd entry has an empty name or a bad uid/gid",
		"/etc/group: line 11: group entry has 2 fields, want 4",
		"/etc/openclaw/gateway.env: line 5: invalid variable name ignored",
		"/etc/crontab: line 7: crontab line without a command",
	}
	if !reflect.DeepEqual(probs, want) {
		t.Errorf("problems =\n%s", strings.Join(probs, "\n"))
	}
}

func TestGatherFixtureUnits(t *testing.T) {
	t.Parallel()
	f := fixtureFacts(t)
	byPath := map[string]Unit{}
	var paths []string
	for _, u := range f.Units {
		byPath[u.Path] = u
		paths = append(paths, u.Path)
	}
	wantPaths := []string{
		"/Library/LaunchDaemons/ai.openclaw.gateway.plist",
		"/Users/mac/Library/LaunchAgents/ai.openclaw.gateway.plist",
		"/etc/systemd/system/openclaw-gateway.service",
		"/home/svc/.config/systemd/user/openclaw-gateway.service",
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Fatalf("units = %q", paths)
	}

	sys := byPath["/etc/systemd/system/openclaw-gateway.service"]
	if sys.Kind != "systemd-system" || sys.User != "openclaw" || sys.Group != "openclaw" || sys.RunAs != "openclaw" || sys.Owner != "" {
		t.Errorf("system unit identity = %+v", sys)
	}
	wantEnv := map[string]string{
		"OPENCLAW_STATE_DIR":     "/var/lib/openclaw/state",
		"OPENCLAW_PROFILE":       "prod",
		"NODE_OPTIONS":           "--max-old-space-size=512 --enable-source-maps",
		"HOME":                   "/var/lib/openclaw",
		"OPENCLAW_GATEWAY_TOKEN": "fixture-token-abc123",
		"OPENCLAW_LOG_LEVEL":     "warn", // drop-in says debug, the env file wins
		"MULTI":                  "line one line two",
	}
	if !reflect.DeepEqual(sys.Environment, wantEnv) {
		t.Errorf("environment = %v", sys.Environment)
	}
	if sys.EnvSource["OPENCLAW_GATEWAY_TOKEN"] != "/etc/openclaw/gateway.env" || !strings.HasPrefix(sys.EnvSource["OPENCLAW_PROFILE"], "Environment= /etc/systemd/system/") {
		t.Errorf("env sources = %v", sys.EnvSource)
	}
	if _, leaked := sys.Environment["SHOULD_NOT_APPEAR"]; leaked {
		t.Error("vendor drop-in with the same name as an /etc drop-in was applied")
	}
	if !reflect.DeepEqual(sys.DropIns, []string{"/lib/systemd/system/openclaw-gateway.service.d/10-vendor.conf", "/etc/systemd/system/openclaw-gateway.service.d/override.conf"}) {
		t.Errorf("drop-ins = %q", sys.DropIns)
	}
	if sys.ExecStart != "/usr/bin/node /usr/lib/node_modules/openclaw/openclaw.mjs gateway --port 18789 --bind lan --token ***" {
		t.Errorf("ExecStart = %q", sys.ExecStart)
	}
	wantH := map[string]string{"NoNewPrivileges": "true", "ProtectSystem": "strict", "ProtectHome": "read-only", "PrivateTmp": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "CAP_NET_BIND_SERVICE"}
	if !reflect.DeepEqual(sys.Hardening, wantH) {
		t.Errorf("hardening = %v", sys.Hardening)
	}
	if sys.Enabled == nil || !*sys.Enabled || sys.Masked {
		t.Errorf("enabled/masked = %v %v", sys.Enabled, sys.Masked)
	}

	usr := byPath["/home/svc/.config/systemd/user/openclaw-gateway.service"]
	if usr.Kind != "systemd-user" || usr.Owner != "svc" || usr.RunAs != "svc" || usr.ExecStart != "/home/svc/.npm-global/bin/openclaw gateway --port 19001" || usr.Environment["OPENCLAW_HOME"] != "/home/svc" {
		t.Errorf("user unit = %+v", usr)
	}
	if usr.Enabled == nil || !*usr.Enabled {
		t.Error("user unit enabled through default.target.wants")
	}

	agent := byPath["/Users/mac/Library/LaunchAgents/ai.openclaw.gateway.plist"]
	if agent.Kind != "launchd" || agent.Owner != "mac" || agent.RunAs != "mac" || agent.Environment["OPENCLAW_GATEWAY_PORT"] != "18789" || len(agent.Args) != 5 {
		t.Errorf("launch agent = %+v", agent)
	}
	daemon := byPath["/Library/LaunchDaemons/ai.openclaw.gateway.plist"]
	if daemon.RunAs != "_openclaw" || daemon.Enabled == nil || !*daemon.Enabled {
		t.Errorf("launch daemon = %+v", daemon)
	}
}

func TestGatherUnitEdgeCases(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"etc/passwd": "root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n",
		// no User=: a system unit runs as root
		"etc/systemd/system/clawdbot-gateway.service": "[Service]\nExecStart=/usr/bin/clawdbot gateway\nEnvironmentFile=/etc/claw/*.env\nEnvironmentFile=/etc/claw/required-missing.env\nEnvironmentFile=relative.env\n",
		"etc/claw/a.env":                 "A=1\n",
		"etc/claw/b.env":                 "A=2\nB=3\n",
		"etc/systemd/system/dyn.service": "[Service]\nDynamicUser=yes\nUser=ignored\nExecStart=/usr/bin/openclaw gateway\n",
		"etc/systemd/system/openclaw-gateway-masked.service":       "->/dev/null",
		"etc/systemd/user/openclaw-gateway.service":                "[Service]\nExecStart=/usr/bin/openclaw gateway\n",
		"home/u/.config/systemd/user/other.service":                "[Service]\nExecStart=/usr/bin/python3 -m http.server\n",
		"home/u/.local/share/systemd/user/moltbot-gateway.service": "[Service]\nExecStart=/usr/bin/moltbot gateway\n",
	})
	f, err := Gather(context.Background(), Options{Rootfs: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Unit{}
	for _, u := range f.Units {
		got[u.Path] = u
	}
	if len(got) != 5 {
		t.Fatalf("units = %+v", f.Units)
	}
	if m := got["/home/u/.local/share/systemd/user/moltbot-gateway.service"]; m.Owner != "u" || m.RunAs != "u" {
		t.Errorf("user data-dir unit = %+v", m)
	}
	cb := got["/etc/systemd/system/clawdbot-gateway.service"]
	if cb.RunAs != "root" || cb.User != "" || !reflect.DeepEqual(cb.Environment, map[string]string{"A": "2", "B": "3"}) || cb.Enabled == nil || *cb.Enabled {
		t.Errorf("clawdbot unit = %+v", cb)
	}
	dyn := got["/etc/systemd/system/dyn.service"]
	if !dyn.DynamicUser || dyn.RunAs != "" {
		t.Errorf("dynamic unit = %+v", dyn)
	}
	if m := got["/etc/systemd/system/openclaw-gateway-masked.service"]; !m.Masked {
		t.Errorf("masked unit = %+v", m)
	}
	if g := got["/etc/systemd/user/openclaw-gateway.service"]; g.Kind != "systemd-user" || g.Owner != "" || g.RunAs != "" {
		t.Errorf("global user unit = %+v", g)
	}
	var probs []string
	for _, p := range f.Problems {
		probs = append(probs, p.Path+": "+p.Err.Error())
	}
	joined := strings.Join(probs, "\n")
	if !strings.Contains(joined, "/etc/claw/required-missing.env") || !strings.Contains(joined, `EnvironmentFile "relative.env" is not absolute`) {
		t.Errorf("problems = %s", joined)
	}
}

func TestGatherRootErrors(t *testing.T) {
	t.Parallel()
	if _, err := Gather(context.Background(), Options{Rootfs: "testdata/does-not-exist"}); err == nil {
		t.Error("missing rootfs: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Gather(ctx, Options{Rootfs: fixture}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestGatherContainerFromEnv(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"run/.containerenv": "", "run/docker.sock": "", "var/run/secrets/kubernetes.io/serviceaccount/token": "x"})
	env := map[string]string{"FLY_APP_NAME": "claw", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
	f, err := Gather(context.Background(), Options{Rootfs: dir, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/run/.containerenv", "/var/run/secrets/kubernetes.io/serviceaccount", "env:FLY_APP_NAME", "env:KUBERNETES_SERVICE_HOST"}
	if !reflect.DeepEqual(f.Container.Markers, want) || f.Container.DockerSocketPath != "/run/docker.sock" {
		t.Errorf("container = %+v", f.Container)
	}
	// Without Getenv, clawgov's own environment says nothing about an image.
	f, _ = Gather(context.Background(), Options{Rootfs: writeTree(t, map[string]string{"etc/hostname": "x\n"})})
	if f.Container.InContainer || f.Container.DockerSocket {
		t.Errorf("empty root: %+v", f.Container)
	}
}

func TestGatherMacOSRoot(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"System/Library/CoreServices/SystemVersion.plist": "<plist/>"})
	f, err := Gather(context.Background(), Options{Rootfs: dir})
	if err != nil {
		t.Fatal(err)
	}
	if f.OS != "darwin" || f.OSID != "macos" {
		t.Errorf("OS = %q/%q", f.OS, f.OSID)
	}
}

func TestGatherFixtureScheduled(t *testing.T) {
	t.Parallel()
	f := fixtureFacts(t)
	if !f.Coverage.Scheduled {
		t.Fatalf("coverage = %+v", f.Coverage)
	}
	var got []string
	for _, j := range f.Scheduled {
		got = append(got, strings.Join([]string{j.Kind, j.Source, j.Schedule, j.User, j.Command}, " | "))
	}
	want := []string{
		"crontab | /etc/crontab | 17 * * * * | root | cd / && run-parts --report /etc/cron.hourly",
		"crontab | /etc/crontab | @reboot | root | /usr/local/bin/warmup --api-key=***",
		"cron.d | /etc/cron.d/clawgov-audit | 30 2 * * * | openclaw | /usr/local/bin/clawgov audit --format json --output /var/log/clawgov.json",
		"cron.daily | /etc/cron.daily/openclaw-backup | @daily | root | tar czf /var/backups/openclaw.tgz /var/lib/openclaw",
		"crontab | /var/spool/cron/crontabs/alice | */15 * * * * | alice | /home/alice/bin/sync.sh --token ***",
		"systemd-timer | /etc/systemd/system/openclaw-audit.timer | weekly | openclaw | /usr/bin/openclaw security audit --json",
		"launchd | /Library/LaunchAgents/com.example.audit.plist | StartCalendarInterval Hour=3,Minute=0 |  | /usr/local/bin/clawgov audit",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scheduled =\n%s", strings.Join(got, "\n"))
	}
}

func TestScheduledUnreadableSpoolIsUnknown(t *testing.T) {
	t.Parallel()
	// A directory inside the spool is not a crontab and is skipped.
	dir := writeTree(t, map[string]string{"var/spool/cron/crontabs/bob/x": "", "etc/crontab": "* * * * * root true\n"})
	f, err := Gather(context.Background(), Options{Rootfs: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Coverage.Scheduled || len(f.Scheduled) != 1 {
		t.Errorf("directories in the spool are skipped: %+v %+v", f.Coverage, f.Scheduled)
	}
	// A spool that cannot be listed (as root we cannot make one
	// unreadable, so a file stands where the directory should be) leaves
	// the scheduled jobs unknown.
	dir = writeTree(t, map[string]string{"var/spool/cron": "not a dir"})
	f, _ = Gather(context.Background(), Options{Rootfs: dir})
	if f.Coverage.Scheduled {
		t.Errorf("unlistable spool must leave scheduled jobs unknown: %+v", f.Problems)
	}
}

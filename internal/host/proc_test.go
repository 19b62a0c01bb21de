package host

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeProc builds a procfs-shaped tree: pid -> files, "fd/N" and "ns/net"
// entries starting with "->" become symlinks.
func fakeProc(t *testing.T) string {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixture /proc/net lines are little-endian")
	}
	files := map[string]string{
		"self":                    "->100",
		"100/ns/net":              "->net:[4026531840]",
		"100/cmdline":             "clawgov\x00audit\x00",
		"1/cgroup":                "0::/kubepods/besteffort/pod1234/abcd\n",
		"1/status":                "Name:\tinit\nCapEff:\t000001ffffffffff\n",
		"sys/kernel/cap_last_cap": "40\n",
		// the gateway after it set its process title
		"200/cmdline": "openclaw-gateway\x00\x00\x00\x00",
		"200/comm":    "openclaw-gatewa\n",
		"200/status":  "Name:\topenclaw-gatewa\nUid:\t1000\t1001\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n",
		"200/environ": "OPENCLAW_GATEWAY_TOKEN=tok\x00PATH=/bin\x00HOME=/home/alice\x00NODE_OPTIONS=--inspect\x00CLAWHUB_TOKEN=hub\x00AWS_SECRET_ACCESS_KEY=aws\x00",
		"200/fd/3":    "->socket:[5001]",
		"200/fd/4":    "->/dev/null",
		"200/fd/5":    "->socket:[5002]",
		"200/ns/net":  "->net:[4026531840]",
		// a gateway before the title is set, in another network namespace
		"300/cmdline": "node\x00/usr/lib/node_modules/openclaw/openclaw.mjs\x00gateway\x00--token\x00s3cret\x00--password=hunter2\x00",
		"300/comm":    "node\n",
		"300/status":  "Uid:\t0\t0\t0\t0\n",
		"300/fd/7":    "->socket:[6001]",
		"300/ns/net":  "->net:[4026532000]",
		"300/net/tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6001 1 0 100 0 0 10 0\n",
		// clients and other programs
		"400/cmdline": "openclaw\x00gateway\x00status\x00",
		"400/comm":    "openclaw\n",
		"500/cmdline": "/usr/sbin/sshd\x00-D\x00",
		"500/comm":    "sshd\n",
		"500/fd/3":    "->socket:[7001]",
		"net/tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 0 100 0 0 10 0\n" +
			"   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7001 1 0 100 0 0 10 0\n" +
			"   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 9999 1 0 100 0 0 10 0\n",
		"net/tcp6": "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 00000000000000000000000001000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5002 1 0 100 0 0 10 0\n",
	}
	dir := filepath.Join(t.TempDir(), "proc")
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScanProcessesAndSockets(t *testing.T) {
	t.Parallel()
	proc := fakeProc(t)
	facts := &Facts{Users: []User{{Name: "root", UID: 0}, {Name: "alice", UID: 1000}}}
	procs, probs, err := scanProcesses(context.Background(), proc, facts, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 2 {
		t.Fatalf("processes = %+v", procs)
	}
	gw := procs[0]
	want := Process{PID: 200, UID: 1000, EUID: 1001, User: "alice", Comm: "openclaw-gatewa", Cmdline: "openclaw-gateway",
		Env:    map[string]string{"OPENCLAW_GATEWAY_TOKEN": "tok", "HOME": "/home/alice", "NODE_OPTIONS": "--inspect", "CLAWHUB_TOKEN": "hub"},
		Inodes: []uint64{5001, 5002}}
	if !reflect.DeepEqual(gw, want) {
		t.Errorf("gateway = %+v\nwant      %+v", gw, want)
	}
	node := procs[1]
	if node.PID != 300 || node.User != "root" || node.Cmdline != "node /usr/lib/node_modules/openclaw/openclaw.mjs gateway --token *** --password=***" {
		t.Errorf("node gateway = %+v", node)
	}
	if strings.Contains(node.Cmdline, "s3cret") || strings.Contains(node.Cmdline, "hunter2") {
		t.Error("secret flag value leaked into Cmdline")
	}
	if node.Env != nil {
		t.Errorf("unreadable environ must be nil (unknown), got %v", node.Env)
	}
	if len(probs) != 1 || !strings.HasSuffix(probs[0].Path, "/300/environ") {
		t.Errorf("problems = %+v", probs)
	}

	socks, sprobs, ok := scanSockets(context.Background(), proc, procs)
	if !ok || len(sprobs) != 0 {
		t.Fatalf("sockets ok=%v probs=%v", ok, sprobs)
	}
	var got []string
	for _, s := range socks {
		got = append(got, strings.Join([]string{s.Proto, s.IP, strconv.Itoa(s.Port), strconv.Itoa(s.PID), string(s.Scope)}, " "))
	}
	wantS := []string{
		"tcp 0.0.0.0 22 500 wildcard",
		"tcp 0.0.0.0 8080 0 wildcard",
		"tcp 0.0.0.0 18789 300 wildcard", // from the gateway's own namespace
		"tcp 127.0.0.1 18789 200 loopback",
		"tcp6 ::1 18789 200 loopback",
	}
	if !reflect.DeepEqual(got, wantS) {
		t.Errorf("sockets =\n%s", strings.Join(got, "\n"))
	}
	f := &Facts{Sockets: socks}
	if s := f.SocketsOf(gw); len(s) != 2 {
		t.Errorf("SocketsOf(gateway) = %+v", s)
	}
}

func TestGatherLiveWithFakeProc(t *testing.T) {
	t.Parallel()
	proc := fakeProc(t)
	f, err := Gather(context.Background(), Options{Proc: proc, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Live || !f.Coverage.Processes || !f.Coverage.Sockets || len(f.Processes) != 2 || len(f.Sockets) != 5 {
		t.Errorf("live facts: live=%v cov=%+v procs=%d socks=%d", f.Live, f.Coverage, len(f.Processes), len(f.Sockets))
	}
	if !slices.Contains(f.Container.Markers, "/proc/1/cgroup:kubepods") || !f.Container.InContainer {
		t.Errorf("markers = %v", f.Container.Markers)
	}
	if f.Container.Privileged == nil || !*f.Container.Privileged {
		t.Errorf("CapEff with all %d caps must be privileged: %v", 41, f.Container.Privileged)
	}
	// One capability missing: not privileged.
	if err := os.WriteFile(filepath.Join(proc, "1/status"), []byte("CapEff:\t000001fffffffffe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ = Gather(context.Background(), Options{Proc: proc, Getenv: func(string) string { return "" }})
	if f.Container.Privileged == nil || *f.Container.Privileged {
		t.Errorf("privileged = %v", f.Container.Privileged)
	}
}

func TestIsGatewayProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		argv []string
		comm string
		want bool
	}{
		{[]string{"openclaw-gateway"}, "openclaw-gatewa", true},
		{[]string{"openclaw-gateway   "}, "node", true},
		{nil, "clawdbot-gatewa", true},
		{[]string{"node", "/x/openclaw/openclaw.mjs", "gateway", "run"}, "node", true},
		{[]string{"/usr/bin/moltbot", "gateway"}, "moltbot", true},
		{[]string{"openclaw", "gateway", "status"}, "openclaw", false},
		{[]string{"openclaw", "node", "run"}, "openclaw", false},
		{[]string{"journalctl", "-u", "openclaw-gateway.service"}, "journalctl", false},
		{[]string{"/usr/bin/other", "gateway"}, "other", false},
		{[]string{"openclaw-gatewayx"}, "openclaw-gatewa", true}, // comm is authoritative when 15 bytes
		{nil, "", false},
	}
	for _, tt := range tests {
		if got := IsGatewayProcess(tt.argv, tt.comm); got != tt.want {
			t.Errorf("IsGatewayProcess(%q, %q) = %v", tt.argv, tt.comm, got)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	t.Parallel()
	in := []string{"openclaw", "gateway", "--token", "a", "--gateway-password=b", "--api-key", "c", "--port", "1", "--client-secret=d", "--token"}
	got := RedactArgs(in)
	if got != "openclaw gateway --token *** --gateway-password=*** --api-key *** --port 1 --client-secret=*** --token" {
		t.Errorf("RedactArgs = %q", got)
	}
	if in[3] != "a" {
		t.Error("RedactArgs modified its input")
	}
}

func TestHidepid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mounts := "sysfs /sys sysfs rw 0 0\nproc " + dir + " proc rw,nosuid,hidepid=invisible 0 0\n"
	if err := os.WriteFile(filepath.Join(dir, "mounts"), []byte(mounts), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := hidepid(dir); got != "hidepid=invisible" {
		t.Errorf("hidepid = %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "mounts"), []byte("proc "+dir+" proc rw,hidepid=0 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := hidepid(dir); got != "" {
		t.Errorf("hidepid=0 reported as %q", got)
	}
	if got := hidepid("/nonexistent"); got != "" {
		t.Errorf("missing mounts: %q", got)
	}
}

package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// gatewayTitles are process titles the gateway sets for itself (comm is
// cut to 15 bytes by the kernel: "openclaw-gatewa").
var gatewayTitles = []string{"openclaw-gateway", "clawdbot-gateway", "moltbot-gateway"}

var productWords = []string{"openclaw", "clawdbot", "moltbot"}

// clientGatewayVerbs are "openclaw gateway <verb>" commands that talk to a
// gateway rather than being one.
var clientGatewayVerbs = map[string]bool{
	"status": true, "stop": true, "install": true, "uninstall": true, "restart": true,
	"probe": true, "health": true, "call": true, "discover": true, "logs": true, "usage-cost": true,
}

// IsGatewayProcess tells from a process's argument vector and comm whether
// it is an OpenClaw (or Clawdbot/Moltbot) gateway: the process title the
// gateway sets, or a command line naming the product with a "gateway"
// argument (before the title is set, or for older builds).
func IsGatewayProcess(argv []string, comm string) bool {
	for _, t := range gatewayTitles {
		if comm == t || (len(comm) == 15 && strings.HasPrefix(t, comm)) {
			return true
		}
		if len(argv) > 0 && path.Base(strings.TrimSpace(argv[0])) == t {
			return true
		}
	}
	product := false
	for _, a := range argv {
		la := strings.ToLower(a)
		for _, w := range productWords {
			if strings.Contains(la, w) {
				product = true
			}
		}
	}
	if !product {
		return false
	}
	for i, a := range argv {
		if a == "gateway" {
			if i+1 < len(argv) && clientGatewayVerbs[argv[i+1]] {
				return false
			}
			return true
		}
	}
	return false
}

// mightBeGateway is a cheap prefilter for IsGatewayProcess on the raw
// /proc bytes: IsGatewayProcess can only be true when the comm or the
// command line contains a gateway title or a product word, in any case.
func mightBeGateway(cmdline, comm []byte) bool {
	if mentionsProduct(cmdline) {
		return true
	}
	for _, t := range gatewayTitles {
		// A comm is at most 15 bytes, a prefix of a longer title.
		if c := bytes.TrimRight(comm, "\n"); len(c) > 0 && strings.HasPrefix(t, string(c)) {
			return true
		}
		if bytes.Contains(cmdline, []byte(t)) {
			return true
		}
	}
	return false
}

// splitNUL splits a NUL-separated /proc vector, dropping the trailing
// empty strings a rewritten process title leaves behind.
func splitNUL(b []byte) []string {
	parts := strings.Split(string(b), "\x00")
	for len(parts) > 0 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// isSecretFlag reports whether a command-line flag carries a secret value.
func isSecretFlag(flag string) bool {
	f := strings.ToLower(strings.TrimLeft(flag, "-"))
	for _, w := range []string{"token", "password", "passwd", "secret", "api-key", "apikey", "api_key"} {
		if strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// RedactArgs joins argv with spaces, replacing the values of secret flags
// ("--token X", "--password=X", ...) with "***".
func RedactArgs(argv []string) string {
	out := redactArgv(argv)
	for i := range out {
		out[i] = strings.TrimRight(out[i], " ")
	}
	return strings.Join(out, " ")
}

// redactArgv returns a copy of argv with secret flag values replaced.
func redactArgv(argv []string) []string {
	out := make([]string, 0, len(argv))
	redactNext := false
	for _, a := range argv {
		if redactNext {
			out = append(out, "***")
			redactNext = false
			continue
		}
		if strings.HasPrefix(a, "-") {
			if k, _, ok := strings.Cut(a, "="); ok && isSecretFlag(k) {
				out = append(out, k+"=***")
				continue
			}
			if isSecretFlag(a) {
				redactNext = true
			}
		}
		out = append(out, a)
	}
	return out
}

// keepEnv tells which environment variables of a gateway process are kept.
func keepEnv(k string) bool {
	return strings.HasPrefix(k, "OPENCLAW_") || strings.HasPrefix(k, "CLAWHUB_") || k == "HOME" || k == "NODE_OPTIONS"
}

func readProc(p string) ([]byte, error) { return readLive(p, nil) }

// readProcInto is readProc into buf's storage (the result aliases buf):
// the process scan reads two files of every process to keep a few.
func readProcInto(p string, buf []byte) ([]byte, error) { return readLive(p, buf) }

// procUIDs returns the real and effective uid from /proc/<pid>/status.
func procUIDs(status []byte) (int, int, bool) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			if len(f) < 2 {
				return 0, 0, false
			}
			r, err1 := strconv.Atoi(f[0])
			e, err2 := strconv.Atoi(f[1])
			return r, e, err1 == nil && err2 == nil
		}
	}
	return 0, 0, false
}

func procPIDs(procDir string) ([]int, error) {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 {
			pids = append(pids, n)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// socketInodes reads the socket inodes a process holds from its fd links.
func socketInodes(procDir string, pid int) ([]uint64, error) {
	dir := filepath.Join(procDir, strconv.Itoa(pid), "fd")
	// Names only, and each link read into one small buffer: a host has
	// thousands of fds and the socket scan may read all of them.
	names, err := dirNames(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	var buf [64]byte
	for _, name := range names {
		n, err := syscall.Readlink(dir+"/"+name, buf[:])
		if err != nil || n >= len(buf) {
			continue // fd closed meanwhile, or no socket link
		}
		if s, ok := bytes.CutPrefix(buf[:n], []byte("socket:[")); ok {
			if v, err := strconv.ParseUint(string(bytes.TrimSuffix(s, []byte("]"))), 10, 64); err == nil {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// dirNames lists a directory's entry names with bare system calls (see
// readLive for why), "." and ".." left out.
func dirNames(dir string) ([]string, error) {
	fd, err := openRetry(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
}

// scanProcesses finds gateway processes under procDir.
func scanProcesses(ctx context.Context, procDir string, f *Facts, self int) ([]Process, []Problem, error) {
	pids, err := procPIDs(procDir)
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", procDir, err)
	}
	var procs []Process
	var probs []Problem
	var cmdBuf, commBuf []byte
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return procs, probs, err
		}
		if pid == self {
			continue
		}
		base := filepath.Join(procDir, strconv.Itoa(pid))
		cmd, err := readProcInto(filepath.Join(base, "cmdline"), cmdBuf)
		if err != nil {
			continue // exited, or a kernel thread we cannot read
		}
		cmdBuf = cmd[:0]
		commB, _ := readProcInto(filepath.Join(base, "comm"), commBuf)
		commBuf = commB[:0]
		if !mightBeGateway(cmd, commB) {
			continue
		}
		comm := strings.TrimRight(string(commB), "\n")
		argv := splitNUL(cmd)
		if !IsGatewayProcess(argv, comm) {
			continue
		}
		p := Process{PID: pid, Comm: comm, Cmdline: RedactArgs(argv), UID: -1, EUID: -1}
		if st, err := readProc(filepath.Join(base, "status")); err == nil {
			if r, e, ok := procUIDs(st); ok {
				p.UID, p.EUID = r, e
				if u, ok := f.UserByUID(r); ok {
					p.User = u.Name
				}
			}
		} else {
			probs = append(probs, Problem{Path: filepath.Join(base, "status"), Err: err})
		}
		if env, err := readProc(filepath.Join(base, "environ")); err == nil {
			p.Env = map[string]string{}
			for _, kv := range splitNUL(env) {
				if k, v, ok := strings.Cut(kv, "="); ok && keepEnv(k) {
					p.Env[k] = v
				}
			}
		} else {
			probs = append(probs, Problem{Path: filepath.Join(base, "environ"), Err: err})
		}
		if in, err := socketInodes(procDir, pid); err == nil {
			p.Inodes = in
		} else {
			probs = append(probs, Problem{Path: filepath.Join(base, "fd"), Err: err})
		}
		procs = append(procs, p)
	}
	return procs, probs, nil
}

// scanSockets reads the listening TCP sockets of our network namespace and
// of every gateway process living in another one (a container on this
// host), then attributes each socket to the process holding its inode.
func scanSockets(ctx context.Context, procDir string, procs []Process) ([]Socket, []Problem, bool) {
	var socks []Socket
	var probs []Problem
	seen := map[string]bool{}
	ok := true
	keep := func(ss []Socket) {
		for _, s := range ss {
			k := fmt.Sprintf("%s/%d/%s/%d", s.Proto, s.Inode, s.IP, s.Port)
			if !seen[k] {
				seen[k] = true
				socks = append(socks, s)
			}
		}
	}
	add := func(dir string) {
		for _, proto := range []string{"tcp", "tcp6"} {
			p := filepath.Join(dir, "net", proto)
			fh, err := os.Open(p)
			if err != nil {
				if !(proto == "tcp6" && isNotExist(err)) { // IPv6 may be disabled
					probs = append(probs, Problem{Path: p, Err: err})
					ok = false
				}
				continue
			}
			// Streamed: a busy server's table can be tens of megabytes.
			ss, err := parseProcNetTCP(fh, proto, binary.NativeEndian)
			fh.Close()
			if err != nil {
				probs = append(probs, Problem{Path: p, Err: err})
			}
			keep(ss)
		}
	}
	// Our own namespace: ask the kernel for listeners only (sock_diag)
	// when this is the real /proc; fall back to the /proc tables.
	if procDir == "/proc" {
		if ss, err := netlinkListeners(); err == nil {
			keep(ss)
		} else {
			add(procDir)
		}
	} else {
		add(procDir)
	}
	selfNS, _ := os.Readlink(filepath.Join(procDir, "self", "ns", "net"))
	for _, p := range procs {
		ns, err := os.Readlink(filepath.Join(procDir, strconv.Itoa(p.PID), "ns", "net"))
		if err == nil && ns != selfNS {
			add(filepath.Join(procDir, strconv.Itoa(p.PID)))
		}
	}
	// Attribute: gateway processes first, then every process whose fds we
	// can read.
	owner := map[uint64]int{}
	want := map[uint64]bool{}
	for _, s := range socks {
		want[s.Inode] = true
	}
	for _, p := range procs {
		for _, in := range p.Inodes {
			if want[in] {
				owner[in] = p.PID
			}
		}
	}
	if len(owner) < len(want) {
		pids, _ := procPIDs(procDir)
		for _, pid := range pids {
			if ctx.Err() != nil || len(owner) == len(want) {
				break
			}
			ins, err := socketInodes(procDir, pid)
			if err != nil {
				continue
			}
			for _, in := range ins {
				if want[in] {
					if _, done := owner[in]; !done {
						owner[in] = pid
					}
				}
			}
		}
	}
	for i := range socks {
		socks[i].PID = owner[socks[i].Inode]
	}
	sort.Slice(socks, func(i, j int) bool {
		a, b := socks[i], socks[j]
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		if a.IP != b.IP {
			return a.IP < b.IP
		}
		return a.Inode < b.Inode
	})
	return socks, probs, ok
}

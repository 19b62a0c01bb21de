package host

import (
	"os"
	"path"
	"strings"
	"testing"
)

// The fuzz targets check that hostile input never panics and that the
// parsers' basic invariants hold. Seeds live in testdata/fuzz/<Target>/.

func FuzzParseProcNetTCP(f *testing.F) {
	f.Add([]byte(procTCP))
	f.Add([]byte(procTCP6))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, proto := range []string{"tcp", "tcp6"} {
			socks, _ := ParseProcNetTCP(data, proto)
			for _, s := range socks {
				if s.Port < 0 || s.Port > 65535 || s.UID < 0 || s.IP == "" || s.Scope == ScopeUnknown {
					t.Fatalf("bad socket %+v", s)
				}
			}
		}
	})
}

func FuzzParseUnitFile(f *testing.F) {
	f.Add([]byte("[Service]\nUser=gw\nExecStart=/usr/bin/openclaw gateway --token x\nEnvironment=\"A=1 2\" B=3\n"))
	f.Add([]byte("[Service]\nExecStart=a \\\n# c\n b\nEnvironment='unterminated\nCapabilityBoundingSet=\n"))
	f.Add([]byte("KEY=\"v\\\"q\"\nexport X=1\n'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		uf, _ := ParseUnitFile(data)
		for _, s := range uf.Sections {
			for _, e := range s.Entries {
				if e.Key == "" || e.Line <= 0 {
					t.Fatalf("bad entry %+v", e)
				}
			}
		}
		u, _ := SystemdUnit("openclaw-gateway@%i.service", data, data)
		for k := range u.Environment {
			if !validEnvName(k) {
				t.Fatalf("invalid env name %q", k)
			}
		}
		_ = startsGateway(u.Name, u.Args)
		kvs, _ := ParseEnvFile(data)
		for _, kv := range kvs {
			if !validEnvName(kv[0]) {
				t.Fatalf("invalid env file name %q", kv[0])
			}
		}
		_, _ = ParseEnvironmentValue(string(data))
		_, _ = ParsePlist(data)
		_ = ParseNftables("f", data)
		_ = ParseIptablesSave("f", "iptables", data)
		_, _ = ParseFirewalldZone("f", data)
		for _, system := range []bool{false, true} {
			jobs, _ := ParseCrontab("f", "crontab", data, system, "u")
			for _, j := range jobs {
				if j.Command == "" || j.Schedule == "" {
					t.Fatalf("bad job %+v", j)
				}
			}
		}
		_ = RedactCommand(string(data))
	})
}

func FuzzParseSudoers(f *testing.F) {
	f.Add([]byte("User_Alias A = x, B : B = y\nA ALL = (root) NOPASSWD: ALL : h = /bin/ls\n#include x\n"))
	f.Add([]byte("alice ALL = /bin/chown root:root /x, sha256:abc= /bin/ls \\\n , !ALL\n"))
	f.Add([]byte("User_Alias L = L\nL ALL = ALL\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, incs, _ := ParseSudoers("/etc/sudoers", data)
		for _, r := range rules {
			if r.Who == "" || r.Line <= 0 || (r.NoPasswdAll && !(r.All && r.NoPasswd)) {
				t.Fatalf("bad rule %+v", r)
			}
		}
		for _, in := range incs {
			if in.Path == "" {
				t.Fatalf("empty include %+v", in)
			}
		}
		fa := &Facts{Users: []User{{Name: "x", UID: 1000}}, Sudoers: rules}
		_, _ = fa.IsAdmin("x")
	})
}

func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\nu:x:1000:1000::/home/u:/bin/sh\n"), []byte("sudo:x:27:u\nu:x:1000:\n"))
	f.Add([]byte("a:b:c\n::::::\n+\n"), []byte("g:x:1:a,,b\n:::\n"))
	f.Fuzz(func(t *testing.T, passwd, group []byte) {
		users, _ := ParsePasswd(passwd)
		groups, _ := ParseGroup(group)
		fa := &Facts{Users: users, Groups: groups}
		for _, u := range users {
			if u.Name == "" || u.UID < 0 || u.GID < 0 {
				t.Fatalf("bad user %+v", u)
			}
			if gs := fa.GroupsOf(u.Name); len(gs) == 0 {
				t.Fatalf("user %q without a primary group", u.Name)
			}
			_, _ = fa.IsAdmin(u.Name)
		}
	})
}

// FuzzRootResolve checks the confinement invariant: whatever the path,
// resolution inside the fixture root yields a clean absolute in-root path
// and never reads outside it.
func FuzzRootResolve(f *testing.F) {
	for _, p := range []string{"/etc/escape-relative", "../../../etc/passwd", "/var/run/docker.sock", "/etc/loop1/x", "//etc/./sudoers.d/../passwd"} {
		f.Add(p)
	}
	r, err := NewRoot(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		res, err := r.Resolve(p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(res, "/") || path.Clean(res) != res {
			t.Fatalf("Resolve(%q) = %q: not a clean absolute path", p, res)
		}
		// What ReadFile returns is exactly the file the resolver named.
		if b, err := r.ReadFile(p); err == nil {
			direct, derr := os.ReadFile(r.HostPath(res))
			if derr != nil || string(direct) != string(b) {
				t.Fatalf("ReadFile(%q) does not read in-root %q", p, res)
			}
		}
	})
}

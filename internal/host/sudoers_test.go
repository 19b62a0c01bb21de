package host

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseSudoers(t *testing.T) {
	t.Parallel()
	type r struct {
		who                string
		all, nopw, nopwAll bool
		runas, via         string
	}
	tests := []struct {
		name  string
		in    string
		want  []r
		incs  []SudoInclude
		nerrs int
	}{
		{"plain ALL", "alice ALL=(ALL:ALL) ALL\n", []r{{who: "alice", all: true, runas: "ALL:ALL"}}, nil, 0},
		{"default runas", "alice ALL = /usr/bin/id\n", []r{{who: "alice"}}, nil, 0},
		{"group nopasswd all", "%wheel ALL=(ALL) NOPASSWD: ALL\n", []r{{who: "%wheel", all: true, nopw: true, nopwAll: true, runas: "ALL"}}, nil, 0},
		{"nopasswd persists along the list", "bob ALL = NOPASSWD: /bin/ls, ALL\n", []r{{who: "bob", all: true, nopw: true, nopwAll: true}}, nil, 0},
		{"PASSWD overrides", "bob ALL = NOPASSWD: /bin/ls, PASSWD: ALL\n", []r{{who: "bob", all: true, nopw: true}}, nil, 0},
		{"several tags and options", "bob ALL = (root) CWD=* NOSETENV: NOPASSWD: ALL\n", []r{{who: "bob", all: true, nopw: true, nopwAll: true, runas: "root"}}, nil, 0},
		{"user list", "alice, bob ALL = ALL\n", []r{{who: "alice", all: true}, {who: "bob", all: true}}, nil, 0},
		{"negated user dropped", "!alice, bob ALL = ALL\n", []r{{who: "bob", all: true}}, nil, 0},
		{"only negated command grants nothing", "eve ALL = !/bin/su, !ALL\n", nil, nil, 0},
		{"uid and gid", "#1000 ALL = ALL\n%#27 ALL = ALL\n", []r{{who: "#1000", all: true}, {who: "%#27", all: true}}, nil, 0},
		{"continuation and comments", "# comment\nalice ALL = \\\n   NOPASSWD: ALL # trailing\n", []r{{who: "alice", all: true, nopw: true, nopwAll: true}}, nil, 0},
		{"user alias recursion", "User_Alias A = x, B : B = y\nA ALL = ALL\n", []r{{who: "x", all: true, via: "A"}, {who: "y", all: true, via: "A"}}, nil, 0},
		{"cmnd alias to ALL", "Cmnd_Alias SHELLS = /bin/sh, ALL\nops ALL = NOPASSWD: SHELLS\n", []r{{who: "ops", all: true, nopw: true, nopwAll: true}}, nil, 0},
		{"cmnd alias not ALL", "Cmnd_Alias R = /usr/bin/systemctl restart x\nops ALL = R\n", []r{{who: "ops"}}, nil, 0},
		{"host sections", "alice web = /bin/ls : db = NOPASSWD: ALL\n", []r{{who: "alice", all: true, nopw: true, nopwAll: true}}, nil, 0},
		{"colon inside a command", "alice ALL = /bin/chown root:root /srv\n", []r{{who: "alice"}}, nil, 0},
		{"digest", "alice ALL = sha256:0123abcd= /bin/ls\n", []r{{who: "alice"}}, nil, 0},
		{"escaped comma in command", "alice ALL = /bin/echo a\\,b, /bin/ls\n", []r{{who: "alice"}}, nil, 0},
		{"defaults and host alias ignored", "Defaults env_reset\nDefaults:alice !requiretty\nHost_Alias H = a\nRunas_Alias R = root\n", nil, nil, 0},
		{"includes", "#include /etc/sudoers.local\n@includedir /etc/sudoers.d\n#includedir \"/x y\"\n", nil,
			[]SudoInclude{{"/etc/sudoers.local", false, 1}, {"/etc/sudoers.d", true, 2}, {"/x y", true, 3}}, 0},
		{"include without path", "@include\n", nil, nil, 1},
		{"garbage", "this is not sudoers\nalice\n", nil, nil, 2},
		{"malformed alias", "User_Alias lower = x\n", nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, incs, errs := ParseSudoers("/etc/sudoers", []byte(tt.in))
			if len(errs) != tt.nerrs {
				t.Errorf("errs = %v, want %d", errs, tt.nerrs)
			}
			var got []r
			for _, x := range rules {
				got = append(got, r{x.Who, x.All, x.NoPasswd, x.NoPasswdAll, x.RunAs, x.Via})
				if x.File != "/etc/sudoers" || x.Line == 0 || x.Rule == "" {
					t.Errorf("rule provenance missing: %+v", x)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rules = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("rule %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if len(incs) != len(tt.incs) {
				t.Fatalf("includes = %+v, want %+v", incs, tt.incs)
			}
			for i := range incs {
				if incs[i] != tt.incs[i] {
					t.Errorf("include %d = %+v, want %+v", i, incs[i], tt.incs[i])
				}
			}
		})
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(content, "->") {
			if err := os.Symlink(strings.TrimPrefix(content, "->"), full); err != nil {
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

func TestLoadSudoersIncludes(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"etc/sudoers":             "#include sudoers.local\n@include /etc/sudoers.%h\n@include /etc/sudoers\n@includedir /etc/sudoers.d\n@include /etc/missing\n",
		"etc/sudoers.local":       "User_Alias ADM = x1\n@include /etc/sudoers.local\n",
		"etc/sudoers.gw":          "ADM ALL = ALL\n",
		"etc/sudoers.d/a":         "y1 ALL = NOPASSWD: ALL\n",
		"etc/sudoers.d/b~":        "skip1 ALL = ALL\n",
		"etc/sudoers.d/c.rpmsave": "skip2 ALL = ALL\n",
	})
	r, err := NewRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	rules, probs, complete := loadSudoers(r, "gw")
	var who []string
	for _, x := range rules {
		who = append(who, x.Who+"@"+x.File)
	}
	if got := strings.Join(who, " "); got != "x1@/etc/sudoers.gw y1@/etc/sudoers.d/a" {
		t.Errorf("rules = %s", got)
	}
	if complete || len(probs) != 1 || probs[0].Path != "/etc/missing" {
		t.Errorf("complete=%v probs=%+v: a missing include makes the facts incomplete", complete, probs)
	}
}

func TestLoadSudoersMissingOrUnreadable(t *testing.T) {
	t.Parallel()
	// No /etc/sudoers: sudo is not installed; drop-ins are still read so a
	// grant is never missed, and nothing is unknown.
	dir := writeTree(t, map[string]string{"etc/sudoers.d/x": "z ALL = ALL\n"})
	r, _ := NewRoot(dir)
	rules, probs, complete := loadSudoers(r, "h")
	if !complete || len(probs) != 0 || len(rules) != 1 {
		t.Errorf("missing sudoers: complete=%v probs=%v rules=%v", complete, probs, rules)
	}
	// /etc/sudoers that cannot be read (here: a directory) leaves the
	// facts incomplete.
	dir = writeTree(t, map[string]string{"etc/sudoers/oops": "", "etc/sudoers.d/x": "z ALL = ALL\n"})
	r, _ = NewRoot(dir)
	rules, probs, complete = loadSudoers(r, "h")
	if complete || len(probs) != 1 || len(rules) != 1 {
		t.Errorf("unreadable sudoers: complete=%v probs=%v rules=%v", complete, probs, rules)
	}
}

func TestLoadSudoersIncludeDepth(t *testing.T) {
	t.Parallel()
	files := map[string]string{"etc/sudoers": "@include /etc/s0\n"}
	for i := 0; i < 20; i++ {
		files["etc/s"+strconv.Itoa(i)] = "@include /etc/s" + strconv.Itoa(i+1) + "\n"
	}
	r, _ := NewRoot(writeTree(t, files))
	_, probs, complete := loadSudoers(r, "h")
	if complete || len(probs) == 0 || !strings.Contains(probs[0].Err.Error(), "too deep") {
		t.Errorf("complete=%v probs=%v", complete, probs)
	}
}

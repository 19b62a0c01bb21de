package host

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	t.Parallel()
	in := "root:x:0:0:root:/root:/bin/bash\r\n# c\n\n+nis\n-nis\nalice:x:1000:1000:A,,,:/home/alice:/bin/sh\nshort:x:1\nneg:x:-1:0::/:/bin/sh\n:x:5:5::/:/bin/sh\n"
	users, errs := ParsePasswd([]byte(in))
	want := []User{
		{Name: "root", UID: 0, GID: 0, Home: "/root", Shell: "/bin/bash"},
		{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice", Shell: "/bin/sh"},
	}
	if !reflect.DeepEqual(users, want) {
		t.Fatalf("users = %+v", users)
	}
	if len(errs) != 3 || errs[0].Line != 7 || errs[1].Line != 8 || errs[2].Line != 9 {
		t.Fatalf("errs = %+v", errs)
	}
}

func TestParseGroup(t *testing.T) {
	t.Parallel()
	groups, errs := ParseGroup([]byte("sudo:x:27:alice, bob ,\ndocker:x:998:\nbad\nx:x:y:\n"))
	want := []Group{{Name: "sudo", GID: 27, Members: []string{"alice", "bob"}}, {Name: "docker", GID: 998}}
	if !reflect.DeepEqual(groups, want) {
		t.Fatalf("groups = %+v", groups)
	}
	if len(errs) != 2 {
		t.Fatalf("errs = %+v", errs)
	}
}

func fixtureFacts(t *testing.T) *Facts {
	t.Helper()
	f, err := Gather(context.Background(), Options{Rootfs: fixture})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestIdentityHelpers(t *testing.T) {
	t.Parallel()
	f := fixtureFacts(t)
	if u, ok := f.UserByName("openclaw"); !ok || u.UID != 999 || u.Home != "/var/lib/openclaw" {
		t.Errorf("UserByName(openclaw) = %+v %v", u, ok)
	}
	if u, ok := f.UserByUID(1000); !ok || u.Name != "alice" {
		t.Errorf("UserByUID(1000) = %+v %v", u, ok)
	}
	if _, ok := f.UserByName("nobody-here"); ok {
		t.Error("unknown user found")
	}
	groups := map[string]string{
		"alice":    "alice,sudo",
		"bob":      "bob,docker",
		"carol":    "carol,devs",
		"svc":      "svc,ops",
		"erin":     "devs,ops", // primary gid 1500 is devs
		"openclaw": "openclaw",
		"ghost":    "",
	}
	for u, want := range groups {
		if got := strings.Join(f.GroupsOf(u), ","); got != want {
			t.Errorf("GroupsOf(%s) = %q, want %q", u, got, want)
		}
	}
}

func TestIsAdmin(t *testing.T) {
	t.Parallel()
	f := fixtureFacts(t)
	if !f.Coverage.Sudoers || !f.Coverage.Passwd || !f.Coverage.Group {
		t.Fatalf("coverage = %+v", f.Coverage)
	}
	tests := []struct {
		user   string
		admin  bool
		reason string
	}{
		{"root", true, "uid 0"},
		{"alice", true, "member of group sudo"},
		{"bob", true, "member of group docker (root-equivalent"},
		{"carol", true, "sudo rule for carol at /etc/sudoers:21"},
		{"dave", true, "sudo rule for dave at /etc/sudoers:21"}, // alias member without an account
		{"erin", true, "sudo rule for %#1600 at /etc/sudoers:22"},
		{"svc", true, "sudo rule for %#1600"},
		{"openclaw", true, "sudo rule for openclaw at /etc/sudoers.d/openclaw:1"},
		{"daemon", false, ""},
		{"frank", false, ""}, // only a negated command
		{"nobody-here", false, ""},
	}
	for _, tt := range tests {
		got, reasons := f.IsAdmin(tt.user)
		if got != tt.admin {
			t.Errorf("IsAdmin(%s) = %v %v, want %v", tt.user, got, reasons, tt.admin)
			continue
		}
		if tt.reason != "" && !strings.Contains(strings.Join(reasons, "|"), tt.reason) {
			t.Errorf("IsAdmin(%s) reasons %v lack %q", tt.user, reasons, tt.reason)
		}
	}
	// bob's grant in sudoers.d/ignored.conf must not count: sudo skips
	// names with a dot.
	for _, r := range f.SudoRulesFor("bob") {
		t.Errorf("bob has sudo rule %+v", r)
	}
	rules := f.SudoRulesFor("openclaw")
	if len(rules) != 1 || !rules[0].NoPasswdAll || rules[0].RunAs != "ALL" {
		t.Errorf("openclaw rules = %+v", rules)
	}
}

func TestIsAdminUIDRules(t *testing.T) {
	t.Parallel()
	rules, _, errs := ParseSudoers("s", []byte("#1000 ALL=(ALL) ALL\nALL ALL=(root) /usr/bin/id\n"))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	f := &Facts{Users: []User{{Name: "u", UID: 1000, GID: 1000}, {Name: "v", UID: 1001, GID: 1001}}, Sudoers: rules}
	if ok, r := f.IsAdmin("u"); !ok || len(r) != 2 {
		t.Errorf("u: %v %v", ok, r)
	}
	if ok, r := f.IsAdmin("v"); !ok || len(r) != 1 || !strings.Contains(r[0], "sudo rule for ALL") {
		t.Errorf("v: %v %v", ok, r)
	}
}

package host

import (
	"reflect"
	"testing"
)

func TestParseUnitFile(t *testing.T) {
	t.Parallel()
	in := "# head\n[Unit]\nDescription = x \n\n[Service]\nExecStart=/bin/a \\\n  --flag \\\n# comment inside\n  last\n; semicolon\nEnvironment=A=1\nnot an assignment\n[broken\nKey=after broken header\n"
	uf, errs := ParseUnitFile([]byte(in))
	if len(uf.Sections) != 2 || uf.Sections[1].Name != "Service" {
		t.Fatalf("sections = %+v", uf.Sections)
	}
	if e := uf.Sections[0].Entries[0]; e.Key != "Description" || e.Value != "x" || e.Line != 3 {
		t.Errorf("entry = %+v", e)
	}
	svc := uf.Sections[1].Entries
	if len(svc) != 2 || svc[0].Value != "/bin/a  --flag  last" || svc[0].Line != 6 || svc[1].Key != "Environment" {
		t.Errorf("service entries = %+v", svc)
	}
	if len(errs) != 3 {
		t.Errorf("errs = %v", errs)
	}
	if uf, errs := ParseUnitFile([]byte("Key=outside\n")); len(uf.Sections) != 0 || len(errs) != 1 {
		t.Errorf("assignment outside a section: %+v %v", uf, errs)
	}
}

func TestSplitUnitWordsAndEnvironment(t *testing.T) {
	t.Parallel()
	// The example from systemd.exec(5).
	kvs, err := ParseEnvironmentValue(`"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"`)
	want := [][2]string{{"VAR1", "word1 word2"}, {"VAR2", "word3"}, {"VAR3", "$word 5 6"}}
	if err != nil || !reflect.DeepEqual(kvs, want) {
		t.Fatalf("got %q %v", kvs, err)
	}
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`K="a b"c 'd e'`, []string{"K=a bc", "d e"}, false},
		{`tab\tx \x41\u00e9\101 \s`, []string{"tab\tx", "AéA", " "}, false},
		{`"unterminated`, nil, true},
		{`bad\q`, nil, true},
		{`trailing\`, nil, true},
		{``, nil, false},
	}
	for _, tt := range tests {
		got, err := SplitUnitWords(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("SplitUnitWords(%q) err = %v", tt.in, err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitUnitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Invalid names are ignored like systemd ignores them.
	kvs, _ = ParseEnvironmentValue(`1BAD=x GOOD=y NOEQUALS "A-B=z"`)
	if !reflect.DeepEqual(kvs, [][2]string{{"GOOD", "y"}}) {
		t.Errorf("got %q", kvs)
	}
}

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	in := "# c\n; c2\nA=plain value   \nB='single # not comment'\nC=\"dq \\\"x\\\" \\$HOME \\n\"\nD=cont\\\ninued\n  E = spaced\nexport F=1\nG=\nH=\"multi\nline\"\nnovalue\nI=a#b\nJ=last"
	got, errs := ParseEnvFile([]byte(in))
	want := [][2]string{
		{"A", "plain value"}, {"B", "single # not comment"}, {"C", `dq "x" $HOME \n`},
		{"D", "continued"}, {"E", "spaced"}, {"G", ""}, {"H", "multi\nline"}, {"I", "a#b"}, {"J", "last"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if len(errs) != 2 || errs[0].Line != 9 || errs[1].Line != 13 {
		t.Errorf("errs = %+v", errs)
	}
}

func TestSystemdUnitDropInsAndSpecifiers(t *testing.T) {
	t.Parallel()
	main := []byte("[Service]\nUser=gw\nExecStart=/usr/bin/openclaw gateway --password=hunter2\nEnvironment=A=1 B=2\nEnvironment=UNIT=%n INST=%i PCT=100%%\nEnvironmentFile=/etc/a.env\nProtectSystem=full\nReadWritePaths=/a\nReadWritePaths=/b\nCapabilityBoundingSet=CAP_NET_ADMIN\n")
	drop1 := []byte("[Service]\nEnvironment=\nEnvironment=C=3\nExecStart=\nExecStart=-/usr/bin/openclaw gateway --token abc --bind loopback\nEnvironmentFile=\nEnvironmentFile=-/etc/b.env\nReadWritePaths=\nCapabilityBoundingSet=\nDynamicUser=yes\n")
	u, errs := SystemdUnit("openclaw-gateway@prod.service", main, drop1)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(u.Environment, map[string]string{"C": "3"}) {
		t.Errorf("Environment= reset not applied: %v", u.Environment)
	}
	if u.ExecStart != "-/usr/bin/openclaw gateway --token *** --bind loopback" {
		t.Errorf("ExecStart = %q", u.ExecStart)
	}
	if !reflect.DeepEqual(u.Args, []string{"/usr/bin/openclaw", "gateway", "--token", "***", "--bind", "loopback"}) {
		t.Errorf("Args = %q", u.Args)
	}
	if !reflect.DeepEqual(u.EnvironmentFiles, []string{"-/etc/b.env"}) {
		t.Errorf("EnvironmentFiles = %q", u.EnvironmentFiles)
	}
	if _, ok := u.Hardening["ReadWritePaths"]; ok {
		t.Errorf("ReadWritePaths= reset not applied: %v", u.Hardening)
	}
	if v, ok := u.Hardening["CapabilityBoundingSet"]; !ok || v != "" {
		t.Errorf("empty CapabilityBoundingSet means no capabilities, got %q %v", v, ok)
	}
	if !u.DynamicUser || u.User != "gw" || u.Hardening["ProtectSystem"] != "full" || len(u.DropIns) != 1 {
		t.Errorf("unit = %+v", u)
	}
	u, _ = SystemdUnit("openclaw-gateway@prod.service", main)
	if u.Environment["UNIT"] != "openclaw-gateway@prod.service" || u.Environment["INST"] != "prod" || u.Environment["PCT"] != "100%" {
		t.Errorf("specifiers: %v", u.Environment)
	}
	if u.Hardening["ReadWritePaths"] != "/a /b" {
		t.Errorf("accumulated = %q", u.Hardening["ReadWritePaths"])
	}
	if u.Args[2] != "--password=***" {
		t.Errorf("password not redacted: %q", u.Args)
	}
}

func TestStartsGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"openclaw-gateway.service", nil, true},
		{"clawdbot-gateway.service", []string{"/usr/bin/true"}, true},
		{"ai.openclaw.gateway", nil, true},
		{"my.service", []string{"/usr/bin/node", "/usr/lib/node_modules/openclaw/openclaw.mjs", "gateway"}, true},
		{"my.service", []string{"node", "/opt/moltbot/dist/index.js"}, true},
		{"my.service", []string{"/usr/bin/openclaw", "node", "run"}, false},
		{"ai.openclaw.ssh-tunnel", []string{"/usr/bin/openclaw", "tunnel"}, false},
		{"nginx.service", []string{"/usr/sbin/nginx"}, false},
		{"gateway.service", []string{"/usr/bin/other-gateway", "gateway"}, false},
		{"audit.service", []string{"/usr/bin/openclaw", "security", "audit", "--json"}, false},
		{"audit.service", []string{"openclaw", "--profile", "work", "security", "audit"}, false},
		{"health.service", []string{"/usr/bin/openclaw", "gateway", "status"}, false},
		{"wrapper.service", []string{"/opt/openclaw/start.sh", "--verbose"}, true},
		{"x.service", []string{"openclaw", "--profile", "work", "gateway", "--port", "19001"}, true},
	}
	for _, tt := range tests {
		if got := startsGateway(tt.name, tt.args); got != tt.want {
			t.Errorf("startsGateway(%q, %q) = %v", tt.name, tt.args, got)
		}
	}
}

func TestParsePlist(t *testing.T) {
	t.Parallel()
	job, err := ParsePlist([]byte(`<?xml version="1.0"?><plist version="1.0"><dict>
<key>Label</key><string>ai.openclaw.gateway</string>
<key>UserName</key><string>svc</string>
<key>ProgramArguments</key><array><string>/usr/local/bin/openclaw</string><string>gateway</string><integer> 1 </integer></array>
<key>EnvironmentVariables</key><dict><key>OPENCLAW_GATEWAY_TOKEN</key><string>t&amp;k</string><key>N</key><integer>5</integer></dict>
<key>Sockets</key><dict><key>x</key><array><dict/></array></dict>
<key>RunAtLoad</key><false/>
</dict></plist>`))
	if err != nil {
		t.Fatal(err)
	}
	if job.Label != "ai.openclaw.gateway" || job.UserName != "svc" || !reflect.DeepEqual(job.ProgramArguments, []string{"/usr/local/bin/openclaw", "gateway"}) {
		t.Errorf("job = %+v", job)
	}
	if job.Environment["OPENCLAW_GATEWAY_TOKEN"] != "t&k" || len(job.Environment) != 1 {
		t.Errorf("env = %v", job.Environment)
	}
	if job.RunAtLoad == nil || *job.RunAtLoad || job.KeepAlive != nil {
		t.Errorf("RunAtLoad/KeepAlive = %v %v", job.RunAtLoad, job.KeepAlive)
	}
	bad := map[string]string{
		"binary":    "bplist00\x01\x02",
		"not dict":  `<plist><array/></plist>`,
		"truncated": `<plist><dict><key>Label</key><string>x`,
		"mismatch":  `<plist><dict></array></plist>`,
		"deep":      "<plist>" + repeat("<array>", 100) + repeat("</array>", 100) + "</plist>",
		"empty":     ``,
	}
	for name, in := range bad {
		if _, err := ParsePlist([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

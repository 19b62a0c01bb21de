package host

import (
	"reflect"
	"testing"
)

func TestParseCrontab(t *testing.T) {
	t.Parallel()
	in := "# m h dom mon dow command\nMAILTO=root\n0 3 * * 1 /usr/bin/openclaw security audit --deep\n@weekly  clawgov audit  --fail-on high\n* * * *\n@daily\n"
	jobs, errs := ParseCrontab("/var/spool/cron/crontabs/u", "crontab", []byte(in), false, "u")
	want := []ScheduledJob{
		{Kind: "crontab", Source: "/var/spool/cron/crontabs/u", Line: 3, Schedule: "0 3 * * 1", Command: "/usr/bin/openclaw security audit --deep", User: "u"},
		{Kind: "crontab", Source: "/var/spool/cron/crontabs/u", Line: 4, Schedule: "@weekly", Command: "clawgov audit  --fail-on high", User: "u"},
	}
	if !reflect.DeepEqual(jobs, want) {
		t.Errorf("jobs = %+v", jobs)
	}
	if len(errs) != 2 || errs[0].Line != 5 || errs[1].Line != 6 {
		t.Errorf("errs = %+v", errs)
	}
	jobs, errs = ParseCrontab("/etc/crontab", "crontab", []byte("5 4 * * * root run --password 'a b' x\n5 4 * * * rootonly\n"), true, "")
	if len(jobs) != 1 || jobs[0].User != "root" || jobs[0].Command != "run --password *** x" || len(errs) != 1 {
		t.Errorf("system crontab: %+v %+v", jobs, errs)
	}
}

func TestRedactCommand(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"curl -H x --token abc https://h":           "curl -H x --token *** https://h",
		"openclaw gateway --gateway-token=abc":      "openclaw gateway --gateway-token=***",
		`x --API_KEY "a b" --password='c d' --ok 1`: "x --API_KEY *** --password=*** --ok 1",
		"no secrets here --port 1":                  "no secrets here --port 1",
	}
	for in, want := range tests {
		if got := RedactCommand(in); got != want {
			t.Errorf("RedactCommand(%q) = %q, want %q", in, got, want)
		}
	}
}

package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/clawgov/clawgov", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-06T03:54:09Z"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/clawgov/clawgov", Version: "v0.3.1"}}
	tests := []struct {
		name              string
		ver, commit, date string
		bi                *debug.BuildInfo
		ok                bool
		want              Info
	}{
		{"stamped wins over build info", "v1.2.3", "deadbeef", "2026-01-02T03:04:05Z", vcs, true,
			Info{Version: "v1.2.3", Commit: "deadbeef", Date: "2026-01-02T03:04:05Z", Source: "ldflags"}},
		{"checkout build: vcs settings", "dev", "", "", vcs, true,
			Info{Version: "dev", Commit: "abc123", Date: "2026-12-06T03:54:09Z", Modified: true, Source: "buildinfo"}},
		{"go install module@version", "dev", "", "", installed, true,
			Info{Version: "v0.3.1", Source: "buildinfo"}},
		{"pseudo-version of a dirty tree", "dev", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206035409-ca1195a6d3a4+dirty"}}, true,
			Info{Version: "v0.0.0-20261206035409-ca1195a6d3a4+dirty", Modified: true, Source: "buildinfo"}},
		{"nothing recorded", "dev", "", "", nil, false, Info{Version: "dev", Source: "none"}},
		{"empty stamp reads as dev", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, Info{Version: "dev", Source: "none"}},
		{"partial stamp: commit and date from vcs", "v1.0.0", "", "", vcs, true,
			Info{Version: "v1.0.0", Commit: "abc123", Date: "2026-12-06T03:54:09Z", Modified: true, Source: "ldflags"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Resolve(tc.ver, tc.commit, tc.date, tc.bi, tc.ok)
			tc.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			tc.want.GoVersion = runtime.Version()
			if tc.bi != nil && tc.bi.GoVersion != "" {
				tc.want.GoVersion = tc.bi.GoVersion
			}
			if got != tc.want {
				t.Errorf("Resolve = %+v\nwant      %+v", got, tc.want)
			}
		})
	}
}

func TestGetMatchesVariables(t *testing.T) {
	i := Get()
	if i.Version != Version || i.Commit != Commit || i.Date != Date || i.Platform != runtime.GOOS+"/"+runtime.GOARCH || i.GoVersion == "" {
		t.Errorf("Get = %+v, vars %q %q %q", i, Version, Commit, Date)
	}
}

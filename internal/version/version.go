// Package version carries the build identity: stamped with -ldflags by
// scripts/release.sh, or read from the Go toolchain's build info when a
// build had no stamp (go install module@version, go build in a checkout).
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time, e.g.
//
//	-ldflags "-X github.com/clawgov/clawgov/internal/version.Version=v0.1.0
//	          -X github.com/clawgov/clawgov/internal/version.Commit=<sha>
//	          -X github.com/clawgov/clawgov/internal/version.Date=2026-01-02T03:04:05Z"
//
// When left empty (Version "dev") init fills them from the build info, so
// every reader of these variables (report headers, the fleet agent's
// user agent) sees the same identity that `clawgov version` prints.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info is the build identity as `clawgov version` shows it.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	// Source says where Version/Commit/Date came from: "ldflags" (a
	// stamped release build), "buildinfo" (the toolchain's record) or
	// "none" (neither: a plain go build with -buildvcs=false).
	Source string `json:"source"`
}

// modified is set by init from vcs.modified when the stamp came from the
// build info.
var (
	modified bool
	source   string
)

func init() {
	bi, ok := debug.ReadBuildInfo()
	i := Resolve(Version, Commit, Date, bi, ok)
	Version, Commit, Date, modified, source = i.Version, i.Commit, i.Date, i.Modified, i.Source
}

// Get returns this binary's identity.
func Get() Info {
	return Info{Version: Version, Commit: Commit, Date: Date, Modified: modified, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Source: source}
}

// Resolve combines the -ldflags stamp with the build info: a stamped field
// always wins; an empty one is taken from the build info (the module
// version of `go install ...@vX`, vcs.revision and vcs.time of a build in
// a checkout). GoVersion and Platform are the running binary's.
func Resolve(ver, commit, date string, bi *debug.BuildInfo, ok bool) Info {
	i := Info{Version: ver, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Source: "none"}
	stamped := (ver != "" && ver != "dev") || commit != "" || date != ""
	if stamped {
		i.Source = "ldflags"
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	if !ok || bi == nil {
		return i
	}
	if bi.GoVersion != "" {
		i.GoVersion = bi.GoVersion
	}
	fromBI := false
	// "(devel)" is what the toolchain writes when it knows no version.
	if i.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version, fromBI = bi.Main.Version, true
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if i.Commit == "" && s.Value != "" {
				i.Commit, fromBI = s.Value, true
			}
		case "vcs.time":
			if i.Date == "" && s.Value != "" {
				i.Date, fromBI = s.Value, true
			}
		case "vcs.modified":
			if commit == "" && s.Value == "true" {
				i.Modified = true
			}
		}
	}
	if fromBI && !stamped {
		i.Source = "buildinfo"
	}
	// A pseudo-version already says "+dirty" when the tree was modified.
	if strings.HasSuffix(i.Version, "+dirty") {
		i.Modified = true
	}
	return i
}

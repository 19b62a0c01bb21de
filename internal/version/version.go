// Package version carries the build identity, set with -ldflags.
package version

// Set at build time: -ldflags "-X github.com/clawgov/clawgov/internal/version.Version=v0.1.0".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

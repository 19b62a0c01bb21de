package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/version"
)

// buildInfo is the identity `clawgov version` prints; tests fix it.
var buildInfo = version.Get

func newVersionCmd(f *factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print clawgov's version, commit, build date, Go version and platform",
		Long: `Print the build identity. A release build carries the version, commit and
build date stamped in by scripts/release.sh ("source: ldflags"); a build
without a stamp shows what the Go toolchain recorded ("source: buildinfo":
the module version of go install, the VCS revision and time of a build in
a checkout), or "dev" and nothing when it recorded nothing ("source:
none"). --format json prints the same fields as one JSON object.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			i := buildInfo()
			switch format {
			case "text":
				return writeVersionText(f.IO.Out, i)
			case "json":
				enc := json.NewEncoder(f.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(i)
			}
			return usageErrorf("--format %q: want text or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text|json")
	return cmd
}

func writeVersionText(w io.Writer, i version.Info) error {
	or := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	commit := or(i.Commit)
	if i.Modified {
		commit += " (modified)"
	}
	_, err := fmt.Fprintf(w, "clawgov %s\n  commit:   %s\n  date:     %s\n  go:       %s\n  platform: %s\n  source:   %s\n",
		i.Version, commit, or(i.Date), i.GoVersion, i.Platform, i.Source)
	return err
}

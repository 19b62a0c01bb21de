package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/version"
)

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print clawgov's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(f.IO.Out, "clawgov %s", version.Version)
			if version.Commit != "" {
				fmt.Fprintf(f.IO.Out, " (%s)", version.Commit)
			}
			if version.Date != "" {
				fmt.Fprintf(f.IO.Out, " built %s", version.Date)
			}
			fmt.Fprintf(f.IO.Out, " %s/%s %s\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	}
}

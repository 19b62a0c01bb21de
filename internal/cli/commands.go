package cli

import "github.com/spf13/cobra"

// topCommand is a top-level command: its name and how to build it.
type topCommand struct {
	name  string
	build func(*factory) *cobra.Command
}

// topCommands lists every top-level command, one line each, so adding a
// command touches one line here plus its own file. The names let run
// build only the command a command line asks for (TestTopCommandNames
// keeps them equal to what the constructors build).
func topCommands() []topCommand {
	return []topCommand{
		{"audit", func(f *factory) *cobra.Command { return newAuditCmd(f, nil) }},
		{"controls", newControlsCmd},
		{"version", newVersionCmd},
		{"discover", func(f *factory) *cobra.Command { return newDiscoverCmd(f, nil) }},
		{"advisories", newAdvisoriesCmd},
		{"fix", newFixCmd},
		{"skills", newSkillsCmd},
		{"config", newConfigCmd},
		{"waive", newWaiveCmd},
		{"egress", newEgressCmd},
		{"server", newServerCmd},
		{"agent", newAgentCmd},
		{"verify-release", newVerifyReleaseCmd},
		{"registry", newRegistryCmd},
		{"policy", newPolicyCmd},
	}
}

// commandFor returns the top-level command a command line runs, or ""
// when every command must be built: help and completion list them all,
// and an unknown name gets suggestions from all of them.
func commandFor(args []string) string {
	name := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help" || a == "--":
			return ""
		case a == "--config-file":
			i++ // its value
		case len(a) > 1 && a[0] == '-':
			// --verbose, -v, --config-file=X, or a subcommand's flag
		case name == "":
			name = a
		}
	}
	for _, c := range topCommands() {
		if c.name == name {
			return name
		}
	}
	return ""
}

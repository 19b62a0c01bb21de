package cli

import "github.com/spf13/cobra"

// extraCommands lists the commands beyond audit/controls/version, one line
// each, so adding a command touches one line here plus its own file.
func extraCommands(f *factory) []*cobra.Command {
	return []*cobra.Command{
		newDiscoverCmd(f, nil),
		newAdvisoriesCmd(f),
		newFixCmd(f),
		newSkillsCmd(f),
		newConfigCmd(f),
		newWaiveCmd(f),
		newEgressCmd(f),
		newServerCmd(f),
		newAgentCmd(f),
		newVerifyReleaseCmd(f),
		newRegistryCmd(f),
		newPolicyCmd(f),
	}
}

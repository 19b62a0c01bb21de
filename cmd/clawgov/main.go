// Command clawgov audits OpenClaw deployments against the MIIT/NVDB
// "six do's and six don'ts" framework.
package main

import (
	"os"

	"github.com/clawgov/clawgov/internal/cli"
	"github.com/clawgov/clawgov/internal/iostreams"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], iostreams.System()))
}

// Command gen builds the embedded file manifests of official openclaw
// releases (internal/manifest/data/manifests.bin) from the published npm
// tarballs. scripts/gen-manifests.sh drives it:
//
//	gen raw TARBALL OUT.tsv.gz   list one tarball's files with SHA-256
//	gen build WORKDIR OUT        encode every listing in WORKDIR
//
// The build output depends only on the listings (no clock, no paths).
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gen-manifests: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 3 && args[0] == "raw" {
		es, err := readTarball(args[1])
		if err != nil {
			return err
		}
		return writeRaw(args[2], es)
	}
	if len(args) == 3 && args[0] == "build" {
		return build(args[1], args[2])
	}
	return fmt.Errorf("usage: gen raw TARBALL OUT.tsv.gz | gen build WORKDIR OUT")
}

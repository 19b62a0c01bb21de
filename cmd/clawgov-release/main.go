// Command clawgov-release is the release manager's side of
// scripts/release.sh: it writes the man pages and shell completions the
// packages ship, and the signed SHA256SUMS of a release directory.
//
//	clawgov-release docs --man DIR --completions DIR --version V
//	clawgov-release sign --key KEYFILE DIR
package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/cli"
	"github.com/clawgov/clawgov/internal/docgen"
	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/release"
)

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: clawgov-release docs|sign ...")
	}
	var err error
	switch os.Args[1] {
	case "docs":
		err = docs(os.Args[2:])
	case "sign":
		err = sign(os.Args[2:])
	default:
		fail(2, "unknown command %q (want docs or sign)", os.Args[1])
	}
	if err != nil {
		fail(1, "%v", err)
	}
}

func fail(code int, format string, a ...any) {
	fmt.Fprintf(os.Stderr, "clawgov-release: "+format+"\n", a...)
	os.Exit(code)
}

func docs(args []string) error {
	fs := flag.NewFlagSet("docs", flag.ExitOnError)
	man := fs.String("man", "", "write man pages (*.1.gz) into this directory")
	comp := fs.String("completions", "", "write bash, zsh and fish completions into this directory")
	version := fs.String("version", "dev", "version printed in the man pages' header")
	fs.Parse(args)
	if *man == "" && *comp == "" {
		fail(2, "docs: want --man DIR and/or --completions DIR")
	}
	// SOURCE_DATE_EPOCH fixes the pages' date: a rebuild of one commit
	// gives the same bytes.
	date := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fail(2, "SOURCE_DATE_EPOCH %q: not a number of seconds", s)
		}
		date = time.Unix(sec, 0).UTC()
	}
	streams := &iostreams.IOStreams{In: os.Stdin, Out: io.Discard, ErrOut: os.Stderr}
	if *man != "" {
		n, err := docgen.Man(cli.Root(streams), *man, *version, date)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "clawgov-release: %d man pages in %s\n", n, *man)
	}
	if *comp != "" {
		return docgen.Completions(cli.Root(streams), *comp)
	}
	return nil
}

// sign writes DIR/SHA256SUMS over every regular file in DIR (but the list
// and its signature) and DIR/SHA256SUMS.sig.
func sign(args []string) error {
	fs := flag.NewFlagSet("sign", flag.ExitOnError)
	keyFile := fs.String("key", "", "ed25519 private key file (clawgov advisories keygen)")
	fs.Parse(args)
	if *keyFile == "" || fs.NArg() != 1 {
		fail(2, "sign: want --key KEYFILE DIR")
	}
	kb, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	key, err := advisory.ParsePrivateKey(kb)
	if err != nil {
		return fmt.Errorf("%s: %w", *keyFile, err)
	}
	dir := fs.Arg(0)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != release.SumsName && e.Name() != release.SignatureName {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("%s: no files to sign", dir)
	}
	sums, err := release.MakeSums(files)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, release.SumsName), sums, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, release.SignatureName), release.Sign(sums, key), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "clawgov-release: signed %d files in %s with key %s\n", len(files), dir, advisory.KeyID(key.Public().(ed25519.PublicKey)))
	return nil
}

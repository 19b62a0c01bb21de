package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/release"
)

type verifyReleaseOptions struct {
	Sums, Signature, KeyDir string
	Keys                    []string
}

func newVerifyReleaseCmd(f *factory) *cobra.Command {
	o := &verifyReleaseOptions{}
	cmd := &cobra.Command{
		Use:   "verify-release [FILE...]",
		Short: "Check downloaded release files against the signed SHA256SUMS",
		Long: `Check a clawgov download: SHA256SUMS.sig must be a valid ed25519 signature
of SHA256SUMS by a trusted release key, and every FILE must match its
SHA-256 in that list. With no FILE, every file the list names that is
present next to it is checked (at least one must be).

Trusted keys are the --key files and every *.pub in --key-dir (default
/etc/clawgov/release-keys, where the packages install the project's
release key). Verify a first download with a key obtained through a
channel of your own; the binary trusts no key by itself.

Exit codes:
  0  signature good and every file matches
  1  verification failed: bad signature, a changed file, a file not listed
  2  usage or input error (no SHA256SUMS, unreadable file, no trusted key)`,
		RunE: func(_ *cobra.Command, args []string) error { return runVerifyRelease(f, o, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Sums, "sums", "", "the checksum list (default: SHA256SUMS next to the first FILE, else in the current directory)")
	fl.StringVar(&o.Signature, "signature", "", "its signature (default: the list's path + .sig)")
	fl.StringArrayVar(&o.Keys, "key", nil, "trusted release public key file (repeatable)")
	fl.StringVar(&o.KeyDir, "key-dir", release.DefaultKeyDir, "directory of trusted release keys (*.pub)")
	return cmd
}

func runVerifyRelease(f *factory, o *verifyReleaseOptions, files []string) error {
	sumsPath := o.Sums
	if sumsPath == "" {
		dir := "."
		if len(files) > 0 {
			dir = filepath.Dir(files[0])
		}
		sumsPath = filepath.Join(dir, release.SumsName)
	}
	sigPath := o.Signature
	if sigPath == "" {
		sigPath = sumsPath + ".sig"
	}
	sums, err := os.ReadFile(sumsPath)
	if err != nil {
		return &UsageError{fmt.Errorf("read checksum list: %w", err)}
	}
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		return &UsageError{fmt.Errorf("read signature: %w (an unsigned list proves nothing)", err)}
	}
	keys, err := release.TrustedKeys(o.KeyDir, o.Keys)
	if err != nil {
		return &UsageError{err}
	}
	keyID, err := release.VerifySignature(sums, sig, keys)
	if err != nil {
		if errors.Is(err, release.ErrVerify) {
			fmt.Fprintf(f.IO.Out, "FAILED signature: %s\n", oneLine(err.Error()))
			return ErrFindings
		}
		return &UsageError{err}
	}
	// Parse only what was signed: a bad list with a good signature is the
	// signer's error, reported as such.
	list, err := release.ParseSums(sums)
	if err != nil {
		return &UsageError{err}
	}
	fmt.Fprintf(f.IO.Out, "signature: good (%s signed by key %s)\n", filepath.Base(sumsPath), keyID)
	if len(files) == 0 {
		dir := filepath.Dir(sumsPath)
		for name := range list {
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
				files = append(files, filepath.Join(dir, name))
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			return usageErrorf("none of the files %s lists is in %s", release.SumsName, dir)
		}
	}
	res, err := release.CheckFiles(list, files)
	if err != nil {
		return &UsageError{err}
	}
	failed := 0
	for _, r := range res {
		if r.OK {
			fmt.Fprintf(f.IO.Out, "OK      %s\n", r.Name)
			continue
		}
		failed++
		fmt.Fprintf(f.IO.Out, "FAILED  %s: %s\n", r.Name, r.Why)
	}
	if failed > 0 {
		fmt.Fprintf(f.IO.ErrOut, "clawgov: %d of %d files failed verification: do not install them\n", failed, len(res))
		return ErrFindings
	}
	return nil
}

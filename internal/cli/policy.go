package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/orgpolicy"
)

// newPolicyCmd: signed organisation policy bundles, made where the policy
// is approved (the signing key never goes to the fleet server).
func newPolicyCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Sign and check organisation policy bundles for the fleet",
		Long: `An organisation policy bundle is a clawgov.yaml (profile, waivers,
attestations, organisation, ...) and the local profile files it names,
versioned and signed with an ed25519 policy key. The fleet server
distributes it ('clawgov server policy publish'); agents verify it against
the keys they pinned at enrollment, refuse older versions, and every report
names the bundle version it was judged by.

  clawgov policy keygen --out policy            # policy (secret), policy.pub
  clawgov policy bundle clawgov.yaml --version 3 --sign policy --out policy-v3.json
  clawgov policy verify policy-v3.json --key policy.pub

Exit codes: 0 ok, 1 the bundle does not verify, 2 usage or input error.`,
	}
	var out string
	keygen := &cobra.Command{Use: "keygen --out PREFIX", Short: "Make a policy signing key pair (PREFIX and PREFIX.pub)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return writeKeyPair(f, out, "give it to clawgov server policy trust, and to agents with enroll --policy-key")
		}}
	keygen.Flags().StringVar(&out, "out", "", "path prefix of the key files")

	var version int64
	var sign, comment, bundleOut string
	bundle := &cobra.Command{Use: "bundle CLAWGOV.YAML --version N --sign KEY --out FILE", Short: "Validate and sign a policy bundle", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if sign == "" || bundleOut == "" {
				return usageErrorf("--sign KEY and --out FILE are required")
			}
			kb, err := os.ReadFile(sign)
			if err != nil {
				return usageErrorf("--sign: %v", err)
			}
			key, err := advisory.ParsePrivateKey(kb)
			if err != nil {
				return usageErrorf("--sign %s: %v", sign, err)
			}
			cat, err := catalog.Default()
			if err != nil {
				return err
			}
			raw, err := orgpolicy.Make(args[0], version, comment, f.Now(), key, cat)
			if err != nil {
				return &UsageError{err}
			}
			if _, err := os.Stat(bundleOut); err == nil {
				return usageErrorf("%s exists; refusing to overwrite a bundle", bundleOut)
			}
			if err := advWriteFile(bundleOut, raw, 0o644); err != nil {
				return err
			}
			b, err := orgpolicy.Verify(raw, []ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "wrote %s: policy v%d, digest %s, key %s, %d file(s)\n", bundleOut, b.Ref.Version, b.Ref.Digest, b.Ref.KeyID, len(b.Members()))
			return nil
		}}
	bundle.Flags().Int64Var(&version, "version", 0, "policy version (a positive integer above every published one)")
	bundle.Flags().StringVar(&sign, "sign", "", "private policy key (from clawgov policy keygen)")
	bundle.Flags().StringVar(&comment, "comment", "", "what changed (shown on the fleet server)")
	bundle.Flags().StringVar(&bundleOut, "out", "", "bundle file to write")

	var keys []string
	verify := &cobra.Command{Use: "verify BUNDLE --key KEY.pub", Short: "Check a bundle's signature and show what it holds", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(keys) == 0 {
				return usageErrorf("--key KEY.pub is required (a bundle is only as good as the key it is checked with)")
			}
			trusted, err := advisory.LoadPublicKeys("", keys)
			if err != nil {
				return &UsageError{err}
			}
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return &UsageError{err}
			}
			b, err := orgpolicy.Verify(raw, trusted)
			if err != nil {
				if errors.Is(err, orgpolicy.ErrVerify) {
					fmt.Fprintf(f.IO.Out, "FAILED: %s\n", oneLine(err.Error()))
					return ErrFindings
				}
				return &UsageError{err}
			}
			fmt.Fprintf(f.IO.Out, "signature: good (key %s)\npolicy v%d, created %s, digest %s\n", b.Ref.KeyID, b.Ref.Version, b.Ref.Created, b.Ref.Digest)
			if b.Payload.Comment != "" {
				fmt.Fprintf(f.IO.Out, "comment: %s\n", oneLine(b.Payload.Comment))
			}
			fmt.Fprintf(f.IO.Out, "files: %s\n", strings.Join(b.Members(), ", "))
			return nil
		}}
	verify.Flags().StringSliceVar(&keys, "key", nil, "trusted policy public key file (repeatable)")
	cmd.AddCommand(keygen, bundle, verify)
	return cmd
}

// newServerPolicyCmd: the fleet server side, on the shared database.
func newServerPolicyCmd(f *factory, o *serverOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Distribute signed organisation policy bundles to agents"}
	trust := &cobra.Command{Use: "trust KEY.pub", Short: "Trust a policy signing key (hosts pin the trusted keys when they enroll)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := advisory.LoadPublicKeys("", args)
			if err != nil {
				return &UsageError{err}
			}
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			added, err := server.TrustPolicyKey(cmd.Context(), st, keys[0])
			if err != nil {
				return err
			}
			id := advisory.KeyID(keys[0])
			if !added {
				fmt.Fprintf(f.IO.Out, "policy key %s was already trusted\n", id)
				return nil
			}
			_ = st.AppendEvent(cmd.Context(), store.Event{At: f.Now().UTC(), Actor: "cli", Action: "policy.trust_key", Object: id, Outcome: "ok"})
			fmt.Fprintf(f.IO.Out, "trusting policy key %s; hosts enrolled from now on pin it\n", id)
			return nil
		}}
	publish := &cobra.Command{Use: "publish BUNDLE", Short: "Publish a signed bundle as the current policy (versions only go up)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return &UsageError{err}
			}
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			p, err := server.PublishPolicy(cmd.Context(), st, raw, "cli", f.Now())
			var invalid *server.InvalidBundleError
			switch {
			case err == nil:
			case errors.As(err, &invalid), errors.Is(err, store.ErrConflict), errors.Is(err, server.ErrNoPolicyKeys):
				return &UsageError{err}
			default:
				return err
			}
			fmt.Fprintf(f.IO.Out, "published policy v%d (digest %s, key %s); agents apply it on their next cycle\n", p.Version, p.Digest, p.KeyID)
			return nil
		}}
	list := &cobra.Command{Use: "list", Short: "List published policy versions, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			ps, err := st.ListPolicies(cmd.Context())
			if err != nil {
				return err
			}
			if len(ps) == 0 {
				fmt.Fprintln(f.IO.Out, "no policy published")
				return nil
			}
			for _, p := range ps {
				fmt.Fprintf(f.IO.Out, "v%-6s %s  key %s  published %s by %s  %s\n", strconv.FormatInt(p.Version, 10), p.Digest[:16], p.KeyID,
					p.PublishedAt.UTC().Format(time.RFC3339), oneLine(p.PublishedBy), oneLine(p.Comment))
			}
			return nil
		}}
	cmd.AddCommand(trust, publish, list)
	return cmd
}

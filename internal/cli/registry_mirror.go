package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clawgov/clawgov/internal/registry/mirror"
)

// upstreamOptions are the flags of the upstream client (mirror, and
// serve --pull-through with a "pull-through-" prefix).
type upstreamOptions struct {
	URL        string
	TokenFile  string
	Rate       float64
	Retries    int
	Timeout    time.Duration
	MaxWait    time.Duration
	MaxArchive int64
}

func (u *upstreamOptions) flags(fl *pflag.FlagSet, prefix string) {
	fl.StringVar(&u.TokenFile, prefix+"token-file", "", "file holding the upstream's API token (sent as Bearer; never printed)")
	fl.Float64Var(&u.Rate, prefix+"rate", mirror.DefaultRate, "requests per second to the upstream (token bucket)")
	fl.IntVar(&u.Retries, prefix+"retries", mirror.DefaultRetries, "retries of a 429, 5xx or network error, with backoff (Retry-After honoured)")
	fl.DurationVar(&u.Timeout, prefix+"timeout", mirror.DefaultTimeout, "timeout of each upstream request, body included")
	fl.DurationVar(&u.MaxWait, prefix+"max-wait", mirror.DefaultMaxWait, "longest Retry-After or rate-limit reset to wait for; a longer one fails the request")
	fl.Int64Var(&u.MaxArchive, prefix+"max-archive-bytes", mirror.DefaultMaxArchive, "largest archive to download")
}

// client validates the flags and reads the token file.
func (u *upstreamOptions) client(f *factory) (*mirror.Client, error) {
	if u.Rate <= 0 {
		return nil, usageErrorf("--rate %v: want more than 0 requests per second", u.Rate)
	}
	if u.Timeout <= 0 || u.MaxWait < 0 || u.MaxArchive <= 0 || u.Retries < 0 {
		return nil, usageErrorf("--timeout and --max-archive-bytes must be positive, --retries and --max-wait not negative")
	}
	tok := ""
	if u.TokenFile != "" {
		b, err := readSmallFile(u.TokenFile, 4096)
		if err != nil {
			return nil, usageErrorf("token file: %v", err)
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return nil, usageErrorf("token file %s: want one token on one line", u.TokenFile)
		}
	}
	c, err := mirror.NewClient(mirror.ClientOptions{Base: u.URL, Token: tok, Rate: u.Rate, Retries: u.Retries, Timeout: u.Timeout,
		MaxWait: u.MaxWait, MaxArchiveBytes: u.MaxArchive, Logger: f.Logger})
	if err != nil {
		return nil, &UsageError{err}
	}
	return c, nil
}

func readSmallFile(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes", path, max)
	}
	return b, nil
}

// errMirrorFailed: at least one skill could not be fetched (exit 3).
var errMirrorFailed = errors.New("mirror: some skills could not be fetched from the upstream")

func newRegistryMirrorCmd(f *factory, o *registryOptions) *cobra.Command {
	var slugs string
	cmd := &cobra.Command{
		Use:   "mirror --upstream URL --slugs FILE",
		Short: "Pull listed skills from an upstream ClawHub-compatible registry into the review queue",
		Long: `Pull each skill listed in --slugs ("slug", "slug@version" or "@owner/slug" lines;
# comments) from an upstream ClawHub-compatible registry, through the same
endpoints the clients use, into this registry's publish path: scanned on
arrival, malicious rejected, the rest queued for review (or approved by
--auto-approve-clean). What the upstream hides, removed or marks as malware
(moderation flags, a blocking security verdict, a refused download) is
never pulled; an archive whose bytes differ from the hash or file list the
upstream advertises, or a version already here with other bytes, is
refused. Each refusal is a mirror.refused event; each pull a mirror.pull
event with its provenance. Running it again skips what is already here.

Exit codes: 0 every listed skill pulled or already here; 1 some were
refused or rejected by the scan; 2 bad flags or slugs file; 3 some could
not be fetched (network, timeout, rate limit, bad answer) or the
database failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Upstream.URL == "" || slugs == "" {
				return usageErrorf("mirror needs --upstream URL and --slugs FILE")
			}
			up, err := o.Upstream.client(f)
			if err != nil {
				return err
			}
			b, err := readSmallFile(slugs, 1<<20)
			if err != nil {
				return usageErrorf("slugs file: %v", err)
			}
			refs, err := mirror.ParseSlugs(strings.NewReader(string(b)), slugs)
			if err != nil {
				return &UsageError{err}
			}
			st, err := openRegistryStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			srv, _, err := newRegistryServer(f, o, st, nil)
			if err != nil {
				return err
			}
			m, err := mirror.New(mirror.Options{Client: up, Store: st, Server: srv, Logger: f.Logger, Now: f.Now})
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for _, r := range refs {
				res := m.Pull(cmd.Context(), r)
				fmt.Fprintln(f.IO.Out, res.String())
				key := string(res.Outcome)
				if res.Outcome == mirror.Pulled {
					key = res.State
				}
				counts[key]++
			}
			fmt.Fprintf(f.IO.Out, "mirrored %d from %s: %d pending, %d approved, %d rejected by the scan, %d skipped, %d refused, %d failed\n",
				len(refs), up.Base(), counts["pending"], counts["approved"], counts["rejected"], counts[string(mirror.Skipped)], counts[string(mirror.Refused)], counts[string(mirror.Failed)])
			switch {
			case counts[string(mirror.Failed)] > 0:
				return errMirrorFailed
			case counts[string(mirror.Refused)]+counts["rejected"] > 0:
				return ErrFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Upstream.URL, "upstream", "", "upstream registry URL (its API base, as for CLAWHUB_REGISTRY)")
	fl.StringVar(&slugs, "slugs", "", "file of skills to mirror: slug, slug@version or @owner/slug per line, # comments")
	o.Upstream.flags(fl, "")
	fl.StringVar(&o.Blobs, "blobs", "/var/lib/clawgov/registry-blobs", "the registry's blobs folder (as for serve)")
	fl.StringVar(&o.Key, "signing-key", "", "approval signing key (default: registry.key next to --blobs), used by --auto-approve-clean")
	fl.BoolVar(&o.AutoApproveClean, "auto-approve-clean", false, "approve pulled versions whose scan is clean and that carry no flags (as serve's policy)")
	o.RequireApprovals = 1
	return cmd
}

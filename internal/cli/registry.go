package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/registry"
	"github.com/clawgov/clawgov/internal/registry/mirror"
	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/sqldb"
)

const defaultRegistryDB = "sqlite:///var/lib/clawgov/registry.db"

type registryOptions struct {
	DB               string
	Listen           string
	Blobs            string
	Key              string
	BaseURL          string
	PublicRead       bool
	AutoApproveClean bool
	RequireApprovals int
	ReviewSessionTTL time.Duration
	// Server and Token are where the review commands send their requests.
	Server string
	Token  string
	// Upstream is the registry mirror and pull-through fetch from.
	Upstream upstreamOptions
}

func newRegistryCmd(f *factory) *cobra.Command {
	o := &registryOptions{}
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run and manage the vetted skill registry (an internal ClawHub)",
		Long: `The vetted skill registry speaks the ClawHub protocol that the unchanged
clawhub CLI and OpenClaw's own skills commands use, but serves only versions
that clawgov's skill scanner checked on arrival and reviewers approved.`,
	}
	cmd.PersistentFlags().StringVar(&o.DB, "db", defaultRegistryDB, "database DSN (sqlite:///path or postgres://...)")
	cmd.AddCommand(newRegistryServeCmd(f, o), newRegistryTokenCmd(f, o), newRegistryReviewCmd(f, o), newRegistryEventsCmd(f, o), newRegistryClientConfigCmd(f, o),
		newRegistryMirrorCmd(f, o))
	return cmd
}

func openRegistryStore(ctx context.Context, dsn string) (*registry.Store, error) {
	st, err := registry.OpenStore(ctx, dsn)
	if err != nil {
		if errors.Is(err, sqldb.ErrDSN) {
			return nil, &UsageError{err}
		}
		return nil, err
	}
	return st, nil
}

func newRegistryServeCmd(f *factory, o *registryOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the registry API (plain HTTP on loopback; put TLS in front for other hosts)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runRegistryServe(cmd.Context(), f, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", "127.0.0.1:8780", "address to listen on")
	fl.StringVar(&o.Blobs, "blobs", "/var/lib/clawgov/registry-blobs", "folder of the content-addressed archives and files")
	fl.StringVar(&o.Key, "signing-key", "", "ed25519 key that signs approvals (default: registry.key next to --blobs; created on first start)")
	fl.StringVar(&o.BaseURL, "base-url", "", "public URL of the registry (default: from each request's Host)")
	fl.BoolVar(&o.PublicRead, "public-read", false, "allow search, install and download without a token")
	fl.BoolVar(&o.AutoApproveClean, "auto-approve-clean", false, "approve versions whose scan is clean without a reviewer")
	fl.IntVar(&o.RequireApprovals, "require-approvals", 1, "distinct reviewers needed to approve a version (2: two-person rule)")
	fl.DurationVar(&o.ReviewSessionTTL, "review-session-ttl", 8*time.Hour, "how long a sign-in to the review pages (/review/) lasts")
	fl.StringVar(&o.Upstream.URL, "pull-through", "", "upstream registry URL: a skill this registry does not have is fetched from it in the background into the review queue")
	o.Upstream.flags(fl, "pull-through-")
	return cmd
}

// registrySigner loads (or creates) the approval signing key.
func registrySigner(f *factory, o *registryOptions) (*registry.Signer, error) {
	key := o.Key
	if key == "" {
		key = filepath.Join(filepath.Dir(filepath.Clean(o.Blobs)), "registry.key")
	}
	signer, created, err := registry.LoadOrCreateSigner(key)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(f.IO.ErrOut, "clawgov registry: created signing key %s (key id %s)\n", key, signer.KeyID)
	}
	return signer, nil
}

// newRegistryServer builds the registry over st as serve and mirror use
// it: one publish path (scanner, signer, policy) for both.
func newRegistryServer(f *factory, o *registryOptions, st *registry.Store, pt registry.PullThrough) (*registry.Server, *registry.Signer, error) {
	if o.RequireApprovals < 1 {
		return nil, nil, usageErrorf("--require-approvals must be at least 1")
	}
	if err := os.MkdirAll(o.Blobs, 0o750); err != nil {
		return nil, nil, fmt.Errorf("blobs folder: %w", err)
	}
	signer, err := registrySigner(f, o)
	if err != nil {
		return nil, nil, err
	}
	sc, err := skillscan.New(skillscan.Options{})
	if err != nil {
		return nil, nil, err
	}
	srv, err := registry.New(registry.Options{Store: st, Blobs: &registry.Blobs{Dir: o.Blobs}, Scanner: sc, Signer: signer, PublicRead: o.PublicRead,
		AutoApproveClean: o.AutoApproveClean, RequireApprovals: o.RequireApprovals, BaseURL: o.BaseURL, ReviewSessionTTL: o.ReviewSessionTTL, PullThrough: pt, Logger: f.Logger, Now: f.Now})
	return srv, signer, err
}

func runRegistryServe(ctx context.Context, f *factory, o *registryOptions) error {
	if o.RequireApprovals < 1 {
		return usageErrorf("--require-approvals must be at least 1")
	}
	if o.ReviewSessionTTL < time.Minute || o.ReviewSessionTTL > 30*24*time.Hour {
		return usageErrorf("--review-session-ttl %s: want between 1m and 720h", o.ReviewSessionTTL)
	}
	var up *mirror.Client
	if o.Upstream.URL != "" {
		var err error
		if up, err = o.Upstream.client(f); err != nil {
			return err
		}
	}
	st, err := openRegistryStore(ctx, o.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	var pt registry.PullThrough
	var puller *mirror.Puller
	var mir *mirror.Mirror
	if up != nil {
		if mir, err = mirror.New(mirror.Options{Client: up, Store: st, Logger: f.Logger, Now: f.Now}); err != nil {
			return err
		}
		puller = mirror.NewPuller(mir, mirror.PullerOptions{})
		pt = puller
	}
	srv, signer, err := newRegistryServer(f, o, st, pt)
	if err != nil {
		return err
	}
	if puller != nil {
		mir.Attach(srv)
		go puller.Run(ctx)
		fmt.Fprintf(f.IO.ErrOut, "clawgov registry: pulling unknown skills through from %s into the review queue\n", mir.Upstream())
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.Listen, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute}
	fmt.Fprintf(f.IO.ErrOut, "clawgov registry: listening on http://%s (database %s, blobs %s, signing key id %s)\n", ln.Addr(), st.DB().Location, o.Blobs, signer.KeyID)
	fmt.Fprintf(f.IO.ErrOut, "clawgov registry: review pages at %s/review/ (sign in with a reviewer or admin token)\n", reviewBase(o.BaseURL, ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// reviewBase is where the review pages are: under --base-url, or on the
// listening address.
func reviewBase(baseURL, addr string) string {
	if baseURL != "" {
		return strings.TrimRight(baseURL, "/")
	}
	return "http://" + addr
}

func newRegistryTokenCmd(f *factory, o *registryOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage registry tokens"}
	var handle, role, note string
	create := &cobra.Command{
		Use: "create", Short: "Create a token (printed once; only its hash is stored)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !registry.ValidHandle(handle) {
				return usageErrorf("--handle %q: want a lowercase handle ([a-z0-9._-], 2-40)", handle)
			}
			if !registry.ValidRole(role) {
				return usageErrorf("--role %q: want reader, publisher, reviewer or admin", role)
			}
			st, err := openRegistryStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			sec, now := registry.NewSecret(), f.Now().UnixMilli()
			id := registry.NewID()
			if err := st.CreateToken(cmd.Context(), registry.Token{ID: id, Handle: handle, Role: role, Note: note, CreatedAt: now}, sec,
				registry.Event{At: now, Actor: "cli", Action: "token.create", Object: handle, Remote: "local", Details: map[string]string{"role": role, "id": id}}); err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, sec)
			fmt.Fprintf(f.IO.ErrOut, "token %s for %s (%s)\n", id, handle, role)
			return nil
		},
	}
	create.Flags().StringVar(&handle, "handle", "", "account handle (lowercase; the skill owner for publishers)")
	create.Flags().StringVar(&role, "role", registry.RoleReader, "reader, publisher, reviewer or admin")
	create.Flags().StringVar(&note, "note", "", "free-text note")
	var id string
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke a token by its id", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id = args[0]
			st, err := openRegistryStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			now := f.Now().UnixMilli()
			if err := st.RevokeToken(cmd.Context(), id, now, registry.Event{At: now, Actor: "cli", Action: "token.revoke", Object: id, Remote: "local"}); err != nil {
				if errors.Is(err, registry.ErrNotFound) {
					return usageErrorf("no live token %s", id)
				}
				return err
			}
			fmt.Fprintf(f.IO.Out, "token %s revoked\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, revoke)
	return cmd
}

func (o *registryOptions) client(f *factory) (string, string, error) {
	srv, tok := o.Server, o.Token
	if srv == "" {
		srv = f.Getenv("CLAWGOV_REGISTRY_URL")
	}
	if tok == "" {
		tok = f.Getenv("CLAWGOV_REGISTRY_TOKEN")
	}
	if srv == "" || tok == "" {
		return "", "", usageErrorf("review needs --server (or CLAWGOV_REGISTRY_URL) and a reviewer token in CLAWGOV_REGISTRY_TOKEN (or --token)")
	}
	return strings.TrimRight(srv, "/"), tok, nil
}

func registryCall(ctx context.Context, method, u, tok string, body any, out io.Writer) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return &UsageError{err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("registry answered %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err = out.Write(b)
	return err
}

func splitRef(ref string) (string, string, error) {
	slug, ver, ok := strings.Cut(strings.TrimPrefix(ref, "@"), "@")
	if i := strings.LastIndexByte(slug, '/'); i >= 0 {
		slug = slug[i+1:]
	}
	if !ok || !registry.ValidSlug(slug) || !registry.ValidVersion(ver) {
		return "", "", usageErrorf("%q: want SLUG@VERSION", ref)
	}
	return slug, ver, nil
}

func newRegistryReviewCmd(f *factory, o *registryOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "review", Short: "Review the queue: list, show, approve, reject, revoke (through the server, as the token's reviewer)"}
	cmd.PersistentFlags().StringVar(&o.Server, "server", "", "registry URL (default $CLAWGOV_REGISTRY_URL)")
	cmd.PersistentFlags().StringVar(&o.Token, "token", "", "reviewer token (default $CLAWGOV_REGISTRY_TOKEN; prefer the variable, flags show in ps)")
	var state string
	list := &cobra.Command{Use: "list", Short: "List versions in a state (default pending)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, tok, err := o.client(f)
			if err != nil {
				return err
			}
			return registryCall(cmd.Context(), "GET", srv+"/api/clawgov/v1/review?state="+url.QueryEscape(state), tok, nil, f.IO.Out)
		}}
	list.Flags().StringVar(&state, "state", "pending", "pending, approved, rejected, revoked or all")
	show := &cobra.Command{Use: "show SLUG@VERSION", Short: "Show a version with its scan findings (file and line)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			slug, ver, err := splitRef(args[0])
			if err != nil {
				return err
			}
			srv, tok, err := o.client(f)
			if err != nil {
				return err
			}
			return registryCall(cmd.Context(), "GET", srv+"/api/clawgov/v1/review/"+slug+"/"+url.PathEscape(ver), tok, nil, f.IO.Out)
		}}
	cmd.AddCommand(list, show)
	for _, act := range []string{"approve", "reject", "revoke"} {
		var reason string
		c := &cobra.Command{Use: act + " SLUG@VERSION --reason TEXT", Short: strings.ToUpper(act[:1]) + act[1:] + " one version", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				slug, ver, err := splitRef(args[0])
				if err != nil {
					return err
				}
				if strings.TrimSpace(reason) == "" {
					return usageErrorf("--reason is required")
				}
				srv, tok, err := o.client(f)
				if err != nil {
					return err
				}
				return registryCall(cmd.Context(), "POST", srv+"/api/clawgov/v1/review/"+slug+"/"+url.PathEscape(ver)+"/"+cmd.Name(), tok, map[string]string{"reason": reason}, f.IO.Out)
			}}
		c.Flags().StringVar(&reason, "reason", "", "why (recorded in the event log and the signed record)")
		cmd.AddCommand(c)
	}
	return cmd
}

func newRegistryEventsCmd(f *factory, o *registryOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Check or export the hash-chained event log"}
	verify := &cobra.Command{Use: "verify", Short: "Recompute the hash chain; exit 1 at the first edited, removed or reordered event", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openRegistryStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.VerifyEvents(cmd.Context())
			if err != nil {
				var ce *registry.ChainError
				if errors.As(err, &ce) {
					fmt.Fprintf(f.IO.Out, "event log BROKEN after %d good event(s): %v\n", n-1, err)
					return ErrFindings
				}
				return err
			}
			fmt.Fprintf(f.IO.Out, "event log intact: %d event(s)\n", n)
			return nil
		}}
	var after int64
	export := &cobra.Command{Use: "export", Short: "Write events as JSON Lines (for a SIEM)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openRegistryStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.ExportEvents(cmd.Context(), f.IO.Out, after)
			return err
		}}
	export.Flags().Int64Var(&after, "after", 0, "only events with a sequence number above this")
	cmd.AddCommand(verify, export)
	return cmd
}

func newRegistryClientConfigCmd(f *factory, o *registryOptions) *cobra.Command {
	var base string
	cmd := &cobra.Command{Use: "client-config --url URL", Short: "Print the client settings that pin clawhub and OpenClaw to this registry", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(base)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageErrorf("--url %q: want the registry's http(s) URL", base)
			}
			b := strings.TrimRight(base, "/")
			fmt.Fprintf(f.IO.Out, `# Pin both ClawHub clients to the org registry (clawhub-protocol.md §1, §10).
# Set these persistently (e.g. /etc/environment or the service unit): without
# CLAWHUB_REGISTRY the clawhub CLI runs discovery against the public site.
CLAWHUB_REGISTRY=%[1]s
CLAWHUB_SITE=%[1]s
# OpenClaw reads these from the process env, ~/.openclaw/.env or env.vars in openclaw.json.
OPENCLAW_CLAWHUB_URL=%[1]s
CLAWHUB_TOKEN=<reader token from: clawgov registry token create --handle HOST --role reader>
# The clawhub CLI ignores CLAWHUB_TOKEN; store the token in its config instead:
#   clawhub login --token "$CLAWHUB_TOKEN"
# Install gate: scan every skill OpenClaw installs, also from this registry:
#   see "clawgov skills hook" (OpenClaw skills install policy hook)
# Block the public registry at egress so nothing falls back to it.
#
# clawgov.yaml on each host, so clawgov audit checks these pins, the skills'
# origins and the signed approvals (CG-SKL-024, CG-SKL-011, CG-SKL-016):
#   registry:
#     url: %[1]s
#     signing_key: /etc/clawgov/registry-key.json
# Fetch the key once and compare its keyId with the one registry serve logs:
#   curl -s %[1]s/api/clawgov/v1/signing-key > /etc/clawgov/registry-key.json
`, b)
			return nil
		}}
	cmd.Flags().StringVar(&base, "url", "", "registry URL as the clients reach it")
	return cmd
}

package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/fleet/alert"
	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb"
)

const defaultFleetDB = "sqlite:///var/lib/clawgov/fleet.db"

// ServerWeb, when set (by the dashboard package's init), serves the
// dashboard routes of `clawgov server`.
var ServerWeb func(srv *server.Server, st store.Store) (http.Handler, func(*http.Request) *server.Principal)

type serverOptions struct {
	DB       string
	Listen   string
	Stale    time.Duration
	Interval time.Duration
	TLSCert  string
	TLSKey   string
	TLSDir   string
	Insecure bool
	Webhook  string
	HookKey  string
	Syslog   string
}

func newServerCmd(f *factory) *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the fleet server (ingest API, JSON API, dashboard)",
		Long: `Run the fleet server: agents enroll and push signed reports; the JSON API
under /api/v1 (and the dashboard) shows every host's 12 controls.

Storage is SQLite by default (--db sqlite:///var/lib/clawgov/fleet.db) or
PostgreSQL (--db postgres://...); several servers may share one PostgreSQL.
Migrations are applied on start. TLS uses --tls-cert/--tls-key, or a
self-signed certificate generated on first start in --tls-dir whose
SHA-256 fingerprint is printed for agents to pin (agent enroll
--fingerprint). On first start it prints the admin setup URL and a
one-time bootstrap secret.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServer(cmd.Context(), f, o) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.DB, "db", defaultFleetDB, "database DSN (sqlite:///path or postgres://...)")
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", "127.0.0.1:8443", "address to listen on")
	fl.DurationVar(&o.Stale, "stale", 3*time.Hour, "a host without a new report for this long is stale (controls unknown)")
	fl.DurationVar(&o.Interval, "interval", time.Hour, "report interval told to agents")
	fl.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate (PEM)")
	fl.StringVar(&o.TLSKey, "tls-key", "", "TLS private key (PEM)")
	fl.StringVar(&o.TLSDir, "tls-dir", "", "where the self-signed certificate is kept (default: next to a SQLite database, else /var/lib/clawgov)")
	fl.BoolVar(&o.Insecure, "insecure-http", false, "serve plain HTTP (only behind a TLS-terminating proxy on loopback)")
	fl.StringVar(&o.Webhook, "alert-webhook", "", "POST alerts as JSON (HMAC-SHA256 signed) to this URL")
	fl.StringVar(&o.HookKey, "alert-webhook-secret-file", "", "file holding the webhook HMAC secret (required with --alert-webhook)")
	fl.StringVar(&o.Syslog, "alert-syslog", "", "send alerts as RFC 5424 syslog to udp://host:port or tcp://host:port")
	cmd.AddCommand(newServerMigrateCmd(f, o), newServerTokenCmd(f, o), newServerUserCmd(f, o), newServerAPITokenCmd(f, o), newServerPolicyCmd(f, o))
	return cmd
}

func openFleetStore(ctx context.Context, dsn string) (*store.SQL, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		if errors.Is(err, sqldb.ErrDSN) {
			return nil, &UsageError{err}
		}
		return nil, err
	}
	return st, nil
}

func runServer(ctx context.Context, f *factory, o *serverOptions) error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	var sinks []alert.Sink
	if o.Webhook != "" {
		if o.HookKey == "" {
			return usageErrorf("--alert-webhook needs --alert-webhook-secret-file")
		}
		key, err := os.ReadFile(o.HookKey)
		if err != nil || len(strings.TrimSpace(string(key))) < 16 {
			return usageErrorf("--alert-webhook-secret-file: want a file with a secret of at least 16 characters")
		}
		sinks = append(sinks, &alert.Webhook{URL: o.Webhook, Secret: []byte(strings.TrimSpace(string(key)))})
	}
	if o.Syslog != "" {
		hn, _ := os.Hostname()
		sl, err := alert.ParseSyslog(o.Syslog, hn)
		if err != nil {
			return &UsageError{err}
		}
		sinks = append(sinks, sl)
	}
	st, err := openFleetStore(ctx, o.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	defer server.TuneGC(f.Getenv)()
	opts := server.Options{Store: st, StaleAfter: o.Stale, Interval: o.Interval, Logger: f.Logger, Alerts: sinks}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	if ServerWeb != nil {
		opts.Web, opts.Authenticate = ServerWeb(srv, st)
		if srv, err = server.New(opts); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.Listen, err)
	}
	scheme, fp := "https", ""
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, WriteTimeout: time.Minute,
		ErrorLog: nil}
	if !o.Insecure {
		var cert tls.Certificate
		if o.TLSCert != "" {
			cert, fp, err = server.LoadCert(o.TLSCert, o.TLSKey)
		} else {
			dir := o.TLSDir
			if dir == "" {
				dir = "/var/lib/clawgov"
				if st.DB().Path != "" {
					dir = filepath.Dir(st.DB().Path)
				}
			}
			host, _, _ := net.SplitHostPort(o.Listen)
			cert, fp, err = server.SelfSigned(filepath.Join(dir, "tls"), []string{host, "localhost", "127.0.0.1"})
		}
		if err != nil {
			ln.Close()
			return err
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
		fmt.Fprintf(f.IO.ErrOut, "clawgov server: TLS certificate SHA-256 fingerprint %s\n", fp)
	} else {
		scheme = "http"
	}
	addr := ln.Addr().String()
	fmt.Fprintf(f.IO.ErrOut, "clawgov server: listening on %s://%s (database %s)\n", scheme, addr, st.DB().Location)
	secret, err := server.Bootstrap(ctx, st)
	if err != nil {
		ln.Close()
		return fmt.Errorf("bootstrap: %w", err)
	}
	if secret != "" {
		// Printed once, to the operator's terminal; only its hash is stored.
		fmt.Fprintf(f.IO.ErrOut, "clawgov server: first start. Create the admin at %s://%s/setup with the one-time bootstrap secret:\n  %s\n", scheme, addr, secret)
		// And a one-use enrollment token for this machine, so the set-up
		// is two commands: start the server, enroll the local host.
		tok, now := auth.NewToken("cge_"), f.Now().UTC()
		if err := st.CreateEnrollToken(ctx, store.EnrollToken{ID: store.NewID(), TokenHash: store.HashToken(tok), Note: "first start, local host",
			CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour), MaxUses: 1}); err != nil {
			ln.Close()
			return fmt.Errorf("bootstrap enrollment token: %w", err)
		}
		fmt.Fprintf(f.IO.ErrOut, "clawgov server: enroll this host (token valid 24h, one use):\n  clawgov agent enroll --server %s://%s %s --token %s\n", scheme, addr, fpFlag(fp), tok)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go srv.Run(ctx, time.Minute)
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

func newServerMigrateCmd(f *factory, o *serverOptions) *cobra.Command {
	return &cobra.Command{
		Use: "migrate", Short: "Apply the fleet database migrations and exit", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := sqldb.Open(cmd.Context(), o.DB)
			if err != nil {
				if errors.Is(err, sqldb.ErrDSN) {
					return &UsageError{err}
				}
				return err
			}
			defer db.Close()
			n, err := store.Migrate(cmd.Context(), db)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "applied %d migration(s) to %s\n", n, db.Location)
			return nil
		},
	}
}

func newServerTokenCmd(f *factory, o *serverOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage enrollment tokens"}
	var ttl time.Duration
	var uses int
	var note string
	var tags []string
	create := &cobra.Command{
		Use: "create", Short: "Create an enrollment token (printed once)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl <= 0 || uses <= 0 {
				return usageErrorf("--ttl and --uses must be positive")
			}
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, now := auth.NewToken("cge_"), f.Now().UTC()
			id := store.NewID()
			if err := st.CreateEnrollToken(cmd.Context(), store.EnrollToken{ID: id, TokenHash: store.HashToken(tok), Note: note, Tags: tags,
				CreatedAt: now, ExpiresAt: now.Add(ttl), MaxUses: uses}); err != nil {
				return err
			}
			_ = st.AppendEvent(cmd.Context(), store.Event{At: now, Actor: "cli", Action: "enroll_token.create", Object: id, Outcome: "ok",
				Details: map[string]string{"uses": fmt.Sprint(uses), "ttl": ttl.String()}})
			fmt.Fprintln(f.IO.Out, tok)
			fmt.Fprintf(f.IO.ErrOut, "enrollment token %s: %d use(s), expires %s\n", id, uses, now.Add(ttl).Format(time.RFC3339))
			return nil
		},
	}
	create.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "validity")
	create.Flags().IntVar(&uses, "uses", 1, "how many hosts may enroll with it")
	create.Flags().StringVar(&note, "note", "", "free-text note")
	create.Flags().StringSliceVar(&tags, "tag", nil, "tags given to hosts enrolled with it (scope for viewers)")
	cmd.AddCommand(create)
	return cmd
}

func newServerUserCmd(f *factory, o *serverOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage dashboard users"}
	var role string
	var tags []string
	add := &cobra.Command{
		Use: "add NAME", Short: "Add a user; the password is read from stdin (one line)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role != store.RoleAdmin && role != store.RoleViewer {
				return usageErrorf("--role %q: want admin or viewer", role)
			}
			fmt.Fprintf(f.IO.ErrOut, "password for %s: ", args[0])
			line, err := bufio.NewReader(f.IO.In).ReadString('\n')
			pw := strings.TrimRight(line, "\r\n")
			if (err != nil && pw == "") || len(pw) < 12 {
				return usageErrorf("password: give at least 12 characters on stdin")
			}
			fmt.Fprintln(f.IO.ErrOut)
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateUser(cmd.Context(), store.User{ID: store.NewID(), Name: args[0], Role: role, PasswordHash: hash, Tags: tags, CreatedAt: f.Now().UTC()}); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return &UsageError{err}
				}
				return err
			}
			_ = st.AppendEvent(cmd.Context(), store.Event{At: f.Now().UTC(), Actor: "cli", Action: "user.create", Object: args[0], Outcome: "ok", Details: map[string]string{"role": role}})
			fmt.Fprintf(f.IO.Out, "user %s added (%s)\n", args[0], role)
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", store.RoleViewer, "admin or viewer")
	add.Flags().StringSliceVar(&tags, "tag", nil, "restrict the user to hosts with these tags")
	cmd.AddCommand(add)
	return cmd
}

func newServerAPITokenCmd(f *factory, o *serverOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "api-token", Short: "Manage API tokens (Authorization: Bearer)"}
	var role, name string
	var ttl time.Duration
	var tags []string
	create := &cobra.Command{
		Use: "create", Short: "Create an API token (printed once)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if role != store.RoleAdmin && role != store.RoleViewer {
				return usageErrorf("--role %q: want admin or viewer", role)
			}
			st, err := openFleetStore(cmd.Context(), o.DB)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, now := auth.NewToken("cga_"), f.Now().UTC()
			t := store.APIToken{ID: store.NewID(), TokenHash: store.HashToken(tok), Name: name, Role: role, Tags: tags, CreatedAt: now}
			if ttl > 0 {
				e := now.Add(ttl)
				t.ExpiresAt = &e
			}
			if t.Name == "" {
				t.Name = role + "-" + t.ID[:8]
			}
			if err := st.CreateAPIToken(cmd.Context(), t); err != nil {
				return err
			}
			_ = st.AppendEvent(cmd.Context(), store.Event{At: now, Actor: "cli", Action: "api_token.create", Object: t.Name, Outcome: "ok", Details: map[string]string{"role": role}})
			fmt.Fprintln(f.IO.Out, tok)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", store.RoleViewer, "admin or viewer")
	create.Flags().StringVar(&name, "name", "", "name shown in the audit log")
	create.Flags().DurationVar(&ttl, "ttl", 0, "validity (0: until revoked)")
	create.Flags().StringSliceVar(&tags, "tag", nil, "restrict the token to hosts with these tags")
	cmd.AddCommand(create)
	return cmd
}

func fpFlag(fp string) string {
	if fp == "" {
		return ""
	}
	return " --fingerprint " + fp
}

package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/web"
)

// The dashboard is mounted through the server's Web hook: every path the
// API does not serve. Wiring lives here, in cli, so neither fleet/server
// nor fleet/web imports the other.
func init() { ServerWeb = mountDashboard }

func mountDashboard(srv *server.Server, st store.Store) (http.Handler, func(*http.Request) *server.Principal) {
	d, err := newDashboard(context.Background(), srv, st, slog.Default())
	if err != nil {
		slog.Error("dashboard disabled", "err", err)
		return nil, nil
	}
	return d, func(r *http.Request) *server.Principal {
		u, ok := d.SessionUser(r)
		if !ok {
			return nil
		}
		return &server.Principal{Name: "user:" + u.Name, Role: u.Role, Scope: web.Scope(u)}
	}
}

func newDashboard(ctx context.Context, srv *server.Server, st store.Store, log *slog.Logger) (*web.Dashboard, error) {
	key, err := web.BundleKey(ctx, st)
	if err != nil {
		return nil, err
	}
	src := &web.StoreSource{Store: st, StaleAfter: srv.StaleAfter(), ControlIDs: srv.ControlIDs()}
	return web.New(web.Options{
		Source: src, Users: src, Sessions: src, BundleKey: key, Logger: log,
		Setup: func(ctx context.Context, secret, name, password string) error {
			ok, err := server.ConsumeBootstrap(ctx, st, secret)
			if err != nil {
				return err
			}
			if !ok {
				return web.ErrBadLogin
			}
			hash, err := auth.HashPassword(password)
			if err != nil {
				return err
			}
			err = st.CreateUser(ctx, store.User{ID: store.NewID(), Name: name, Role: store.RoleAdmin, PasswordHash: hash, CreatedAt: time.Now()})
			if errors.Is(err, store.ErrConflict) {
				return web.ErrBadLogin
			}
			return err
		},
	})
}

package web

import (
	"context"
	"errors"
	"time"

	"github.com/clawgov/clawgov/internal/webui"
)

// Users checks a login. The fleet core owns the user table and the password
// hash (argon2id/bcrypt); the dashboard only asks.
type Users interface {
	// Authenticate returns the user when name and password match, and
	// ErrBadLogin otherwise (unknown user and wrong password alike).
	Authenticate(ctx context.Context, name, password string) (User, error)
}

// ErrBadLogin is a wrong user name or password.
var ErrBadLogin = errors.New("wrong user name or password")

// Session is one signed-in browser. ID is the SHA-256 of the cookie's
// token, so the database never holds a usable credential.
type Session struct {
	ID      string
	User    string
	Role    string
	Tags    []string
	CSRF    string
	Created time.Time
	Expires time.Time
}

// Sessions stores sessions and login failures in the shared database:
// several server processes behind one load balancer must agree on both.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns ErrNotFound for an unknown or expired session.
	Session(ctx context.Context, id string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, id string) error
	// LoginFailures counts the failures recorded for key in the window
	// containing at; RecordLoginFailure adds one.
	LoginFailures(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)
	RecordLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) error
}

// Cookie names. The session cookie is Secure, HttpOnly and SameSite=Strict;
// the login CSRF cookie guards the only form shown before a session exists.
const (
	sessionCookie   = "clawgov_session"
	loginCSRFCookie = "clawgov_login_csrf"
)

// Login throttle: failures counted per account and per source address in a
// sliding window, in the database.
const (
	loginWindow      = 15 * time.Minute
	maxFailsAccount  = 5
	maxFailsSource   = 20
	defaultSessionTT = 12 * time.Hour
)

// newToken returns 32 random bytes, URL-safe (shared with the registry's
// review pages through webui).
func newToken() string { return webui.NewToken() }

// SessionID is the stored ID of a session token.
func SessionID(token string) string { return webui.TokenID(token) }

// equalToken compares a submitted token a with the expected b in constant
// time. An empty submission never matches (webui.Equal refuses an empty
// expected token).
func equalToken(a, b string) bool { return a != "" && webui.Equal(a, b) }

// Package webui holds what clawgov's browser pages share: the fleet
// dashboard (internal/fleet/web) and the registry's review pages
// (internal/registry). Session and CSRF tokens, their constant-time
// comparison, the post-login redirect guard, the language choice and the
// security headers live here once, so the two UIs cannot drift apart on
// the parts an attacker probes.
package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/clawgov/clawgov/internal/catalog"
)

// NewToken returns 32 random bytes, URL-safe: a session cookie or a CSRF
// token.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // cannot happen on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenID is the stored ID of a session token (hex SHA-256), so the
// database never holds a usable credential.
func TokenID(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// Equal compares a submitted token with the expected one in constant time;
// an empty expected token never matches.
func Equal(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// SafeNext keeps a post-login redirect on this site under prefix: an
// absolute path, not protocol-relative, no backslash or line break.
// RedirectToLogin sends a GET without a session to the login page at
// login, carrying the page asked for (path and query) as next, which
// SafeNext checks after the login.
func RedirectToLogin(w http.ResponseWriter, r *http.Request, login string) {
	next := r.URL.Path
	if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, login+"?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
}

// Anything else becomes fallback.
func SafeNext(next, prefix, fallback string) string {
	if next == "" || !strings.HasPrefix(next, prefix) || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return next
}

// PickLang chooses the page language: ?lang= first (chosen is then true,
// so the caller may remember it in cookie), then the cookie, then the first
// zh or en in Accept-Language, then English.
func PickLang(r *http.Request, cookie string) (lang catalog.Lang, chosen bool) {
	if v := r.URL.Query().Get("lang"); v != "" {
		if l, err := catalog.ParseLang(v); err == nil {
			return l, true
		}
	}
	if c, err := r.Cookie(cookie); err == nil {
		if l, err := catalog.ParseLang(c.Value); err == nil {
			return l, false
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if l, err := catalog.ParseLang(tag); err == nil {
			return l, false
		}
	}
	return catalog.EN, false
}

// SecurityHeaders sets the headers every clawgov page carries: the given
// Content-Security-Policy, no sniffing, no referrer, no caching.
func SecurityHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// CrossOrigin rejects state-changing requests from other origins
// (Sec-Fetch-Site / Origin), a second line behind the CSRF tokens.
var CrossOrigin = http.NewCrossOriginProtection()

package web

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// client is a browser-like test client: TLS (the cookies are Secure), a
// cookie jar, no redirects followed so each step can be asserted.
type client struct {
	t    testing.TB
	srv  *httptest.Server
	http *http.Client
}

func newClient(t testing.TB, h http.Handler) *client {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	hc := srv.Client()
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: t, srv: srv, http: hc}
}

func (c *client) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

// login signs in through the real form and returns the session's CSRF
// token (from the next page).
func (c *client) login(user, pw string) string {
	c.t.Helper()
	_, page := c.do("GET", "/login", nil)
	resp, body := c.do("POST", "/login", url.Values{"csrf": {csrfOf(c.t, page)}, "username": {user}, "password": {pw}, "next": {"/hosts"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hosts" {
		c.t.Fatalf("login %s: %d %s\n%s", user, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = c.do("GET", "/", nil)
	return csrfOf(c.t, page)
}

func TestLoginRequired(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	for _, p := range []string{"/", "/hosts", "/hosts/h1", "/findings", "/unmanaged", "/export/hosts.csv", "/hosts/h1/reports/r-0002"} {
		resp, _ := c.do("GET", p, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without session: %d %q, want a redirect to /login", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := c.do("POST", "/export/bundle", url.Values{"report": {"r-0001"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without session: %d, want 401", resp.StatusCode)
	}
}

func TestLoginCookiesAndLogout(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	_, page := c.do("GET", "/login", nil)
	resp, _ := c.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"admin"}, "password": {"admin-pw"}})
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sess = ck
		}
	}
	if sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict", sess)
	}
	resp, body := c.do("GET", "/", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "admin") {
		t.Fatalf("overview after login: %d", resp.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Cache-Control"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	tok := csrfOf(t, body)
	resp, _ = c.do("POST", "/logout", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	// The old cookie value no longer works even if a client kept it.
	req, _ := http.NewRequest("GET", c.srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Value})
	r2, err := c.srv.Client().Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther {
		t.Errorf("old session after logout: %d, want redirect to login", r2.StatusCode)
	}
}

func TestLoginCSRFAndOpenRedirect(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.do("GET", "/login", nil)
	resp, _ := c.do("POST", "/login", url.Values{"csrf": {"forged"}, "username": {"admin"}, "password": {"admin-pw"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with a forged csrf: %d, want 403", resp.StatusCode)
	}
	_, page := c.do("GET", "/login", nil)
	resp, _ = c.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"admin"}, "password": {"admin-pw"}, "next": {"//203.0.113.9/x"}})
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("login next=//host redirected to %q, want /", loc)
	}
	// A cross-site POST is refused before the handler runs.
	resp, _ = c.do("POST", "/logout", url.Values{"csrf": {"x"}}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

func TestLoginThrottle(t *testing.T) {
	d := newTestDashboard(t, newFixture(t))
	c := newClient(t, d)
	try := func(pw string) int {
		_, page := c.do("GET", "/login", nil)
		resp, _ := c.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"admin"}, "password": {pw}})
		return resp.StatusCode
	}
	for i := range maxFailsAccount {
		if got := try("wrong"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, got)
		}
	}
	// The right password is refused too while the account is throttled.
	if got := try("admin-pw"); got != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d, want 429", maxFailsAccount, got)
	}
	// Another account from the same source still works until the
	// per-source limit.
	_, page := c.do("GET", "/login", nil)
	resp, _ := c.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"viewer"}, "password": {"viewer-pw"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("viewer login during admin throttle: %d", resp.StatusCode)
	}
	// The throttle lives in Sessions (the database), not in the handler:
	// a second dashboard over the same store sees it.
	d2, _ := New(Options{Source: d.o.Source, Users: d.o.Users, Sessions: d.o.Sessions, Catalog: d.o.Catalog, Now: d.o.Now, Logger: d.o.Logger})
	c2 := newClient(t, d2)
	_, page = c2.do("GET", "/login", nil)
	resp, _ = c2.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"admin"}, "password": {"admin-pw"}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second server: %d, want 429", resp.StatusCode)
	}
}

func TestViewerCannotChange(t *testing.T) {
	src := newFixture(t)
	c := newClient(t, newTestDashboard(t, src))
	tok := c.login("viewer", "viewer-pw")
	_, page := c.do("GET", "/hosts/h1", nil)
	if strings.Contains(page, "/hosts/h1/tags") {
		t.Error("viewer sees the tag form")
	}
	resp, _ := c.do("POST", "/hosts/h1/tags", url.Values{"csrf": {tok}, "tags": {"pwned"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer POST tags: %d, want 403", resp.StatusCode)
	}
	if h, _ := src.Host(t.Context(), User{Role: RoleAdmin}, "h1"); contains(h.Tags, "pwned") {
		t.Error("viewer changed the tags")
	}

	a := newClient(t, newTestDashboard(t, src))
	atok := a.login("admin", "admin-pw")
	// Without the token, even an admin is refused.
	resp, _ = a.do("POST", "/hosts/h1/tags", url.Values{"tags": {"x"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin POST without csrf: %d, want 403", resp.StatusCode)
	}
	resp, _ = a.do("POST", "/hosts/h1/tags", url.Values{"csrf": {atok}, "tags": {"prod, 北京"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin POST tags: %d", resp.StatusCode)
	}
	if h, _ := src.Host(t.Context(), User{Role: RoleAdmin}, "h1"); strings.Join(h.Tags, "|") != "prod|北京" {
		t.Errorf("tags = %q", h.Tags)
	}
}

func TestScopeAppliesToEveryPage(t *testing.T) {
	src := newFixture(t)
	src.hidden["h2"] = true
	c := newClient(t, newTestDashboard(t, src))
	c.login("viewer", "viewer-pw")
	for _, p := range []string{"/hosts/h2", "/hosts/h2/reports/r-0003", "/hosts/h2/reports/r-0003/json", "/hosts/h1/reports/r-0003"} {
		if resp, _ := c.do("GET", p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("viewer GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/", "/hosts", "/findings", "/export/hosts.jsonl", "/export/findings.csv"} {
		_, body := c.do("GET", p, nil)
		if strings.Contains(body, "10.0.0.12") || strings.Contains(body, "OR 1=1") {
			t.Errorf("viewer %s shows the out-of-scope host", p)
		}
	}
}

// normalise removes what legitimately differs between runs (tokens).
func normalise(s string) string {
	return csrfRE.ReplaceAllString(s, `name="csrf" value="CSRF"`)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range max(len(wl), len(gl)) {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs at line %d:\n want: %s\n got:  %s\n(run go test -update if intended)", name, i+1, w, g)
			}
		}
	}
}

var goldenPages = map[string]string{
	"overview":  "/",
	"hosts":     "/hosts",
	"hosts-f":   "/hosts?control=DO-2&status=unknown&stale=yes",
	"host":      "/hosts/h1",
	"host-h2":   "/hosts/h2",
	"findings":  "/findings?check=CG-NET-001",
	"unmanaged": "/unmanaged",
	"login":     "/login",
}

func TestPagesGolden(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("admin", "admin-pw")
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		for name, path := range goldenPages {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			resp, body := c.do("GET", path+sep+"lang="+string(lang), nil)
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d", path, resp.StatusCode)
				continue
			}
			if strings.Contains(body, "[[missing:") {
				i := strings.Index(body, "[[missing:")
				t.Errorf("%s/%s uses an undefined label: %s", name, lang, body[i:min(len(body), i+40)])
			}
			golden(t, name+"."+string(lang)+".html", []byte(normalise(body)))
		}
	}
}

// TestEscaping: hostile text from agents (hostnames, tags, versions,
// messages, discovery sources) never reaches the page as markup.
func TestEscaping(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("admin", "admin-pw")
	for _, p := range []string{"/", "/hosts", "/hosts/h2", "/hosts/h1", "/findings", "/unmanaged", "/hosts/h2/reports/r-0003", "/hosts/h1/reports/r-0002"} {
		_, body := c.do("GET", p, nil)
		for _, raw := range []string{`<script>alert("h")`, `<img src=x onerror`, `"><img`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s contains raw %q", p, raw)
			}
		}
		if strings.Count(body, "<script") > 0 {
			t.Errorf("%s has a script element", p)
		}
	}
	_, body := c.do("GET", "/hosts", nil)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;h&#34;)&lt;/script&gt;&#39; OR 1=1;--") {
		t.Error("hostile hostname not shown escaped on /hosts")
	}
}

func TestLanguageNegotiation(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("admin", "admin-pw")
	_, body := c.do("GET", "/", nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	if !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, "概览") {
		t.Error("Accept-Language zh-CN did not give Chinese")
	}
	_, body = c.do("GET", "/?lang=en", nil, "Accept-Language", "zh-CN")
	if !strings.Contains(body, `lang="en"`) {
		t.Error("?lang=en did not win over Accept-Language")
	}
	// The choice is remembered in a cookie.
	_, body = c.do("GET", "/hosts", nil, "Accept-Language", "zh-CN")
	if !strings.Contains(body, `lang="en"`) {
		t.Error("language cookie not honoured")
	}
}

func TestLabelsComplete(t *testing.T) {
	for k, v := range labels[catalog.EN] {
		if strings.TrimSpace(v) == "" || strings.TrimSpace(labels[catalog.ZH][k]) == "" {
			t.Errorf("label %q missing or empty in a language", k)
		}
	}
	for k := range labels[catalog.ZH] {
		if _, ok := labels[catalog.EN][k]; !ok {
			t.Errorf("label %q only in zh", k)
		}
	}
}

func TestStaleHostShowsUnknown(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("admin", "admin-pw")
	_, body := c.do("GET", "/hosts?q=10.0.0.12", nil)
	if strings.Contains(body, `class="dot pass"`) || strings.Contains(body, `class="dot fail"`) {
		t.Error("stale host shows its old results")
	}
	if !strings.Contains(body, `class="dot unknown"`) {
		t.Error("stale host does not show unknown")
	}
}

func TestSetupFirstAdmin(t *testing.T) {
	used := false
	d := newTestDashboard(t, newFixture(t))
	d.o.Setup = func(_ context.Context, secret, name, pw string) error {
		if used || secret != "cgb_secret" {
			return ErrBadLogin
		}
		used = true
		return nil
	}
	c := newClient(t, d)
	post := func(secret, pw string) int {
		_, page := c.do("GET", "/setup", nil)
		resp, _ := c.do("POST", "/setup", url.Values{"csrf": {csrfOf(t, page)}, "secret": {secret}, "username": {"root"}, "password": {pw}})
		return resp.StatusCode
	}
	if got := post("cgb_secret", "short"); got != http.StatusBadRequest {
		t.Errorf("short password: %d", got)
	}
	if got := post("wrong", "long-enough-password"); got != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", got)
	}
	if got := post("cgb_secret", "long-enough-password"); got != http.StatusSeeOther {
		t.Errorf("right secret: %d", got)
	}
	if got := post("cgb_secret", "long-enough-password"); got != http.StatusUnauthorized {
		t.Errorf("secret reused: %d", got)
	}
	for range maxFailsAccount {
		post("guess", "long-enough-password")
	}
	if got := post("cgb_secret", "long-enough-password"); got != http.StatusTooManyRequests {
		t.Errorf("setup after many guesses: %d, want 429", got)
	}
}

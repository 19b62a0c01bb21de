package output

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
)

// The browser test renders the HTML report in headless Debian Chromium,
// served from a loopback server that records every request, and asserts:
// exactly one request (the report: no fonts, scripts, images or favicon),
// no console message of any kind (the page has no script, so any message
// is a CSP violation or an error), and a DOM with the control grid. It
// saves screenshots (and a PDF printed with the print stylesheet) to
// testdata/screenshots/ for a person to look at. A canary page proves the
// detectors work. Chromium is not a Go dependency: the test skips, visibly,
// when it is absent (CI installs it: apt-get install -y chromium).

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLAWGOV_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIP browser test: no chromium in PATH (apt-get install -y chromium, or set CLAWGOV_CHROMIUM)")
	return ""
}

// recorder serves fixed pages and records every request path.
type recorder struct {
	mu    sync.Mutex
	paths []string
	pages map[string][]byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.paths = append(rc.paths, r.URL.Path)
	rc.mu.Unlock()
	if b, ok := rc.pages[r.URL.Path]; ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
		return
	}
	http.NotFound(w, r)
}

func (rc *recorder) take() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	p := rc.paths
	rc.paths = nil
	sort.Strings(p)
	return p
}

// runChromium runs one headless Chromium with a fresh profile and network
// features off. Host resolution is pinned so nothing but loopback can even
// be looked up. It returns stdout and the console lines from stderr.
func runChromium(t *testing.T, bin string, url string, extra ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
		"--disable-client-side-phishing-detection", "--disable-domain-reliability",
		"--no-first-run", "--no-pings", "--hide-scrollbars",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0",
	}
	args = append(args, extra...)
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", extra, err, tail(errb.String(), 2000))
	}
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Content Security Policy") {
			console = append(console, line)
		}
	}
	return out.String(), console
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// pngSize reads width and height from a PNG's IHDR chunk.
func pngSize(b []byte) (int, int, bool) {
	if len(b) < 24 || !bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")) || string(b[12:16]) != "IHDR" {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint32(b[16:20])), int(binary.BigEndian.Uint32(b[20:24])), true
}

func TestHTMLInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP browser test in -short mode")
	}
	bin := findChromium(t)
	shots, err := filepath.Abs(filepath.Join("testdata", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{pages: map[string][]byte{
		"/report.en.html": render(t, "html", catalog.EN),
		"/report.zh.html": render(t, "html", catalog.ZH),
		// The canary breaks every rule on purpose: a console error, an
		// uncaught exception and a subresource request.
		"/canary.html": []byte(`<!DOCTYPE html><title>canary</title><img src="/leak.png"><script>console.error("canary");missing();</script>`),
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	t.Run("canary", func(t *testing.T) {
		_, console := runChromium(t, bin, srv.URL+"/canary.html", "--dump-dom")
		paths := rec.take()
		if !contains(paths, "/leak.png") {
			t.Errorf("request recorder missed the canary's image request (saw %v)", paths)
		}
		if len(console) < 2 {
			t.Errorf("console detector missed the canary's errors (saw %q)", console)
		}
	})
	if t.Failed() {
		t.Fatal("detectors do not work; the report checks below would prove nothing")
	}

	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			page := srv.URL + "/report." + lang + ".html"
			png := filepath.Join(shots, "report."+lang+".png")
			os.Remove(png)
			_, console := runChromium(t, bin, page, "--screenshot="+png, "--window-size=1280,2000")
			if got := rec.take(); len(got) != 1 || got[0] != "/report."+lang+".html" {
				t.Errorf("requests while rendering: %v; want only the report itself", got)
			}
			if len(console) > 0 {
				t.Errorf("console messages:\n%s", strings.Join(console, "\n"))
			}
			b, err := os.ReadFile(png)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			if w, h, ok := pngSize(b); !ok || w != 1280 || h != 2000 {
				t.Errorf("screenshot is %dx%d (png %v), want 1280x2000", w, h, ok)
			}
			t.Logf("screenshot: %s", png)

			dom, console := runChromium(t, bin, page, "--dump-dom")
			rec.take()
			if len(console) > 0 {
				t.Errorf("console messages (dump-dom):\n%s", strings.Join(console, "\n"))
			}
			for _, want := range []string{`id="overview"`, ">DO-1<", ">DONT-6<", `class="cell error"`, "<svg"} {
				if !strings.Contains(dom, want) {
					t.Errorf("rendered DOM lacks %s", want)
				}
			}
			if strings.Contains(dom, "<script") {
				t.Error("rendered DOM contains a script element: hostile text was parsed as HTML")
			}

			pdf := filepath.Join(shots, "report."+lang+".pdf")
			os.Remove(pdf)
			_, console = runChromium(t, bin, page, "--print-to-pdf="+pdf, "--no-pdf-header-footer")
			rec.take()
			if len(console) > 0 {
				t.Errorf("console messages (print):\n%s", strings.Join(console, "\n"))
			}
			pb, err := os.ReadFile(pdf)
			if err != nil || !bytes.HasPrefix(pb, []byte("%PDF-")) {
				t.Fatalf("print to PDF failed: %v", err)
			}
			pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pb, -1))
			if pages < 2 {
				t.Errorf("printed report has %d pages; the print stylesheet should give the overview, findings and framework their own pages", pages)
			}
			t.Logf("printed: %s (%d pages)", pdf, pages)
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

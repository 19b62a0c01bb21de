package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser test drives real headless Debian Chromium over the DevTools
// protocol against the dashboard on 127.0.0.1:0: it signs in through the
// form, opens the fleet grid, the hosts table and a host page (with its
// framed HTML report), and downloads a CSV export. It fails on any console
// message or exception and on any request that is not to the test server.
//
// Screenshots of the main pages go to docs/screenshots/ only when
// CLAWGOV_SCREENSHOTS=1 (go test ./internal/fleet/web -run Browser with
// that variable set regenerates them), so an ordinary run changes no
// committed file.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLAWGOV_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found and CI is set: the dashboard browser test must run (apt-get install -y chromium)")
	}
	t.Skip("SKIP dashboard browser test: no chromium in PATH (apt-get install -y chromium, or set CLAWGOV_CHROMIUM)")
	return ""
}

type browserLog struct {
	mu       sync.Mutex
	console  []string
	requests []string
	download chan string
}

func (b *browserLog) add(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

func (b *browserLog) take() (console, requests []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, r := b.console, b.requests
	b.console, b.requests = nil, nil
	return c, r
}

func TestDashboardInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP browser test in -short mode")
	}
	bin := chromiumPath(t)
	// The canary page breaks every rule on purpose (a console error, an
	// exception, a request to another host) to prove the detectors work.
	mux := http.NewServeMux()
	mux.Handle("/", newTestDashboard(t, newFixture(t)))
	mux.HandleFunc("/canary.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!DOCTYPE html><title>canary</title><link rel="icon" href="data:,"><img src="https://203.0.113.9/leak.png"><script>console.error("canary");missing();</script>`)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	dl := t.TempDir()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		// The test server's certificate is self-signed; the cookies are
		// Secure, so the dashboard is served over TLS.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	bl := &browserLog{download: make(chan string, 1)}
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value))
			}
			bl.add(&bl.console, fmt.Sprintf("console.%s %s", e.Type, strings.Join(parts, " ")))
		case *runtime.EventExceptionThrown:
			bl.add(&bl.console, "exception "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			bl.add(&bl.console, fmt.Sprintf("log %s %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text))
		case *network.EventRequestWillBeSent:
			bl.add(&bl.requests, e.Request.URL)
		}
	})
	_ = chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case bl.download <- e.GUID:
			default:
			}
		}
	})
	yes := true
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: &yes})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	shots := os.Getenv("CLAWGOV_SCREENSHOTS") != ""
	shotDir := filepath.Join("..", "..", "..", "docs", "screenshots")
	shoot := func(name string) {
		t.Helper()
		if !shots {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err == nil {
			err = os.MkdirAll(shotDir, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(shotDir, name), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	check := func(step string) {
		t.Helper()
		console, reqs := bl.take()
		// A download is fetched by the browser process, not the page: the
		// page recorder sees nothing then, and that is expected.
		downloadOnly := step == "export"
		for _, c := range console {
			t.Errorf("%s: browser console: %s", step, c)
		}
		if len(reqs) == 0 && !downloadOnly {
			t.Errorf("%s: request recorder saw nothing (detector broken?)", step)
		}
		for _, r := range reqs {
			if !strings.HasPrefix(r, srv.URL+"/") && !strings.HasPrefix(r, "data:") {
				t.Errorf("%s: request to something other than the test server: %s", step, r)
			}
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/canary.html")); err != nil {
		t.Fatalf("canary: %v", err)
	}
	var console, reqs []string
	caught := func() bool {
		return len(console) >= 2 && slices.ContainsFunc(reqs, func(r string) bool { return strings.Contains(r, "203.0.113.9") })
	}
	// Events arrive asynchronously: wait for them (bounded by ctx), never
	// assert on how long they took.
	for !caught() && ctx.Err() == nil {
		c, r := bl.take()
		console, reqs = append(console, c...), append(reqs, r...)
		if !caught() {
			_ = chromedp.Do(ctx, chromedp.Sleep(50*time.Millisecond))
		}
	}
	if !caught() {
		t.Fatalf("detectors missed the canary (console %q, requests %q): the checks below would prove nothing", console, reqs)
	}

	// Sign in through the form (no JavaScript on the page: a real submit).
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/hosts/h1?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
	); err != nil {
		t.Fatalf("login page: %v", err)
	}
	shoot("dashboard-login.en.png")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "admin-pw"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`#report iframe`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	if !strings.Contains(title, "gw-01.example") {
		t.Errorf("after login the host page has title %q", title)
	}
	// The framed report comes from the same origin and renders its
	// overview (polled: the frame loads after the page).
	framed := false
	for range 100 {
		if v, _ := eval(`(() => { const f = document.querySelector('#report iframe'); return !!(f && f.contentDocument && f.contentDocument.querySelector('#overview')); })()`).(bool); v {
			framed = true
			break
		}
		_ = chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond))
	}
	if !framed {
		t.Error("the host page's framed HTML report did not render its overview")
	}
	shoot("dashboard-host.en.png")
	check("login+host")

	for _, lang := range []string{"en", "zh"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`#grid`))); err != nil {
			t.Fatalf("%s overview: %v", lang, err)
		}
		rows, cells := eval(`document.querySelectorAll('table.grid tbody tr').length`), eval(`document.querySelectorAll('table.grid tbody td').length`)
		if rows != float64(12) || cells != float64(12*len(Statuses)) {
			t.Errorf("%s fleet grid: %v rows, %v cells; want 12 controls x %d statuses", lang, rows, cells, len(Statuses))
		}
		shoot("dashboard-overview." + lang + ".png")
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/hosts?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`table.hosts`))); err != nil {
			t.Fatalf("%s hosts: %v", lang, err)
		}
		if n := eval(`document.querySelectorAll('script').length`); n != float64(0) {
			t.Errorf("hosts page has %v script elements: hostile hostname parsed as HTML?", n)
		}
		shoot("dashboard-hosts." + lang + ".png")
		check(lang + " overview+hosts")
	}

	// Export download: click the CSV link and read the file.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href^="/export/hosts.csv"]`))); err != nil {
		t.Fatalf("click export: %v", err)
	}
	select {
	case guid := <-bl.download:
		b, err := os.ReadFile(filepath.Join(dl, guid))
		if err != nil {
			t.Fatalf("downloaded file: %v", err)
		}
		if !bytes.HasPrefix(b, []byte("\ufeffhost_id,hostname,")) {
			t.Errorf("downloaded CSV starts %q", b[:min(len(b), 40)])
		}
	case <-ctx.Done():
		t.Fatal("export download never completed")
	}
	check("export")
}

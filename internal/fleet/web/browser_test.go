package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/clawgov/clawgov/internal/webui/webuitest"
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

func TestDashboardInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP browser test in -short mode")
	}
	bin := webuitest.ChromiumPath(t, "dashboard")
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

	br := webuitest.Start(t, bin)
	ctx := br.Ctx
	download := make(chan string, 1)
	_ = chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case download <- e.GUID:
			default:
			}
		}
	})
	yes := true
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: &yes})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	shotDir := filepath.Join("..", "..", "..", "docs", "screenshots")
	shoot := func(name string) { t.Helper(); br.Screenshot(t, shotDir, name) }
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
		console, reqs := br.Take()
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
		c, r := br.Take()
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
	case guid := <-download:
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

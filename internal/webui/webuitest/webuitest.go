// Package webuitest drives real headless Debian Chromium for the browser
// tests of the server-rendered pages (fleet dashboard, registry review):
// one way to find the browser, one locked-down launch, and one recorder of
// what a page must never do (console output, exceptions, dialogs, requests
// beyond the test server). Imported by tests only.
package webuitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is CLAWGOV_CHROMIUM or chromium on PATH. Without one the
// test is skipped, except under CI, where the browser test must run.
func ChromiumPath(t testing.TB, what string) string {
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
		t.Fatalf("chromium not found and CI is set: the %s browser test must run (apt-get install -y chromium)", what)
	}
	t.Skipf("SKIP %s browser test: no chromium in PATH (apt-get install -y chromium, or set CLAWGOV_CHROMIUM)", what)
	return ""
}

// Browser is one headless Chromium and the recorder of its pages.
type Browser struct {
	// Ctx is the page's chromedp context (120 s to run the test in).
	Ctx      context.Context
	mu       sync.Mutex
	console  []string
	requests []string
}

// Start launches bin with nothing that talks to the network on its own
// (background services off, every name but 127.0.0.1 unresolvable) and
// the test server's self-signed certificate accepted (the pages set
// Secure cookies, so they are served over TLS), and starts recording.
func Start(t testing.TB, bin string) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &Browser{Ctx: ctx}
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value))
			}
			b.add(&b.console, fmt.Sprintf("console.%s %s", e.Type, strings.Join(parts, " ")))
		case *runtime.EventExceptionThrown:
			b.add(&b.console, "exception "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			b.add(&b.console, fmt.Sprintf("log %s %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text))
		case *page.EventJavascriptDialogOpening:
			b.add(&b.console, "dialog "+e.Message)
		case *network.EventRequestWillBeSent:
			b.add(&b.requests, e.Request.URL)
		}
	})
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, log.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *Browser) add(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

// Take returns and clears what was recorded since the last Take.
func (b *Browser) Take() (console, requests []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, r := b.console, b.requests
	b.console, b.requests = nil, nil
	return c, r
}

// Screenshot writes the page as dir/name, only when CLAWGOV_SCREENSHOTS
// is set, so an ordinary run changes no committed file.
func (b *Browser) Screenshot(t testing.TB, dir, name string) {
	t.Helper()
	if os.Getenv("CLAWGOV_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

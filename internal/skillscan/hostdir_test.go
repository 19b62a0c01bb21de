package skillscan

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHostDirStaysInsideTheImage: a skill folder that is an absolute
// symlink in a disk image is the image's folder of that name, never this
// machine's; a loop resolves to nothing; a missing folder keeps its path.
func TestHostDirStaysInsideTheImage(t *testing.T) {
	hostSkill := t.TempDir() // a folder on this machine
	root := t.TempDir()
	inImage := filepath.Join(root, filepath.FromSlash(hostSkill))
	os.MkdirAll(inImage, 0o755)
	skills := filepath.Join(root, "home", "a", ".openclaw", "skills")
	os.MkdirAll(skills, 0o755)
	os.Symlink(hostSkill, filepath.Join(skills, "linked"))
	os.Symlink("loop", filepath.Join(skills, "loop"))
	for _, c := range []struct{ dir, want string }{
		{"/home/a/.openclaw/skills/linked", inImage},
		{"/home/a/.openclaw/skills/loop", ""},
		{"/home/a/.openclaw/skills/missing", filepath.Join(skills, "missing")},
		{filepath.Join(skills, "linked"), filepath.Join(skills, "linked")}, // already a path under the root
	} {
		if got := hostDir(root, c.dir); got != c.want {
			t.Errorf("hostDir(%s) = %q, want %q", c.dir, got, c.want)
		}
	}
	if got := hostDir("", "/x"); got != "/x" {
		t.Errorf("live host: %q", got)
	}
}
